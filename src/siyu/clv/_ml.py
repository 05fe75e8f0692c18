"""Maximum likelihood for the CLV models: the quasi-Newton search, Newton polish, the warm start on large data
and standard errors from the observed information (used by :meth:`siyu.clv._base.ClvModel.fit`).

Every function takes a pure log-likelihood ``loglik(log_params, *columns, w) -> (total, gradient)`` in
log-parameter space and the distinct tuples with their weights.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from scipy.optimize import minimize

__all__ = ["LOG_BOUND", "WARM_MIN", "LogLik", "maximise", "remembering", "standard_errors", "warm_start"]

#: bounds of every log-parameter during the search: exp(±25) covers any sane scale of time and money
LOG_BOUND = 25.0

LogLik = Callable[..., tuple[float, np.ndarray]]

def _hessian(loglik: LogLik, theta: np.ndarray, data: Sequence[np.ndarray], w: np.ndarray,
             step: float = 1e-4, *, grad: np.ndarray | None = None) -> np.ndarray:
    """Hessian of the total log-likelihood in log-parameter space, by differences of the analytic gradient.

    Central differences by default. Given ``grad``, the gradient already known at ``theta``, forward differences:
    half the evaluations (used on large data, with ``step=1e-6``); their truncation error is of the order of
    ``step`` relative, the rounding error of the gradient's (about 1e-16 of the likelihood's terms) divided by
    ``step``: both far below the precision standard errors are read with.
    """
    k = len(theta)
    h = np.empty((k, k))
    for j in range(k):
        e = np.zeros(k)
        e[j] = step
        if grad is None:
            h[:, j] = (loglik(theta + e, *data, w)[1] - loglik(theta - e, *data, w)[1]) / (2 * step)
        else:
            h[:, j] = (loglik(theta + e, *data, w)[1] - grad) / step
    return (h + h.T) / 2


def standard_errors(loglik: LogLik, theta: np.ndarray, data: Sequence[np.ndarray], w: np.ndarray,
                    hessian: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Covariance and standard errors of the natural parameters ``exp(theta)`` at the maximum ``theta``.

    The observed information is minus the Hessian of the total log-likelihood in log-parameter space (central
    differences of the analytic gradient); its inverse is carried to the natural parameters by the delta method,
    ``Cov(θ) = diag(θ) Cov(log θ) diag(θ)``. NaN when the information is not positive definite. ``hessian``, when
    given, is that Hessian already computed at ``theta``.
    """
    if hessian is None:
        with np.errstate(all="ignore"):
            hessian = _hessian(loglik, theta, data, w)
    info = -hessian
    p = np.exp(theta)
    try:
        np.linalg.cholesky(info)
        cov_log = np.linalg.inv(info)
    except np.linalg.LinAlgError:
        nan = np.full((len(theta), len(theta)), np.nan)
        return nan, np.full(len(theta), np.nan)
    cov = cov_log * np.outer(p, p)
    return cov, np.sqrt(np.diag(cov))


