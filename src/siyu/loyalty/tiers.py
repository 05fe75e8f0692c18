"""The tier engine: every member's tier on every day, from the first membership to the as-of date.

The rules (``docs/loyalty.md`` §Tiers), applied day by day to every user at once (numpy, one pass):

1. Only members have a tier. A day on which a user stops being a member ends the tier (reason ``left``); a day
   on which a non-member becomes one starts evaluation afresh with no tier.
2. The qualifying measure ``s(d)`` is the sum over purchases paid in ``W(window_days)`` ending ``d`` of their net
   amount in fen (``basis = "spend"``) or their base points (``basis = "points"``), purchases before joining
   included. Refunds are part of the order rows, so a loaded refund rewrites the history it belongs to.
3. On a review day (the first day of a month of the review calendar) a member whose ``s(d)`` is below the keep
   of the current tier moves to the highest tier whose keep ≤ ``s(d)``, or to no tier (reason ``review``).
4. Then, on any day, a member moves up to the highest tier whose threshold ≤ ``s(d)`` when that is above the
   current tier (reason ``upgrade``).

The work per day is proportional to the users whose state can change that day (purchases, joins, leaves); a
review day looks at every member. ``s`` is kept as a running sum: a purchase enters on its pay date ``p`` and
leaves on ``p + window_days``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.loyalty.program import Program

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["REASONS", "TierHistory", "compute", "history"]

#: the reasons of a tier change, as stored in ``tier_changes.reason``
REASONS = {"upgrade": ("升级", "upgrade"), "review": ("定级降级", "review downgrade"),
           "left": ("退会", "left the membership")}

_EPOCH = dt.date(1970, 1, 1)


def _days(arr: pa.Array) -> np.ndarray:
    """Arrow dates as int64 days since 1970-01-01 (NULL → a far future day)."""
    out = pc.fill_null(arr.cast(pa.int32()), 10**7)
    return out.to_numpy(zero_copy_only=False).astype(np.int64)


@dataclass
class TierHistory:
    """The result of :func:`compute`.

    Attributes
    ----------
    program : Program
    as_of : datetime.date
    users : pyarrow.Array
        The users with a membership row up to ``as_of``, sorted; the arrays below are indexed like it.
    member, tier, qualifying : numpy.ndarray
        At the end of ``as_of``: membership, tier index (0 = no tier, k = ``program.tiers[k-1]``) and ``s``
        in the program's unit (fen or points).
    changes : pyarrow.Table
        ``user_id, date, from_tier, to_tier, reason`` — every change, by date then user.
    """

    program: Program
    as_of: dt.date
    users: pa.Array
    member: np.ndarray
    tier: np.ndarray
    qualifying: np.ndarray
    changes: pa.Table

    def qualifying_value(self) -> np.ndarray:
        """``qualifying`` in the program's display unit (yuan for spend, points for points)."""
        return self.qualifying / 100 if self.program.program.basis == "spend" else self.qualifying.astype(float)

    def members(self) -> pa.Table:
        """``user_id, tier, qualifying`` of the members at ``as_of`` (``tier`` NULL below the first threshold)."""
        names = pa.array([None, *self.program.tier_names], pa.string())
        m = self.member
        return pa.table({"user_id": pc.filter(self.users, pa.array(m)),
                         "tier": names.take(pa.array(self.tier[m])),
                         "qualifying": pa.array(self.qualifying_value()[m])})


