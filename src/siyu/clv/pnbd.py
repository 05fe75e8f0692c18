"""Pareto/NBD: the Pareto / negative-binomial purchase model.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987), "Counting Your Customers: Who Are They and What Will They
Do Next?", *Management Science* 33(1), 1–24; the likelihood and predictions in the form of Fader, P. S. & Hardie,
B. G. S. (2005), "A Note on Deriving the Pareto/NBD Model and Related Expressions" (FH 2005 below) and (2006),
"Deriving an Expression for P(X(t) = x) Under the Pareto/NBD Model" (FH 2006). While alive a customer buys as a
Poisson process with rate ``λ ~ Gamma(r, α)``; her lifetime is exponential with rate ``μ ~ Gamma(s, β)``.

Numerical form of the likelihood
--------------------------------
FH 2005 (eqs. 18–20) writes the likelihood as

``L = Γ(r+x) α^r β^s / Γ(r) · [ 1/((α+T)^(r+x) (β+T)^s) + s/(r+s+x) · A₀ ]``

with ``A₀`` a difference of two ``₂F₁(r+s+x, ·; r+s+x+1; z)`` terms, taken on the branch ``α ≥ β`` or ``α < β`` so
that ``0 ≤ z < 1``. ``s/(r+s+x) · A₀ = s · (F(t_x) − F(T))`` where ``F(τ) = ∫_τ^∞ (α+u)^−(r+x) (β+u)^−(s+1) du``. With
Euler's transformation ``₂F₁(A, B; A+1; z) = (1−z)^(1−B) ₂F₁(1, A+1−B; A+1; z)`` each ``F`` becomes

* ``α ≥ β``: ``F(τ) = (α+τ)^−(r+x) (β+τ)^−s · ₂F₁(1, r+x; r+s+x+1; (α−β)/(α+τ)) / (r+s+x)``,
* ``α < β``: ``F(τ) = (α+τ)^−(r+x−1) (β+τ)^−(s+1) · ₂F₁(1, s+1; r+s+x+1; (β−α)/(β+τ)) / (r+s+x)``,

whose ``₂F₁(1, b; c; z)`` with ``b < c`` is a series of positive, decreasing terms, bounded by ``(c−1)/(c−1−b)``
when ``c−1−b > 0`` and growing no faster than ``(1−z)^(c−1−b)`` with ``c−1−b = r+x−1 > −1`` otherwise, rather than
the overflowing ``(1−z)^−(r+x−1)`` of the untransformed form. Everything is then combined in logs
(log-sum-exp); the difference ``F(t_x) − F(T)`` only loses digits relative to itself when ``t_x ≈ T``, where it is
negligible against the first term.

The gradient needs the derivatives of ``₂F₁(1, b; c; z)`` in ``z`` (for ``α, β``) and in its parameters ``b, c``
(for ``r, s``); the latter have no closed form and all three are summed from its series ``Σ_k (b)_k/(c)_k z^k``
(e.g. ``Σ_k (b)_k/(c)_k z^k (ψ(b+k) − ψ(b))`` for ``∂/∂b``), as pytensor does for pymc-marketing.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from siyu.clv._base import ContinuousTimeModel, collapse

__all__ = ["ParetoNBD", "loglik"]


def _hyp2f1_1_series(b: np.ndarray, c: np.ndarray, z: np.ndarray, *, block: int = 8, max_terms: int = 1_000_000
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``H = ₂F₁(1, b; c; z)`` and ``∂H/∂b``, ``∂H/∂c``, ``∂H/∂z`` divided by ``H``, for ``0 ≤ z < 1``, ``0 < b < c``.

    Sums the series ``Σ_k t_k`` with ``t_k = (b)_k/(c)_k z^k`` together with ``∂t_k/∂b = t_k Σ_{j<k} 1/(b+j)``,
    ``∂t_k/∂c = −t_k Σ_{j<k} 1/(c+j)`` and ``z ∂t_k/∂z = k t_k``, in blocks of terms, dropping rows as they
    converge. ``t_{k+m} ≤ t_k z^m`` because ``b < c``, so after ``t_K`` the tails are below
    ``t_K (h_b + h_c + K + (1/b + 1/c + 1/(1−z))/(1−z)) / (1−z)`` (``h`` the harmonic sums so far); a row stops
    when that is below ``1e-17 · min(z, 1) ·`` its sum.
    """
    n = len(z)
    s0, sb, sc, sz = np.ones(n), np.zeros(n), np.zeros(n), b / c
    rows = np.flatnonzero(z > 0)
    bb, cc, zz = b[rows], c[rows], z[rows]
    a0, ab, ac, az = np.ones(rows.size), np.zeros(rows.size), np.zeros(rows.size), np.zeros(rows.size)
    t, hb, hc = np.ones(rows.size), np.zeros(rows.size), np.zeros(rows.size)
    k = 0
    while rows.size and k < max_terms:
        for _ in range(block):
            ib, ic = 1.0 / (bb + k), 1.0 / (cc + k)
            t = t * (zz * (bb + k) * ic)
            hb += ib
            hc += ic
            k += 1
            a0 += t
            ab += t * hb
            ac += t * hc
            az += k * t
        one_z = 1.0 - zz
        tail = t * (hb + hc + k + (1.0 / bb + 1.0 / cc + 1.0 / one_z) / one_z) / one_z
        fin = tail <= 1e-17 * np.minimum(zz, 1.0) * a0
        if k >= max_terms:
            fin[:] = True
        if fin.any():
            idx = rows[fin]
            s0[idx], sb[idx], sc[idx], sz[idx] = a0[fin], ab[fin], ac[fin], az[fin] / zz[fin]
            keep = ~fin
            rows, bb, cc, zz = rows[keep], bb[keep], cc[keep], zz[keep]
            a0, ab, ac, az, t, hb, hc = a0[keep], ab[keep], ac[keep], az[keep], t[keep], hb[keep], hc[keep]
    return s0, sb / s0, -sc / s0, sz / s0


