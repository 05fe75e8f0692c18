"""Relationship pools (关系池): fans, members and customers, and the transitions between pools as events.

Definitions: ``docs/customer-assets.md`` §Relationship pools. SQL: ``sql/pools.sql``,
``sql/pool_changes.sql`` (label changes between two evaluations), ``sql/pool_transitions_clear.sql`` and
``sql/pool_transitions_append.sql`` (storing them).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError
from siyu.engine.dates import as_date, default_as_of
from siyu.engine.duckdb import arrow, registered, run, transaction
from siyu.engine.sql import load_model, per_user

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["POOL_LABELS", "POOL_TYPES", "pool_summary", "pool_transitions", "pools"]

#: pool type -> label code -> (Chinese, English)
POOL_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "fan": {"active": ("活跃粉丝", "active"), "ordinary": ("普通粉丝", "ordinary"),
            "opportunity": ("机会粉丝", "opportunity"), "silent": ("沉默粉丝", "silent")},
    "member": {"quality": ("优质会员", "quality"), "potential": ("潜力会员", "potential"),
               "silent": ("沉默会员", "silent")},
    "customer": {"new": ("新客", "new"), "old": ("老客", "old"), "prospect": ("潜客", "prospect"),
                 "lapsed": ("流失老客", "lapsed")},
}
POOL_TYPES = tuple(POOL_LABELS)  # sql/pool_changes.sql has one branch per type, in this order


def pools(ws: Workspace, as_of: dt.date | str | None = None) -> pa.Table:
    """Per-user pools at ``as_of``: ``user_id, fan_pool, member_pool, customer_pool, high_intent``."""
    return per_user(ws, "pools", as_of)


def pool_summary(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Counts per label of each pool at ``as_of`` (and high-intent opportunity fans)."""
    t = default_as_of(ws, as_of)
    table = pools(ws, t)
    out: dict[str, Any] = {"as_of": t}
    for kind in POOL_TYPES:
        counts = dict.fromkeys(POOL_LABELS[kind], 0)
        for v in table.column(f"{kind}_pool").to_pylist():
            if v is not None:
                counts[v] += 1
        out[kind] = counts
    out["high_intent_opportunity_fans"] = sum(table.column("high_intent").to_pylist())
    return out


def pool_transitions(ws: Workspace, start: dt.date | str, end: dt.date | str | None = None, *,
                     step_days: int | None = None, store: bool | None = None) -> pa.Table:
    """Pool changes between evaluations at ``start, start+step, …, end`` as events.

    Each change of a user's label between consecutive evaluations is a row ``user_id, pool_type,
    from_pool, to_pool, date`` dated at the evaluation where the new label is first seen (entering a
    pool from nothing has an empty ``from_pool``; leaving, an empty ``to_pool``). With ``store`` the
    rows replace those of the same dates in the workspace table ``pool_transitions`` (default: when the engine
    writes; the Spark engine only computes them).
    """
    import pyarrow as pa

    end = default_as_of(ws, end)
    start = as_date(start, name="from")
    step = step_days or ws.config.model.pool_transition_step_days
    if start >= end:
        raise ConfigError(f"--from {start} must be before --as-of {end}")
    dates = [start + dt.timedelta(days=k) for k in range(0, (end - start).days + 1, step)]
    if dates[-1] != end:
        dates.append(end)
    parts = []
    prev = pools(ws, dates[0])
    for d in dates[1:]:
        cur = pools(ws, d)
        with ws.session() as conn, registered(conn, _p0=prev, _p1=cur):
            parts.append(arrow(conn, load_model("pool_changes").sql, {"date": d}))
        prev = cur
    events = pa.concat_tables(parts) if parts else pa.table(
        {"user_id": pa.array([], pa.string()), "pool_type": pa.array([], pa.string()),
         "from_pool": pa.array([], pa.string()), "to_pool": pa.array([], pa.string()),
         "date": pa.array([], pa.date32())})
    if store or (store is None and "write" in ws.engine.capabilities):
        _store(ws, events, dates[1], dates[-1])
    return events


def _store(ws: Workspace, events: pa.Table, first: dt.date, last: dt.date) -> None:
    def do(conn: Any) -> None:
        with transaction(conn), registered(conn, _pt=events):
            run(conn, "CREATE TABLE IF NOT EXISTS pool_transitions (user_id VARCHAR, pool_type VARCHAR, "
                      "from_pool VARCHAR, to_pool VARCHAR, date DATE)")
            run(conn, load_model("pool_transitions_clear").sql, {"first": first, "last": last})
            run(conn, load_model("pool_transitions_append").sql)

    ws.write(do)
