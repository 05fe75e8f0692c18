"""Where loyalty keeps its state, in the workspace file (created on first use; DuckDB only).

- ``loyalty_runs``: the program of the last ``siyu loyalty run`` (its definition and digest) and its as-of date;
  one row, replaced by each run;
- ``tier_changes``: ``user_id, date, from_tier, to_tier, reason`` — every tier change of that run's history.
  The current tier is derived from it; it is rewritten by each run (a loaded refund may rewrite history);
- ``points_ledger``: the append-only points ledger (``docs/loyalty-points.md``): one row per entry, keyed by an
  entry id that makes every posting idempotent.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from siyu.engine.duckdb import run

if TYPE_CHECKING:
    from siyu.loyalty.program import Program
    from siyu.workspace import Workspace

__all__ = ["DDL", "ensure_tables", "have_tables", "stored_program"]

DDL = (
    ("CREATE TABLE IF NOT EXISTS loyalty_runs (program VARCHAR NOT NULL, digest VARCHAR NOT NULL, "
     "definition VARCHAR NOT NULL, as_of DATE NOT NULL, run_at TIMESTAMP NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS tier_changes (user_id VARCHAR NOT NULL, date DATE NOT NULL, from_tier VARCHAR, "
     "to_tier VARCHAR, reason VARCHAR NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS points_ledger (entry_id VARCHAR PRIMARY KEY, user_id VARCHAR NOT NULL, "
     "date DATE NOT NULL, kind VARCHAR NOT NULL, points BIGINT NOT NULL, qualifying BIGINT NOT NULL, "
     "source_id VARCHAR, reason VARCHAR, expires_on DATE, recorded_at TIMESTAMP NOT NULL)"),
)
TABLES = ("loyalty_runs", "tier_changes", "points_ledger")


def have_tables(ws: Workspace) -> bool:
    """Whether the loyalty tables exist (a read never creates them)."""
    have = {r["table_name"] for r in ws.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name IN "
        f"({', '.join(repr(t) for t in TABLES)})").to_pylist()}
    return len(have) == len(TABLES)


def ensure_tables(ws: Workspace) -> None:
    """Create the loyalty tables when absent (refused on an engine that cannot write)."""
    ws._require("write", "loyalty (tier history and the points ledger live in the workspace file)")

    def create(conn: Any) -> None:
        for ddl in DDL:
            run(conn, ddl)

    if not have_tables(ws):
        ws.write(create)


def stored_program(ws: Workspace) -> tuple[Program, dt.date] | None:
    """The program and as-of date of the last ``siyu loyalty run``, or None before any run."""
    from siyu.loyalty.program import load_program

    if "write" not in ws.engine.capabilities or not have_tables(ws):
        return None
    rows = ws.query("SELECT definition, as_of FROM loyalty_runs").to_pylist()
    if not rows:
        return None
    return load_program(json.loads(rows[0]["definition"])), rows[0]["as_of"]
