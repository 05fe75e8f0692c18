"""Loyalty (会员与权益): tier programs with real-time upgrades and reviewed downgrades, and a points ledger.

>>> from siyu import loyalty                                                     # doctest: +SKIP
>>> prog = loyalty.load_program("growth.toml")                                   # doctest: +SKIP
>>> loyalty.run(ws, prog, as_of="2024-12-31")["changes"]                          # doctest: +SKIP
>>> loyalty.members(ws, prog, as_of="2024-12-31")                                # doctest: +SKIP

Rules: ``docs/loyalty.md`` (tiers) and ``docs/loyalty-points.md`` (points). Offers and the quote live in
:mod:`siyu.offers`.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from siyu.loyalty.program import PointsRule, Program, Tier, load_program
from siyu.loyalty.store import ensure_tables, stored_program
from siyu.loyalty.tiers import REASONS, TierHistory, compute, history

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["REASONS", "PointsRule", "Program", "Tier", "TierHistory", "changes", "compute", "history",
           "load_program", "members", "run", "snapshot_part", "stored_program", "tier_summary"]


def _program(program: Program | str | Any) -> Program:
    return program if isinstance(program, Program) else load_program(program)


def members(ws: Workspace, program: Program | str, as_of: dt.date | str | None = None) -> pa.Table:
    """``user_id, tier, qualifying_spend`` of every member at ``as_of``, computed from the program file (nothing
    is stored). ``tier`` is NULL for members below the first threshold; ``qualifying_spend`` is ``s(as_of)`` in
    yuan (``basis = "spend"``) or qualifying points."""
    h = history(ws, _program(program), as_of)
    t = h.members()
    return t.rename_columns(["user_id", "tier", "qualifying_spend"])


def run(ws: Workspace, program: Program | str, as_of: dt.date | str | None = None, *,
        now: dt.datetime | None = None) -> dict[str, Any]:
    """Compute the tier history and post points up to ``as_of`` into the workspace, in one transaction.

    The run replaces the stored program and its ``tier_changes``; the points ledger is appended to (postings are
    idempotent: running again with the same data adds nothing).

    Returns
    -------
    dict
        ``program``, ``as_of``, ``members``, ``by_tier`` (members per tier, ``""`` for no tier), ``changes``
        (count per reason) and ``points`` (what the posting added, see :func:`siyu.loyalty.points.post`).
    """
    from siyu.engine.duckdb import registered, transaction
    from siyu.engine.duckdb import run as sql_run
    from siyu.loyalty import points
    from siyu.reach.store import now_local

    prog = _program(program)
    ensure_tables(ws)
    h = history(ws, prog, as_of)
    now = now or now_local(ws)

    def write(conn: Any) -> dict[str, Any]:
        with transaction(conn):
            sql_run(conn, "DELETE FROM loyalty_runs")
            sql_run(conn, "INSERT INTO loyalty_runs VALUES (?, ?, ?, ?, ?)",
                    [prog.name, prog.digest(), json.dumps(prog.definition(), ensure_ascii=False), h.as_of, now])
            sql_run(conn, "DELETE FROM tier_changes")
            with registered(conn, _tier_changes=h.changes):
                sql_run(conn, "INSERT INTO tier_changes SELECT user_id, date, from_tier, to_tier, reason "
                              "FROM _tier_changes")
            return points.post(conn, prog, h.as_of, now)

    posted = ws.write(write)
    return {"program": prog.name, "as_of": h.as_of.isoformat(), **tier_summary(h), "points": posted}


def tier_summary(h: TierHistory) -> dict[str, Any]:
    """``members``, ``by_tier`` and ``changes`` (per reason) of a computed history."""
    import numpy as np

    counts = np.bincount(h.tier[h.member], minlength=len(h.program.tiers) + 1)
    import pyarrow.compute as pc

    reasons = {r["values"]: r["counts"] for r in pc.value_counts(h.changes.column("reason")).to_pylist()}
    return {"members": int(h.member.sum()),
            "by_tier": {"": int(counts[0]), **{t.name: int(counts[i + 1]) for i, t in enumerate(h.program.tiers)}},
            "changes": {r: reasons.get(r, 0) for r in REASONS}}


def changes(ws: Workspace, date_from: dt.date | str | None = None, date_to: dt.date | str | None = None,
            user: str | None = None) -> pa.Table:
    """The stored tier changes (of the last ``siyu loyalty run``) with ``date_from <= date <= date_to``, by date
    then user.

    Raises
    ------
    WorkspaceError
        Before any ``siyu loyalty run``.
    """
    from siyu._exceptions import WorkspaceError
    from siyu.engine.dates import as_date

    if stored_program(ws) is None:
        raise WorkspaceError("no tier history yet: run siyu loyalty run --program FILE first")
    lo = as_date(date_from, name="--from") or dt.date(1, 1, 1)
    hi = as_date(date_to, name="--to") or dt.date(9999, 12, 31)
    return ws.model("tier_changes_list", date_from=lo, date_to=hi, user=user)


def snapshot_part(ws, as_of, snap):
    """The stored program's tier distribution, monthly up/downgrades and points liability at ``as_of``, for the
    pipeline snapshot (the report's loyalty section); empty before any run or on an engine that stores nothing."""
    from siyu.loyalty.report_data import loyalty_snapshot

    return {"loyalty": loyalty_snapshot(ws, as_of)}