def _log_f(r: float, alpha: float, s: float, beta: float, x: np.ndarray, tau: np.ndarray, *, grad: bool = True
           ) -> tuple[np.ndarray, np.ndarray | None]:
    """``log F(τ)`` (see the module docstring) and its derivatives with respect to ``(r, α, s, β)``, shape (4, n).

    ``₂F₁(1, b; c; z)`` comes from scipy's ``hyp2f1``; where that fails (it returns NaN for ``b`` in the hundreds and
    ``z`` within 0.003 of 1) and for the gradient, from the series of :func:`_hyp2f1_1_series`.
    """
    rx = r + x
    A = rx + s
    la, lb = np.log(alpha + tau), np.log(beta + tau)
    if alpha >= beta:
        bpar, z = rx, (alpha - beta) / (alpha + tau)
        logf = -rx * la - s * lb
    else:
        bpar, z = np.full_like(rx, s + 1.0), (beta - alpha) / (beta + tau)
        logf = -(rx - 1.0) * la - (s + 1.0) * lb
    c = A + 1.0
    H = hyp2f1(1.0, bpar, c, z)
    if grad:
        Hs, Hb, Hc, Hz = _hyp2f1_1_series(bpar, c, z)
        H = np.where(np.isfinite(H), H, Hs)
    elif not np.all(np.isfinite(H)):
        bad = ~np.isfinite(H)
        H[bad] = _hyp2f1_1_series(bpar[bad], c[bad], z[bad])[0]
    logf = logf + np.log(H) - np.log(A)
    if not grad:
        return logf, None
    if alpha >= beta:
        d_r = -la + Hb + Hc - 1.0 / A
        d_s = -lb + Hc - 1.0 / A
        d_alpha = -rx / (alpha + tau) + Hz * (beta + tau) / (alpha + tau) ** 2
        d_beta = -s / (beta + tau) - Hz / (alpha + tau)
    else:
        d_r = -la + Hc - 1.0 / A
        d_s = -lb + Hb + Hc - 1.0 / A
        d_alpha = -(rx - 1.0) / (alpha + tau) - Hz / (beta + tau)
        d_beta = -(s + 1.0) / (beta + tau) + Hz * (alpha + tau) / (beta + tau) ** 2
    return logf, np.array([d_r, d_alpha, d_s, d_beta])


def _terms(r: float, alpha: float, s: float, beta: float, x: np.ndarray, t_x: np.ndarray, T: np.ndarray,
           grad: bool = True):
    """The log of the two parts of the likelihood (without the common factor) and what the gradient needs."""
    rx = r + x
    L1 = -rx * np.log(alpha + T) - s * np.log(beta + T)
    lf1, d1 = _log_f_pairs(r, alpha, s, beta, x, t_x, grad)
    lf2, d2 = _log_f_pairs(r, alpha, s, beta, x, T, grad)
    return L1, lf1, lf2, d1, d2


#: distinct (x, τ) pairs of the arrays a fit evaluates again and again: (x, τ, pairs, inverse), newest last
_PAIRS: list[tuple[np.ndarray, np.ndarray, list[np.ndarray], np.ndarray]] = []


