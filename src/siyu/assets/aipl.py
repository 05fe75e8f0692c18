"""AIPL (认知 Awareness / 兴趣 Interest / 购买 Purchase / 忠诚 Loyalty): stages, mix, transitions, channel flows.

Definitions: ``docs/customer-assets.md`` §AIPL (Alibaba Cloud Quick Audience [S1–S4], Data Bank windows [S6–S8],
链路流转 [S9]) and siyu's exact rules there. SQL: ``sql/user_features.sql`` (the
stage), ``sql/aipl.sql``, ``sql/aipl_transitions.sql``, ``sql/aipl_channel_flow.sql``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError
from siyu.engine.dates import as_date, default_as_of
from siyu.engine.duckdb import arrow, registered
from siyu.engine.sql import load_model, per_user

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["STAGES", "STAGE_LABELS", "aipl", "aipl_channel_flow", "aipl_summary", "aipl_transitions"]

#: stages from shallowest to deepest; ``none`` is outside AIPL (流失 in flow analysis)
STAGES = ("none", "A", "I", "P", "L")
STAGE_LABELS = {"none": ("流失/未触达", "none"), "A": ("认知", "Awareness"), "I": ("兴趣", "Interest"),
                "P": ("购买", "Purchase"), "L": ("忠诚", "Loyalty")}
_RANK = {s: i for i, s in enumerate(STAGES)}


def aipl(ws: Workspace, as_of: dt.date | str | None = None) -> pa.Table:
    """Per-user AIPL stage at ``as_of``: a table ``user_id, stage`` over the universe (``none`` outside AIPL)."""
    return per_user(ws, "aipl", as_of)


def aipl_summary(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Stage counts, the AIPL total (FAST F) and the stage mix at ``as_of``."""
    t = default_as_of(ws, as_of)
    stages = aipl(ws, t)
    counts = _counts(stages.column("stage").to_pylist())
    total = sum(counts[s] for s in STAGES[1:])
    return {"as_of": t, "total": total, "counts": counts,
            "mix": {s: (counts[s] / total if total else None) for s in STAGES[1:]}}


def _counts(labels: list[str]) -> dict[str, int]:
    out = dict.fromkeys(STAGES, 0)
    for s in labels:
        out[s] += 1
    return out


def aipl_transitions(ws: Workspace, t0: dt.date | str, t1: dt.date | str | None = None) -> dict[str, Any]:
    """The 5×5 stage transition matrix between ``t0`` and ``t1`` with stayed / moved / churned accounting.

    Returns
    -------
    dict
        ``matrix[from][to]`` counts (``none`` included); ``accounting[X]`` with ``start``, ``stayed``,
        ``moved`` (= ``deepened`` + ``regressed``) and ``churned``, where ``start = stayed + moved + churned``
        (Quick Audience 流转分析 [S3][S4]); ``entered[Y]`` = none → Y.
    """
    t1 = default_as_of(ws, t1)
    t0 = as_date(t0, name="from")
    if t0 >= t1:
        raise ConfigError(f"--from {t0} must be before --as-of {t1}")
    s0, s1 = aipl(ws, t0), aipl(ws, t1)
    with ws.session() as conn, registered(conn, _s0=s0, _s1=s1):
        rows = arrow(conn, load_model("aipl_transitions").sql).to_pylist()
    matrix = {a: dict.fromkeys(STAGES, 0) for a in STAGES}
    for r in rows:
        matrix[r["s0"]][r["s1"]] = r["n"]
    accounting = {}
    for x in STAGES[1:]:
        row = matrix[x]
        deepened = sum(n for y, n in row.items() if y != "none" and _RANK[y] > _RANK[x])
        regressed = sum(n for y, n in row.items() if y != "none" and _RANK[y] < _RANK[x])
        accounting[x] = {"start": sum(row.values()), "stayed": row[x], "moved": deepened + regressed,
                         "deepened": deepened, "regressed": regressed, "churned": row["none"],
                         "churn_rate": row["none"] / sum(row.values()) if sum(row.values()) else None}
    return {"from": t0, "to": t1, "matrix": matrix, "accounting": accounting,
            "entered": {y: matrix["none"][y] for y in STAGES[1:]}}


def aipl_channel_flow(ws: Workspace, t0: dt.date | str, t1: dt.date | str | None = None, *,
                      source: str = "I", target: str = "P") -> list[dict[str, Any]]:
    """Per-channel 覆盖率 (coverage) and 流转率 (flow rate) of the path ``source → target`` over ``(t0, t1]``.

    Data Bank 链路流转分析 [S9]: starters are the ``source``-stage users at ``t0``; a starter is touched by
    channel c when it has an event with that channel in ``(t0, t1]``; it flowed when its stage at ``t1`` is
    ``target`` or deeper. The row with ``channel = '*'`` is the whole brand.
    """
    if source not in STAGES[1:] or target not in STAGES[1:] or _RANK[target] <= _RANK[source]:
        raise ConfigError(f"flow path must go deeper between A, I, P, L: got {source}→{target}")
    t1 = default_as_of(ws, t1)
    t0 = as_date(t0, name="from")
    s0, s1 = aipl(ws, t0), aipl(ws, t1)
    with ws.session() as conn, registered(conn, _s0=s0, _s1=s1):
        return arrow(conn, load_model("aipl_channel_flow").sql,
                     {"t0": t0, "t1": t1, "source": source, "targets": list(STAGES[_RANK[target]:])}).to_pylist()
