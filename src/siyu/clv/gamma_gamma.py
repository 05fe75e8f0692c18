"""Gamma-Gamma: the model of a customer's average transaction value.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005), "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", *Journal of Marketing Research* 42(4), 415–430 (FHL 2005b below), after Colombo, R. & Jiang, W. (1999),
"A stochastic RFM model", *Journal of Interactive Marketing* 13(3); the form of Fader, P. S. & Hardie, B. G. S.
(2013), "The Gamma-Gamma Model of Monetary Value" (note; FH 2013). A customer's transaction values are
``z ~ Gamma(p, ν)`` around her mean ``p/ν``, with ``ν ~ Gamma(q, γ)`` across customers; the spend is independent
of the purchase process. Only repeat transactions are modelled: the first purchase is left out of ``monetary``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from siyu._exceptions import InsufficientDataError
from siyu.clv._base import ClvModel, _fail, read_columns

__all__ = ["GammaGamma", "loglik"]


def loglik(log_params: np.ndarray, x: np.ndarray, m: np.ndarray, w: np.ndarray) -> tuple[float, np.ndarray]:
    """Total Gamma-Gamma log-likelihood and its gradient in ``log(p, q, γ)`` (FH 2013).

    The density of the mean ``m`` of ``x`` transaction values:
    ``f(m | p, q, γ; x) = Γ(px+q) / (Γ(px) Γ(q)) · γ^q m^(px−1) x^(px) / (γ + m x)^(px+q)``.

    Returns
    -------
    total : float
        ``Σ w · log f``.
    gradient : numpy.ndarray
        Its derivative with respect to ``log_params`` (analytic).
    """
    p, q, v = np.exp(log_params)
    px = p * x
    lvxm = np.log(v + x * m)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m) + px * np.log(x)
          - (px + q) * lvxm)
    psi_pxq = digamma(px + q)
    W = w.sum()
    d_p = np.dot(w, x * (psi_pxq - digamma(px) + np.log(m) + np.log(x) - lvxm))
    d_q = np.dot(w, psi_pxq - lvxm) + W * (np.log(v) - digamma(q))
    d_v = W * q / v - np.dot(w, (px + q) / (v + x * m))
    return float(np.dot(w, ll)), np.array([d_p * p, d_q * q, d_v * v])


class GammaGamma(ClvModel):
    """Gamma-Gamma spend model (Fader, Hardie & Lee 2005; Colombo & Jiang 1999) by exact maximum likelihood.

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
        ``p, q, v``: transaction values ``~ Gamma(p, ν)``, ``ν ~ Gamma(q, v)`` (``v`` is the paper's γ, in money).
    log_likelihood_ : float
        Total log-likelihood over the repeat buyers (FH 2013).
    standard_errors_ : dict
        From the inverse observed information in log-parameter space (central differences of the analytic
        gradient) carried to the natural parameters by the delta method.
    covariance_ : numpy.ndarray
        Covariance of ``(p, q, v)``.
    n_customers_, n_distinct_, converged_
        Repeat buyers (total weight) fitted, distinct ``(x, m)`` pairs, whether the optimiser converged.

    Notes
    -----
    The summary has ``frequency`` (x, repeat transactions) and ``monetary`` (m, the mean value of the repeat
    transactions). ``fit`` uses only the customers with ``x > 0``; the others are ignored.
    """

    _param_names = ("p", "q", "v")
    _columns = ("frequency", "monetary")
    _loglik = staticmethod(loglik)

    def _read(self, summary: Any) -> tuple[np.ndarray, np.ndarray]:
        c = read_columns(summary, self._columns, integer=("frequency",))
        x, m = c["frequency"], c["monetary"]
        if (bad := x < 0).any():
            _fail("frequency", "must be >= 0", bad, frequency=x)
        if (bad := (x > 0) & (m <= 0)).any():
            _fail("monetary", "must be > 0 for a customer with repeat purchases", bad, frequency=x, monetary=m)
        return x, m

    def _data(self, summary: Any) -> tuple[list[np.ndarray], np.ndarray]:
        x, m = self._read(summary)
        return [x, m], x > 0

    def _check_sufficient(self, data: Sequence[np.ndarray], w: np.ndarray) -> None:
        if w.sum() < 2 or len(w) < 2:
            raise InsufficientDataError(f"{type(self).__name__}: needs at least two repeat buyers with different "
                                        "spend")

    def _start(self, data: Sequence[np.ndarray], w: np.ndarray) -> np.ndarray:
        x, m = data
        return np.array([1.0, 2.0, float(np.dot(w, m) / w.sum())])

    # -- predictions --------------------------------------------------------------------------------------------
    def population_mean_spend(self) -> float:
        """Mean transaction value in the population, ``E[Z] = p γ / (q − 1)`` (FHL 2005b; ``inf`` when q ≤ 1)."""
        p, q, v = self._p()
        return p * v / (q - 1.0) if q > 1.0 else float("inf")

    def expected_spend(self, summary: Any) -> np.ndarray:
        """Conditional expected average transaction value per customer (FH 2013, eq. 5).

        ``E[Z | p, q, γ, m, x] = p (γ + m x) / (p x + q − 1)``, a weighted mean of the population mean
        ``p γ/(q−1)`` and the customer's own ``m``; the population mean for ``x = 0`` (``monetary`` is then
        ignored).
        """
        self._check_fitted()
        p, q, v = self._p()
        x, m = self._read(summary)
        m = np.where(x > 0, m, 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            own = p * (v + m * x) / (p * x + q - 1.0)
        return np.where(x > 0, own, self.population_mean_spend())
