"""Headless Chromium (Debian's, at /usr/bin/chromium) driven by Playwright, for report and console tests."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic"]


def require_browser() -> None:
    """Skip when Chromium is absent, unless SIYU_REQUIRE_BROWSER is set (CI), where that is a failure."""
    if CHROMIUM.exists():
        return
    if os.environ.get("SIYU_REQUIRE_BROWSER"):
        pytest.fail("Chromium is required (SIYU_REQUIRE_BROWSER is set) but /usr/bin/chromium is missing")
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)")


@contextlib.contextmanager
def browser_page(width: int = 1280, height: int = 900):
    """A Playwright page in headless Chromium that refuses every non-local request."""
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            external: list[str] = []

            def guard(route):
                url = route.request.url
                if url.startswith(("file:", "data:", "blob:", "about:")) or "://127.0.0.1" in url or "://localhost" in url:
                    route.continue_()
                else:
                    external.append(url)
                    route.abort()

            page.route("**/*", guard)
            page.external_requests = external  # type: ignore[attr-defined]
            yield page
        finally:
            browser.close()
