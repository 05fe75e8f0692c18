"""Private-domain campaigns (reach_log) with random holdouts and a known message effect.

Every ``campaign_every_days`` a campaign goes out over one reach channel to active members, to
active non-member fans, or to both. Each targeted user is independently held out with probability
``holdout_share`` (no message; the assignment is recorded in ``truth_campaigns``). A delivered message
(status delivered, opened or clicked) makes an *alive* buyer — acquired, not yet dropped out —
place one extra purchase within ``message_window_days`` with probability ``message_effect``; the
holdout gets no such purchase, so the treatment-minus-holdout difference in purchase rates estimates
``message_effect`` times the alive share of the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siyu.simulate._calendar import Calendar
from siyu.simulate._config import SimulationConfig
from siyu.simulate._customers import Population, Spells, Tx

__all__ = ["AUDIENCES", "CHANNELS", "STATUSES", "Reach", "run_campaigns"]

CHANNELS = ("sms", "push", "group_chat", "customer_service")
_CHANNEL_P = np.array([0.35, 0.3, 0.25, 0.1])
AUDIENCES = ("members", "fans", "members_and_fans")
_AUDIENCE_P = np.array([0.5, 0.2, 0.3])
#: Final status codes of a message (reach_log.status).
STATUSES = ("sent", "delivered", "failed", "opened", "clicked", "suppressed")
#: Per channel: P(failed), P(opened | delivered), P(clicked | opened).
_FAIL = np.array([0.06, 0.15, 0.02, 0.03])
_OPEN = np.array([0.10, 0.12, 0.35, 0.55])
_CLICK = np.array([0.35, 0.30, 0.20, 0.25])
_SUPPRESSED = 0.02
_SENT_ONLY = 0.01


@dataclass
class Reach:
    """Messages, assignments and message-caused purchases."""

    campaigns: list[dict]
    # one row per message (treatment users)
    msg_user: np.ndarray
    msg_t: np.ndarray
    msg_channel: np.ndarray
    msg_campaign: np.ndarray
    msg_status: np.ndarray
    # one row per targeted user (treatment and holdout)
    asg_campaign: np.ndarray
    asg_user: np.ndarray
    asg_t: np.ndarray
    asg_holdout: np.ndarray
    asg_delivered: np.ndarray
    asg_alive: np.ndarray
    asg_extra: np.ndarray
    extra: Tx


def run_campaigns(cfg: SimulationConfig, cal: Calendar, pop: Population, members: Spells, follows: Spells,
                  rng: np.random.Generator) -> Reach:
    """Send the campaigns of the window and draw the purchases they cause."""
    days = np.arange(cal.window_lo + 3, cal.window_hi - 1, cfg.campaign_every_days)
    n = pop.n
    all_users = np.arange(n)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("user", "t", "hold", "camp", "member")}
    campaigns = []
    for c, day in enumerate(days):
        ch = int(rng.choice(len(CHANNELS), p=_CHANNEL_P))
        aud = int(rng.choice(len(AUDIENCES), p=_AUDIENCE_P))
        send = day + (10.0 if rng.random() < 0.5 else 19.5) / 24.0
        is_member = members.active(all_users, np.full(n, send), n)
        is_fan = follows.active(all_users, np.full(n, send), n) & ~is_member
        target = np.zeros(n, bool)
        if aud in (0, 2):
            target |= is_member & (rng.random(n) < cfg.reach_member_coverage)
        if aud in (1, 2):
            target |= is_fan & (rng.random(n) < cfg.reach_fan_coverage)
        u = np.flatnonzero(target)
        hold = rng.random(len(u)) < cfg.holdout_share
        t = send + rng.random(len(u)) * (2.0 / 24.0)
        cols["user"].append(u)
        cols["t"].append(t)
        cols["hold"].append(hold)
        cols["camp"].append(np.full(len(u), c, np.int32))
        cols["member"].append(is_member[u])
        campaigns.append({"campaign_id": f"cmp{c + 1:04d}", "date": str(cal.dates[int(day)]), "channel": CHANNELS[ch],
                          "audience": AUDIENCES[aud], "targeted": int(len(u)), "holdout": int(hold.sum())})
    user = np.concatenate(cols["user"]) if cols["user"] else np.zeros(0, np.int64)
    t = np.concatenate(cols["t"]) if cols["t"] else np.zeros(0)
    hold = np.concatenate(cols["hold"]) if cols["hold"] else np.zeros(0, bool)
    camp = np.concatenate(cols["camp"]) if cols["camp"] else np.zeros(0, np.int32)
    member = np.concatenate(cols["member"]) if cols["member"] else np.zeros(0, bool)
    chan = np.array([CHANNELS.index(c["channel"]) for c in campaigns], np.int64)[camp] if len(camp) else camp
    m = len(user)
    # statuses of the treatment messages
    u1 = rng.random(m)
    fail_p = _FAIL[chan] + np.where(member, 1.0 - cfg.member_delivery_rate, 0.0) * (1 - _FAIL[chan])
    status = np.full(m, STATUSES.index("delivered"), np.int8)
    status[u1 < fail_p] = STATUSES.index("failed")
    status[(u1 >= fail_p) & (u1 < fail_p + _SUPPRESSED)] = STATUSES.index("suppressed")
    status[(u1 >= fail_p + _SUPPRESSED) & (u1 < fail_p + _SUPPRESSED + _SENT_ONLY)] = STATUSES.index("sent")
    delivered = status == STATUSES.index("delivered")
    open_mult = np.where(member, min(1.0, 0.5 + 0.5 * cfg.member_engagement), 1.0)
    opened = delivered & (rng.random(m) < _OPEN[chan] * open_mult)
    clicked = opened & (rng.random(m) < _CLICK[chan])
    status[opened] = STATUSES.index("opened")
    status[clicked] = STATUSES.index("clicked")
    reached = (delivered | opened) & ~hold
    acquired = np.nan_to_num(pop.acq[user], nan=np.inf) <= t
    alive = pop.buyer[user] & acquired & (np.nan_to_num(pop.death[user], nan=-1) > t)
    extra = reached & alive & (rng.random(m) < cfg.message_effect)
    w = float(cfg.message_window_days)
    delay = -1.5 * np.log1p(-rng.random(m) * (1 - np.exp(-w / 1.5)))  # exponential(1.5 d) truncated to the window
    t_extra = np.minimum(t + delay, cal.window_hi - 1e-7)
    extra_tx = Tx.make(user[extra], t_extra[extra], 3, camp[extra])
    treat = ~hold
    for c, info in enumerate(campaigns):
        mc = camp == c
        info["delivered"] = int((mc & reached).sum())
        info["member_targets"] = int((mc & member).sum())
    return Reach(campaigns, user[treat], t[treat], chan[treat], camp[treat], status[treat],
                 camp, user, t, hold, reached, alive, extra, extra_tx)
