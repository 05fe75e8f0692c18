"""The sales charts of the report: month labels without a time of day, zero days drawn as zeros."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from browser import browser_page
from conftest import GOOD

from siyu import Workspace
from siyu.pipeline import compute_snapshot
from siyu.report import build_report


def figure(html: str, div_id: str) -> tuple[list, dict]:
    """The data and layout passed to ``Plotly.newPlot`` for the chart ``div_id``."""
    m = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', html)
    assert m, div_id
    dec = json.JSONDecoder()
    data, end = dec.raw_decode(html, m.end())
    layout, _ = dec.raw_decode(html, html.index("{", end))
    return data, layout


@pytest.fixture(scope="module")
def one_month_report(tmp_path_factory):
    """A store whose orders all fall in November 2024 (the good fixture's Nov orders: 11th and 12th)."""
    root = tmp_path_factory.mktemp("onemonth")
    lines = (GOOD / "orders.csv").read_text(encoding="utf-8").splitlines()
    (root / "orders.csv").write_text("\n".join([lines[0], *(x for x in lines[1:] if "2024-11" in x)]) + "\n",
                                     encoding="utf-8")
    with Workspace.init(root / "ws") as ws:
        ws.ingest("users", GOOD / "users.csv")
        ws.ingest("orders", root / "orders.csv")
        snap = compute_snapshot(ws)
    return snap, build_report(snap, root / "r.html").read_text(encoding="utf-8")


def test_one_month_of_data_reads_as_that_month(one_month_report):
    snap, html = one_month_report
    assert [r["month"] for r in snap["summary"]["monthly"]] == [dt.date(2024, 11, 1)]
    data, layout = figure(html, "chart-monthly-gmv")
    assert layout["xaxis"]["type"] == "category"
    assert all(trace["x"] == ["2024-11"] for trace in data)
    data, layout = figure(html, "chart-daily-gmv")
    assert layout["xaxis"]["tickformat"] == "%Y-%m-%d"                  # a date, never a time of day
    assert data[0]["x"] == ["2024-11-11", "2024-11-12"]


def test_one_month_axis_labels_in_chromium(one_month_report, tmp_path):
    _, html = one_month_report
    out = tmp_path / "r.html"
    out.write_text(html, encoding="utf-8")
    with browser_page() as page:
        page.goto(out.as_uri())
        page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))",
                               timeout=30_000)
        ticks = {cid: page.evaluate(f"[...document.querySelectorAll('#{cid} .xtick text')].map(t => t.textContent)")
                 for cid in ("chart-monthly-gmv", "chart-daily-gmv")}
    assert ticks["chart-monthly-gmv"] == ["2024-11"]
    assert ticks["chart-daily-gmv"] and all(re.fullmatch(r"2024-11-\d\d", t) for t in ticks["chart-daily-gmv"])


def test_daily_chart_draws_zero_on_days_without_sales(good_ws, tmp_path):
    html = build_report(compute_snapshot(good_ws, "2024-11-12"), tmp_path / "r.html").read_text(encoding="utf-8")
    data, _ = figure(html, "chart-daily-gmv")
    x, y = data[0]["x"], data[0]["y"]
    # the good fixture has purchases on 2024-06-18 and 2024-11-11/12: every day between them is a 0
    assert x[0] == "2024-06-18" and x[-1] == "2024-11-12" and len(x) == 148
    assert y[1] == 0 and y.count(0) == len(x) - 3
    monthly, _ = figure(html, "chart-monthly-gmv")
    assert monthly[0]["x"] == ["2024-06", "2024-07", "2024-08", "2024-09", "2024-10", "2024-11"]
    assert monthly[0]["y"][1:5] == [0, 0, 0, 0]
