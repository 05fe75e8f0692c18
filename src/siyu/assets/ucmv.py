"""UCMV (User → Consumer → Mature consumer → VIP / 88VIP) stages.

Definitions: ``docs/customer-assets.md`` §UCMV (PROP; anchors: Alibaba Investor Day 2019 [S21], APASS [S22],
88VIP [S20], Quick Audience VIP example [S26]). SQL: ``sql/ucmv.sql``,
``sql/ucmv_summary.sql``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import registered
from siyu.engine.sql import model_arrow, per_user, snapshot

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["UCMV_LABELS", "UCMV_STAGES", "ucmv", "ucmv_summary"]

UCMV_STAGES = ("U", "C", "M", "V")
UCMV_LABELS = {"U": ("用户", "User"), "C": ("消费者", "Consumer"), "M": ("成熟消费者", "Mature consumer"),
               "V": ("VIP / 88VIP", "VIP")}


def ucmv(ws: Workspace, as_of: dt.date | str | None = None) -> pa.Table:
    """Per-user UCMV stage at ``as_of``: ``user_id, stage`` (empty outside UCMV)."""
    return per_user(ws, "ucmv", as_of)


def ucmv_summary(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Counts, W365 GMV and GMV share per UCMV stage.

    GMV is money rounded to the cent (summed as DECIMAL(18,2), so it does not vary with DuckDB's parallel order of
    summation); the shares are computed from the rounded GMVs.
    """
    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn, registered(conn, _u=model_arrow(ws, conn, "ucmv")):
        rows = model_arrow(ws, conn, "ucmv_summary").to_pylist()
    counts = dict.fromkeys(UCMV_STAGES, 0)
    gmv = dict.fromkeys(UCMV_STAGES, 0.0)
    for r in rows:
        counts[r["stage"]], gmv[r["stage"]] = r["n"], float(r["gmv"] or 0)
    total = sum(gmv.values())
    return {"as_of": t, "counts": counts, "gmv": gmv,
            "gmv_share": {s: (gmv[s] / total if total else None) for s in UCMV_STAGES}}
