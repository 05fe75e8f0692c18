"""The HTML report: self-contained, bilingual, and every chart draws in a real browser."""

from __future__ import annotations

from html.parser import HTMLParser

from browser import browser_page

from siyu.pipeline import compute_snapshot
from siyu.report import SECTIONS, build_report


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href") and v and ("//" in v[:8] or v.startswith("//")):
                self.refs.append(f"<{tag} {k}={v}>")


def remote_references(html: str) -> list[str]:
    """src/href attributes of real elements that point off the page (script bodies are not parsed as tags)."""
    p = _Refs()
    p.feed(html)
    return p.refs


def _save_audience(ws):
    from siyu import audiences

    audiences.save(ws, "buyers", audiences.parse("orders.count(365d) >= 1"), "2024-11-12")


def test_report_is_self_contained_and_bilingual(good_ws, tmp_path):
    _save_audience(good_ws)
    out = build_report(compute_snapshot(good_ws, "2024-11-12"), tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert remote_references(html) == [], "report must not load anything remote"
    assert "<script src" not in html and "Plotly.newPlot" in html
    assert "私域经营报告" in html and "Private-domain customer report" in html
    assert "客单价" in html and "Spend per buyer" in html
    for name in SECTIONS:
        assert f'id="section-{name}"' in html


def test_every_chart_draws_in_chromium(good_ws, tmp_path):
    _save_audience(good_ws)
    out = build_report(compute_snapshot(good_ws, "2024-11-12"), tmp_path / "r.html")
    with browser_page() as page:
        page.goto(out.as_uri())
        page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length > 0 && "
                               "[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))",
                               timeout=30_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d => ({
            id: d.id, traces: (d.data || []).length,
            marks: d.querySelectorAll('.trace, .slice, .point, .bars path, .js-line, .sankey-node, .sankey-link').length,
            width: d.getBoundingClientRect().width}))""")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        assert page.external_requests == []
    ids = {c["id"] for c in charts}
    assert {"chart-daily-gmv", "chart-monthly-gmv", "chart-channel-groups", "chart-channels", "chart-aipl-funnel",
            "chart-aipl-flow", "chart-fast", "chart-pools", "chart-pool-flow", "chart-grow", "chart-grow-new-old",
            "chart-gain-radar", "chart-gain-indicators", "chart-gain-trend", "chart-link-funnel",
            "chart-link-multiples", "chart-audience-mix"} <= ids
    for c in charts:
        assert c["traces"] >= 1 and c["marks"] >= 1 and c["width"] > 200, c
    assert (tmp_path / "report.png").stat().st_size > 20_000


def test_report_of_a_simulated_store_draws_every_chart_and_prints_to_pdf(tmp_path):
    from browser import require_browser
    from conftest import run_cli

    require_browser()
    ws = tmp_path / "ws"
    assert run_cli("-w", str(ws), "demo", "--users", "3000").returncode == 0
    html = ws / "report.html"
    with browser_page() as page:
        page.goto(html.as_uri())
        page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))",
                               timeout=30_000)
        charts = page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(d => ({
            id: d.id, marks: d.querySelectorAll('.trace, .slice, .point, .bars path, .js-line, .sankey-node').length}))""")
        rows = page.evaluate("document.querySelectorAll('#gain-indicators tbody tr').length")
        assert page.external_requests == []
    assert len(charts) >= 16 and all(c["marks"] > 0 for c in charts), charts
    assert {"chart-clv-distribution", "chart-clv-palive", "chart-clv-tracking", "chart-clv-conditional",
            "chart-audience-mix"} <= {c["id"] for c in charts}
    from siyu.pipeline.demo import DEMO_AUDIENCES

    table = html.read_text(encoding="utf-8").split('id=\'table-audiences\'')[1].split("</table>")[0]
    assert all(name in table for name in DEMO_AUDIENCES)
    assert rows == 12
    res = run_cli("-w", str(ws), "report", "--out", str(tmp_path / "r.pdf"))
    assert res.returncode == 0, res.stderr
    pdf = (tmp_path / "r.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 100_000
