"""An independent implementation of the tier rules of docs/loyalty.md, written from the text, one user and one day
at a time, straight from the raw order and membership rows (no SQL, no numpy): the tests compare siyu's tier
engine with it on stores they generate."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal


def _review(d: dt.date, review: str) -> bool:
    months = {"monthly": range(1, 13), "quarterly": (1, 4, 7, 10), "yearly": (1,)}[review]
    return d.day == 1 and d.month in months


def reference_tiers(program: dict, orders: list[tuple], memberships: list[tuple], as_of: dt.date):
    """Tier changes and the state at ``as_of``.

    ``orders``: (order_id, user_id, paid_at datetime, amount, refund_amount); ``memberships``: (user_id, joined_at
    datetime, left_at datetime or None). Returns (changes, state): changes a list of (user, date, from, to, reason)
    sorted by date then user; state {user: (tier or None, qualifying)} of the members at ``as_of``.
    """
    info = program["program"]
    window, review, basis = info.get("window_days", 365), info.get("review", "monthly"), info.get("basis", "spend")
    ppy = Decimal(str(program.get("points", {}).get("points_per_yuan", 1)))
    tiers = program["tiers"]
    names = [t["name"] for t in tiers]
    thr = [Decimal(str(t["threshold"])) for t in tiers]
    keep = [Decimal(str(t.get("keep", t["threshold"]))) for t in tiers]

    def value(amount, refund) -> Decimal:
        net = Decimal(str(amount)) - Decimal(str(refund))
        return net if basis == "spend" else Decimal(math.floor(net * ppy + Decimal("1e-9")))

    changes, state = [], {}
    users = sorted({m[0] for m in memberships})
    for u in users:
        spells = [(j.date(), None if left is None else left.date()) for uu, j, left in memberships if uu == u]
        spells = [(j, left) for j, left in spells if j <= as_of]
        if not spells:
            continue
        buys = [(p.date(), value(a, r)) for _, uu, p, a, r in orders if uu == u and Decimal(str(r)) < Decimal(str(a))]
        d = min(j for j, _ in spells)
        tier = 0
        was_member = False
        s = Decimal(0)
        while d <= as_of:
            member = any(j <= d and (left is None or left > d) for j, left in spells)
            s = sum((v for p, v in buys if d - dt.timedelta(days=window - 1) <= p <= d), Decimal(0))
            if not member:
                if tier:
                    changes.append((u, d, names[tier - 1], None, "left"))
                tier = 0
            else:
                if not was_member:
                    tier = 0
                if _review(d, review) and tier and s < keep[tier - 1]:
                    new = max((k + 1 for k in range(len(tiers)) if keep[k] <= s), default=0)
                    changes.append((u, d, names[tier - 1], names[new - 1] if new else None, "review"))
                    tier = new
                up = max((k + 1 for k in range(len(tiers)) if thr[k] <= s), default=0)
                if up > tier:
                    changes.append((u, d, names[tier - 1] if tier else None, names[up - 1], "upgrade"))
                    tier = up
            was_member = member
            d += dt.timedelta(days=1)
        if was_member:
            state[u] = (names[tier - 1] if tier else None, s)
    order = {"left": 0, "review": 1, "upgrade": 2}
    changes.sort(key=lambda c: (c[1], c[0], order[c[4]]))
    return changes, state
