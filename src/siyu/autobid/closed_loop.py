"""Tier B of the 全站推 simulator: a closed-loop market of N autobidders with endogenous second prices.

In tier A (:mod:`siyu.autobid.market`) one merchant takes prices as given. Here the prices *are* the other
merchants' bids: N autobidders (48 by default, siyu's bidder in some seats) meet in every auction, the
highest bid wins and pays the second-highest (single-slot second price, with a small reserve), so a bidder that
shades or inflates its bids moves everybody's prices.

Values are **correlated** across bidders, as in a real marketplace where a good impression is good for most
sellers: bidder ``j``'s conversion probability on impression ``i`` is

    pcvr_ij = min(0.5, q_i · s_j · a_{j,c(i)} · exp(σ_v ε_ij)),   value_ij = pcvr_ij · aov_j · basket_i

with a common quality ``q_i`` (the channel's median pCVR — search / feed / live 2.0 / 0.6 / 1.0 % — times a
log-normal), a seller strength ``s_j``, a seller × channel affinity ``a_jc`` and an idiosyncratic match term.
Each bidder sees its own miscalibrated predictions ``value_ij · exp(bias_jc + σ_j η_ij)`` (±20 % channel bias,
σ_j in 0.25–0.6, as in tier A). Each has its own target ROI (market ROI × 0.8–1.3) and budget (a log-uniform
multiple, 0.3–3, of a fair-share spend at its target), so some budgets bind and some targets do. Whether an
impression converts is one uniform draw ``u_i`` per impression (``u_i < pcvr_{i,winner}``), so the same buyers
meet whichever seller wins.

Each step every bidder bids through the protocol (:mod:`siyu.autobid.bidders`) on the step's impressions; the
auction is vectorised over the ``N × n`` bid matrix (:func:`second_price`); a winner is served while its
cumulative cost in the step fits its remaining budget (later wins of an exhausted bidder go unsold), so no budget
is ever exceeded. Each bidder's efficiency is measured against *its* hindsight LP (:func:`~siyu.autobid.lp.
hindsight_lp`) on the prices it faced — the highest competing bid on every impression, the usual price-taker
approximation (it ignores that others would have reacted to a different bid of its own).

References: Aggarwal, Badanidiyuru & Mehta (2019), WINE; Balseiro, Lu & Mirrokni (2020), ICML; Deng et al.
(2023), ICML (multi-channel autobidding); docs/autobid.md tier B.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from siyu._exceptions import ConfigError

__all__ = ["MarketResult", "second_price", "simulate_market"]

#: channel medians of pCVR and traffic shares, as tier A (docs/autobid.md)
_CHANNEL_PCVR = np.array([0.020, 0.006, 0.010])
_CHANNEL_SHARE = np.array([0.35, 0.50, 0.15])


def second_price(bids: np.ndarray, reserve: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Single-slot second-price auctions, one per column of an ``N × n`` bid matrix.

    Parameters
    ----------
    bids : numpy.ndarray, shape (N, n)
        Bid of bidder ``j`` (row) on impression ``i`` (column).
    reserve : float, default 0
        Reserve price: a bid must be ``>= reserve`` and ``> 0`` to win, and the winner pays at least it.

    Returns
    -------
    winner : numpy.ndarray of int64, shape (n,)
        Row of the highest bid (the lowest row among ties), ``-1`` when nobody clears the reserve.
    price : numpy.ndarray, shape (n,)
        What the winner pays: ``max(second-highest bid, reserve)`` (0 where unsold).
    top1, top2 : numpy.ndarray, shape (n,)
        Highest and second-highest bids (``top2 = 0`` with a single bidder).
    """
    bids = np.asarray(bids, dtype=np.float64)
    if bids.ndim != 2:
        raise ConfigError(f"bids must be an N x n matrix, got shape {bids.shape}")
    n_bidders, n = bids.shape
    if n == 0 or n_bidders == 0:
        e = np.zeros(n)
        return np.full(n, -1, np.int64), e, e.copy(), e.copy()
    winner = np.argmax(bids, axis=0).astype(np.int64)
    top1 = bids[winner, np.arange(n)]
    top2 = np.partition(bids, n_bidders - 2, axis=0)[n_bidders - 2] if n_bidders > 1 else np.zeros(n)
    sold = (top1 > 0) & (top1 >= reserve)
    winner = np.where(sold, winner, -1)
    price = np.where(sold, np.maximum(top2, reserve), 0.0)
    return winner, price, top1, top2


