"""MBG/NBD: the modified beta-geometric / negative-binomial purchase model.

Batislam, E. P., Denizel, M. & Filiztekin, A. (2007), "Empirical validation and comparison of models for customer
base analysis", *International Journal of Research in Marketing* 24(3), 201–209 (BDF 2007 below); the same model
is the "periodic death opportunity" model of Jen, Chou & Allenby (2009). It is BG/NBD (Fader, Hardie & Lee 2005)
with one more drop-out opportunity, right after the first purchase, so that a customer without repeat purchases
can be dead: while alive she buys as a Poisson process with rate ``λ ~ Gamma(r, α)``; at time 0 and after every
repeat purchase she drops out with probability ``p ~ Beta(a, b)``. Expressions follow BDF 2007 and ``lifetimes``'
``ModifiedBetaGeoFitter``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc, betaln, digamma, expit, gammaln

from siyu.clv._base import ContinuousTimeModel, hyp2f1_bracket

__all__ = ["ModifiedBetaGeo", "loglik"]


def loglik(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray
           ) -> tuple[float, np.ndarray]:
    """Total MBG/NBD log-likelihood and its gradient in ``log(r, α, a, b)`` (BDF 2007).

    ``L = B(a, b+x+1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
    + B(a+1, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))`` for every ``x ≥ 0``, summed over the tuples with
    weights ``w`` (log-sum-exp of the two terms).

    Returns
    -------
    total : float
        ``Σ w · log L``.
    gradient : numpy.ndarray
        Its derivative with respect to ``log_params`` (analytic).
    """
    r, alpha, a, b = np.exp(log_params)
    rx = r + x
    la_T = np.log(alpha + T)
    la_t = np.log(alpha + t_x)
    A3 = -rx * la_T
    A4 = np.log(a) - np.log(b + x) - rx * la_t
    m = np.maximum(A3, A4)
    e3, e4 = np.exp(A3 - m), np.exp(A4 - m)
    s = e3 + e4
    w3, w4 = e3 / s, e4 / s
    ll = (gammaln(rx) - gammaln(r) + r * np.log(alpha)
          + gammaln(a + b) + gammaln(b + x + 1) - gammaln(b) - gammaln(a + b + x + 1) + m + np.log(s))
    W = w.sum()
    psi_abx = digamma(a + b + x + 1)
    d_r = np.dot(w, digamma(rx) - w3 * la_T - w4 * la_t) + W * (np.log(alpha) - digamma(r))
    d_alpha = W * r / alpha - np.dot(w, rx * (w3 / (alpha + T) + w4 / (alpha + t_x)))
    d_a = W * digamma(a + b) - np.dot(w, psi_abx) + np.dot(w, w4) / a
    d_b = W * (digamma(a + b) - digamma(b)) + np.dot(w, digamma(b + x + 1) - psi_abx - w4 / (b + x))
    grad = np.array([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return float(np.dot(w, ll)), grad


class ModifiedBetaGeo(ContinuousTimeModel):
    """MBG/NBD purchase model (Batislam, Denizel & Filiztekin 2007) fitted by exact maximum likelihood.

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
        Total log-likelihood over the customers.
    standard_errors_ : dict
        From the inverse observed information in log-parameter space (central differences of the analytic
        gradient) carried to the natural parameters by the delta method.
    covariance_ : numpy.ndarray
        Covariance of ``(r, alpha, a, b)``.
    n_customers_, n_distinct_, converged_
        Customers (total weight) fitted, distinct ``(x, t_x, T)`` tuples, whether the optimiser converged.

    Notes
    -----
    Same summary as BG/NBD: ``frequency`` (x), ``recency`` (t_x, 0 when x = 0), ``T``. Unlike BG/NBD a customer
    with no repeat purchase has ``p_alive < 1``, falling with ``T``.
    """

    _param_names = ("r", "alpha", "a", "b")
    _loglik = staticmethod(loglik)

    # -- predictions --------------------------------------------------------------------------------------------

    def _log_death_odds(self, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
        r, alpha, a, b = self._p()
        return np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer (BDF 2007, appendix A, eq. 5).

        ``1 / (1 + a/(b+x) · ((α+T)/(α+t_x))^(r+x))``.
        """
        return expit(-self._log_death_odds(*self._summary(summary)))

    def expected_purchases(self, t: Any, summary: Any) -> np.ndarray:
        """Conditional expected number of purchases in ``(T, T+t]`` per customer (BDF 2007).

        ``(a+b+x)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x+1; a+b+x; t/(α+T+t))] · P(alive)`` (the bracket
        by :func:`~siyu.clv._base.hyp2f1_bracket`, safe from overflow).
        """
        r, alpha, a, b = self._p()
        x, t_x, T = self._summary(summary)
        t = np.asarray(t, dtype=np.float64)
        c = a + b + x
        bracket = hyp2f1_bracket(r + x, b + x + 1, c, t / (alpha + T))
        return c / (a - 1) * bracket * expit(-self._log_death_odds(x, t_x, T))

    def probability_of_n_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Unconditional ``P(X(t) = n)`` for a customer of age ``t``, broadcast over ``n, t``.

        Alive through ``n`` drop-out opportunities and ``n`` purchases by ``t``, or dead right after the ``n``-th
        (at time 0 when ``n = 0``): ``B(a, b+n+1)/B(a, b) · NB(n; r, α/(α+t))
        + B(a+1, b+n)/B(a, b) · P(NB(r, α/(α+t)) ≥ n)`` (the tail is 1 for ``n = 0`` and the regularised incomplete
        beta ``I_{t/(α+t)}(n, r)`` otherwise).
        """
        r, alpha, a, b = self._p()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_nb = (gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * (np.log(alpha) - np.log(alpha + t))
                      + np.where(n > 0, n * (np.log(t) - np.log(alpha + t)), 0.0))
        first = np.exp(betaln(a, b + n + 1) - betaln(a, b) + log_nb)
        pos = n > 0
        tail = np.where(pos, betainc(np.where(pos, n, 1.0), r, t / (alpha + t)), 1.0)
        return first + np.exp(betaln(a + 1, b + n) - betaln(a, b)) * tail

    def expected_purchases_unconditional(self, t: Any) -> np.ndarray:
        """Population ``E[X(t)]`` of a customer of age ``t`` (BDF 2007), vectorised over ``t``.

        ``b/(a−1) · [1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))]``.
        """
        r, alpha, a, b = self._p()
        t = np.asarray(t, dtype=np.float64)
        return b / (a - 1) * hyp2f1_bracket(r, b + 1, a + b, t / alpha)
