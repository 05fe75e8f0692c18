"""The merchant report: one self-contained HTML file (works offline, no CDN), rendered from a snapshot.

The report only renders: it is given a snapshot (:func:`siyu.pipeline.compute_snapshot`) and fits no
model and runs no SQL. Charts are drawn by plotly.js, inlined once into the page; labels are in Chinese
and English. Sections are functions registered in :data:`SECTIONS` by the section modules the capability
registry names (:mod:`siyu.registry`), so a capability adds its section without touching the page.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["SECTIONS", "Section", "build_report", "html_to_pdf", "register_section", "render_report"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


class Section(dict):
    """A report section: ``id``, ``title_zh``, ``title_en``, ``html`` (charts and tables)."""


SectionFn = Callable[[dict[str, Any]], Section | None]
#: registry of section builders: name -> (position, builder); each gets the snapshot
SECTIONS: dict[str, tuple[int, SectionFn]] = {}


def register_section(name: str, position: int) -> Callable[[SectionFn], SectionFn]:
    """Register a report section builder under ``name``; sections appear by ascending ``position``."""
    def deco(fn: SectionFn) -> SectionFn:
        SECTIONS[name] = (position, fn)
        return fn
    return deco


def figure_html(fig: Any, div_id: str) -> str:
    """A plotly figure as an HTML fragment (plotly.js itself is inlined once by the page).

    The figures of :mod:`siyu.report.charts` carry their own size and margins; a figure without them gets the
    defaults here (a height or margin the figure sets is kept).
    """
    lay = fig.layout
    margin = {k: v for k, v in {"l": 40, "r": 20, "t": 50, "b": 40}.items() if getattr(lay.margin, k) is None}
    fig.update_layout(template="plotly_white", margin=margin, height=lay.height or 360,
                      font={"family": "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"})
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def load_sections() -> dict[str, tuple[int, SectionFn]]:
    """Import the section modules named by the capability registry; returns :data:`SECTIONS`."""
    from siyu.registry import capabilities, load

    for cap in capabilities():
        if cap.report:
            load(cap.report)
    return SECTIONS


def render_report(snap: dict[str, Any]) -> str:
    """The report page (HTML text) of snapshot ``snap``."""
    import jinja2
    from plotly.offline import get_plotlyjs

    from siyu import __version__
    from siyu.metrics import KPI_LABELS

    sections = load_sections()
    built = [s for s in (fn(snap) for _, fn in sorted(sections.values(), key=lambda v: v[0])) if s]
    env = jinja2.Environment(loader=jinja2.PackageLoader("siyu.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html", "j2"]))
    summary = snap["summary"]
    return env.get_template("report.html.j2").render(
        summary=summary, kpis=[(k, *KPI_LABELS[k], _fmt(k, v)) for k, v in summary["kpis"].items()],
        sections=built, plotly_js=get_plotlyjs(), version=__version__, workspace=html.escape(snap["workspace"]),
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


def build_report(snap: dict[str, Any], out: str | Path) -> Path:
    """Write the HTML report of snapshot ``snap`` to ``out`` (atomically); returns the path."""
    page = render_report(snap)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(out)
    return out


def _fmt(key: str, v: Any) -> str:
    if v is None:
        return "–"
    if "share" in key or key.endswith("_rate"):
        return f"{float(v):.1%}"
    if key.endswith("ratio"):
        return f"{float(v):.2f}×"
    if key in ("gmv", "member_gmv", "kedanjia", "bidanjia", "member_kedanjia"):
        return f"¥{float(v):,.2f}"
    return f"{int(v):,}"


def html_to_pdf(html_path: str | Path, out: str | Path, *, executable: str = CHROMIUM) -> Path:
    """Print a report to PDF with headless Chromium driven by Playwright (charts drawn first).

    Needs the ``playwright`` package (extra ``dev`` or ``web``) and a Chromium at ``executable``; no browser is
    downloaded.
    """
    from siyu._exceptions import ConfigError

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ConfigError("PDF output needs playwright: pip install 'siyu[web]'") from None
    if not Path(executable).exists():
        raise ConfigError(f"PDF output needs Chromium at {executable} (Debian: apt-get install chromium)")
    out = Path(out)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(Path(html_path).resolve().as_uri())
            page.wait_for_function("[...document.querySelectorAll('.js-plotly-plot')].every(d => d.querySelector('.main-svg'))",
                                   timeout=60_000)
            page.pdf(path=str(out), format="A4", print_background=True, scale=0.7)
        finally:
            browser.close()
    return out
