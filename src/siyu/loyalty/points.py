"""The points ledger (积分账本): append-only, every posting idempotent, expiry first-expiring-first.

>>> from siyu.loyalty import points                                                # doctest: +SKIP
>>> points.balance(ws, "u42", as_of="2025-06-30")["points"]                        # doctest: +SKIP
>>> points.liability(ws, "2025-06-30")                                             # doctest: +SKIP

Rules and decisions: ``docs/loyalty-points.md``. In short:

- :func:`post` (called by :func:`siyu.loyalty.run` inside its transaction) brings every order paid up to the
  as-of date to its target points — spendable ``floor(net × points_per_yuan × multiplier of the tier held on the
  pay date)`` and qualifying ``floor(net × points_per_yuan)`` when its user was a member on the pay date, else 0 —
  with one delta entry per change (``earn`` first, then ``refund`` / ``correction``), and settles the expiry of
  every lot expired by then (``expire``). Both are set-based SQL (models ``points_postings``, ``points_expiry``);
  only users with redemptions or negative adjustments go through a per-user first-expiring-first pass in Python
  (model ``points_fifo``).
- redemptions and manual adjustments are loaded by :mod:`siyu.loyalty.adjustments`, all or nothing.
- :func:`balance` and :func:`liability` read the ledger (a read never creates the loyalty tables).
"""

from __future__ import annotations

import datetime as dt
import heapq
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.loyalty.program import Program
    from siyu.workspace import Workspace

__all__ = ["EXPIRING_DAYS", "KINDS", "REASONS", "balance", "liability", "post"]

#: the kinds of ledger entries, with their labels
KINDS: dict[str, tuple[str, str]] = {
    "earn": ("购物积分", "earned"), "refund": ("退款扣回", "refund"), "correction": ("补记", "correction"),
    "expire": ("过期", "expired"), "redeem": ("兑换", "redeemed"), "adjust": ("人工调整", "adjustment")}
#: the reasons the ledger writes on its own entries (adjustments carry the merchant's reason), with their labels
REASONS: dict[str, tuple[str, str]] = {
    "purchase": ("购物", "purchase"), "net_changed": ("实付金额变化", "net amount changed (refund)"),
    "fully_refunded": ("全额退款", "fully refunded"), "not_member": ("支付日非会员", "not a member on the pay date"),
    "rerated": ("等级倍率变化", "tier multiplier changed"), "order_removed": ("订单已删除", "order removed"),
    "expired": ("积分过期", "expired"), "expiry_resettled": ("过期重算", "expiry re-settled")}
#: the liability counts the points expiring within this many days after the date
EXPIRING_DAYS = 90

_END = dt.date(9999, 12, 31)
_ENTRY_COLUMNS = ("entry_id", "user_id", "date", "kind", "points", "qualifying", "source_id", "reason", "expires_on")


# -- posting -------------------------------------------------------------------------------------

def post(conn: Any, program: Program, as_of: dt.date, now: dt.datetime) -> dict[str, int]:
    """Post the points of every order paid up to ``as_of`` and the expiry of every lot expired by then.

    Runs on ``conn`` inside the caller's open transaction (:func:`siyu.loyalty.run` stores the tier changes just
    before, and they decide the multipliers). Idempotent: with the same orders, memberships and tier changes, a
    second call adds nothing.

    Parameters
    ----------
    conn : duckdb.DuckDBPyConnection
        The workspace connection, with the loyalty tables.
    program : Program
        Gives ``points_per_yuan``, the expiry rule and the tiers' multipliers.
    as_of : datetime.date
        Orders paid up to this local date are posted; lots expiring up to it are expired.
    now : datetime.datetime
        The ``recorded_at`` of the new entries (local wall-clock time).

    Returns
    -------
    dict
        Entries added by kind — ``earned``, ``refunds``, ``corrections``, ``expired`` — and ``points``, the net
        points they add.
    """
    from siyu.engine.duckdb import registered, run
    from siyu.engine.sql import load_model

    rule = program.points
    params = {"as_of": as_of, "points_per_yuan": float(rule.points_per_yuan), "tiers": list(program.tier_names),
              "multipliers": [float(t.multiplier) for t in program.tiers], "expire": str(rule.expire)}
    run(conn, f"CREATE OR REPLACE TEMP TABLE _points_new AS SELECT * FROM (\n{load_model('points_postings').sql}\n)",
        params)
    try:
        by_kind = {k: (n, p) for k, n, p in run(
            conn, "SELECT kind, count(*), coalesce(sum(points), 0) FROM _points_new GROUP BY kind")}
        run(conn, "INSERT INTO points_ledger SELECT *, ? FROM _points_new", [now])
    finally:
        run(conn, "DROP TABLE IF EXISTS _points_new")
    expired, _ = _expiry(conn, as_of)
    if expired.num_rows:
        with registered(conn, _points_expired=expired):
            run(conn, "INSERT INTO points_ledger SELECT *, ? FROM _points_expired", [now])
    out = {"earned": by_kind.get("earn", (0, 0))[0], "refunds": by_kind.get("refund", (0, 0))[0],
           "corrections": by_kind.get("correction", (0, 0))[0], "expired": expired.num_rows}
    total = sum(p for _, p in by_kind.values()) + sum(expired.column("points").to_pylist())
    return {**out, "points": int(total)}


