"""The report's charts (siyu.report.charts) read at a glance: checked on the Figure objects and drawn in Chromium."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from browser import browser_page

from siyu.report import build_report, charts
from siyu.report.page import load_sections

SI = re.compile(r"^[+−-]?¥?\d+(\.\d+)?\s*[kMGT]$")   # plotly's SI prefixes: 69.675k, 1.2M
CJK = re.compile(r"[\u4e00-\u9fff]")
SECTIONS_DIR = Path(charts.__file__).parents[1] / "sections"  # siyu/report/sections


@pytest.fixture(scope="module")
def snap(tmp_path_factory):
    """The snapshot of a simulated store (3,000 users, two years) as ``siyu demo`` computes it."""
    from siyu.pipeline.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("charts") / "ws", users=3000)["snapshot"]


@pytest.fixture(scope="module")
def figures(snap):
    """Every chart of :data:`siyu.report.charts.CHARTS`, drawn from the snapshot."""
    return {cid: fn(snap[key]) for cid, (key, fn) in charts.CHARTS.items()}


@pytest.fixture(scope="module")
def report_html(snap, tmp_path_factory):
    return build_report(snap, tmp_path_factory.mktemp("charts-report") / "r.html")


def _layout_of(html: str, div_id: str) -> dict:
    m = re.search(r'Plotly\.newPlot\(\s*"' + re.escape(div_id) + r'",\s*', html)
    assert m, div_id
    dec = json.JSONDecoder()
    _, end = dec.raw_decode(html, m.end())
    layout, _ = dec.raw_decode(html, html.index("{", end))
    return layout


# --- one module draws every chart -------------------------------------------------------------------------------------

def test_every_report_chart_is_drawn_by_the_chart_module(figures, report_html):
    import plotly.graph_objects as go

    html = report_html.read_text(encoding="utf-8")
    for cid, fig in figures.items():
        assert isinstance(fig, go.Figure), cid
        title = fig.layout.title.text
        assert CJK.search(title) and re.search(r"[A-Za-z]{3}", title), (cid, title)   # bilingual
        assert f'id="{cid}"' in html, cid
    for p in SECTIONS_DIR.glob("*.py"):                  # the sections keep the HTML, never build a figure
        text = p.read_text(encoding="utf-8")
        assert "plotly" not in text and "go.Figure" not in text, p.name
    assert {f"chart-{x}" for x in ("daily-gmv", "gain-radar", "aipl-funnel", "aipl-flow", "pools", "pool-flow",
                                   "grow", "link-funnel", "clv-distribution", "channels")} <= set(charts.CHARTS)


def test_the_page_keeps_each_charts_own_height(report_html):
    html = report_html.read_text(encoding="utf-8")
    assert _layout_of(html, "chart-gain-trend")["height"] == 660     # not squashed to the page default
    assert _layout_of(html, "chart-aipl-flow")["margin"]["t"] == 90


def test_number_helpers_never_use_si_prefixes():
    assert charts.count(69_675) == "69,675"
    assert charts.money(69_675.4) == "¥69,675"
    assert charts.money(8629.3, sign=True) == "+¥8,629" and charts.money(-3275.48, sign=True) == "−¥3,275"
    assert charts.money(None) == "–" and charts.count(None) == "–"


# --- counts and money: 69,675, never 69.675k --------------------------------------------------------------------------

def _value_axes(fig):
    """(trace, layout axis) pairs of the axes along which each cartesian trace draws its values."""
    out = []
    for tr in fig.data:
        if tr.type not in ("bar", "funnel", "waterfall", "scatter", "histogram"):
            continue
        horizontal = tr.type == "funnel" or getattr(tr, "orientation", None) == "h"
        ref = (tr.xaxis or "x") if horizontal else (tr.yaxis or "y")
        if tr.type == "histogram":
            ref = tr.yaxis or "y"
        name = ref[0] + "axis" + ref[1:]
        out.append((tr, fig.layout[name]))
    return out


def test_every_count_and_money_axis_prints_full_numbers(figures):
    checked = 0
    for cid, fig in figures.items():
        for tr, axis in _value_axes(fig):
            assert axis.tickformat, (cid, tr.name)            # plotly's default would print 69.675k
            assert not axis.tickformat.endswith("s"), cid     # d3's SI format
            checked += 1
    assert checked >= 20


def test_no_chart_text_uses_si_prefixes(figures):
    texts = 0
    for cid, fig in figures.items():
        for tr in fig.data:
            for t in (getattr(tr, "text", None) or ()):
                assert not SI.match(str(t)), (cid, t)
                texts += 1
            tt = getattr(tr, "texttemplate", None)
            if tt and "value" in tt:
                assert "%{value:," in tt, (cid, tt)
    assert texts > 50


def test_aipl_funnel_counts_have_thousands_separators(figures):
    tr = figures["chart-aipl-funnel"].data[0]
    assert tr.type == "funnel" and tr.texttemplate.startswith("%{value:,}")
    assert figures["chart-aipl-funnel"].layout.xaxis.tickformat == ","


# --- GAIN trend -------------------------------------------------------------------------------------------------------

def test_gain_trend_gives_every_indicator_its_own_colour(figures):
    fig = figures["chart-gain-trend"]
    colours = [tr.line.color for tr in fig.data]
    assert len(colours) == 12 and all(colours)
    assert len(set(colours)) == 12, colours
    assert [tr.marker.color for tr in fig.data] == colours


def test_gain_trend_title_sits_above_the_panel_titles(figures):
    fig = figures["chart-gain-trend"]
    lay = fig.layout
    title_top = (1 - lay.title.y) * lay.height if lay.title.yref == "container" else None
    assert title_top is not None and lay.title.yanchor == "top"
    # the panel titles are drawn just above the plot area (margin.t from the top) and are ~16 px tall
    assert lay.margin.t - 16 - (title_top + 24) >= 20, (lay.margin.t, title_top)


# --- Sankeys: labels outside, one colour per stage ----------------------------------------------------------------------

@pytest.mark.parametrize("cid, palette", [("chart-aipl-flow", charts.STAGE_COLORS),
                                          ("chart-pool-flow", charts.POOL_COLORS)])
def test_sankey_stage_has_one_colour_on_both_sides(figures, cid, palette):
    fig = figures[cid]
    tr = fig.data[0]
    codes = fig.layout.meta["nodes"]
    side = ["left" if x < 0.5 else "right" for x in tr.node.x]
    colour: dict[str, set] = {}
    for code, c in zip(codes, tr.node.color, strict=True):
        colour.setdefault(code, set()).add(c)
        assert c == palette[code], (code, c)
    both = {c for c, s in zip(codes, side, strict=True) if s == "left"} & \
           {c for c, s in zip(codes, side, strict=True) if s == "right"}
    assert len(both) >= 3
    assert all(len(colour[c]) == 1 for c in both), colour
    for s, c in zip(tr.link.source, tr.link.color, strict=True):   # a flow has the colour of where it comes from
        assert c.startswith("rgba(") and codes[s] in colour


@pytest.mark.parametrize("cid", ["chart-aipl-flow", "chart-pool-flow"])
def test_sankey_labels_sit_outside_the_flows(figures, cid):
    fig = figures[cid]
    tr = fig.data[0]
    assert tr.arrangement == "fixed"
    assert all(lab == "" for lab in tr.node.label)          # plotly would draw them on the flows
    left, right = tr.domain.x
    assert left >= 0.15 and right <= 0.85                     # room for the labels beside the columns
    labels = [a for a in fig.layout.annotations if "·" in a.text]
    assert len(labels) == len(tr.node.x)
    for a, x in zip(labels, tr.node.x, strict=True):
        if x < 0.5:
            assert a.x <= left and a.xanchor == "right", a.text
        else:
            assert a.x >= right and a.xanchor == "left", a.text
    inner = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    for col in (0, 1):                                        # room for a label beside every node
        ys = sorted(y for x, y in zip(tr.node.x, tr.node.y, strict=True) if (x > 0.5) == col)
        assert all((b - a) * inner >= 18 for a, b in itertools.pairwise(ys)), ys


def test_aipl_flow_matches_the_snapshots_matrix(figures, snap):
    tr = figures["chart-aipl-flow"].data[0]
    m = snap["aipl_flow"]["matrix"]
    assert sum(tr.link.value) == sum(v for a, row in m.items() for b, v in row.items() if not (a == b == "none"))


# --- LINK+, GROW, CLV, channels, data ---------------------------------------------------------------------------------

def test_link_steps_never_widen_like_a_funnel(figures):
    fig = figures["chart-link-funnel"]
    tr = fig.data[0]
    values = list(tr.x)
    if tr.type == "funnel":
        assert all(b <= a for a, b in itertools.pairwise(values)), values
    else:
        assert tr.type == "bar"
        notes = " ".join(a.text for a in fig.layout.annotations)
        assert "not nested" in notes and "不是逐层筛选" in notes
        assert list(tr.text) == [charts.count(v) for v in values]


def test_grow_waterfall_labels_every_bar_with_money(figures, snap):
    tr = figures["chart-grow"].data[0]
    assert tr.type == "waterfall" and tr.text is not None and len(tr.text) == len(tr.y) == 5
    assert all(re.fullmatch(r"[+−]?¥[\d,]+", t) for t in tr.text), tr.text
    tot = snap["grow"]["total"]
    assert tr.text[0] == charts.money(tot["gmv0"]) and tr.text[-1] == charts.money(tot["gmv1"])
    assert tr.text[1] == charts.money(tot["G"], sign=True)


def test_clv_distribution_shows_more_than_one_bar(figures, snap):
    fig = figures["chart-clv-distribution"]
    tr = fig.data[0]
    customers = snap["clv_predictions"].num_rows
    if tr.type == "histogram":                                  # a plain histogram must at least be on a log axis
        assert fig.layout.xaxis.type == "log"
    else:
        counts = list(tr.y)
        assert sum(counts) == customers
        assert sum(c > 0 for c in counts) > 5, counts
        assert max(counts) < 0.5 * customers, counts            # no single bar holds most customers
        assert all(t.startswith("¥") for t in tr.x)


def test_channel_charts_are_bilingual(figures, snap):
    from siyu.contract.schema import CHANNEL_GROUPS

    assert set(CHANNEL_GROUPS) <= set(charts.CHANNEL_LABELS)
    assert set(CHANNEL_GROUPS.values()) <= set(charts.CHANNEL_GROUP_LABELS)
    labels = [y for tr in figures["chart-channels"].data for y in tr.y]
    assert len(labels) == len(snap["summary"]["channels"])
    assert all(CJK.search(y) and re.search(r"[A-Za-z]", y) for y in labels), labels
    assert all(CJK.search(x) for x in figures["chart-channel-groups"].data[0].labels)
    assert charts.channel_label("tiktok", "other") == "其他 other: tiktok"


def test_data_table_shows_seconds_not_microseconds(snap):
    load_sections()
    from siyu.report.sections.store import data_section, moment

    assert any("." in str(t["to"]) for t in snap["summary"]["tables"].values() if t["to"])   # the raw value has µs
    html = data_section(snap)["html"]
    assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", html), html
    assert re.search(r"<td>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}</td>", html)
    assert moment("2024-12-30 13:30:05.87911") == "2024-12-30 13:30:05"


# --- in a real browser ------------------------------------------------------------------------------------------------

def _overlap(a: dict, b: dict) -> bool:
    return not (a["right"] <= b["left"] or b["right"] <= a["left"] or a["bottom"] <= b["top"]
                or b["bottom"] <= a["top"])


def test_charts_read_at_a_glance_in_chromium(report_html):
    with browser_page() as page:
        page.goto(report_html.as_uri())
        page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))",
                               timeout=60_000)
        page.wait_for_timeout(500)
        texts = page.evaluate("""() => [...document.querySelectorAll(
            '.js-plotly-plot .xtick text, .js-plotly-plot .ytick text, .js-plotly-plot .y2tick text, ' +
            '.js-plotly-plot text.bartext, .js-plotly-plot .textpoint text')].map(t => t.textContent)""")
        box = "e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right, top: r.top, bottom: r.bottom}; }"
        trend = page.evaluate(f"""() => {{ const d = document.getElementById('chart-gain-trend'), f = {box};
            return {{title: f(d.querySelector('.gtitle')),
                     panels: [...d.querySelectorAll('.annotation-text')].map(f)}}; }}""")
        flows = {cid: page.evaluate(f"""() => {{ const d = document.getElementById('{cid}'), f = {box};
            return {{chart: f(d), labels: [...d.querySelectorAll('.annotation')].filter(a => a.textContent.includes('·')).map(f),
                     links: [...d.querySelectorAll('.sankey-link')].map(f)}}; }}""")
                 for cid in ("chart-aipl-flow", "chart-pool-flow")}
        assert page.external_requests == []
    assert len(texts) > 100
    assert not [t for t in texts if SI.match(t.strip())], [t for t in texts if SI.match(t.strip())]
    assert len(trend["panels"]) == 4
    for p in trend["panels"]:
        assert trend["title"]["bottom"] + 8 <= p["top"], (trend["title"], p)
    for cid, f in flows.items():
        assert f["labels"] and f["links"], cid
        left = min(r["left"] for r in f["links"])
        right = max(r["right"] for r in f["links"])
        for lab in f["labels"]:                                 # each label left of or right of every flow, in view
            assert lab["right"] <= left + 1 or lab["left"] >= right - 1, (cid, lab, left, right)
            assert f["chart"]["left"] <= lab["left"] and lab["right"] <= f["chart"]["right"], (cid, lab)
        for i, a in enumerate(f["labels"]):
            assert not any(_overlap(a, b) for b in f["labels"][i + 1:]), cid
