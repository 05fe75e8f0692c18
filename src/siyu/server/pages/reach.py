"""The console's reach page (触达): the planned campaigns with their funnel, one funnel chart per campaign (drawn by
the report's :func:`siyu.report.charts.reach_funnel`) and the outbox's messages by status. Read live from the
workspace (campaigns and the outbox change without a new snapshot); no phone, address or message content."""

from __future__ import annotations

from typing import Any

from siyu.server.pages import Page

__all__ = ["CHARTED", "OUTBOX_STATUSES", "PAGE", "context"]

#: the outbox statuses, in the order of the page's table
OUTBOX_STATUSES: tuple[str, ...] = ("queued", "sent", "exported", "failed", "suppressed")
#: funnel charts drawn for at most this many campaigns (the newest); the table lists every one
CHARTED = 12
#: the campaign table's count columns
COLUMNS: tuple[str, ...] = ("audience", "planned", "queued", "sent", "failed", "delivered", "opened", "clicked")


def context(gate: Any, t: Any, lang: str) -> dict[str, Any]:
    """The reach page's campaigns (with their funnel charts' HTML) and outbox counts by campaign and status."""
    from siyu.reach import funnel, outbox
    from siyu.report import charts
    from siyu.report.page import figure_html

    rows = funnel(gate.ws)
    campaigns = []
    for i, r in enumerate(rows):
        campaigns.append({
            "id": r["campaign_id"], "planned_at": r["planned_at"].strftime("%Y-%m-%d %H:%M"),
            "priority": r["priority"], "counts": {k: charts.count(r[k]) for k in COLUMNS},
            "suppressed": charts.count(sum(r[k] for k in charts.SUPPRESSION_STEPS)),
            "chart": figure_html(charts.reach_funnel([r]), f"chart-reach-{i}") if i < CHARTED else None})
    by_status: dict[str, dict[str, int]] = {}
    if rows:
        grouped = outbox(gate.ws).group_by(["campaign_id", "status"]).aggregate([("message_id", "count")])
        cols = (grouped.column(c).to_pylist() for c in ("campaign_id", "status", "message_id_count"))
        for cid, status, n in zip(*cols, strict=True):
            by_status.setdefault(cid, {})[status] = n
    order = [r["campaign_id"] for r in rows]
    statuses = list(OUTBOX_STATUSES) + sorted({s for v in by_status.values() for s in v} - set(OUTBOX_STATUSES))
    outbox_rows = [{"id": cid, "counts": {s: charts.count(by_status.get(cid, {}).get(s, 0)) for s in statuses},
                    "total": charts.count(sum(by_status.get(cid, {}).values()))} for cid in order]
    totals = {s: charts.count(sum(v.get(s, 0) for v in by_status.values())) for s in statuses}
    return {"campaigns": campaigns, "columns": COLUMNS, "statuses": statuses, "outbox_rows": outbox_rows,
            "outbox_totals": totals, "outbox_total": charts.count(sum(sum(v.values()) for v in by_status.values())),
            "charted": min(len(rows), CHARTED)}


#: the page, registered through the capability registry (``pages`` of ``reach``)
PAGE = Page("reach", "reach", template="reach.html.j2", context=context)
