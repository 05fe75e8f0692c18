"""Data for the CLV model tests: the CDNOW sample summary and simulators of each model's generative process.

Every simulator takes an explicit ``numpy.random.Generator`` and returns the summary (a dict of arrays) plus what
only a simulation knows (holdout purchases, who is alive at the end of calibration).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

CDNOW_SAMPLE = Path(__file__).parent.parent / "data" / "cdnow" / "CDNOW_sample.txt"


def cdnow_summary(calibration_end: str = "1997-09-30", holdout_end: str = "1998-06-30") -> dict[str, np.ndarray]:
    """The CDNOW 1/10 sample as the paper's calibration summary, in weeks with day precision.

    Conventions (they reproduce Fader, Hardie & Lee 2005 and lifetimes' ``summary_data_from_transaction_data(...,
    observation_period_end='1997-09-30', freq='D')`` divided by 7): a transaction is a purchase *day* (several
    purchases on one day count once, their dollar values summed); ``frequency`` = purchase days up to and including
    the calibration end, minus the first; ``recency`` = (last − first purchase day) / 7; ``T`` = (calibration end −
    first purchase day) / 7, so a first purchase on 1997-01-01 has T = 272/7 = 38.86; ``monetary`` = mean value of
    the repeat purchase days (the first excluded). ``holdout`` = purchase days in (calibration end, holdout end].
    """
    raw = np.loadtxt(CDNOW_SAMPLE, dtype=str)
    cust = raw[:, 0].astype(np.int64)
    day = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]").astype(np.int64)
    value = raw[:, 4].astype(np.float64)
    end = np.datetime64(calibration_end, "D").astype(np.int64)
    hend = np.datetime64(holdout_end, "D").astype(np.int64)
    ids, ci = np.unique(cust, return_inverse=True)
    key, ki = np.unique(ci * 100_000 + day, return_inverse=True)  # purchase days
    day_value = np.bincount(ki, weights=value)
    c, d = key // 100_000, key % 100_000
    n = len(ids)
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, c, d)
    cal = d <= end
    last = np.zeros(n, np.int64)
    np.maximum.at(last, c[cal], d[cal])
    freq = np.bincount(c[cal], minlength=n) - 1
    repeat = cal & (d != first[c])
    spend = np.bincount(c[repeat], weights=day_value[repeat], minlength=n)
    holdout = np.bincount(c[(d > end) & (d <= hend)], minlength=n)
    return {"frequency": freq.astype(np.float64), "recency": (last - first) / 7.0, "T": (end - first) / 7.0,
            "monetary": np.where(freq > 0, spend / np.maximum(freq, 1), 0.0), "holdout": holdout.astype(np.float64)}


@pytest.fixture(scope="session")
def cdnow() -> dict[str, np.ndarray]:
    return cdnow_summary()


# ---------------------------------------------------------------------------------------------------------------
# generative processes
# ---------------------------------------------------------------------------------------------------------------

def sim_bgnbd(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float, T: np.ndarray,
              holdout: float = 0.0, modified: bool = False) -> tuple[dict, dict]:
    """BG/NBD (or MBG/NBD with ``modified``) in continuous time with ages ``T``.

    Purchases are Poisson(λ) with ``λ ~ Gamma(r, α)``; a BG/NBD customer drops out after each repeat purchase with
    probability ``p ~ Beta(a, b)`` (so she makes ``J ~ Geometric(p) ≥ 1`` purchases at most), an MBG/NBD customer
    also at time 0 (``J − 1 ≥ 0``). With ``k`` immortal purchases by ``T``, ``x = min(k, J)`` and the time of the
    x-th of ``k`` uniform purchase times is ``T · Beta(x, k − x + 1)``.
    """
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    cap = rng.geometric(p) - (1 if modified else 0)
    k = rng.poisson(lam * T)
    x = np.minimum(k, cap)
    pos = x > 0
    t_x = np.zeros(n)
    t_x[pos] = T[pos] * rng.beta(x[pos], k[pos] - x[pos] + 1)
    alive = cap > k
    y = np.where(alive, np.minimum(rng.poisson(lam * holdout), cap - k), 0)
    return {"frequency": x.astype(np.float64), "recency": t_x, "T": T}, {"holdout": y, "alive": alive}


def sim_pnbd(rng: np.random.Generator, n: int, r: float, alpha: float, s: float, beta: float, T: np.ndarray,
             holdout: float = 0.0) -> tuple[dict, dict]:
    """Pareto/NBD: Poisson(λ) purchases, ``λ ~ Gamma(r, α)``, until an Exponential(μ) death, ``μ ~ Gamma(s, β)``."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    death = rng.exponential(1.0 / mu)
    seen = np.minimum(T, death)
    x = rng.poisson(lam * seen)
    pos = x > 0
    t_x = np.zeros(n)
    t_x[pos] = seen[pos] * rng.beta(x[pos], 1)
    y = rng.poisson(lam * np.clip(np.minimum(death, T + holdout) - T, 0.0, None))
    return {"frequency": x.astype(np.float64), "recency": t_x, "T": T}, {"holdout": y, "alive": death > T}


def sim_bgbb(rng: np.random.Generator, n: int, alpha: float, beta: float, gamma: float, delta: float,
             n_opp: np.ndarray, holdout: int = 0) -> tuple[dict, dict]:
    """BG/BB: alive ``Geometric(θ) − 1`` opportunities (``θ ~ Beta(γ, δ)``), buying at each w.p. ``p ~ Beta(α, β)``."""
    p = rng.beta(alpha, beta, n)
    life = rng.geometric(rng.beta(gamma, delta, n)) - 1
    j = np.arange(1, int(n_opp.max()) + holdout + 1)
    buy = (rng.random((n, len(j))) < p[:, None]) & (j <= life[:, None])
    cal = buy & (j <= n_opp[:, None])
    x = cal.sum(axis=1)
    t_x = np.where(x > 0, (cal * j).max(axis=1), 0)
    y = (buy & (j > n_opp[:, None]) & (j <= n_opp[:, None] + holdout)).sum(axis=1)
    return ({"frequency": x.astype(np.float64), "recency": t_x.astype(np.float64), "T": n_opp.astype(np.float64)},
            {"holdout": y, "alive": life > n_opp})


def sim_gamma_gamma(rng: np.random.Generator, n: int, p: float, q: float, v: float) -> dict:
    """Gamma-Gamma: ``x = 1 + Poisson(2)`` repeat transactions ``~ Gamma(p, ν)``, ``ν ~ Gamma(q, v)``; their mean."""
    nu = rng.gamma(q, 1.0 / v, n)
    x = 1 + rng.poisson(2.0, n)
    return {"frequency": x.astype(np.float64), "monetary": rng.gamma(p * x, 1.0 / (x * nu))}