def _pairs(x: np.ndarray, tau: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Distinct ``(x, τ)`` pairs and each row's pair, cached for the very same arrays (the optimiser passes the
    same collapsed columns at every evaluation, so the grouping is done once per fit, not once per evaluation)."""
    for cx, ct, pairs, inv in _PAIRS:
        if cx is x and ct is tau:
            return pairs, inv
    pairs, _, inv = collapse([x, tau])
    _PAIRS.append((x, tau, pairs, inv))
    del _PAIRS[:-4]  # t_x and T of the current fit, and of the one before
    return pairs, inv


def _log_f_pairs(r: float, alpha: float, s: float, beta: float, x: np.ndarray, tau: np.ndarray, grad: bool):
    """:func:`_log_f` evaluated once per distinct ``(x, τ)`` pair: customers share far fewer ``(x, t_x)`` and
    ``(x, T)`` pairs than ``(x, t_x, T)`` tuples, and the hypergeometric series is the costly part."""
    (ux, ut), inv = _pairs(x, tau)
    if len(ux) > 0.8 * len(x):
        return _log_f(r, alpha, s, beta, x, tau, grad=grad)
    lf, d = _log_f(r, alpha, s, beta, ux, ut, grad=grad)
    return lf[inv], (d[:, inv] if d is not None else None)


def loglik(log_params: np.ndarray, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, w: np.ndarray
           ) -> tuple[float, np.ndarray]:
    """Total Pareto/NBD log-likelihood and its gradient in ``log(r, α, s, β)`` (FH 2005, eq. 18).

    ``log L = log Γ(r+x) − log Γ(r) + r log α + s log β + log[(α+T)^−(r+x) (β+T)^−s + s (F(t_x) − F(T))]``
    with ``F`` in the transformed hypergeometric form of the module docstring, combined with log-sum-exp.

    Returns
    -------
    total : float
        ``Σ w · log L``.
    gradient : numpy.ndarray
        Its derivative with respect to ``log_params`` (analytic; the ``r, s`` derivatives of the hypergeometric
        function by its series).
    """
    r, alpha, s, beta = np.exp(log_params)
    rx = r + x
    L1, lf1, lf2, d1, d2 = _terms(r, alpha, s, beta, x, t_x, T)
    ls = np.log(s)
    M = np.maximum(L1, ls + lf1)
    e1 = np.exp(L1 - M)
    e2 = np.exp(ls + lf1 - M)
    e3 = np.exp(ls + lf2 - M)
    D = e1 + e2 - e3
    ll = gammaln(rx) - gammaln(r) + r * np.log(alpha) + s * np.log(beta) + M + np.log(D)
    W = w.sum()
    dL1 = np.array([-np.log(alpha + T), -rx / (alpha + T), -np.log(beta + T), -s / (beta + T)])
    ds = np.array([0.0, 0.0, 1.0 / s, 0.0])[:, None]
    dD = e1 * dL1 + e2 * (d1 + ds) - e3 * (d2 + ds)
    g = (dD / D) @ w
    g += np.array([np.dot(w, digamma(rx)) - W * digamma(r) + W * np.log(alpha), W * r / alpha,
                   W * np.log(beta), W * s / beta])
    return float(np.dot(w, ll)), g * np.array([r, alpha, s, beta])


class ParetoNBD(ContinuousTimeModel):
    """Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987) fitted by exact maximum likelihood.

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
        ``r, alpha, s, beta``: ``λ ~ Gamma(r, α)``, ``μ ~ Gamma(s, β)`` (α, β in the summary's time unit).
    log_likelihood_ : float
        Total log-likelihood over the customers (FH 2005, eq. 18).
    standard_errors_ : dict
        From the inverse observed information in log-parameter space (central differences of the analytic
        gradient) carried to the natural parameters by the delta method.
    covariance_ : numpy.ndarray
        Covariance of ``(r, alpha, s, beta)``.
    n_customers_, n_distinct_, converged_
        Customers (total weight) fitted, distinct ``(x, t_x, T)`` tuples, whether the optimiser converged.

    Notes
    -----
    The summary has ``frequency`` (x), ``recency`` (t_x, 0 when x = 0) and ``T`` in one time unit.
    """

    _param_names = ("r", "alpha", "s", "beta")
    _loglik = staticmethod(loglik)
    _start_scale_last = True

    # -- predictions --------------------------------------------------------------------------------------------

    def p_alive(self, summary: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T) per customer (FH 2005).

        ``(α+T)^−(r+x) (β+T)^−s / [(α+T)^−(r+x) (β+T)^−s + s (F(t_x) − F(T))]``: the share of the first term in
        the likelihood.
        """
        r, alpha, s, beta = self._p()
        x, t_x, T = self._summary(summary)
        L1, lf1, lf2, _, _ = _terms(r, alpha, s, beta, x, t_x, T, grad=False)
        ls = np.log(s)
        M = np.maximum(L1, ls + lf1)
        e1 = np.exp(L1 - M)
        dead = np.maximum(np.exp(ls + lf1 - M) - np.exp(ls + lf2 - M), 0.0)  # ≥ 0 but for rounding when t_x ≈ T
        return e1 / (e1 + dead)

    def expected_purchases(self, t: Any, summary: Any) -> np.ndarray:
        """Conditional expected number of purchases in ``(T, T+t]`` per customer (FH 2005, eq. 41).

        ``E[Y(t) | x, t_x, T] = (r+x)(β+T) / ((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)] · P(alive)``
        (the limit ``(r+x)(β+T)/(α+T) · log((β+T+t)/(β+T))`` at ``s = 1``).
        """
        r, alpha, s, beta = self._p()
        x, _, T = self._summary(summary)
        t = np.asarray(t, dtype=np.float64)
        rate = (r + x) / (alpha + T) * (beta + T) * _expm1_ratio(s - 1.0, np.log1p(t / (beta + T)))
        return rate * self.p_alive(summary)

    def probability_of_n_purchases(self, n: Any, t: Any) -> np.ndarray:
        """Unconditional ``P(X(t) = n)`` for a customer of age ``t`` (FH 2006), broadcast over ``n, t``.

        ``Γ(r+n)/(Γ(r) n!) (α/(α+t))^r (t/(α+t))^n (β/(β+t))^s
        + α^r β^s B(r+n, s+1)/B(r, s) · [B₁ − Σ_{i=0}^{n} Γ(r+s+i)/(Γ(r+s) i!) t^i B₂(i)]`` with ``B₁, B₂`` the
        branch-wise hypergeometric terms of FH 2006 (``α ≥ β``: argument ``(α−β)/α`` resp. ``(α−β)/(α+t)``; else
        ``(β−α)/β`` resp. ``(β−α)/(β+t)``). Exact; for large ``n`` the bracket is a difference of close numbers.
        """
        r, alpha, s, beta = self._p()
        n, t = np.broadcast_arrays(np.asarray(n, dtype=np.float64), np.asarray(t, dtype=np.float64))
        with np.errstate(divide="ignore", invalid="ignore"):
            log_nb = (gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * (np.log(alpha) - np.log(alpha + t))
                      + np.where(n > 0, n * (np.log(t) - np.log(alpha + t)), 0.0)
                      + s * (np.log(beta) - np.log(beta + t)))
        first = np.exp(log_nb)
        if alpha >= beta:
            big, b2 = alpha, s + 1.0
        else:
            big, b2 = beta, r + n
        c = r + s + n + 1.0
        z0 = abs(alpha - beta) / big
        B1 = hyp2f1(r + s, b2, c, z0) * big ** -(r + s)
        zt = abs(alpha - beta) / (big + t)
        acc = np.zeros(n.shape)
        for i in range(int(n.max()) + 1 if n.size else 0):
            with np.errstate(divide="ignore", invalid="ignore"):
                term = np.exp(gammaln(r + s + i) - gammaln(r + s) - gammaln(i + 1.0)
                              + (i * np.log(t) if i else 0.0) - (r + s + i) * np.log(big + t))
            acc += np.where(i <= n, term * hyp2f1(r + s + i, b2, c, zt), 0.0)
        log_coef = r * np.log(alpha) + s * np.log(beta) + betaln(r + n, s + 1.0) - betaln(r, s)
        return first + np.exp(log_coef) * (B1 - acc)

    def expected_purchases_unconditional(self, t: Any) -> np.ndarray:
        """Population ``E[X(t)]`` of a customer of age ``t`` (FH 2005, eq. 27), vectorised over ``t``.

        ``rβ / (α(s−1)) · [1 − (β/(β+t))^(s−1)]`` (the limit ``(rβ/α) log(1 + t/β)`` at ``s = 1``).
        """
        r, alpha, s, beta = self._p()
        t = np.asarray(t, dtype=np.float64)
        return r * beta / alpha * _expm1_ratio(s - 1.0, np.log1p(t / beta))


def _expm1_ratio(u: float, y: np.ndarray) -> np.ndarray:
    """``(1 − e^(−u·y)) / u``, continuous at ``u = 0`` (where it is ``y``)."""
    if abs(u) < 1e-12:
        return y + 0.0 * u
    return -np.expm1(-u * y) / u