def maximise(loglik: LogLik, theta0: np.ndarray, data: Sequence[np.ndarray], w: np.ndarray, *,
             penalizer: float = 0.0, tol: float = 1e-10, max_iter: int = 1000, search: bool = True,
             polish: bool = True, newton_tol: float = 1e-12, hessian0: np.ndarray | None = None
             ) -> tuple[np.ndarray, bool, int, np.ndarray | None]:
    """Maximise the mean of ``loglik`` minus ``penalizer · Σ exp(2 θ)`` over the log-parameters ``θ``.

    BFGS with the analytic gradient (L-BFGS-B bounded to ``|θ| ≤ 25`` when BFGS fails or leaves the bounds), then
    Newton steps on one central-difference
    Hessian of that gradient while they improve the objective, so the optimum is found to near machine precision
    (the published three-decimal values and a reference implementation's log-likelihood need it). With
    ``search=False`` the quasi-Newton search is skipped: ``theta0`` is taken as near the maximum (the optimum of a
    subsample, see :func:`warm_start`) and only the Newton steps run, until a step is below ``newton_tol``; with
    ``polish=False`` the Newton steps are skipped. ``hessian0``, when given, is the Hessian of the total
    log-likelihood the Newton steps use instead of computing one (it is not returned for standard errors).

    Returns
    -------
    theta : numpy.ndarray
        The maximising log-parameters.
    converged : bool
        Whether the largest component of the gradient of the mean objective is below ``max(1e-6, 10 tol)``.
    n_iter : int
        Iterations of the quasi-Newton search.
    hessian : numpy.ndarray or None
        Hessian of the total log-likelihood (log-parameter space) at a point within 1e-4 of ``theta``, for the
        standard errors; None if it was not computed there.
    """
    total = float(np.sum(w))

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(all="ignore"):
            ll, g = loglik(theta, *data, w)
        p2 = np.exp(2 * theta)
        f = -ll / total + penalizer * p2.sum()
        grad = -g / total + 2 * penalizer * p2
        if not np.isfinite(f) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(theta)
        return f, grad

    # BFGS first: for four parameters its per-iteration cost is the likelihood alone (scipy's L-BFGS-B adds about
    # 8 ms an iteration, as much as the likelihood of 120,000 distinct tuples); bounded L-BFGS-B when BFGS strays
    # outside |θ| ≤ 25 or fails
    if search:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = minimize(objective, theta0, jac=True, method="BFGS", options={"maxiter": max_iter, "gtol": tol})
        if not (np.all(np.isfinite(res.x)) and np.max(np.abs(res.x)) <= LOG_BOUND and np.isfinite(res.fun)
                and np.max(np.abs(res.jac)) < max(1e-5, 10 * tol)):
            bounds = [(-LOG_BOUND, LOG_BOUND)] * len(theta0)
            res = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                           options={"maxiter": max_iter, "gtol": tol, "ftol": 1e-15, "maxcor": 20})
        theta, n_iter = np.clip(res.x, -LOG_BOUND, LOG_BOUND), int(res.nit)
    else:
        theta, n_iter = np.clip(np.asarray(theta0, dtype=np.float64), -LOG_BOUND, LOG_BOUND), 0
    f, g = objective(theta)
    hess_ll, at = None, theta
    if polish and np.isfinite(f) and np.max(np.abs(g)) > 1e-14:
        if hessian0 is None:
            with np.errstate(all="ignore"):
                hess_ll = _hessian(loglik, theta, data, w)
        else:
            hess_ll, at = hessian0, np.full_like(theta, np.inf)  # an estimate: never handed on to the SEs
        hess = -hess_ll / total + np.diag(4 * penalizer * np.exp(2 * theta))
        try:
            np.linalg.cholesky(hess)
            for _ in range(10):  # Newton polish with a fixed Hessian
                step = np.linalg.solve(hess, g)
                cand = np.clip(theta - step, -LOG_BOUND, LOG_BOUND)
                f_new, g_new = objective(cand)
                if not f_new <= f + 1e-15 * max(abs(f), 1.0):
                    break
                theta, f, g = cand, f_new, g_new
                if np.max(np.abs(step)) < newton_tol:
                    break
        except np.linalg.LinAlgError:
            pass
    converged = bool(np.isfinite(f) and np.max(np.abs(g)) < max(1e-6, 10 * tol))
    if hess_ll is not None and np.max(np.abs(theta - at)) > 1e-4:
        hess_ll = None
    return theta, converged, n_iter, hess_ll


def remembering(loglik: LogLik, size: int = 4) -> LogLik:
    """``loglik`` that remembers its last few results by the exact parameters (and data), so that the value and
    gradient at the maximum, evaluated by the search's last step, are not evaluated again."""
    memo: dict[tuple, tuple[float, np.ndarray, tuple]] = {}

    def run(theta: np.ndarray, *args: np.ndarray) -> tuple[float, np.ndarray]:
        key = (np.asarray(theta, dtype=np.float64).tobytes(), *(id(a) for a in args))
        if key not in memo:
            if len(memo) >= size:
                memo.pop(next(iter(memo)))
            ll, g = loglik(theta, *args)
            memo[key] = (ll, np.array(g, copy=True), args)  # the arrays are held, so their ids stay theirs
        ll, g, _ = memo[key]
        return ll, g.copy()

    return run


#: distinct tuples from which the search starts at the maximum of a systematic subsample (see warm_start)
WARM_MIN = 150_000


def warm_start(loglik: LogLik, theta0: np.ndarray, data: Sequence[np.ndarray], w: np.ndarray, **opts: Any
               ) -> tuple[np.ndarray, bool, int, np.ndarray | None] | None:
    """Maximise on a large data set from the maximum of a subsample; None when that shortcut does not converge.

    The quasi-Newton search costs 20–40 likelihood evaluations; on every ``k``-th distinct tuple (about 50,000 of
    them, weights kept: the tuples are sorted, so this is a systematic sample across frequencies) it costs a
    fraction of one full evaluation each. From the subsample's maximum, which lies within sampling error of the
    full one, Newton steps (:func:`maximise` with ``search=False``) converge in a few evaluations to the same
    maximum, to the same tolerance; their Hessian is the subsample's, scaled to the full weight (Newton with an
    approximate Hessian converges linearly, at a rate set by the approximation's relative error, a few per cent).
    """
    n = len(w)
    k = int(np.ceil(n / (WARM_MIN // 3)))
    sub = [d[::k] for d in data]
    w_sub = w[::k]
    theta_s, ok, n_iter, _ = maximise(loglik, theta0, sub, w_sub, polish=False, **{**opts, "tol": 1e-7})
    if not ok:
        return None
    with np.errstate(all="ignore"):  # the subsample's Hessian, scaled to the full weight, steers the Newton steps
        h0 = _hessian(loglik, theta_s, sub, w_sub) * (float(w.sum()) / float(w_sub.sum()))
    if not np.all(np.isfinite(h0)):
        return None
    theta, converged, _, hess = maximise(loglik, theta_s, data, w, search=False, newton_tol=1e-8, hessian0=h0,
                                         **opts)
    return (theta, converged, n_iter, hess) if converged else None
