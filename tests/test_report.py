"""The HTML report: self-contained, bilingual, and every chart draws in a real browser."""

from __future__ import annotations

from html.parser import HTMLParser

from browser import browser_page

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


def test_report_is_self_contained_and_bilingual(good_ws, tmp_path):
    out = build_report(good_ws, tmp_path / "r.html", as_of="2024-11-12")
    html = out.read_text(encoding="utf-8")
    assert remote_references(html) == [], "report must not load anything remote"
    assert "<script src" not in html and "Plotly.newPlot" in html
    assert "私域经营报告" in html and "Private-domain customer report" in html
    assert "客单价" in html and "Spend per buyer" in html
    for name in SECTIONS:
        assert f'id="section-{name}"' in html


def test_every_chart_draws_in_chromium(good_ws, tmp_path):
    out = build_report(good_ws, tmp_path / "r.html", as_of="2024-11-12")
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
            "chart-link-multiples"} <= ids
    for c in charts:
        assert c["traces"] >= 1 and c["marks"] >= 1 and c["width"] > 200, c
    assert (tmp_path / "report.png").stat().st_size > 20_000
