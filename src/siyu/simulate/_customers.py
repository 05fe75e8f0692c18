"""Customers: who buys and when (BG/NBD), who follows the store and who joins its membership.

The purchase core is the BG/NBD model of Fader, Hardie & Lee (2005), "'Counting your customers' the
easy way: an alternative to the Pareto/NBD model", *Marketing Science* 24(2), 275–284, simulated
exactly and without loops: each buyer's first purchase falls at an acquisition time; over the rest of
the simulated horizon ``H_i`` (in operational days) the number of would-be repeat purchases is
``N_i ~ Poisson(lambda_i H_i)`` at uniform order statistics, of which the first ``J_i ~ Geometric(p_i)``
are kept (the buyer dies right after the ``J_i``-th repeat purchase; alive at the end iff
``N_i < J_i``). Spend per order (drawn in :mod:`._orders`) is Gamma-Gamma.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.simulate._calendar import Calendar
from siyu.simulate._config import SimulationConfig

__all__ = ["JOIN_CHANNELS", "Population", "Spells", "Tx", "build_follows", "build_memberships",
           "build_population", "member_uplift_purchases", "simulate_btyd"]

#: Membership join channels; index 0 is the checkout (0-threshold join while paying).
JOIN_CHANNELS = ("checkout", "follow_discount", "live", "group_chat", "offline_store", "xhs", "benefit_page")
_OTHER_JOIN_P = np.array([0.35, 0.2, 0.1, 0.1, 0.1, 0.15])  # over JOIN_CHANNELS[1:]
#: Transaction sources (truth_orders.source).
TX_SOURCES = ("first", "repeat", "member_uplift", "message", "split")
MINUTE = 1.0 / 1440.0


@dataclass
class Tx:
    """Purchase transactions: user index, time (days since origin), source code, campaign index (-1)."""

    user: np.ndarray
    t: np.ndarray
    source: np.ndarray
    campaign: np.ndarray

    @staticmethod
    def make(user: np.ndarray, t: np.ndarray, source: int, campaign: np.ndarray | None = None) -> Tx:
        n = len(user)
        camp = np.full(n, -1, np.int32) if campaign is None else campaign.astype(np.int32)
        return Tx(user.astype(np.int64), t.astype(float), np.full(n, source, np.int8), camp)

    @staticmethod
    def concat(parts: list[Tx]) -> Tx:
        """All parts, sorted by user then time."""
        user = np.concatenate([p.user for p in parts])
        t = np.concatenate([p.t for p in parts])
        o = np.lexsort((t, user))
        return Tx(user[o], t[o], np.concatenate([p.source for p in parts])[o],
                  np.concatenate([p.campaign for p in parts])[o])


@dataclass
class Spells:
    """Follow or membership spells: ``[lo, hi)`` per row (``hi = inf`` when still open), sorted by user, lo."""

    user: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    channel: np.ndarray

    def active(self, user: np.ndarray, t: np.ndarray, n_users: int) -> np.ndarray:
        """Whether ``user`` has a spell active at time ``t`` (elementwise)."""
        if len(self.user) == 0:
            return np.zeros(len(user), bool)
        scale = 1e4
        key = self.user * scale + self.lo
        q = user * scale + t
        i = np.searchsorted(key, q, side="right") - 1
        ok = i >= 0
        i = np.maximum(i, 0)
        return ok & (self.user[i] == user) & (self.hi[i] > t)

    def ever(self, n_users: int) -> np.ndarray:
        """Users with at least one spell."""
        out = np.zeros(n_users, bool)
        out[self.user] = True
        return out


@dataclass
class Population:
    """Latent traits of every user (index = user number - 1)."""

    n: int
    buyer: np.ndarray
    lam: np.ndarray
    p_drop: np.ndarray
    nu: np.ndarray
    acq: np.ndarray  # first purchase time (nan for prospects)
    death: np.ndarray  # time of the last repeat purchase of a dropped-out buyer (inf if alive; nan prospects)
    j_drop: np.ndarray  # repeat purchase after which the buyer drops out
    act_lo: np.ndarray  # active period of the user's browsing
    act_hi: np.ndarray
    eng: np.ndarray  # engagement multiplier (mean about 1)
    value_z: np.ndarray  # z-score of log expected spend per order (0 for prospects)
    vip: np.ndarray
    join_q: np.ndarray  # checkout join probability per purchase


def _z(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / (sd if sd > 0 else 1.0)


def build_population(cfg: SimulationConfig, cal: Calendar, rng: np.random.Generator) -> Population:
    """Draw who is a buyer, BTYD and Gamma-Gamma traits, engagement, 88VIP and acquisition times."""
    n, horizon = cfg.users, cal.window_hi
    buyer = rng.random(n) < cfg.buyer_share
    nb = int(buyer.sum())
    lam = np.full(n, np.nan)
    p_drop = np.full(n, np.nan)
    nu = np.full(n, np.nan)
    lam[buyer] = rng.gamma(cfg.r, 1.0 / cfg.alpha, nb)
    p_drop[buyer] = rng.beta(cfg.a, cfg.b, nb)
    nu[buyer] = rng.gamma(cfg.q, 1.0 / cfg.gamma, nb)
    acq = np.full(n, np.nan)
    warp_a = cal.warp(cfg.acquisition_seasonality)
    acq_b = warp_a.sample(rng, np.zeros(1), np.full(1, horizon), np.zeros(nb, np.int64))
    acq[buyer] = cal.with_time_of_day(rng, acq_b)
    value_z = np.zeros(n)
    value_z[buyer] = _z(np.log(cfg.p / nu[buyer]))
    freq_z = np.zeros(n)
    freq_z[buyer] = _z(np.log(lam[buyer] + 1e-6))
    eng = rng.gamma(2.0, 0.5, n)
    eng[buyer] *= np.exp(0.25 * freq_z[buyer])
    eng = np.clip(eng, 0.05, 6.0)
    score = cfg.vip_value_selection * (value_z + 0.5 * freq_z - 0.6 * ~buyer) + rng.standard_normal(n)
    vip = np.zeros(n, bool)
    k = int(round(cfg.share_88vip * n))
    if k > 0:
        vip[np.argpartition(-score, k - 1)[:k]] = True
    join_q = np.clip(cfg.member_join_checkout * np.exp(cfg.member_value_selection * value_z), 0.0, 0.9)
    # prospects: registration (first seen) time and a short active period
    warp_t = cal.warp(cfg.traffic_seasonality)
    reg = warp_t.sample(rng, np.zeros(1), np.full(1, horizon), np.zeros(n, np.int64))
    act_lo = np.where(buyer, np.nan, reg)
    act_hi = np.where(buyer, np.nan, reg + rng.exponential(cfg.prospect_active_days, n))
    return Population(n, buyer, lam, p_drop, nu, acq, np.where(buyer, np.inf, np.nan), np.zeros(n, np.int64),
                      act_lo, act_hi, eng, value_z, vip, join_q)


def simulate_btyd(cfg: SimulationConfig, cal: Calendar, pop: Population, rng: np.random.Generator) -> tuple[Tx, Tx]:
    """First and repeat purchases of every buyer under BG/NBD (exact, vectorised).

    Sets ``pop.death``, ``pop.j_drop`` and the buyers' active period as side effects.

    Returns
    -------
    first, repeat : Tx
        First purchases (at the acquisition times) and repeat purchases.
    """
    b = np.flatnonzero(pop.buyer)
    warp = cal.warp(cfg.purchase_seasonality)
    tau0 = warp.forward(pop.acq[b])
    tau_end = warp.forward(np.array([cal.window_hi]))[0]
    h = np.maximum(tau_end - tau0, 0.0)
    n_rep = rng.poisson(pop.lam[b] * h)
    j = rng.geometric(pop.p_drop[b])
    pop.j_drop[b] = j
    owner = np.repeat(np.arange(len(b)), n_rep)
    tau = tau0[owner] + rng.random(len(owner)) * h[owner]
    o = np.lexsort((tau, owner))
    owner, tau = owner[o], tau[o]
    start = np.concatenate([[0], np.cumsum(n_rep)[:-1]])
    rank = np.arange(len(owner)) - start[owner]
    keep = rank < j[owner]
    owner, tau, rank = owner[keep], tau[keep], rank[keep]
    t = warp.inverse(tau)
    # diurnal time of day, keeping each repeat after the first purchase
    t_new = cal.with_time_of_day(rng, t)
    acq_o = pop.acq[b][owner]
    bad = t_new <= acq_o
    t_new[bad] = np.maximum(t[bad], acq_o[bad] + MINUTE)
    t = np.minimum(t_new, cal.window_hi - 1e-7)
    dead = n_rep >= j
    last = np.full(len(b), np.inf)
    is_last = rank == (j[owner] - 1)
    last[owner[is_last]] = t[is_last]
    pop.death[b] = np.where(dead, last, np.inf)
    lead = rng.exponential(14.0, len(b))
    pop.act_lo[b] = np.maximum(pop.acq[b] - lead, 0.0)
    tail = rng.exponential(45.0, len(b))
    pop.act_hi[b] = np.where(dead, pop.death[b] + tail, cal.window_hi)
    first = Tx.make(b, pop.acq[b], 0)
    repeat = Tx.make(b[owner], t, 1)
    return first, repeat


def _spells(rng: np.random.Generator, user: np.ndarray, start: np.ndarray, channel: np.ndarray,
            end_prob: float, end_mean: float, again_prob: float, again_mean: float, horizon: float,
            again_channel: np.ndarray | None = None) -> Spells:
    """Spells starting at ``start``; some end, and some of those start a second (open) spell."""
    n = len(user)
    ends = rng.random(n) < end_prob
    hi = np.where(ends, start + rng.exponential(end_mean, n) + MINUTE, np.inf)
    hi[hi >= horizon] = np.inf
    again = (hi < np.inf) & (rng.random(n) < again_prob)
    lo2 = hi + rng.exponential(again_mean, n) + MINUTE
    again &= lo2 < horizon
    ch2 = channel if again_channel is None else again_channel
    u = np.concatenate([user, user[again]])
    lo = np.concatenate([start, lo2[again]])
    hi_all = np.concatenate([hi, np.full(int(again.sum()), np.inf)])
    ch = np.concatenate([channel, ch2[again]])
    o = np.lexsort((lo, u))
    return Spells(u[o], lo[o], hi_all[o], ch[o].astype(np.int8))


def build_memberships(cfg: SimulationConfig, cal: Calendar, pop: Population, base: Tx,
                      rng: np.random.Generator) -> Spells:
    """Membership spells: 0-threshold joins at checkout (value-selected) or through other channels."""
    n = pop.n
    join = np.full(n, np.inf)
    chan = np.zeros(n, np.int8)
    hit = rng.random(len(base.user)) < pop.join_q[base.user]
    hu, first_idx = np.unique(base.user[hit], return_index=True)
    tj = base.t[hit][first_idx] - rng.uniform(0.5, 10.0, len(hu)) * MINUTE
    join[hu] = tj
    p_other = np.clip(cfg.member_join_other * np.sqrt(pop.eng) * np.where(pop.buyer, 1.5, 1.0), 0, 0.95)
    other = np.flatnonzero(rng.random(n) < p_other)
    warp_t = cal.warp(cfg.traffic_seasonality)
    t_other = cal.with_time_of_day(rng, warp_t.sample(rng, pop.act_lo, np.minimum(pop.act_hi, cal.window_hi), other))
    ch_other = 1 + rng.choice(len(_OTHER_JOIN_P), size=len(other), p=_OTHER_JOIN_P / _OTHER_JOIN_P.sum())
    better = t_other < join[other]
    join[other[better]] = t_other[better]
    chan[other[better]] = ch_other[better]
    who = np.flatnonzero(join < cal.window_hi)
    ch2 = (1 + rng.choice(len(_OTHER_JOIN_P), size=len(who), p=_OTHER_JOIN_P / _OTHER_JOIN_P.sum())).astype(np.int8)
    return _spells(rng, who, join[who], chan[who], cfg.member_leave_rate, 200.0, cfg.member_rejoin_rate, 60.0,
                   cal.window_hi, ch2)


def build_follows(cfg: SimulationConfig, cal: Calendar, pop: Population, members: Spells,
                  rng: np.random.Generator) -> Spells:
    """Follow spells (fans): buyers and engaged users follow more; a follow-discount join implies a follow."""
    n = pop.n
    member_ever = members.ever(n)
    p = np.where(pop.buyer, cfg.follow_buyer, cfg.follow_prospect) * np.sqrt(pop.eng) * np.where(member_ever, 1.5, 1.0)
    fol = np.flatnonzero(rng.random(n) < np.clip(p, 0, 0.95))
    warp_t = cal.warp(cfg.traffic_seasonality)
    t = cal.with_time_of_day(rng, warp_t.sample(rng, pop.act_lo, np.minimum(pop.act_hi, cal.window_hi), fol))
    at_first = pop.buyer[fol] & (rng.random(len(fol)) < 0.4)  # 关注立减 at the first checkout
    t[at_first] = pop.acq[fol[at_first]] - rng.uniform(1.0, 15.0, int(at_first.sum())) * MINUTE
    when = np.full(n, np.inf)
    when[fol] = t
    fd = members.channel == JOIN_CHANNELS.index("follow_discount")
    when[members.user[fd]] = np.minimum(when[members.user[fd]], members.lo[fd] - MINUTE / 2)
    who = np.flatnonzero(when < cal.window_hi)
    return _spells(rng, who, np.maximum(when[who], 0.0), np.zeros(len(who), np.int8), cfg.unfollow_rate, 150.0,
                   cfg.refollow_rate, 45.0, cal.window_hi)


def member_uplift_purchases(cfg: SimulationConfig, cal: Calendar, pop: Population, members: Spells,
                            rng: np.random.Generator) -> Tx:
    """Extra purchases caused by membership: rate ``lambda_i * member_rate_uplift`` while a live member."""
    if cfg.member_rate_uplift <= 0 or len(members.user) == 0:
        return Tx.make(np.zeros(0, np.int64), np.zeros(0), 2)
    u = members.user
    ok = pop.buyer[u]
    lo = np.maximum(members.lo, np.nan_to_num(pop.acq[u], nan=np.inf))
    hi = np.minimum(np.minimum(members.hi, np.nan_to_num(pop.death[u], nan=-np.inf)), cal.window_hi)
    ok &= hi > lo
    warp = cal.warp(cfg.purchase_seasonality)
    lo_o, hi_o = warp.forward(np.where(ok, lo, 0.0)), warp.forward(np.where(ok, hi, 0.0))
    rate = np.where(ok, np.nan_to_num(pop.lam[u]) * cfg.member_rate_uplift, 0.0)
    cnt = rng.poisson(rate * np.maximum(hi_o - lo_o, 0.0))
    owner = np.repeat(np.arange(len(u)), cnt)
    tau = lo_o[owner] + rng.random(len(owner)) * (hi_o - lo_o)[owner]
    t = warp.inverse(tau)
    t_new = cal.with_time_of_day(rng, t)
    bad = (t_new <= lo[owner]) | (t_new >= hi[owner])
    t_new[bad] = t[bad]
    return Tx.make(u[owner], t_new, 2)
