"""Where reach keeps its state, in the workspace file (created on first use; DuckDB only).

- ``campaigns``: one row per planned campaign (its definition, priority, send window, plan order);
- ``outbox``: one row per message (status ``queued`` → ``sent`` / ``exported`` / ``failed`` / ``suppressed``), with
  the message id that is also the idempotency key, the attempts and, once sent, the rendered content;
- ``reach_suppressions``: one event per user not messaged, with its reason and the stage (``plan`` or ``send``);
- ``campaign_assignments``: every audience member's arm (``treatment``, ``holdout``, ``global_control``), so that
  the experiments capability can measure outcomes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from siyu.engine.duckdb import run

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["DDL", "ensure_tables", "funnel", "list_campaigns", "now_local", "outbox", "salt"]

DDL = (
    ("CREATE TABLE IF NOT EXISTS campaigns (campaign_id VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL, "
     "audience VARCHAR, snapshot_id VARCHAR, audience_size BIGINT NOT NULL, as_of DATE NOT NULL, "
     "priority INTEGER NOT NULL, on_budget VARCHAR NOT NULL, send_from TIMESTAMP NOT NULL, "
     "send_until TIMESTAMP NOT NULL, planned_at TIMESTAMP NOT NULL, plan_seq BIGINT NOT NULL, "
     "created_at TIMESTAMP NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS outbox (message_id VARCHAR NOT NULL, campaign_id VARCHAR NOT NULL, "
     "user_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, variant VARCHAR NOT NULL, status VARCHAR NOT NULL, "
     "scheduled_at TIMESTAMP NOT NULL, sent_at TIMESTAMP, attempts INTEGER NOT NULL, priority INTEGER NOT NULL, "
     "plan_seq BIGINT NOT NULL, content VARCHAR, last_error VARCHAR)"),
    ("CREATE TABLE IF NOT EXISTS reach_suppressions (campaign_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, "
     "reason VARCHAR NOT NULL, channel VARCHAR, stage VARCHAR NOT NULL, ts TIMESTAMP NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS campaign_assignments (campaign_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, "
     "arm VARCHAR NOT NULL, as_of DATE NOT NULL)"),
)


def _have_tables(ws: Workspace) -> bool:
    ws._require("write", "reach (campaigns and the outbox live in the workspace file)")
    have = {r["table_name"] for r in ws.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name IN "
        "('campaigns', 'outbox', 'reach_suppressions', 'campaign_assignments')").to_pylist()}
    return len(have) == len(DDL)


def ensure_tables(ws: Workspace) -> None:
    """Create the reach tables when absent (refused on an engine that cannot write)."""

    def create(conn: Any) -> None:
        for ddl in DDL:
            run(conn, ddl)

    if not _have_tables(ws):
        ws.write(create)


def now_local(ws: Workspace) -> dt.datetime:
    """Now, as local wall-clock time of the workspace zone (to the second)."""
    return dt.datetime.now(ZoneInfo(ws.config.workspace.tz)).replace(tzinfo=None, microsecond=0)


def salt(ws: Workspace) -> str:
    """The secret salt of the control-group and holdout hashes, derived from the workspace key (stable across runs,
    unknown to anyone without the key)."""
    from siyu.contract.privacy import load_or_create_key

    return hmac.new(load_or_create_key(ws.path), b"siyu:reach:assignment:v1", hashlib.sha256).hexdigest()


def list_campaigns(ws: Workspace) -> list[dict[str, Any]]:
    """Every planned campaign with its funnel (newest plan first)."""
    return funnel(ws)


def funnel(ws: Workspace, campaign: str | None = None) -> list[dict[str, Any]]:
    """The reach funnel per campaign (model ``reach_funnel``): audience, planned, suppressed by reason, queued,
    sent, failed, delivered, opened, clicked; empty before the first plan (a read never creates tables, so it works
    on a workspace opened read-only)."""
    if not _have_tables(ws):
        return []
    return ws.model("reach_funnel", campaign=campaign).to_pylist()


def outbox(ws: Workspace, campaign: str | None = None):
    """The outbox (model ``outbox_list``) as a :class:`pyarrow.Table` with the columns of ``siyu outbox`` (no rows
    before the first plan)."""
    if not _have_tables(ws):
        import pyarrow as pa

        return pa.table({c: pa.array([], t) for c, t in (
            ("message_id", pa.string()), ("campaign_id", pa.string()), ("user_id", pa.string()),
            ("channel", pa.string()), ("status", pa.string()), ("scheduled_at", pa.timestamp("us")),
            ("sent_at", pa.timestamp("us")), ("attempts", pa.int32()))})
    return ws.model("outbox_list", campaign=campaign)
