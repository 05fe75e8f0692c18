"""BG/NBD: the beta-geometric / negative-binomial purchase model.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "'Counting Your Customers' the Easy Way: An Alternative to the
Pareto/NBD Model", *Marketing Science* 24(2), 275–284 (FHL 2005 below). While alive a customer buys as a Poisson
process with rate ``λ ~ Gamma(r, α)``; after every repeat purchase she drops out with probability
``p ~ Beta(a, b)``. Equation numbers are those of the paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln, digamma, expit, gammaln

from siyu.clv._base import ContinuousTimeModel, distinct_values, hyp2f1_bracket

__all__ = ["BetaGeo", "loglik"]


def loglik(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray
           ) -> tuple[float, np.ndarray]:
    """Total BG/NBD log-likelihood and its gradient in ``log(r, α, a, b)`` (FHL 2005, eq. 6).

    ``L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + δ(x>0) B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))``, summed over the tuples with weights
    ``w``; the two terms are combined with log-sum-exp.

    Returns
    -------
    total : float
        ``Σ w · log L``.
    gradient : numpy.ndarray
        Its derivative with respect to ``log_params`` (analytic).
    """
    r, alpha, a, b = np.exp(log_params)
    ux, ix = distinct_values(x)  # the special functions of x are evaluated once per distinct x

    def of_x(values: np.ndarray) -> np.ndarray:
        return values[ix]

    rx = r + x
    pos = x > 0
    la_T = np.log(alpha + T)
    la_t = np.log(alpha + t_x)
    bx1 = np.where(pos, b + x - 1, 1.0)
    log_bx1 = of_x(np.log(np.where(ux > 0, b + ux - 1, 1.0)))
    A3 = -rx * la_T
    A4 = np.where(pos, np.log(a) - log_bx1 - rx * la_t, -np.inf)
    m = np.maximum(A3, A4)
    e3, e4 = np.exp(A3 - m), np.exp(A4 - m)
    s = e3 + e4
    w3, w4 = e3 / s, e4 / s
    ll = (of_x(gammaln(r + ux) + gammaln(b + ux) - gammaln(a + b + ux)) - gammaln(r) + r * np.log(alpha)
          + gammaln(a + b) - gammaln(b) + m + np.log(s))
    W = w.sum()
    psi_abx = of_x(digamma(a + b + ux))
    d_r = np.dot(w, of_x(digamma(r + ux)) - w3 * la_T - w4 * la_t) + W * (np.log(alpha) - digamma(r))
    d_alpha = W * r / alpha - np.dot(w, rx * (w3 / (alpha + T) + w4 / (alpha + t_x)))
    d_a = W * digamma(a + b) - np.dot(w, psi_abx) + np.dot(w, w4) / a
    d_b = W * (digamma(a + b) - digamma(b)) + np.dot(w, of_x(digamma(b + ux)) - psi_abx - w4 / bx1)
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return float(np.dot(w, ll)), grad


def _log_death_odds(r: float, alpha: float, a: float, b: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray
                    ) -> np.ndarray:
    """log of ``a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)`` for ``x > 0`` (−inf for ``x = 0``)."""
    pos = x > 0
    bx1 = np.where(pos, b + x - 1, 1.0)
    out = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(pos, out, -np.inf)


class BetaGeo(ContinuousTimeModel):
    """BG/NBD purchase model (Fader, Hardie & Lee 2005) fitted by exact maximum likelihood.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty on the natural parameters (``lifetimes``' convention); 0 for plain maximum likelihood.
    tol : float, default 1e-10
        Gradient tolerance of the optimiser on the mean negative log-likelihood.
    max_iter : int, default 1000
        Iteration cap of the optimiser.

    Attributes
    ----------
    params_ : dict
        ``r, alpha, a, b``: ``λ ~ Gamma(r, α)`` (α in the summary's time unit), ``p ~ Beta(a, b)``.
    log_likelihood_ : float
        Total log-likelihood over the customers (FHL 2005 eq. 6).
    standard_errors_ : dict
        From the inverse observed information in log-parameter space (central differences of the analytic
        gradient) carried to ``r, alpha, a, b`` by the delta method.
    covariance_ : numpy.ndarray
        Covariance of ``(r, alpha, a, b)``.
    n_customers_, n_distinct_, converged_
        Customers (total weight) fitted, distinct ``(x, t_x, T)`` tuples, whether the optimiser converged.

    Notes
    -----
    The summary has ``frequency`` (x, repeat purchases), ``recency`` (t_x, age at the last purchase, 0 when x = 0)
    and ``T`` (age at the end of calibration), ``t_x`` and ``T`` in one time unit. Under BG/NBD a customer with
    no repeat purchase is alive for sure (``p_alive = 1``): drop-out happens only right after a purchase.
    """

    _param_names = ("r", "alpha", "a", "b")
    _loglik = staticmethod(loglik)

    # -- predictions --------------------------------------------------------------------------------------------

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer.

        Fader, Hardie & Lee (2008), "Computing P(alive) Using the BG/NBD Model" (note):
        ``1 / (1 + δ(x>0) a/(b+x−1) ((α+T)/(α+t_x))^(r+x))``; exactly 1 for ``x = 0``.
        """
        r, alpha, a, b = self._p()
        x, t_x, T = self._summary(summary)
        return expit(-_log_death_odds(r, alpha, a, b, x, t_x, T))

    def expected_purchases(self, t: Any, summary: Any) -> np.ndarray:
        """Conditional expected number of purchases in ``(T, T+t]`` per customer (FHL 2005, eq. 10).

        ``E[Y(t) | x, t_x, T] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
        · P(alive)`` (the bracket by :func:`~siyu.clv._base.hyp2f1_bracket`, safe from overflow).

        Parameters
        ----------
        t : float or array-like
            Horizon in the summary's time unit (scalar, or one value per customer).
        summary
            ``frequency, recency, T`` per customer.
        """
        r, alpha, a, b = self._p()
        x, t_x, T = self._summary(summary)
        t = np.asarray(t, dtype=np.float64)
        c = a + b + x - 1
        bracket = hyp2f1_bracket(r + x, b + x, c, t / (alpha + T))
        out = c / (a - 1) * bracket * expit(-_log_death_odds(r, alpha, a, b, x, t_x, T))
        return np.where(t > 0, out, 0.0)

    def probability_of_n_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Unconditional ``P(X(t) = n)`` for a customer of age ``t`` (FHL 2005, eq. 8), broadcast over ``n, t``.

        ``B(a, b+n)/B(a, b) · NB(n; r, α/(α+t)) + δ(n>0) B(a+1, b+n−1)/B(a, b) · P(NB(r, α/(α+t)) ≥ n)``; the
        negative binomial tail ``1 − Σ_{j<n} ...`` of eq. 8 is the regularised incomplete beta ``I_{t/(α+t)}(n, r)``.
        """
        r, alpha, a, b = self._p()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_nb = (gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * (np.log(alpha) - np.log(alpha + t))
                      + np.where(n > 0, n * (np.log(t) - np.log(alpha + t)), 0.0))
        first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nb)
        pos = n > 0
        tail = betainc(np.where(pos, n, 1.0), r, t / (alpha + t))
        second = np.where(pos, np.exp(betaln(a + 1, np.where(pos, b + n - 1, 1.0)) - betaln(a, b)) * tail, 0.0)
        return first + second

    def expected_purchases_unconditional(self, t: Any) -> np.ndarray:
        """Population ``E[X(t)]`` of a customer of age ``t`` (FHL 2005, eq. 9), vectorised over ``t``.

        ``(a+b−1)/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))]``.
        """
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=np.float64)
        return (a + b - 1) / (a - 1) * hyp2f1_bracket(r, b, a + b - 1, t / alpha)
