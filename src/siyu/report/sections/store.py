"""Built-in report sections: sales trend, channel mix, data overview."""

from __future__ import annotations

from typing import Any

from siyu.report.page import Section, figure_html, register_section


@register_section("sales", 10)
def sales_section(snap: dict[str, Any]) -> Section:
    """Daily GMV (Double 11 / 618 peaks show here) and monthly GMV with buyers."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    # the daily and monthly series have a row (0) for every day / month the orders cover, so a line never
    # bridges days without sales; dates are formatted as dates, never as times of day
    daily = snap["summary"]["daily"]
    fig_d = go.Figure(go.Scatter(x=[r["day"] for r in daily], y=[float(r["gmv"]) for r in daily],
                                 mode="lines" if len(daily) > 1 else "markers",
                                 name="GMV 成交额", line=dict(color="#ff5000")))
    fig_d.update_layout(title="每日成交额 Daily GMV", yaxis_title="GMV")
    fig_d.update_xaxes(type="date", tickformat="%Y-%m-%d", **({"dtick": 86_400_000} if len(daily) <= 14 else {}))
    monthly = snap["summary"]["monthly"]
    months = [r["month"].strftime("%Y-%m") if hasattr(r["month"], "strftime") else str(r["month"])[:7]
              for r in monthly]
    fig_m = make_subplots(specs=[[{"secondary_y": True}]])
    fig_m.add_trace(go.Bar(x=months, y=[float(r["gmv"]) for r in monthly], name="成交额 GMV", marker_color="#ff9000"))
    fig_m.add_trace(go.Scatter(x=months, y=[r["buyers"] for r in monthly],
                               name="购买人数 Buyers", mode="lines+markers", line=dict(color="#333")), secondary_y=True)
    fig_m.update_layout(title="月度成交额与购买人数 Monthly GMV and buyers")
    fig_m.update_xaxes(type="category")  # one label per month ("2024-10"), even for a single month
    return Section(id="sales", title_zh="销售趋势", title_en="Sales trend",
                   html=figure_html(fig_d, "chart-daily-gmv") + figure_html(fig_m, "chart-monthly-gmv"))


@register_section("channels", 80)
def channel_section(snap: dict[str, Any]) -> Section:
    """GMV by traffic-source group and by channel."""
    import plotly.graph_objects as go

    groups: dict[str, float] = {}
    for r in snap["summary"]["channels"]:
        groups[r["channel_group"]] = groups.get(r["channel_group"], 0.0) + float(r["gmv"])
    names = {"onsite_free": "站内免费 On-site free", "onsite_paid": "站内付费 On-site paid",
             "offsite_online": "站外线上 Off-site online", "offsite_offline": "线下 Offline",
             "private_reach": "私域触达 Private reach", "other": "其他 Other", "unknown": "未知 Unknown"}
    fig_g = go.Figure(go.Pie(labels=[names.get(g, g) for g in groups], values=list(groups.values()), hole=0.45))
    fig_g.update_layout(title="成交额渠道构成 GMV by source group")
    rows = snap["summary"]["channels"]
    fig_c = go.Figure(go.Bar(x=[r["channel"] for r in rows], y=[float(r["gmv"]) for r in rows],
                             marker_color="#ff5000"))
    fig_c.update_layout(title="各渠道成交额 GMV by channel")
    return Section(id="channels", title_zh="渠道", title_en="Channels",
                   html=figure_html(fig_g, "chart-channel-groups") + figure_html(fig_c, "chart-channels"))


@register_section("data", 90)
def data_section(snap: dict[str, Any]) -> Section:
    """Row counts and date ranges of the loaded tables."""
    import html

    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='num'>{info['rows']:,}</td>"
        f"<td>{html.escape(str(info['from'] or '–'))}</td><td>{html.escape(str(info['to'] or '–'))}</td></tr>"
        for name, info in snap["summary"]["tables"].items())
    table = ("<table class='grid'><thead><tr><th>表 Table</th><th>行数 Rows</th><th>起 From</th><th>止 To</th></tr>"
             f"</thead><tbody>{rows}</tbody></table>")
    return Section(id="data", title_zh="数据概览", title_en="Data loaded", html=table)
