"""Report section of audiences: each saved audience's size and the AIPL / customer-pool mix of its members."""

from __future__ import annotations

import html
from typing import Any

from siyu.report.page import Section, figure_html, register_section


@register_section("audiences", 45)
def audiences_section(snap: dict[str, Any]) -> Section | None:
    """One stacked bar per saved audience: its members by AIPL stage (share of the audience), labelled with its
    size; a table of sizes, shares of the universe, customer-pool mix and definitions."""
    import plotly.graph_objects as go

    from siyu.assets import POOL_LABELS, STAGE_LABELS

    rows = snap.get("audiences") or []
    if not rows:
        return None
    names = [f"{r['name']}<br>{r['count']:,} 人 users" for r in rows]
    colors = {"A": "#ffd8bf", "I": "#ffa36b", "P": "#ff7a1f", "L": "#c23c00", "none": "#bbbbbb"}
    fig = go.Figure([go.Bar(name=f"{STAGE_LABELS[s][0]} {s}", y=names, orientation="h", marker_color=colors[s],
                            x=[(r["mix"]["aipl"].get(s, 0) / r["count"]) if r["count"] else 0 for r in rows],
                            customdata=[r["mix"]["aipl"].get(s, 0) for r in rows],
                            hovertemplate="%{x:.1%} (%{customdata:,} users)<extra></extra>")
                     for s in ("A", "I", "P", "L", "none")])
    fig.update_layout(title="人群构成 Saved audiences: members by AIPL stage", barmode="stack",
                      xaxis={"tickformat": ".0%", "title": "占人群 share of the audience"},
                      yaxis={"autorange": "reversed"},  # top to bottom in the order of the table below
                      height=160 + 70 * len(rows), legend={"traceorder": "normal"})
    pools = POOL_LABELS["customer"]
    head = ("<tr><th>人群 Audience</th><th>人数 Members</th><th>占全部用户 Share of users</th>"
            + "".join(f"<th>{zh} {c}</th>" for c, (zh, _) in pools.items()) + "<th>条件 Definition</th></tr>")
    body = "".join(
        f"<tr><td>{html.escape(r['name'])}</td><td>{r['count']:,}</td>"
        f"<td>{(r['count'] / r['universe'] if r['universe'] else 0):.1%}</td>"
        + "".join(f"<td>{r['mix']['customer_pool'].get(c, 0):,}</td>" for c in pools)
        + f"<td><code>{html.escape(r['query'] or '')}</code></td></tr>" for r in rows)
    table = f"<table class='grid' id='table-audiences'><thead>{head}</thead><tbody>{body}</tbody></table>"
    return Section(id="audiences", title_zh="人群圈选", title_en="Audiences",
                   html=figure_html(fig, "chart-audience-mix") + table)
