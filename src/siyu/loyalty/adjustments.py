"""Redemptions and manual adjustments of the points ledger (积分兑换与人工调整), loaded from a file, all or nothing.

Each row becomes the ledger entry ``adj:<adjustment_id>``; a redemption the points spendable on its date cannot
cover is refused, using the first-expiring-first pass of :mod:`siyu.loyalty.points`. Rules:
``docs/loyalty-points.md`` §Adjustments.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siyu.loyalty.points import _END, _by_user, _fifo

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.loyalty.program import PointsRule
    from siyu.workspace import Workspace

__all__ = ["ADJUSTMENT_COLUMNS", "load_adjustments"]

#: the columns of an adjustments file
ADJUSTMENT_COLUMNS = ("adjustment_id", "user_id", "date", "kind", "points", "reason")
_MAX_POINTS = 10**12


def load_adjustments(ws: Workspace, file: str | Path, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Record redemptions and manual adjustments from ``file`` (CSV, JSON Lines or Parquet), all or nothing.

    Columns ``adjustment_id, user_id, date, kind, points, reason``: ``kind`` is ``redeem`` (points < 0) or
    ``adjust``; ``points`` a non-zero whole number; ``date`` ``YYYY-MM-DD``; ``reason`` required. Each row becomes
    the entry ``adj:<adjustment_id>``. Rows already recorded identically are skipped (a file can be loaded again);
    a positive adjustment expires like purchases under the last run's program (the default rule before any run).

    Parameters
    ----------
    ws : Workspace
    file : str or Path
    now : datetime.datetime, optional
        ``recorded_at`` of the entries (default: now, local time).

    Returns
    -------
    dict
        ``file``, ``rows`` read, ``added``, ``unchanged`` (already recorded, or repeated in the file) and
        ``points`` (the net points added).

    Raises
    ------
    ValidationError
        Naming the file, the 1-based data row, the column and the rule: a missing or unknown column, a missing
        value, a bad date, kind or number, an id used with other content (in the file or in the ledger), or a
        redemption that takes more than the user can spend on its date; nothing is recorded.
    """
    from siyu._exceptions import ValidationError
    from siyu.contract.formats import stage_file
    from siyu.engine.duckdb import registered, run, transaction
    from siyu.loyalty.program import PointsRule
    from siyu.loyalty.store import ensure_tables, stored_program
    from siyu.reach.store import now_local

    path = Path(file)
    name = str(path)
    ensure_tables(ws)
    found = stored_program(ws)
    rule = found[0].points if found else PointsRule()
    now = now or now_local(ws)

    def write(conn: Any) -> dict[str, Any]:
        with transaction(conn):
            run(conn, "DROP TABLE IF EXISTS _stage")
            stage_file(conn, path)
            cols = [r[0] for r in run(conn, "DESCRIBE _stage") if r[0] != "__row"]
            for c in cols:
                if c not in ADJUSTMENT_COLUMNS:
                    raise ValidationError(name, f"unknown column: an adjustments file has "
                                                f"{', '.join(ADJUSTMENT_COLUMNS)}", column=c)
            for c in ADJUSTMENT_COLUMNS:
                if c not in cols:
                    raise ValidationError(name, "required column is missing from the file", column=c)
            raw = run(conn, f"SELECT __row, {', '.join(ADJUSTMENT_COLUMNS)} FROM _stage ORDER BY __row")
            run(conn, "DROP TABLE _stage")
            if not raw:
                raise ValidationError(name, "file has no data rows")
            rows = [_parse(name, r) for r in raw]
            fresh = _fresh(conn, name, rows)
            _check_redemptions(conn, name, fresh, rule)
            if fresh:
                table = _adjustment_table(fresh, rule, now)
                with registered(conn, _points_adj=table):
                    run(conn, "INSERT INTO points_ledger SELECT * FROM _points_adj")
            return {"file": name, "rows": len(rows), "added": len(fresh), "unchanged": len(rows) - len(fresh),
                    "points": sum(r["points"] for r in fresh)}

    return ws.write(write)


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"[+-]?\d+")


def _parse(file: str, raw: tuple) -> dict[str, Any]:
    """One staged row ``(__row, adjustment_id, user_id, date, kind, points, reason)`` checked and typed."""
    from siyu._exceptions import ValidationError

    row = int(raw[0])
    vals = dict(zip(ADJUSTMENT_COLUMNS, raw[1:]))

    def bad(column: str, rule: str) -> ValidationError:
        return ValidationError(file, rule, row=row, column=column, value=vals[column])

    out: dict[str, Any] = {"row": row}
    for c in ("adjustment_id", "user_id", "kind", "reason"):
        v = vals[c]
        if v is None or not str(v).strip():
            raise bad(c, "required value is missing" if c != "reason" else
                      "a reason is required (why the points are given or taken)")
        out[c] = str(v).strip()
    d = vals["date"]
    if isinstance(d, dt.datetime) or not isinstance(d, dt.date):
        text = str(d).strip() if d is not None else ""
        if not text:
            raise bad("date", "required value is missing")
        if not _DATE.fullmatch(text):
            raise bad("date", "not a date (YYYY-MM-DD)")
        try:
            d = dt.date.fromisoformat(text)
        except ValueError:
            raise bad("date", "not a date (YYYY-MM-DD)") from None
    out["date"] = d
    if out["kind"] not in ("redeem", "adjust"):
        raise bad("kind", "kind must be redeem or adjust")
    p = vals["points"]
    if p is None or isinstance(p, str) and not p.strip():
        raise bad("points", "required value is missing")
    if isinstance(p, bool):
        raise bad("points", "points must be a whole number")
    if isinstance(p, float) and p.is_integer():
        p = int(p)
    if not isinstance(p, int):
        if not _INT.fullmatch(str(p).strip()):
            raise bad("points", "points must be a whole number")
        p = int(str(p).strip())
    if p == 0:
        raise bad("points", "points must not be 0")
    if abs(p) > _MAX_POINTS:
        raise bad("points", f"points must be between -{_MAX_POINTS:,} and {_MAX_POINTS:,}")
    if out["kind"] == "redeem" and p > 0:
        raise bad("points", "a redemption takes points: its points must be negative")
    out["points"] = p
    return out