def compute(program: Program, spells: pa.Table, purchases: pa.Table, as_of: dt.date) -> TierHistory:
    """Run the tier rules over ``spells`` (model ``loyalty_spells``) and ``purchases`` (model
    ``loyalty_purchases``, in the program's unit) up to ``as_of``.

    Returns
    -------
    TierHistory
    """
    window = program.program.window_days
    thr = np.array([program.units(t.threshold) for t in program.tiers], np.int64)
    keep = np.array([program.units(t.keep_amount) for t in program.tiers], np.int64)
    users = pc.unique(spells.column("user_id")).sort() if spells.num_rows else pa.array([], pa.string())
    if isinstance(users, pa.ChunkedArray):
        users = users.combine_chunks()
    n = len(users)
    end = (as_of - _EPOCH).days
    s_ix = pc.index_in(spells.column("user_id"), value_set=users).to_numpy(zero_copy_only=False).astype(np.int64)
    start_d, stop_d = _days(spells.column("start_d")), _days(spells.column("stop_d"))
    first = int(start_d.min()) if n else end
    n_days = max(end - first + 1, 0)

    p_ix = pc.index_in(purchases.column("user_id"), value_set=users)
    keep_rows = pc.is_valid(p_ix)
    p_ix = pc.filter(p_ix, keep_rows).to_numpy(zero_copy_only=False).astype(np.int64)
    p_day = _days(pc.filter(purchases.column("d"), keep_rows)) - first
    p_units = pc.filter(purchases.column("units"), keep_rows).to_numpy(zero_copy_only=False).astype(np.int64)

    s = np.zeros(n, np.int64)
    before = (p_day < 0) & (p_day + window >= 0)  # those leaving on day 0 too: their exit below cancels them
    np.add.at(s, p_ix[before], p_units[before])

    def by_day(day: np.ndarray, *cols: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
        sel = (day >= 0) & (day < n_days)
        order = np.argsort(day[sel], kind="stable")
        d = day[sel][order]
        bounds = np.searchsorted(d, np.arange(n_days + 1))
        return bounds, [c[sel][order] for c in cols]

    add_b, (add_ix, add_u) = by_day(p_day, p_ix, p_units)
    rem_b, (rem_ix, rem_u) = by_day(p_day + window, p_ix, p_units)
    join_b, (join_ix,) = by_day(start_d - first, s_ix)
    leave_b, (leave_ix,) = by_day(stop_d - first, s_ix)

    member = np.zeros(n, bool)
    tier = np.zeros(n, np.int64)
    out_ix: list[np.ndarray] = []
    out_day: list[np.ndarray] = []
    out_from: list[np.ndarray] = []
    out_to: list[np.ndarray] = []
    out_reason: list[np.ndarray] = []

    def record(ix: np.ndarray, t: int, frm: np.ndarray, to: np.ndarray, reason: int) -> None:
        if len(ix):
            out_ix.append(ix)
            out_day.append(np.full(len(ix), t, np.int64))
            out_from.append(frm)
            out_to.append(to)
            out_reason.append(np.full(len(ix), reason, np.int8))

    first_date = _EPOCH + dt.timedelta(days=first)
    for t in range(n_days):
        day = first_date + dt.timedelta(days=t)
        # 1. leaving: a run of member days ends (a rejoin the same day is a new run, see below)
        lv = leave_ix[leave_b[t]:leave_b[t + 1]]
        if len(lv):
            had = lv[tier[lv] > 0]
            record(had, t, tier[had].copy(), np.zeros(len(had), np.int64), 2)
            tier[lv] = 0
            member[lv] = False
        # 2. the window moves: today's purchases enter, those paid window_days ago leave
        a, b = add_b[t], add_b[t + 1]
        s[add_ix[a:b]] += add_u[a:b]
        r0, r1 = rem_b[t], rem_b[t + 1]
        s[rem_ix[r0:r1]] -= rem_u[r0:r1]
        # 3. joining: evaluation starts afresh with no tier
        jn = join_ix[join_b[t]:join_b[t + 1]]
        member[jn] = True
        if program.is_review_day(day):
            # 4. review: below the current tier's keep -> the highest tier whose keep <= s, or none
            held = np.flatnonzero(tier > 0)
            down = held[s[held] < keep[tier[held] - 1]]
            new = np.searchsorted(keep, s[down], side="right")
            record(down, t, tier[down].copy(), new, 1)
            tier[down] = new
            cand = np.flatnonzero(member)
        else:
            cand = np.union1d(add_ix[a:b], jn)
            cand = cand[member[cand]]
        # 5. upgrade in real time: the highest tier whose threshold <= s, when above the current one
        up = np.searchsorted(thr, s[cand], side="right")
        rise = up > tier[cand]
        ix = cand[rise]
        record(ix, t, tier[ix].copy(), up[rise], 0)
        tier[ix] = up[rise]

    names = pa.array([None, *program.tier_names], pa.string())
    reasons = pa.array(["upgrade", "review", "left"], pa.string())
    if out_ix:
        ix, day, frm, to, rs = (np.concatenate(x) for x in (out_ix, out_day, out_from, out_to, out_reason))
    else:
        ix = day = frm = to = np.zeros(0, np.int64)
        rs = np.zeros(0, np.int8)
    order = np.lexsort((ix, day))  # by date, then user (rows of one user on one day keep their order)
    ix, day, frm, to, rs = ix[order], day[order], frm[order], to[order], rs[order]
    changes = pa.table({
        "user_id": users.take(pa.array(ix)),
        "date": pa.array((day + first).astype("datetime64[D]"), pa.date32()),
        "from_tier": names.take(pa.array(frm)),
        "to_tier": names.take(pa.array(to)),
        "reason": reasons.take(pa.array(rs.astype(np.int64))),
    })
    return TierHistory(program, as_of, users, member, tier, s, changes)


def history(ws: Workspace, program: Program, as_of: dt.date | None = None) -> TierHistory:
    """Read the workspace's memberships and purchases and run :func:`compute` up to ``as_of`` (default: the
    latest pay date)."""
    from siyu.engine.dates import default_as_of

    as_of = default_as_of(ws, as_of)
    spells = ws.model("loyalty_spells", as_of=as_of)
    first = pc.min(spells.column("start_d")).as_py() or as_of
    lo = first - dt.timedelta(days=program.program.window_days - 1)
    purchases = ws.model("loyalty_purchases", lo=lo, as_of=as_of, basis=program.program.basis,
                         points_per_yuan=program.points.points_per_yuan)
    return compute(program, spells, purchases, as_of)

