"""Orders and order lines: Gamma-Gamma spend, channels, items, split orders, refunds and member tiers.

Spend per transaction follows the Gamma-Gamma model (Fader, Hardie & Lee 2005, "RFM and CLV: using
iso-value curves for customer base analysis", *JMR* 42(4), 415–430; Colombo & Jiang 1999, "A stochastic
RFM model", *Journal of Interactive Marketing* 13(3)): ``z_ij ~ Gamma(p, rate nu_i)`` with
``nu_i ~ Gamma(q, rate gamma)``, so ``E[z] = p gamma / (q - 1)``. Members' orders are scaled by
``1 + member_spend_uplift`` (a causal effect recorded in truth; 0 keeps Gamma-Gamma exact).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.simulate._calendar import Calendar
from siyu.simulate._catalog import Catalog, pick_items
from siyu.simulate._config import SimulationConfig
from siyu.simulate._customers import Population, Spells, Tx
from siyu.simulate._reach import CHANNELS as REACH_CHANNELS
from siyu.simulate._traffic import channel_code, draw_channel

__all__ = ["Orders", "TIERS", "build_orders", "tiers"]

#: Membership tier codes and names; thresholds are config fields (net spend during the spell).
TIERS = ("V1", "V2", "V3")
TIER_NAMES = {"V1": "普通会员 (regular)", "V2": "银卡会员 (silver)", "V3": "金卡会员 (gold)"}
SECOND = 1.0 / 86_400.0


@dataclass
class Orders:
    """Window orders (sorted by pay time) and their lines; ``all_*`` cover every transaction."""

    user: np.ndarray
    t: np.ndarray
    cents: np.ndarray
    refund: np.ndarray
    channel: np.ndarray
    source: np.ndarray
    campaign: np.ndarray
    session: np.ndarray  # purchase-session index (split parts share one)
    member: np.ndarray
    line_order: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray
    line_cents: np.ndarray
    all_user: np.ndarray
    all_t: np.ndarray
    all_net: np.ndarray


def build_orders(cfg: SimulationConfig, cal: Calendar, cat: Catalog, pop: Population, tx: Tx,
                 members: Spells, campaign_channel: np.ndarray, rng: np.random.Generator) -> Orders:
    """Turn transactions into orders with amounts, channels, lines, split parts and refunds.

    ``campaign_channel`` gives the reach channel (index into the reach channels) of every campaign,
    which is the channel of the purchases the campaign's messages cause.
    """
    n_tx = len(tx.user)
    is_member = members.active(tx.user, tx.t, pop.n)
    z = rng.gamma(cfg.p, 1.0 / pop.nu[tx.user]) * (1.0 + cfg.member_spend_uplift * is_member)
    cents = np.maximum(np.round(z * 100.0), 1).astype(np.int64)
    u = rng.random(n_tx)
    full = u < cfg.refund_full_prob
    part = (u >= cfg.refund_full_prob) & (u < cfg.refund_full_prob + cfg.refund_partial_prob)
    frac = rng.uniform(0.1, 0.6, n_tx)
    net_all = np.where(full, 0, np.where(part, cents - np.floor(cents * frac), cents)).astype(np.int64)
    # channels
    ch = np.empty(n_tx, np.int8)
    for src, ctx in ((0, "acquire"), (1, "repeat"), (2, "repeat")):
        m = tx.source == src
        ch[m] = draw_channel(rng, ctx, int(m.sum()))
    msg = tx.source == 3
    if msg.any():
        reach_ch = np.array([channel_code(c) for c in REACH_CHANNELS], np.int8)
        ch[msg] = reach_ch[np.asarray(campaign_channel)[tx.campaign[msg]]]
    # window orders
    w = (tx.t >= cal.window_lo - min(cfg.order_history_days, cal.prehistory)) & (tx.t < cal.window_hi)
    idx = np.flatnonzero(w)
    day = cal.day_of(tx.t[idx])
    lo, sku, qty, line = pick_items(cfg, cat, rng, day, is_member[idx], cents[idx])
    n_o = len(idx)
    session = np.arange(n_o)
    # split orders: lines after the first go to a second order paid moments later on the same day
    n_lines = np.bincount(lo, minlength=n_o)
    split = (n_lines >= 2) & (rng.random(n_o) < cfg.split_order_prob)
    first_line = np.r_[0, np.flatnonzero(np.diff(lo)) + 1]
    moved = split[lo].copy()
    moved[first_line] = False
    child_of = np.flatnonzero(split)
    child_id = np.full(n_o, -1)
    child_id[child_of] = n_o + np.arange(len(child_of))
    lo = np.where(moved, child_id[lo], lo)
    t_o = tx.t[idx]
    t_child = np.minimum(t_o[child_of] + rng.uniform(10, 300, len(child_of)) * SECOND,
                         np.floor(t_o[child_of]) + 1 - SECOND)
    user = np.concatenate([tx.user[idx], tx.user[idx][child_of]])
    t = np.concatenate([t_o, t_child])
    source = np.concatenate([tx.source[idx], np.full(len(child_of), 4, np.int8)])
    campaign = np.concatenate([tx.campaign[idx], tx.campaign[idx][child_of]])
    channel = np.concatenate([ch[idx], ch[idx][child_of]])
    member = np.concatenate([is_member[idx], is_member[idx][child_of]])
    session = np.concatenate([session, child_of])
    n_all = len(user)
    amount = np.bincount(lo, weights=line, minlength=n_all).astype(np.int64)
    # refunds per final order: full, or partial (one line of a multi-line order, else a fraction)
    u2 = rng.random(n_all)
    full_o = u2 < cfg.refund_full_prob
    part_o = (u2 >= cfg.refund_full_prob) & (u2 < cfg.refund_full_prob + cfg.refund_partial_prob) & (amount >= 2)
    o_lines = np.bincount(lo, minlength=n_all)
    srt = np.argsort(lo, kind="stable")
    lo_s, line_s = lo[srt], line[srt]
    last_line = np.r_[np.flatnonzero(np.diff(lo_s)), len(lo_s) - 1]
    last_amt = np.zeros(n_all, np.int64)
    last_amt[lo_s[last_line]] = line_s[last_line]
    frac_refund = np.floor(amount * rng.uniform(0.1, 0.6, n_all)).astype(np.int64)
    part_amt = np.where((o_lines >= 2) & (last_amt < amount) & (last_amt > 0), last_amt, frac_refund)
    part_amt = np.clip(part_amt, 1, np.maximum(amount - 1, 1))
    refund = np.where(full_o, amount, np.where(part_o, part_amt, 0)).astype(np.int64)
    # sort orders by pay time
    order = np.lexsort((user, t))
    rank = np.empty(n_all, np.int64)
    rank[order] = np.arange(n_all)
    lo = rank[lo]
    ls = np.lexsort((sku, lo))
    # net spend of every transaction (for tiers): window ones from their final orders, others as drawn;
    # ``session`` maps each final order (split parts included) to its window transaction
    all_net = net_all.copy()
    all_net[idx] = np.bincount(session, weights=amount - refund, minlength=n_o).astype(np.int64)
    return Orders(user[order], t[order], amount[order], refund[order], channel[order], source[order],
                  campaign[order], session[order], member[order], lo[ls], sku[ls], qty[ls], line[ls],
                  tx.user, tx.t, all_net)


def tiers(cfg: SimulationConfig, cal: Calendar, orders: Orders, members: Spells) -> np.ndarray:
    """Tier code of every membership spell from the net spend during the spell (up to the window end)."""
    key = orders.all_user * 1e4 + orders.all_t
    cum = np.concatenate([[0], np.cumsum(orders.all_net)])
    lo = np.searchsorted(key, members.user * 1e4 + members.lo, side="left")
    hi = np.searchsorted(key, members.user * 1e4 + np.minimum(members.hi, cal.window_hi), side="left")
    spend = (cum[hi] - cum[lo]) / 100.0
    return np.where(spend >= cfg.tier_gold_cny, 2, np.where(spend >= cfg.tier_silver_cny, 1, 0)).astype(np.int8)
