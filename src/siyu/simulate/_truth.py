"""Ground truth of a simulated store: per-user and per-campaign truth tables and realised aggregates.

The realised figures use the conventions of docs/data.md §Purchases (a purchase is an order with
``refund_amount < amount``; spend is net of refunds; purchase days are distinct local dates) and are
computed on the exported window, with the snapshot ``T`` at its last day.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from siyu.metrics.ratio import ratio
from siyu.simulate._arrow import timestamps
from siyu.simulate._calendar import Calendar
from siyu.simulate._customers import TX_SOURCES, Population, Spells, Tx
from siyu.simulate._orders import Orders
from siyu.simulate._reach import Reach

__all__ = ["campaign_outcomes", "realised", "truth_tables"]


def realised(cal: Calendar, pop: Population, o: Orders, members: Spells, follows: Spells,
             n_events: int) -> dict:
    """Aggregates of the exported window (GMV, buyers, docs/gain.md §Reference figures); exported order history before the
    window is counted only in ``orders_history``."""
    in_window = o.t >= cal.window_lo
    buy = (o.refund < o.cents) & in_window
    net = (o.cents - o.refund)[buy] / 100.0
    user, t = o.user[buy], o.t[buy]
    day = np.floor(t).astype(np.int64)
    buyers, inv = np.unique(user, return_inverse=True)
    spend = np.bincount(inv, weights=net, minlength=len(buyers))
    gmv = float(net.sum())
    days = np.unique(user * 100_000 + day) // 100_000
    n_days = np.bincount(np.searchsorted(buyers, days), minlength=len(buyers))
    t_end = np.full(len(buyers), cal.window_hi - 1e-6)
    mem_end = members.active(buyers, t_end, pop.n)
    fan_end = follows.active(buyers, t_end, pop.n)
    vip = pop.vip[buyers]
    kdj = ratio(gmv, len(buyers))
    member_kdj = ratio(spend[mem_end].sum(), mem_end.sum())
    rel = (follows.active(user, t, pop.n) | members.active(user, t, pop.n)
           | (np.floor(pop.acq[user]) < day))
    daily = np.bincount(day - int(cal.window_lo), weights=net, minlength=cal.days)
    d11 = [i for i, d in enumerate(cal.dates[cal.prehistory:]) if str(d)[5:] == "11-11"]
    all_users = np.arange(pop.n)
    t_all = np.full(pop.n, cal.window_hi - 1e-6)
    return {
        "orders": int(in_window.sum()),
        "orders_history": int((~in_window).sum()),
        "purchases": int(buy.sum()),
        "buyers": int(len(buyers)),
        "gmv_net": round(gmv, 2),
        "gmv_gross": round(float(o.cents.sum()) / 100.0, 2),
        "refunds": round(float(o.refund.sum()) / 100.0, 2),
        "kedanjia": kdj,
        "bidanjia": ratio(gmv, buy.sum()),
        "member_kedanjia": member_kdj,
        "member_kedanjia_ratio": ratio(member_kdj or 0.0, kdj or 0.0),
        "repeat_buyer_share": ratio((n_days >= 2).sum(), len(buyers)),
        "relationship_gmv_share_at_purchase": ratio(net[rel].sum(), gmv),
        "fan_or_member_at_T_gmv_share": ratio(spend[mem_end | fan_end].sum(), gmv),
        "vip88_kedanjia_ratio": ratio(ratio(spend[vip].sum(), vip.sum()) or 0.0,
                                       ratio(spend[~vip].sum(), (~vip).sum()) or np.inf),
        "new_buyer_share": ratio((pop.acq[buyers] >= cal.window_lo).sum(), len(buyers)),
        "members_at_T": int(members.active(all_users, t_all, pop.n).sum()),
        "fans_at_T": int(follows.active(all_users, t_all, pop.n).sum()),
        "events_per_user_year": ratio(n_events * 365.0 / cal.days, pop.n),
        "double11_gmv_over_median_day": ratio(float(daily[d11].max()), float(np.median(daily))) if d11 else None,
        "definitions": {
            "purchase": "order with refund_amount < amount; spend = amount - refund_amount",
            "member_kedanjia_ratio": "(spend of buyers who are members at T / their number) / (GMV / buyers)",
            "repeat_buyer_share": "buyers with >= 2 distinct purchase dates / buyers",
            "relationship_gmv_share_at_purchase": "GMV share of purchases by users who, at the purchase, were a fan, "
                                                  "a member, or had bought on an earlier date (store history "
                                                  "before the window included)",
        },
    }


def campaign_outcomes(reach: Reach, tx: Tx, window_days: int) -> np.ndarray:
    """Whether each targeted user (treatment and holdout) bought within ``window_days`` of the send time."""
    key = tx.user * 1e4 + tx.t
    q = reach.asg_user * 1e4 + reach.asg_t
    n = np.searchsorted(key, q + window_days, side="left") - np.searchsorted(key, q, side="left")
    bought = n > 0
    for c, info in enumerate(reach.campaigns):
        m = reach.asg_campaign == c
        tr, ho = m & ~reach.asg_holdout, m & reach.asg_holdout
        info["treatment_purchase_rate"] = ratio(bought[tr].sum(), tr.sum())
        info["holdout_purchase_rate"] = ratio(bought[ho].sum(), ho.sum())
        info["alive_share"] = ratio(reach.asg_alive[m].sum(), m.sum())
        info["extra_purchases"] = int(reach.asg_extra[m].sum())
    return bought


def truth_tables(cal: Calendar, pop: Population, o: Orders, oid: pa.ChunkedArray, uid: pa.ChunkedArray,
                 members: Spells, follows: Spells, reach: Reach, bought: np.ndarray, camp_ids: list[str],
                 repeats_total: np.ndarray, gg_p: float) -> dict[str, pa.Table]:
    """truth_users, truth_orders and truth_campaigns as Arrow tables."""
    n = pop.n
    b = pop.buyer
    t_end = np.full(n, cal.window_hi - 1e-6)
    dead = b & np.isfinite(pop.death)

    def f(x: np.ndarray, null: np.ndarray) -> pa.Array:
        return pa.array(np.where(null, 0.0, x), type=pa.float64(), mask=null if null.any() else None)

    users = pa.table({
        "user_id": uid,
        "is_buyer": pa.array(b),
        "acquired_at": timestamps(cal.to_us(np.nan_to_num(pop.acq)), null=~b),
        "lambda_per_day": f(pop.lam, ~b),
        "p_dropout": f(pop.p_drop, ~b),
        "nu": f(pop.nu, ~b),
        "expected_spend": f(gg_p / np.where(b, pop.nu, 1.0), ~b),
        "dropout_after_repeat": pa.array(pop.j_drop, mask=~b),
        "dropped_out_at": timestamps(cal.to_us(np.where(dead, pop.death, 0.0)), null=~dead),
        "alive_at_end": pa.array(b & ~dead),
        "repeats_total": pa.array(repeats_total, mask=~b),
        "engagement": pa.array(pop.eng),
        "is_88vip": pa.array(pop.vip),
        "member_at_end": pa.array(members.active(np.arange(n), t_end, n)),
        "fan_at_end": pa.array(follows.active(np.arange(n), t_end, n)),
    })
    camp_str = pa.array(camp_ids, type=pa.string())
    no_camp = o.campaign < 0
    orders = pa.table({
        "order_id": oid,
        "source": pa.array(np.array(TX_SOURCES, dtype=object)[o.source], type=pa.string()),
        "campaign_id": camp_str.take(pa.array(np.maximum(o.campaign, 0), mask=no_camp if no_camp.any() else None)),
        "member_at_purchase": pa.array(o.member),
    })
    campaigns = pa.table({
        "campaign_id": camp_str.take(pa.array(reach.asg_campaign)),
        "user_id": uid.take(pa.array(reach.asg_user)),
        "group": pa.array(np.where(reach.asg_holdout, "holdout", "treatment").astype(object), type=pa.string()),
        "sent_at": timestamps(cal.to_us(reach.asg_t)),
        "delivered": pa.array(reach.asg_delivered),
        "alive": pa.array(reach.asg_alive),
        "extra_purchase": pa.array(reach.asg_extra),
        "purchased_in_window": pa.array(bought),
    })
    return {"truth_users": users, "truth_orders": orders, "truth_campaigns": campaigns}
