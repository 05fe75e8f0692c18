"""Report section of audiences: each saved audience's size and the AIPL / customer-pool mix of its members."""

from __future__ import annotations

import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section


@register_section("audiences", 45)
def audiences_section(snap: dict[str, Any]) -> Section | None:
    """One stacked bar per saved audience: its members by AIPL stage (share of the audience), labelled with its
    size; a table of sizes, shares of the universe, customer-pool mix and definitions."""
    from siyu.assets import POOL_LABELS

    rows = snap.get("audiences") or []
    if not rows:
        return None
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
                   html=figure_html(charts.audience_mix(rows), "chart-audience-mix") + table)
