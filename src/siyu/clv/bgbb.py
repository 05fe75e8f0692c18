"""BG/BB: the beta-geometric / beta-Bernoulli model of discrete-time purchasing.

Fader, P. S., Hardie, B. G. S. & Shang, J. (2010), "Customer-Base Analysis in a Discrete-Time Noncontractual
Setting", *Marketing Science* 29(6), 1086–1108 (FHS 2010 below). After the first purchase a customer has ``n``
transaction opportunities. While alive she buys at each with probability ``p ~ Beta(α, β)``; at the start of every
opportunity she drops out for good with probability ``θ ~ Beta(γ, δ)``. The summary of a customer is ``x`` (the
number of opportunities with a purchase, column ``frequency``), ``t_x`` (the opportunity of the last one, 0 if none,
column ``recency``) and ``n`` (column ``T``), all whole numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import betaln, digamma, gammaln

from siyu._exceptions import InsufficientDataError
from siyu.clv._base import ClvModel, check_rft, read_columns

__all__ = ["BetaGeoBetaBinom", "loglik"]


def _log_terms(alpha: float, beta: float, gamma: float, delta: float, x: np.ndarray, t_x: np.ndarray,
               n: np.ndarray) -> np.ndarray:
    """``log L`` per tuple (FHS 2010's likelihood), summing the ``n − t_x`` death terms by streaming log-sum-exp."""
    base = -betaln(alpha, beta) - betaln(gamma, delta)
    out = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n) + base
    for i in range(int((n - t_x).max(initial=0))):
        live = i < n - t_x
        term = betaln(alpha + x, beta + t_x - x + i) + betaln(gamma + 1, delta + t_x + i) + base
        out = np.where(live, np.logaddexp(out, term), out)
    return out


def loglik(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, n: np.ndarray, w: np.ndarray
           ) -> tuple[float, np.ndarray]:
    """Total BG/BB log-likelihood and its gradient in ``log(α, β, γ, δ)`` (FHS 2010).

    ``L = B(α+x, β+n−x)/B(α, β) · B(γ, δ+n)/B(γ, δ)
    + Σ_{i=0}^{n−t_x−1} B(α+x, β+t_x−x+i)/B(α, β) · B(γ+1, δ+t_x+i)/B(γ, δ)``: alive through all ``n``
    opportunities, or dead at the start of opportunity ``t_x+i+1``. The sum is accumulated by log-sum-exp together
    with the softmax-weighted gradients of its terms.

    Returns
    -------
    total : float
        ``Σ w · log L``.
    gradient : numpy.ndarray
        Its derivative with respect to ``log_params`` (analytic).
    """
    alpha, beta, gamma, delta = np.exp(log_params)
    c = np.array([digamma(alpha) - digamma(alpha + beta), digamma(beta) - digamma(alpha + beta),
                  digamma(gamma) - digamma(gamma + delta), digamma(delta) - digamma(gamma + delta)])
    psi_ax = digamma(alpha + x)
    # the "alive throughout" term
    acc = betaln(alpha + x, beta + n - x) + betaln(gamma, delta + n)
    g = np.array([psi_ax - digamma(alpha + beta + n), digamma(beta + n - x) - digamma(alpha + beta + n),
                  digamma(gamma) - digamma(gamma + delta + n), digamma(delta + n) - digamma(gamma + delta + n)])
    psi_g1 = digamma(gamma + 1)
    for i in range(int((n - t_x).max(initial=0))):
        live = i < n - t_x
        m = t_x + i
        term = betaln(alpha + x, beta + m - x) + betaln(gamma + 1, delta + m)
        new = np.where(live, np.logaddexp(acc, term), acc)
        keep, add = np.exp(acc - new), np.where(live, np.exp(term - new), 0.0)
        gi = np.array([psi_ax - digamma(alpha + beta + m), digamma(beta + m - x) - digamma(alpha + beta + m),
                       psi_g1 - digamma(gamma + delta + 1 + m), digamma(delta + m) - digamma(gamma + delta + 1 + m)])
        g = g * keep + gi * add
        acc = new
    ll = acc - betaln(alpha, beta) - betaln(gamma, delta)
    grad = g @ w - c * w.sum()
    return float(np.dot(w, ll)), grad * np.array([alpha, beta, gamma, delta])