def _expiry(conn: Any, as_of: dt.date, days: int = 0) -> tuple[pa.Table, list[tuple[str, int]]]:
    """The expiry entries a posting at ``as_of`` adds (columns of ``points_ledger`` but ``recorded_at``), and, for
    the users with negative movements, ``(user, points)`` still held at ``as_of`` by lots expiring in
    ``(as_of, as_of + days]`` (the rest of the liability is SQL)."""
    import pyarrow as pa

    from siyu.engine.duckdb import arrow
    from siyu.engine.sql import load_model

    simple = arrow(conn, load_model("points_expiry").sql, {"as_of": as_of})
    rows = arrow(conn, load_model("points_fifo").sql, {"as_of": as_of, "users": None})
    new: dict[str, list] = {c: [] for c in _ENTRY_COLUMNS}
    soon: list[tuple[str, int]] = []
    until = as_of + dt.timedelta(days=days)
    for user, lots, moves in _by_user(rows):
        expired, left, _ = _fifo([(k, d, e, p) for k, d, e, p, _, _ in lots], moves, as_of)
        for key, _d, e, _p, recorded, n in lots:
            if key in expired:
                delta = -expired[key] - recorded
                if delta:
                    for c, v in zip(_ENTRY_COLUMNS, (f"expire:{key}" if n == 0 else f"expire:{key}:{n}", user, e,
                                                     "expire", delta, 0, key,
                                                     "expired" if n == 0 else "expiry_resettled", None)):
                        new[c].append(v)
            elif e is not None and as_of < e <= until and left[key] > 0:
                soon.append((user, left[key]))
    fifo = pa.table({c: pa.array(new[c], simple.schema.field(c).type) for c in _ENTRY_COLUMNS})
    return pa.concat_tables([simple.select(list(_ENTRY_COLUMNS)), fifo]), soon


def _by_user(rows: pa.Table) -> Iterable[tuple[str, list[tuple], list[tuple]]]:
    """``(user, lots, moves)`` of model ``points_fifo``'s rows (sorted by user): lots as ``(key, date, expires_on,
    points, expired, n_expired)``, moves as ``(key, date, points, kind)``."""
    cols = {c: rows.column(c).to_pylist() for c in rows.column_names}
    users, roles, keys, dates = cols["user_id"], cols["role"], cols["key"], cols["date"]
    i, n = 0, rows.num_rows
    while i < n:
        user, lots, moves = users[i], [], []
        while i < n and users[i] == user:
            if roles[i] == "lot":
                lots.append((keys[i], dates[i], cols["expires_on"][i], cols["points"][i], cols["expired"][i],
                             cols["n_expired"][i]))
            else:
                moves.append((keys[i], dates[i], cols["points"][i], roles[i]))
            i += 1
        yield user, lots, moves


