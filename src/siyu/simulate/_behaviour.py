"""Behaviour events: the browsing funnel around purchases, non-buying sessions and awareness touches.

* **Purchase sessions** (one per paid order; split parts share it): touchpoints of the entry channel
  (impression → ad_click, live_view, content_interaction → link_click, a search), a ``visit`` with its
  dwell time, ``pdp_view`` of the bought SKUs and others, favorite, coupon/benefit claims and
  ``add_cart``, all on the same local day before the pay time; afterwards ``share`` and ``review``.
* **Browsing sessions** without a purchase, at ``browse_rate`` per active user-day, and extra member
  sessions at ``member_session_rate * member_engagement`` while a member.
* **Touches**: impressions, live views, 小红书/抖音 content and category searches with no visit.
* **Message visits** after opened or clicked private-domain messages, and benefit claims at joining.

Session times follow the traffic seasonality and the diurnal profile of :mod:`._calendar`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from siyu.contract.schema import EVENT_TYPES
from siyu.simulate._calendar import Calendar
from siyu.simulate._catalog import Catalog
from siyu.simulate._config import SimulationConfig
from siyu.simulate._customers import JOIN_CHANNELS, Population, Spells
from siyu.simulate._orders import Orders
from siyu.simulate._reach import CHANNELS as REACH_CHANNELS
from siyu.simulate._reach import STATUSES, Reach
from siyu.simulate._traffic import (
    ENTRY_P,
    PRE_SEARCH,
    channel_code,
    draw_channel,
    draw_keyword,
)

__all__ = ["Events", "build_events"]

E = {name: i for i, name in enumerate(EVENT_TYPES)}
SEC = 1.0 / 86_400.0
RATING_P = np.array([0.02, 0.03, 0.08, 0.25, 0.62])
_TOUCH = ("impression", "live_view", "content_interaction", "search", "share")
_TOUCH_P = np.array([0.55, 0.12, 0.20, 0.09, 0.04])
_TOUCH_CH = {
    "impression": (("ads_feed", "recommend", "ads_search", "quanzhantui", "ads_live"), (0.3, 0.3, 0.15, 0.2, 0.05)),
    "live_view": (("live", "ads_live", "douyin"), (0.7, 0.15, 0.15)),
    "content_interaction": (("xhs", "douyin", "short_video", "bilibili", "weibo"), (0.45, 0.25, 0.15, 0.08, 0.07)),
    "search": (("search",), (1.0,)),
    "share": (("direct",), (1.0,)),
}


@dataclass
class Events:
    """Event rows as parallel arrays (times in days since the origin; -1 / nan / 0 mean null)."""

    user: list[np.ndarray] = field(default_factory=list)
    t: list[np.ndarray] = field(default_factory=list)
    type: list[np.ndarray] = field(default_factory=list)
    sku: list[np.ndarray] = field(default_factory=list)
    channel: list[np.ndarray] = field(default_factory=list)
    kw: list[np.ndarray] = field(default_factory=list)
    session: list[np.ndarray] = field(default_factory=list)
    duration: list[np.ndarray] = field(default_factory=list)
    rating: list[np.ndarray] = field(default_factory=list)

    def add(self, user, t, etype, *, sku=None, channel=None, kw=None, session=None, duration=None, rating=None):
        """Append rows; ``None`` columns are null."""
        n = len(user)
        if n == 0:
            return

        def full(x, fill, dtype):
            if x is None:
                return np.full(n, fill, dtype)
            return np.broadcast_to(np.asarray(x, dtype), (n,)).copy()

        self.user.append(np.asarray(user, np.int64))
        self.t.append(np.asarray(t, float))
        self.type.append(full(etype, 0, np.int8))
        self.sku.append(full(sku, -1, np.int32))
        self.channel.append(full(channel, -1, np.int8))
        self.kw.append(full(kw, -1, np.int8))
        self.session.append(full(session, -1, np.int64))
        self.duration.append(full(duration, np.nan, np.float64))
        self.rating.append(full(rating, 0, np.int8))

    def columns(self) -> dict[str, np.ndarray]:
        """All rows, concatenated."""
        names = ("user", "t", "type", "sku", "channel", "kw", "session", "duration", "rating")
        return {k: np.concatenate(getattr(self, k)) for k in names}


def _entry(ev: Events, rng, user, start, channel, session, day_start, kw_ctx, contexts, sku_hint):
    """Touchpoints of the entry channel before (or at the start of) a session."""
    p = ENTRY_P[channel]
    u = rng.random((len(user), 6))
    offsets = ((0, 60, 900, E["impression"]), (1, 2, 30, E["ad_click"]), (2, 60, 1800, E["live_view"]),
               (3, 120, 7200, E["content_interaction"]), (4, 1, 5, E["link_click"]))
    for col, lo, hi, etype in offsets:
        m = u[:, col] < p[:, col]
        ts = np.maximum(start[m] - rng.uniform(lo, hi, m.sum()) * SEC, day_start[m])
        sk = np.where(rng.random(m.sum()) < 0.6, sku_hint[m], -1) if etype != E["link_click"] else -1
        ev.add(user[m], ts, etype, sku=sk, channel=channel[m],
               session=session[m] if etype in (E["ad_click"], E["link_click"]) else -1)
    m = u[:, 5] < p[:, 5]
    pre = PRE_SEARCH[channel[m]]
    ts = np.where(pre, np.maximum(start[m] - rng.uniform(2, 30, m.sum()) * SEC, day_start[m]),
                  start[m] + rng.uniform(3, 20, m.sum()) * SEC)
    ev.add(user[m], ts, E["search"], channel=channel[m], kw=draw_keyword(rng, kw_ctx[m], contexts),
           session=session[m])


def _session_times(cfg, cal, rng, lo, hi, rate):
    """Session counts and times for intervals ``[lo, hi)`` at ``rate`` per (traffic-operational) day."""
    warp = cal.warp(cfg.traffic_seasonality)
    ok = hi > lo
    lo_o, hi_o = warp.forward(np.where(ok, lo, 0)), warp.forward(np.where(ok, hi, 0))
    cnt = rng.poisson(np.where(ok, rate * (hi_o - lo_o), 0.0))
    owner = np.repeat(np.arange(len(lo)), cnt)
    t = warp.inverse(lo_o[owner] + rng.random(len(owner)) * (hi_o - lo_o)[owner])
    return owner, cal.with_time_of_day(rng, t)


def build_events(cfg: SimulationConfig, cal: Calendar, cat: Catalog, pop: Population, orders: Orders,
                 members: Spells, follows: Spells, reach: Reach, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Every event of the window, sorted by time; sessions numbered in order of first event."""
    ev = Events()
    eng_m = cfg.member_engagement
    contexts = ("acquire", "repeat", "browse", "member", "touch")
    n_sess = 0
    # ---- purchase sessions ---------------------------------------------------------------------
    prim = np.flatnonzero(orders.source != 4)  # split parts share their parent's session
    sess_of = orders.session[prim]
    u, paid = orders.user[prim], orders.t[prim]
    day_start = np.floor(paid)
    dur = np.minimum(np.clip(rng.lognormal(np.log(420), 0.6, len(prim)), 60, 3600) * SEC, paid - day_start)
    start = paid - dur
    sid = n_sess + sess_of
    n_sess += int(orders.session.max()) + 1 if len(orders.session) else 0
    ch = orders.channel[prim].astype(np.int64)
    member = orders.member[prim]
    first_sku = np.full(len(orders.user), -1, np.int64)
    fl = np.r_[0, np.flatnonzero(np.diff(orders.line_order)) + 1] if len(orders.line_order) else np.zeros(0, int)
    first_sku[orders.line_order[fl]] = orders.line_sku[fl]
    kw_ctx = np.where(member, 3, np.where(orders.source[prim] == 0, 0, 1))
    _entry(ev, rng, u, start, ch, sid, day_start, kw_ctx, contexts, first_sku[prim])
    ev.add(u, start, E["visit"], channel=ch, session=sid, duration=dur / SEC + rng.uniform(10, 180, len(prim)))
    # lines -> the session of their order (split parts share their parent's)
    start_by_sess = np.full(n_sess, np.nan)
    start_by_sess[sess_of] = start
    dur_by_sess = np.zeros(n_sess)
    dur_by_sess[sess_of] = dur
    ch_by_sess = np.zeros(n_sess, np.int8)
    ch_by_sess[sess_of] = ch
    ls = orders.session[orders.line_order]
    lu = orders.user[orders.line_order]
    ls_start, ls_dur, ls_ch = start_by_sess[ls], dur_by_sess[ls], ch_by_sess[ls]
    ev.add(lu, ls_start + rng.uniform(0.1, 0.6, len(ls)) * ls_dur, E["pdp_view"], sku=orders.line_sku,
           channel=ls_ch, session=ls)
    lmem = orders.member[orders.line_order]
    m = rng.random(len(ls)) < np.minimum(0.75 + np.where(lmem, 0.1 * eng_m, 0), 0.98)
    ev.add(lu[m], ls_start[m] + rng.uniform(0.8, 0.97, m.sum()) * ls_dur[m], E["add_cart"], sku=orders.line_sku[m],
           channel=ls_ch[m], session=ls[m])
    extra = rng.poisson(0.6, len(prim))
    o = np.repeat(np.arange(len(prim)), extra)
    ev.add(u[o], start[o] + rng.uniform(0.05, 0.7, len(o)) * dur[o], E["pdp_view"],
           sku=cat.static_pick(rng, paid[o]), channel=ch[o], session=sid[o])
    fest = cal.festival_day[cal.day_of(paid)]
    for etype, prob, frac in (
        ("favorite", 0.12 + np.where(member, 0.12 * eng_m, 0), 0.7),
        ("coupon_claim", np.where(fest, 0.5, 0.2), 0.75),
        ("benefit_claim", np.where(member, np.minimum(0.3 * eng_m, 0.9), 0), 0.78),
        ("trial_claim", 0.01, 0.5),
    ):
        m = rng.random(len(prim)) < prob
        sk = first_sku[prim][m] if etype in ("favorite", "trial_claim") else -1
        ev.add(u[m], start[m] + frac * dur[m], E[etype], sku=sk, channel=ch[m], session=sid[m])
    m = rng.random(len(prim)) < cfg.share_prob
    ev.add(u[m], paid[m] + rng.uniform(60, 600, m.sum()) * SEC, E["share"], sku=first_sku[prim][m])
    rv = rng.random(len(prim)) < cfg.review_prob * np.where(pop.vip[u], 1.4, 1.0)
    t_rev = np.floor(paid[rv] + 2 + rng.gamma(2.0, 2.0, rv.sum()))
    t_rev = cal.with_time_of_day(rng, np.minimum(t_rev, cal.n_days - 1))
    t_rev = np.maximum(t_rev, paid[rv] + 1.0)
    rating = 1 + np.searchsorted(np.cumsum(RATING_P), rng.random(rv.sum()) * 0.999999, side="right")
    ev.add(u[rv], t_rev, E["review"], sku=first_sku[prim][rv], rating=rating)
    # ---- browsing and member sessions ------------------------------------------------------------
    lo = np.maximum(pop.act_lo, cal.window_lo)
    hi = np.minimum(pop.act_hi, cal.window_hi)
    owner, t1 = _session_times(cfg, cal, rng, lo, hi, cfg.browse_rate * pop.eng)
    b_user, b_t, b_mem = [owner], [t1], [np.zeros(len(owner), bool)]
    mlo = np.maximum(members.lo, cal.window_lo)
    mhi = np.minimum(members.hi, cal.window_hi)
    m_rate = cfg.member_session_rate * eng_m * np.sqrt(pop.eng[members.user])
    owner, t2 = _session_times(cfg, cal, rng, mlo, mhi, m_rate)
    b_user.append(members.user[owner])
    b_t.append(t2)
    b_mem.append(np.ones(len(owner), bool))
    bu, bt, bmem = np.concatenate(b_user), np.concatenate(b_t), np.concatenate(b_mem)
    bmem |= members.active(bu, bt, pop.n) & (rng.random(len(bu)) < 0.5)
    nb = len(bu)
    bsid = n_sess + np.arange(nb)
    n_sess += nb
    bch = np.where(bmem, draw_channel(rng, "member", nb), draw_channel(rng, "browse", nb)).astype(np.int64)
    bdur = np.minimum(np.clip(rng.lognormal(np.log(150), 0.8, nb), 5, 3600) * SEC, np.floor(bt) + 1 - bt - SEC)
    bstart = bt
    bsku = cat.static_pick(rng, bt)
    _entry(ev, rng, bu, bstart, bch, bsid, np.floor(bt), np.where(bmem, 3, 2), contexts, bsku)
    ev.add(bu, bstart, E["visit"], channel=bch, session=bsid, duration=np.maximum(bdur / SEC, 1.0))
    k = rng.poisson(1.3, nb)
    o = np.repeat(np.arange(nb), k)
    first_pv = np.r_[True, np.diff(o) != 0] if len(o) else np.zeros(0, bool)  # the session's own SKU first
    pv_sku = np.where(first_pv, bsku[o], cat.static_pick(rng, bt[o]))
    ev.add(bu[o], bstart[o] + rng.uniform(0.1, 0.9, len(o)) * bdur[o], E["pdp_view"], sku=pv_sku, channel=bch[o],
           session=bsid[o])
    fest_b = cal.festival_day[cal.day_of(bt)]
    for etype, prob, frac, with_sku in (
        ("favorite", 0.07 + np.where(bmem, 0.2 * eng_m, 0), 0.8, True),
        ("add_cart", 0.09 + np.where(bmem, 0.25 * eng_m, 0), 0.9, True),
        ("coupon_claim", np.where(fest_b, 0.15, 0.05), 0.5, False),
        ("trial_claim", 0.02, 0.6, True),
        ("benefit_claim", np.where(bmem, np.minimum(0.35 * eng_m, 0.95), 0), 0.7, False),
        ("share", 0.01, 0.95, True),
    ):
        m = rng.random(nb) < prob
        ev.add(bu[m], bstart[m] + frac * bdur[m], E[etype], sku=bsku[m] if with_sku else -1, channel=bch[m],
               session=bsid[m])
    # ---- message visits ---------------------------------------------------------------------------
    st = reach.msg_status
    go = ((st == STATUSES.index("clicked")) | ((st == STATUSES.index("opened")) & (rng.random(len(st)) < 0.3)))
    mu, mt = reach.msg_user[go], reach.msg_t[go] + rng.uniform(60, 6 * 3600, go.sum()) * SEC
    mt = np.minimum(mt, np.floor(reach.msg_t[go]) + 1 - 600 * SEC)
    mch = np.array([channel_code(c) for c in REACH_CHANNELS], np.int8)[reach.msg_channel[go]]
    msid = n_sess + np.arange(len(mu))
    n_sess += len(mu)
    mdur = np.clip(rng.lognormal(np.log(120), 0.7, len(mu)), 5, 580)
    ev.add(mu, mt, E["visit"], channel=mch, session=msid, duration=mdur)
    msku = cat.static_pick(rng, mt)
    ev.add(mu, mt + 0.3 * mdur * SEC, E["pdp_view"], sku=msku, channel=mch, session=msid)
    mm = members.active(mu, mt, pop.n)
    for etype, prob, frac, with_sku in (("add_cart", 0.15, 0.8, True),
                                        ("benefit_claim", np.where(mm, np.minimum(0.3 * eng_m, 0.9), 0), 0.6, False)):
        m = rng.random(len(mu)) < prob
        ev.add(mu[m], mt[m] + frac * mdur[m] * SEC, E[etype], sku=msku[m] if with_sku else -1, channel=mch[m],
               session=msid[m])
    # ---- joining benefits and awareness touches ---------------------------------------------------
    m = rng.random(len(members.user)) < min(0.6 * eng_m, 0.95)
    jt = members.lo[m] + rng.uniform(60, 1800, m.sum()) * SEC
    ev.add(members.user[m], jt, E["benefit_claim"],
           channel=np.where(members.channel[m] == JOIN_CHANNELS.index("live"), channel_code("live"),
                            channel_code("direct")))
    owner, tt = _session_times(cfg, cal, rng, lo, hi, cfg.touch_rate * pop.eng)
    kind = rng.choice(len(_TOUCH), size=len(owner), p=_TOUCH_P / _TOUCH_P.sum())
    tsku = cat.static_pick(rng, tt)
    for k_i, name in enumerate(_TOUCH):
        m = kind == k_i
        names, p = _TOUCH_CH[name]
        tch = np.array([channel_code(c) for c in names])[rng.choice(len(names), size=m.sum(), p=np.array(p) / sum(p))]
        sk = np.where(rng.random(m.sum()) < 0.7, tsku[m], -1) if name != "search" else -1
        ev.add(owner[m], tt[m], E[name], sku=sk, channel=tch, kw=1 if name == "search" else -1)
    cols = ev.columns()
    keep = (cols["t"] >= cal.window_lo) & (cols["t"] < cal.window_hi)
    cols = {k: v[keep] for k, v in cols.items()}
    o = np.lexsort((cols["type"], cols["user"], cols["t"]))
    cols = {k: v[o] for k, v in cols.items()}
    s = cols["session"]
    has = s >= 0
    uniq, first_idx, inv = np.unique(s[has], return_index=True, return_inverse=True)
    rank = np.empty(len(uniq), np.int64)
    rank[np.argsort(first_idx, kind="stable")] = np.arange(len(uniq))
    s = s.copy()
    s[has] = rank[inv]
    cols["session"] = s
    return cols
