"""The merchant report (HTML, or PDF printed by headless Chromium); it renders a snapshot and computes nothing."""

from siyu.report.page import (
    SECTIONS,
    Section,
    build_report,
    html_to_pdf,
    register_section,
    render_report,
)

__all__ = ["SECTIONS", "Section", "build_report", "html_to_pdf", "register_section", "render_report"]