def _sum_alive(gamma: float, delta: float, n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """``Σ_{m=n+1}^{n+k} B(γ, δ+m)/B(γ, δ)``: expected opportunities alive among ``n+1 … n+k`` (FHS 2010).

    Telescoped to ``δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+k)/Γ(γ+δ+n+k)]``, and to its limit
    ``δ (ψ(δ+n+k+1) − ψ(δ+n+1))`` at ``γ = 1``.
    """
    if abs(gamma - 1.0) < 1e-7:
        return delta * (digamma(delta + n + k + 1) - digamma(delta + n + 1))
    log_f0 = gammaln(gamma + delta) - gammaln(delta) + gammaln(delta + n + 1) - gammaln(gamma + delta + n)
    d = (gammaln(delta + n + k + 1) - gammaln(delta + n + 1)) - (gammaln(gamma + delta + n + k)
                                                                 - gammaln(gamma + delta + n))
    return np.exp(log_f0) * -np.expm1(d) / (gamma - 1.0)


class BetaGeoBetaBinom(ClvModel):
    """BG/BB discrete-time purchase model (Fader, Hardie & Shang 2010) fitted by exact maximum likelihood.

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
        ``alpha, beta, gamma, delta``: ``p ~ Beta(α, β)``, ``θ ~ Beta(γ, δ)``.
    log_likelihood_ : float
        Total log-likelihood over the customers.
    standard_errors_ : dict
        From the inverse observed information in log-parameter space (central differences of the analytic
        gradient) carried to the natural parameters by the delta method.
    covariance_ : numpy.ndarray
        Covariance of ``(alpha, beta, gamma, delta)``.
    n_customers_, n_distinct_, converged_
        Customers (total weight) fitted, distinct ``(x, t_x, n)`` tuples, whether the optimiser converged.

    Notes
    -----
    The summary has whole-number ``frequency`` (x), ``recency`` (t_x) and ``T`` (n) with ``0 ≤ x ≤ t_x ≤ n`` and
    ``t_x = 0`` when ``x = 0``. Horizons of the predictions are numbers of opportunities.
    """

    _param_names = ("alpha", "beta", "gamma", "delta")
    _columns = ("frequency", "recency", "T")
    _loglik = staticmethod(loglik)

    def _data(self, summary: Any) -> tuple[list[np.ndarray], np.ndarray]:
        c = read_columns(summary, self._columns, integer=self._columns)
        x, n = c["frequency"], c["T"]
        t_x = check_rft(x, c["recency"], n, discrete=True)
        return [x, t_x, n], np.ones(len(x), bool)

    def _check_sufficient(self, data: Sequence[np.ndarray], w: np.ndarray) -> None:
        x, _, n = data
        if not (x > 0).any() or not (n - x > 0).any():
            raise InsufficientDataError(f"{type(self).__name__}: the customers need both opportunities with and "
                                        "without a purchase to estimate the purchase and drop-out processes")

    def _start(self, data: Sequence[np.ndarray], w: np.ndarray) -> np.ndarray:
        return np.ones(4)

    # -- predictions --------------------------------------------------------------------------------------------
    def _summary(self, summary: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        self._check_fitted()
        x, t_x, n = self._data(summary)[0]
        return x, t_x, n

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive at opportunity n+1 | x, t_x, n) per customer (FHS 2010, eq. A10 with one step ahead).

        ``B(α+x, β+n−x)/B(α, β) · B(γ, δ+n+1)/B(γ, δ) / L(α, β, γ, δ | x, t_x, n)``.
        """
        alpha, beta, gamma, delta = self._p()
        x, t_x, n = self._summary(summary)
        log_l = _log_terms(alpha, beta, gamma, delta, x, t_x, n)
        num = betaln(alpha + x, beta + n - x) - betaln(alpha, beta) + betaln(gamma, delta + n + 1) - betaln(gamma,
                                                                                                           delta)
        return np.exp(num - log_l)

    def expected_purchases(self, t: Any, summary: Any) -> np.ndarray:
        """Conditional expected number of purchases in the next ``t`` opportunities ``n+1 … n+t`` (FHS 2010, eq. 13).

        ``1/L · B(α+x+1, β+n−x)/B(α, β) · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ)
        · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+t)/Γ(γ+δ+n+t)]``.

        Parameters
        ----------
        t : int or array-like
            Number of future opportunities ``n*`` (scalar, or one per customer).
        summary
            ``frequency, recency, T`` per customer.
        """
        alpha, beta, gamma, delta = self._p()
        x, t_x, n = self._summary(summary)
        t = np.asarray(t, dtype=np.float64)
        log_l = _log_terms(alpha, beta, gamma, delta, x, t_x, n)
        lead = np.exp(betaln(alpha + x + 1, beta + n - x) - betaln(alpha, beta) - log_l)
        return lead * _sum_alive(gamma, delta, n, t)

    def probability_of_n_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Unconditional ``P(X(t) = n)``, ``n`` purchases in ``t`` opportunities (FHS 2010, eq. 7), broadcast.

        ``C(t, n) B(α+n, β+t−n)/B(α, β) · B(γ, δ+t)/B(γ, δ)
        + Σ_{i=n}^{t−1} C(i, n) B(α+n, β+i−n)/B(α, β) · B(γ+1, δ+i)/B(γ, δ)`` (0 when ``n > t``).
        """
        alpha, beta, gamma, delta = self._p()
        x, m = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
        ok = x <= m
        xs = np.where(ok, x, 0.0)
        base = -betaln(alpha, beta) - betaln(gamma, delta)
        log_choose = gammaln(m + 1) - gammaln(xs + 1) - gammaln(m - xs + 1)
        out = np.exp(log_choose + betaln(alpha + xs, beta + m - xs) + betaln(gamma, delta + m) + base)
        for i in range(int(m.max(initial=0))):
            live = ok & (i >= xs) & (i < m)
            with np.errstate(invalid="ignore"):
                lt = (gammaln(i + 1.0) - gammaln(xs + 1) - gammaln(np.maximum(i - xs, 0) + 1)
                      + betaln(alpha + xs, beta + np.maximum(i - xs, 0)) + betaln(gamma + 1, delta + i) + base)
            out = out + np.where(live, np.exp(lt), 0.0)
        return np.where(ok, out, 0.0)

    def expected_purchases_unconditional(self, t: Any) -> np.ndarray:
        """Population ``E[X(t)]`` in the first ``t`` opportunities (FHS 2010), vectorised over ``t``.

        ``α/(α+β) · δ/(γ−1) · [1 − Γ(γ+δ)/Γ(γ+δ+t) · Γ(1+δ+t)/Γ(1+δ)]``.
        """
        alpha, beta, gamma, delta = self._p()
        t = np.asarray(t, dtype=np.float64)
        return alpha / (alpha + beta) * _sum_alive(gamma, delta, np.zeros_like(t), t)