def _content(r: dict[str, Any]) -> tuple:
    return (r["user_id"], r["date"], r["kind"], r["points"], r["reason"])


def _fresh(conn: Any, file: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows not yet in the ledger (first of repeated ids); an id with other content than its first row in the
    file or its recorded entry is refused."""
    import pyarrow as pa

    from siyu._exceptions import ValidationError
    from siyu.engine.duckdb import registered, run

    first: dict[str, dict[str, Any]] = {}
    for r in rows:
        seen = first.setdefault(r["adjustment_id"], r)
        if seen is not r and _content(seen) != _content(r):
            raise ValidationError(file, f"adjustment_id used twice with different content (first in row "
                                        f"{seen['row']})", row=r["row"], column="adjustment_id",
                                  value=r["adjustment_id"])
    unique = list(first.values())
    ids = pa.table({"entry_id": [f"adj:{r['adjustment_id']}" for r in unique]})
    with registered(conn, _points_ids=ids):
        held = {e: (u, d, k, p, why) for e, u, d, k, p, why in run(
            conn, "SELECT l.entry_id, l.user_id, l.date, l.kind, l.points, l.reason FROM points_ledger l "
                  "JOIN _points_ids i ON i.entry_id = l.entry_id")}
    out = []
    for r in unique:
        old = held.get(f"adj:{r['adjustment_id']}")
        if old is None:
            out.append(r)
        elif old != _content(r):
            raise ValidationError(file, "adjustment_id already recorded with other content (a recorded adjustment "
                                        "is never changed: give a new id to record another)",
                                  row=r["row"], column="adjustment_id", value=r["adjustment_id"])
    return out


def _check_redemptions(conn: Any, file: str, fresh: list[dict[str, Any]], rule: PointsRule) -> None:
    """Refuse the first redemption (by date, then row) that the user's spendable points cannot cover on its date,
    or that would leave a later redemption uncovered (§Redemptions and adjustments)."""
    from siyu._exceptions import ValidationError
    from siyu.engine.duckdb import arrow
    from siyu.engine.sql import load_model

    users = sorted({r["user_id"] for r in fresh if r["kind"] == "redeem"})
    if not users:
        return
    rows = arrow(conn, load_model("points_fifo").sql, {"as_of": _END, "users": users})
    ledger = {u: (lots, moves) for u, lots, moves in _by_user(rows)}
    for user in users:
        lots_l, moves_l = ledger.get(user, ([], []))
        lots = [(k, d, e, p) for k, d, e, p, _, _ in lots_l]
        moves = list(moves_l)
        mine = [r for r in fresh if r["user_id"] == user]
        for r in mine:
            if r["kind"] == "adjust" and r["points"] > 0:
                lots.append((f"adj:{r['adjustment_id']}", r["date"], rule.expires_on(r["date"]), r["points"]))
            elif r["kind"] == "adjust":
                moves.append((f"adj:{r['adjustment_id']}", r["date"], -r["points"], "adjust"))
        redeems = {m[0] for m in moves if m[3] == "redeem"}
        before = _uncovered(_fifo(lots, moves)[2], redeems)
        for r in sorted((r for r in mine if r["kind"] == "redeem"), key=lambda r: (r["date"], r["row"])):
            key = f"adj:{r['adjustment_id']}"
            moves.append((key, r["date"], -r["points"], "redeem"))
            redeems.add(key)
            short = _fifo(lots, moves)[2]
            after = _uncovered(short, redeems)
            if after > before:
                if short.get(key):
                    rule_text = (f"redemption of {-r['points']:,} points on {r['date']} exceeds user {user}'s "
                                 f"spendable balance then ({-r['points'] - short[key]:,} points)")
                else:
                    rule_text = (f"redemption of {-r['points']:,} points on {r['date']} would leave user {user}'s "
                                 f"later redemptions without enough spendable points")
                raise ValidationError(file, rule_text, row=r["row"], column="points", value=r["points"])
            before = after


def _uncovered(short: dict[str, int], redeems: set[str]) -> int:
    """The points of redemptions that no lot covered (negative adjustments may leave a debt: not counted)."""
    return sum(v for k, v in short.items() if k in redeems)


def _adjustment_table(rows: list[dict[str, Any]], rule: PointsRule, now: dt.datetime) -> pa.Table:
    import pyarrow as pa

    return pa.table({
        "entry_id": pa.array([f"adj:{r['adjustment_id']}" for r in rows], pa.string()),
        "user_id": pa.array([r["user_id"] for r in rows], pa.string()),
        "date": pa.array([r["date"] for r in rows], pa.date32()),
        "kind": pa.array([r["kind"] for r in rows], pa.string()),
        "points": pa.array([r["points"] for r in rows], pa.int64()),
        "qualifying": pa.array([0] * len(rows), pa.int64()),
        "source_id": pa.array([r["adjustment_id"] for r in rows], pa.string()),
        "reason": pa.array([r["reason"] for r in rows], pa.string()),
        "expires_on": pa.array([rule.expires_on(r["date"]) if r["points"] > 0 else None for r in rows],
                               pa.date32()),
        "recorded_at": pa.array([now] * len(rows), pa.timestamp("us")),
    })