@dataclass(frozen=True)
class MarketResult:
    """Outcome of :func:`simulate_market`.

    Attributes
    ----------
    seats : list of dict
        One row per seat: ``seat``, ``bidder``, ``target_roi``, ``budget``, ``value`` (expected GMV won), ``gmv``
        (realized), ``spend``, ``orders``, ``roi``, ``attainment``, ``budget_use``, ``lp_gmv``, ``efficiency``.
    by_type : list of dict
        One row per bidder type: seats, mean efficiency, mean attainment, share of seats with realized ROI below
        0.9·R (among seats with ≥ 30 orders), mean budget use, share of the market's GMV and spend.
    winner, price : numpy.ndarray
        Per impression (in step order): winning seat (``-1`` unsold) and price paid.
    config : dict
    """

    seats: list[dict]
    by_type: list[dict]
    winner: np.ndarray = field(repr=False)
    price: np.ndarray = field(repr=False)
    config: dict = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (without the per-impression arrays)."""
        return {"config": self.config, "seats": self.seats, "by_type": self.by_type}


def _seats(bidders: Iterable[Any] | None, n_seats: int) -> list[tuple[str, dict]]:
    from siyu.autobid.bidders import BIDDERS

    if bidders is None:
        names = [b for b in BIDDERS if b != "oracle"]
        return [(names[i % len(names)], {}) for i in range(n_seats)]
    out = []
    for b in bidders:
        name, opts = (b, {}) if isinstance(b, str) else (b[0], dict(b[1]))
        if name == "oracle":
            raise ConfigError("the oracle needs a tier-A run (traffic=); it has no seat in the closed-loop market")
        if name not in BIDDERS:
            raise ConfigError(f"unknown bidder {name!r}; registered: {', '.join(sorted(BIDDERS))}")
        out.append((name, opts))
    if len(out) < 2:
        raise ConfigError("a market needs at least 2 bidders")
    return out


def simulate_market(bidders: Sequence[Any] | None = None, n_impressions_per_day: int = 10_000, days: int = 7,
                    rng: np.random.Generator | None = None, *, seed: int | None = None, n_seats: int = 48,
                    steps_per_day: int = 96, market_roi: float = 3.0, calibrated: bool = False,
                    reserve: float = 0.01, value_sigma: float = 0.5,
                    budget_range: tuple[float, float] = (0.3, 3.0)) -> MarketResult:
    """Run N autobidders against each other for ``days`` days (docs/autobid.md, tier B).

    Parameters
    ----------
    bidders : sequence of str or (str, dict), optional
        One entry per seat: a registered bidder name, or ``(name, options)`` (e.g. ``("siyu", {"margin": 0.05})``).
        Default: ``n_seats`` seats cycling over every registered bidder but the oracle.
    n_impressions_per_day : int, default 10_000
        Mean auctions a day (diurnal curve as tier A).
    days : int, default 7
    rng : numpy.random.Generator, optional
        Source of every draw (advanced by the call); the same generator state gives the same market. An int here
        is a ``TypeError``: pass ``numpy.random.default_rng(seed)`` or ``seed=``.
    seed : int, optional
        Convenience for callers holding a seed: the run uses ``numpy.random.default_rng(seed)`` (the same draws as
        ``rng=numpy.random.default_rng(seed)``) and records it in ``config["seed"]`` (``None`` with ``rng``). Give
        ``rng`` or ``seed``, not both; with neither the seed is 0.
    n_seats : int, default 48
        Seats when ``bidders`` is not given.
    steps_per_day : int, default 96
    market_roi : float, default 3.0
        Targets are ``market_roi × U(0.8, 1.3)``.
    calibrated : bool, default False
        ``True``: every bidder sees its true values (no bias, no noise).
    reserve : float, default 0.01
        Reserve price of every auction.
    value_sigma : float, default 0.5
        Spread of the bidder × impression match term (0: every bidder ranks impressions alike).
    budget_range : (float, float), default (0.3, 3.0)
        Budgets are a log-uniform multiple in this range of a fair-share spend ``Σ_i value_ij / (N · R_j)``.

    Raises
    ------
    TypeError
        ``rng`` is not a :class:`numpy.random.Generator`, or both ``rng`` and ``seed`` are given.
    ConfigError
        Unknown or oracle bidders, fewer than 2 seats, or invalid sizes.
    """
    from siyu.autobid.bidders import make_bidder
    from siyu.autobid.lp import hindsight_lp
    from siyu.autobid.market import _generator, diurnal

    rng, seed = _generator(rng, seed, "simulate_market")

    seats = _seats(bidders, n_seats)
    N = len(seats)
    if n_impressions_per_day < 1 or days < 1 or steps_per_day < 1:
        raise ConfigError("n_impressions_per_day, days and steps_per_day must be >= 1")
    if not (0 < budget_range[0] <= budget_range[1]):
        raise ConfigError(f"budget_range must be 0 < low <= high, got {budget_range!r}")
    n_steps = days * steps_per_day

    counts = rng.poisson(n_impressions_per_day * np.tile(diurnal(steps_per_day), days) / steps_per_day)
    n = int(counts.sum())
    bounds = np.concatenate([[0], np.cumsum(counts)])
    channel = rng.choice(3, size=n, p=_CHANNEL_SHARE)
    quality = _CHANNEL_PCVR[channel] * np.exp(rng.normal(0.0, 0.7, n))
    basket = np.exp(rng.normal(-0.5 * 0.3 ** 2, 0.3, n))
    strength = np.exp(rng.normal(0.0, 0.5, N))
    affinity = np.exp(rng.normal(0.0, 0.3, (N, 3)))
    aov = 150.0 * np.exp(rng.normal(0.0, 0.3, N))
    pcvr = np.minimum(quality[None, :] * strength[:, None] * affinity[:, channel]
                      * np.exp(rng.normal(0.0, value_sigma, (N, n))), 0.5)
    order_value = aov[:, None] * basket[None, :]
    value = pcvr * order_value
    if calibrated:
        predicted = value
    else:
        bias = rng.uniform(-0.2, 0.2, (N, 3))
        sigma = rng.uniform(0.25, 0.6, N)
        predicted = value * np.exp(bias[:, channel] + sigma[:, None] * rng.normal(0.0, 1.0, (N, n)))
    u = rng.random(n)
    target = market_roi * rng.uniform(0.8, 1.3, N)
    lo, hi = np.log(budget_range[0]), np.log(budget_range[1])
    budget = np.exp(rng.uniform(lo, hi, N)) * value.sum(axis=1) / (N * target)

    agents = [make_bidder(name, target_roi=float(target[j]), budget=float(budget[j]), n_steps=n_steps, **opts)
              for j, (name, opts) in enumerate(seats)]
    left = budget.copy()
    faced = np.empty((N, n))
    winner_all = np.full(n, -1, np.int64)
    price_all = np.zeros(n)
    gmv = np.zeros(N)
    orders = np.zeros(N, np.int64)
    for s in range(n_steps):
        a, b = int(bounds[s]), int(bounds[s + 1])
        m = b - a
        ch = channel[a:b]
        bids = np.zeros((N, m))
        for j, agent in enumerate(agents):
            if left[j] > 0:
                bj = np.asarray(agent.bid(s, predicted[j, a:b], ch), dtype=np.float64)
                if bj.shape != (m,) or not np.all(np.isfinite(bj)) or (bj < 0).any():
                    raise ConfigError(f"seat {j} ({seats[j][0]}) returned invalid bids at step {s}")
                bids[j] = bj
            else:
                agent.bid(s, predicted[j, a:b], ch)  # keeps its step bookkeeping; the platform ignores the bids
        winner, price, top1, top2 = second_price(bids, reserve)
        if m:
            own_top = np.argmax(bids, axis=0)
            rows = np.arange(N)[:, None]
            # highest competing bid each seat faced: top2 where it holds the top bid, else top1
            faced[:, a:b] = np.maximum(np.where(rows == own_top[None, :], top2[None, :], top1[None, :]), reserve)
            # budgets: a winner is served while its cumulative cost in the step fits what it has left
            spent = np.bincount(winner[winner >= 0], weights=price[winner >= 0], minlength=N)
            for j in np.flatnonzero(spent > left + 1e-12):
                mine = winner == j
                keep = np.cumsum(np.where(mine, price, 0.0)) <= left[j] + 1e-12
                drop = mine & ~keep
                winner[drop], price[drop] = -1, 0.0
        sold = winner >= 0
        conv = np.zeros(m, bool)
        conv[sold] = u[a:b][sold] < pcvr[winner[sold], np.arange(a, b)[sold]]
        realized = np.where(conv, order_value[np.maximum(winner, 0), np.arange(a, b)], 0.0)
        for j, agent in enumerate(agents):
            won = winner == j
            cost = np.where(won, price, 0.0)
            rj = np.where(won, realized, 0.0)
            agent.observe(s, won, cost, rj)
            left[j] -= cost.sum()
            gmv[j] += rj.sum()
            orders[j] += int((rj > 0).sum())
        winner_all[a:b], price_all[a:b] = winner, price

    sold = winner_all >= 0
    spend = np.bincount(winner_all[sold], weights=price_all[sold], minlength=N)
    won_value = np.bincount(winner_all[sold], weights=value[winner_all[sold], np.flatnonzero(sold)], minlength=N)
    rows_out = []
    for j, (name, opts) in enumerate(seats):
        lp = hindsight_lp(value[j], faced[j], budget=float(budget[j]), target_roi=float(target[j]))
        roi = gmv[j] / spend[j] if spend[j] > 0 else float("inf")
        rows_out.append({"seat": j, "bidder": name, "options": opts, "target_roi": float(target[j]),
                         "budget": float(budget[j]), "value": float(won_value[j]), "gmv": float(gmv[j]),
                         "spend": float(spend[j]), "orders": int(orders[j]), "roi": float(roi),
                         "attainment": float(roi / target[j]), "budget_use": float(spend[j] / budget[j]),
                         "lp_gmv": float(lp.gmv), "efficiency": float(won_value[j] / lp.gmv) if lp.gmv > 0 else None})
    total_gmv, total_spend = float(gmv.sum()), float(spend.sum())
    by_type = []
    for name in dict.fromkeys(n for n, _ in seats):
        rs = [r for r in rows_out if r["bidder"] == name]
        eff = [r["efficiency"] for r in rs if r["efficiency"] is not None]
        judged = [r for r in rs if r["orders"] >= 30]
        by_type.append({
            "bidder": name, "seats": len(rs),
            "efficiency": float(np.mean(eff)) if eff else None,
            "attainment": float(np.mean([min(r["attainment"], 10.0) for r in rs])),
            "p_below_0.9r": (sum(r["attainment"] < 0.9 for r in judged) / len(judged)) if judged else None,
            "budget_use": float(np.mean([r["budget_use"] for r in rs])),
            "gmv_share": sum(r["gmv"] for r in rs) / total_gmv if total_gmv > 0 else 0.0,
            "spend_share": sum(r["spend"] for r in rs) / total_spend if total_spend > 0 else 0.0})
    config = {"seats": N, "n_impressions_per_day": n_impressions_per_day, "days": days, "seed": seed,
              "impressions": n, "steps_per_day": steps_per_day, "market_roi": market_roi, "calibrated": calibrated,
              "reserve": reserve, "sold_share": float(sold.mean()) if n else 0.0}
    return MarketResult(seats=rows_out, by_type=by_type, winner=winner_all, price=price_all, config=config)