def _fifo(lots: Sequence[tuple[str, dt.date, dt.date | None, int]], moves: Sequence[tuple[str, dt.date, int, str]],
          horizon: dt.date | None = None) -> tuple[dict[str, int], dict[str, int], dict[str, int]]:
    """One user's first-expiring-first pass (``docs/loyalty-points.md`` §Expiry).

    Parameters
    ----------
    lots : sequence of (key, date, expires_on, points)
        The lots; ``expires_on`` None never expires; a negative sum counts as 0.
    moves : sequence of (key, date, points, kind)
        The negative movements, ``points`` > 0 taken (``kind`` is not used here).
    horizon : datetime.date, optional
        Lots expiring after it are not expired (default: every lot with an expiry date).

    Returns
    -------
    (expired, left, short)
        ``expired``: lot → points it held when it expired (lots expiring by ``horizon``); ``left``: lot → points it
        still holds after every event; ``short``: move → the points it took that no lot covered (carried as a debt
        that the next lots to arrive pay first).

    On one day, lots expiring that day expire first (a lot is spendable up to the day before its ``expires_on``),
    then the day's lots arrive (paying any debt), then the day's movements take from the spendable lots, the one
    expiring first first (never-expiring last; then the older lot, then by key).
    """
    events: list[tuple[dt.date, int, int]] = []
    for i, (_, d, e, _) in enumerate(lots):
        events.append((d, 1, i))
        if e is not None and (horizon is None or e <= horizon):
            events.append((e, 0, i))
    events.extend((m[1], 2, j) for j, m in enumerate(moves))
    events.sort()
    left = [0] * len(lots)
    heap: list[tuple[dt.date, dt.date, str, int]] = []
    debt = 0
    expired: dict[str, int] = {}
    short: dict[str, int] = {}
    for _, what, i in events:
        if what == 0:                       # expiry: the lot loses what it still holds
            expired[lots[i][0]] = left[i]
            left[i] = 0
        elif what == 1:                     # a lot arrives and pays the debt first
            key, d, e, p = lots[i]
            p = max(int(p), 0)
            pay = min(debt, p)
            debt -= pay
            left[i] = p - pay
            heapq.heappush(heap, (e or _END, d, key, i))
        else:                               # a movement takes first-expiring-first
            key, need = moves[i][0], int(moves[i][2])
            while need and heap:
                k = heap[0][3]
                if not left[k]:
                    heapq.heappop(heap)
                    continue
                take = min(need, left[k])
                left[k] -= take
                need -= take
            if need:
                short[key] = need
                debt += need
    return expired, {lot[0]: left[i] for i, lot in enumerate(lots)}, short


# -- reading -------------------------------------------------------------------------------------

def _readable(ws: Workspace) -> bool:
    """Whether the ledger can be read (an engine that stores nothing, or no loyalty tables yet: nothing to read)."""
    from siyu.loyalty.store import have_tables

    return "write" in ws.engine.capabilities and have_tables(ws)


def balance(ws: Workspace, user: str, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """``user``'s points at ``as_of`` (default: every entry, whatever its date).

    Returns
    -------
    dict
        ``user_id``, ``as_of`` (None: every entry), ``points`` (the spendable balance: the sum of the points of the
        user's entries dated ``≤ as_of``), ``qualifying`` (the sum of their qualifying points) and ``entries``
        (those entries in ledger order — date, recording time, id — each with the running ``balance``).

    Raises
    ------
    ConfigError
        When ``as_of`` is not a date.
    """
    from siyu.engine.dates import as_date

    t = as_date(as_of, name="as_of")
    entries = ws.model("points_entries", user_id=user, as_of=t or _END).to_pylist() if _readable(ws) else []
    return {"user_id": user, "as_of": t, "points": sum(e["points"] for e in entries),
            "qualifying": sum(e["qualifying"] for e in entries), "entries": entries}


def liability(ws: Workspace, as_of: dt.date | str | None = None, days: int = EXPIRING_DAYS) -> dict[str, Any]:
    """The points liability at ``as_of`` (default: the as-of date of the last run, else the last pay date).

    Expiries due by ``as_of`` that no run has posted yet are counted as if posted.

    Returns
    -------
    dict
        ``as_of``, ``points`` (the sum of the positive balances), ``users`` (users with a positive balance),
        ``expiring`` (points that expire in the ``days`` days after ``as_of`` unless spent first),
        ``users_expiring`` and ``expiring_days``.
    """
    from siyu.engine.dates import as_date, default_as_of
    from siyu.engine.duckdb import registered
    from siyu.engine.sql import model_arrow
    from siyu.loyalty.store import stored_program

    t = as_date(as_of, name="as_of")
    out = {"as_of": t, "points": 0, "users": 0, "expiring": 0, "users_expiring": 0, "expiring_days": days}
    if not _readable(ws):
        return out if t else {**out, "as_of": None}
    if t is None:
        found = stored_program(ws)
        t = found[1] if found else default_as_of(ws, None)
    import pyarrow as pa

    with ws.session() as conn:
        pending, soon = _expiry(conn, t, days)
        soon_t = pa.table({"user_id": pa.array([u for u, _ in soon], pa.string()),
                           "points": pa.array([p for _, p in soon], pa.int64())})
        with registered(conn, _points_pending=pending.select(["user_id", "points"]), _points_soon=soon_t):
            row = model_arrow(ws, conn, "points_liability", as_of=t, days=days).to_pylist()[0]
    return {**out, "as_of": t, **{k: int(v) for k, v in row.items()}}
