"""Built-in report sections: sales trend, channel mix, data overview."""

from __future__ import annotations

import datetime as dt
import html
import re
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section


@register_section("sales", 10)
def sales_section(snap: dict[str, Any]) -> Section:
    """Daily GMV (Double 11 / 618 peaks show here) and monthly GMV with buyers."""
    # the daily and monthly series have a row (0) for every day / month the orders cover, so a line never
    # bridges days without sales; dates are formatted as dates, never as times of day
    summary = snap["summary"]
    return Section(id="sales", title_zh="销售趋势", title_en="Sales trend",
                   html=figure_html(charts.daily_gmv(summary), "chart-daily-gmv")
                   + figure_html(charts.monthly_gmv(summary), "chart-monthly-gmv"))


@register_section("channels", 80)
def channel_section(snap: dict[str, Any]) -> Section:
    """GMV by traffic-source group and by channel."""
    summary = snap["summary"]
    return Section(id="channels", title_zh="渠道", title_en="Channels",
                   html=figure_html(charts.channel_groups(summary), "chart-channel-groups")
                   + figure_html(charts.channels(summary), "chart-channels"))


def moment(v: Any) -> str:
    """A date or time of the data table to the second (``2024-12-30 13:30:05``), never with microseconds.

    Parameters
    ----------
    v : date, datetime, str or None
        The earliest or latest value of a table's date column.

    Returns
    -------
    str
        A date as ``YYYY-MM-DD``, a time as ``YYYY-MM-DD HH:MM:SS`` (a fraction of a second is dropped); ``–``
        for None.
    """
    if v is None:
        return "–"
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(v, dt.date):
        return v.isoformat()
    return re.sub(r"(\d{2}:\d{2}:\d{2})[.,]\d+", r"\1", str(v))


@register_section("data", 90)
def data_section(snap: dict[str, Any]) -> Section:
    """Row counts and date ranges of the loaded tables (to the second)."""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td class='num'>{info['rows']:,}</td>"
        f"<td>{html.escape(moment(info['from']))}</td><td>{html.escape(moment(info['to']))}</td></tr>"
        for name, info in snap["summary"]["tables"].items())
    table = ("<table class='grid' id='table-data'><thead><tr><th>表 Table</th><th>行数 Rows</th><th>起 From</th>"
             f"<th>止 To</th></tr></thead><tbody>{rows}</tbody></table>")
    return Section(id="data", title_zh="数据概览", title_en="Data loaded", html=table)
