"""The web console in a real Chromium over a real uvicorn: sign-in, language, every page's charts, the audience
builder, the 全站推 advisor job, CSRF, tenancy, revocation and sign-out."""

from __future__ import annotations

import re

import httpx
import pytest
from browser import browser_page

from siyu import Workspace, audiences
from siyu.server.app import create_app
from siyu.server.keys import KeyStore

from .conftest import live_server

pytestmark = pytest.mark.xdist_group("server-console")

#: page path under /console/a/ -> the fewest charts it must draw
PAGES = {"": 3, "gain": 3, "aipl": 3, "pools": 2, "link": 2, "clv": 2, "audiences": 1, "reach": 1}
#: every plotly chart of the page has drawn its SVG
ALL_DRAWN = """() => {
  const plots = [...document.querySelectorAll('.plotly-graph-div, .js-plotly-plot')];
  return plots.length > 0 && plots.every(d => d.querySelector('.main-svg'));
}"""
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|\d{3}\*{4}\d{4}")


@pytest.fixture(scope="module")
def console(root):
    """(base URL, keys by name, app) of a server over tenants a (with stored CLV predictions and campaign
    ``console-push`` planned and sent) and b."""
    import csv
    import datetime as dt

    from siyu import reach
    from siyu.clv import predict

    base_root, files = root
    ws = Workspace(base_root / "a")
    predict(ws, horizon_days=365)
    # every user grants push marketing (the simulator's own consents, later, still decide), then one campaign
    users = ws.query("SELECT user_id FROM users ORDER BY user_id").column("user_id").to_pylist()
    grants = files.parent / "console-consents.csv"
    with grants.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([("user_id", "channel", "purpose", "status", "ts"),
                                  *((u, "push", "marketing", "granted", "2000-01-01 00:00") for u in users)])
    ws.ingest("consents", grants)
    at = dt.datetime.combine(ws.last_date() + dt.timedelta(days=1), dt.time(10))
    reach.plan(ws, {"id": "console-push", "audience": {"field": "is_fan", "op": "=", "value": True},
                    "channels": ["push"], "send_from": at, "send_until": at + dt.timedelta(days=2),
                    "content": {"plain": "新品上市"}}, at)
    reach.send(ws, "console-push", at)
    ws.close()
    store = KeyStore(base_root)
    keys = {"a": store.create("a", "read,write", "console a")[0], "b": store.create("b", "read", "console b")[0]}
    app = create_app(base_root)
    with live_server(app) as url:
        yield url, keys, app


def _watch(page):
    """Console errors and page errors of ``page``, collected as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
    return errors


def _sign_in(page, url: str, key: str):
    page.goto(f"{url}/console/login")
    page.fill("#key", key)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def _http_session(url: str, key: str) -> httpx.Client:
    """An httpx client signed in to the console with ``key`` (the login form's CSRF token read from the page)."""
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
    r = client.post("/console/login", data={"key": key, "csrf_token": token})
    assert r.status_code == 303, r.text
    return client


def test_console_pages_in_a_browser(console, tmp_path):
    url, keys, app = console
    ws = app.state.server.tenants.get("a")
    with browser_page(1280, 900) as page:
        errors = _watch(page)
        # not signed in: every page sends the browser to the sign-in form
        page.goto(f"{url}/console/a/gain")
        assert page.url.endswith("/console/login")
        # a wrong key is refused, the form stays
        page.fill("#key", "sk_00000000_" + "x" * 43)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        assert page.locator("#login-message.error").is_visible() and page.locator("#login-form").count() == 1
        assert not any(c["name"] == "siyu_console" for c in page.context.cookies())
        errors.clear()  # the browser logs the 401 of the refused sign-in

        _sign_in(page, url, keys["a"])
        assert page.url == f"{url}/console/a/"
        cookie = next(c for c in page.context.cookies() if c["name"] == "siyu_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
        assert keys["a"] not in str(page.context.cookies()) and keys["a"] not in page.content()

        # language: the switch changes the chrome and is remembered on the next page
        assert page.inner_text("[data-nav=dashboard]") == "概览"
        with page.expect_navigation():
            page.click("#lang-switch a[data-lang=en]")
        assert page.inner_text("[data-nav=dashboard]") == "Dashboard"
        with page.expect_navigation():
            page.click("[data-nav=gain]")
        assert page.inner_text("[data-nav=audiences]") == "Audiences" and page.inner_text("#page-title") == "GAIN health"
        with page.expect_navigation():
            page.click("#lang-switch a[data-lang=zh]")
        assert page.inner_text("[data-nav=audiences]") == "人群圈选"

        # every page: all its charts drew, no personal data, a screenshot
        for path, fewest in PAGES.items():
            page.goto(f"{url}/console/a/{path}")
            page.wait_for_function(ALL_DRAWN, timeout=30_000)
            drawn = page.locator(".js-plotly-plot .main-svg").count()
            assert page.locator(".js-plotly-plot").count() >= fewest, (path, drawn)
            assert not PHONE.search(page.inner_text("body")), path
            page.screenshot(path=str(tmp_path / f"console-{path or 'dashboard'}.png"), full_page=True)
        assert page.locator("#clv-none").count() == 0  # CLV predictions are stored for tenant a

        # the audience builder: the live count follows the text and agrees with siyu.audiences.count
        page.goto(f"{url}/console/a/audiences")
        counts = {}
        for query in ("aipl in (I, P)", "aipl = P and orders.count(365d) >= 2"):
            with page.expect_response(lambda r: r.url.endswith("/audiences/count") and r.status == 200):
                page.fill("#aud-query", query)
            page.wait_for_function("q => document.getElementById('aud-canonical').textContent === q", arg=query)
            counts[query] = int(page.get_attribute("#aud-count", "data-count"))
            assert counts[query] == audiences.count(ws, audiences.parse(query))["count"], query
        assert len(set(counts.values())) == 2, counts
        page.wait_for_function(ALL_DRAWN)
        # an example chip fills the box and counts
        chip = page.locator("#aud-examples .chip").first
        with page.expect_response(lambda r: r.url.endswith("/audiences/count")):
            chip.click()
        assert page.input_value("#aud-query") == chip.get_attribute("data-query")

        # explain a member and a non-member of "aipl = P"
        page.fill("#aud-query", "aipl = P")
        page.wait_for_function("() => document.getElementById('aud-canonical').textContent === 'aipl = P'")
        member = audiences.members(ws, audiences.parse("aipl = P")).column("user_id")[0].as_py()
        other = audiences.members(ws, audiences.parse("aipl != P")).column("user_id")[0].as_py()
        for uid, is_member in ((member, "true"), (other, "false")):
            page.fill("#aud-user", uid)
            with page.expect_response(lambda r: r.url.endswith("/audiences/explain")):
                page.click("#aud-explain-form button")
            page.wait_for_function("m => document.getElementById('aud-explain-verdict').dataset.member === m",
                                   arg=is_member)
            assert uid in page.inner_text("#aud-explain-verdict")
            assert page.locator("#aud-explain-table tbody tr").count() == 1
            assert "aipl = P" in page.inner_text("#aud-explain-table")

        # the 全站推 advisor runs as a job and draws its curve
        page.goto(f"{url}/console/a/autobid")
        assert page.input_value("input[name=seeds]") == "1"
        page.click("#ab-run")
        page.wait_for_selector("#ab-result:not([hidden])", timeout=60_000)
        page.wait_for_function(ALL_DRAWN)
        assert page.locator("#ab-curve tbody tr").count() >= 3
        page.screenshot(path=str(tmp_path / "console-autobid.png"), full_page=True)

        assert errors == [], errors
        assert page.external_requests == [], page.external_requests  # type: ignore[attr-defined]

        # a key of tenant a cannot open tenant b's pages or endpoints: 404, as for no tenant at all
        resp = page.goto(f"{url}/console/b/")
        assert resp.status == 404 and page.locator("#error").count() == 1
        assert page.goto(f"{url}/console/nope/gain").status == 404
        # CSRF: a fetch without the token is refused
        status = page.evaluate("""() => fetch('/console/a/audiences/count', {method: 'POST',
            headers: {'Content-Type': 'application/json'}, body: JSON.stringify({query: 'aipl = P'})}).then(r => r.status)""")
        assert status == 403

        # sign out: the session ends, the pages send the browser back to sign-in
        page.goto(f"{url}/console/a/")
        with page.expect_navigation():
            page.click("#logout-form button")
        assert "/console/login" in page.url
        page.goto(f"{url}/console/a/pools")
        assert page.url.endswith("/console/login")


def test_csrf_tenancy_and_revocation(console):
    url, keys, app = console
    client = _http_session(url, keys["a"])
    page = client.get("/console/a/audiences")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    body = {"query": "is_fan"}
    # the JSON endpoints: no token or a wrong one is 403; the right one answers
    assert client.post("/console/a/audiences/count", json=body).status_code == 403
    assert client.post("/console/a/audiences/count", json=body, headers={"X-CSRF-Token": "x" + token}).status_code == 403
    ok = client.post("/console/a/audiences/count", json=body, headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["count"] == audiences.count(app.state.server.tenants.get("a"),
                                                                            audiences.parse("is_fan"))["count"]
    assert set(ok.json()["mix"]) == {"aipl", "customer_pool"}
    # a bad query is the API's 400 with the parser's message
    bad = client.post("/console/a/audiences/count", json={"query": "aipl ="}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "ConfigError"
    # the sign-in and sign-out forms: without the token 403
    assert httpx.post(f"{url}/console/login", data={"key": keys["a"]}).status_code == 403
    assert client.post("/console/logout", data={}).status_code == 403
    # tenancy: tenant b's pages and endpoints are 404 for a key of tenant a
    assert client.get("/console/b/").status_code == 404
    assert client.get("/console/b/audiences").status_code == 404
    assert client.post("/console/b/audiences/count", json=body, headers={"X-CSRF-Token": token}).status_code == 404
    # a read-only key cannot save an audience
    reader = _http_session(url, keys["b"])
    rtoken = re.search(r'name="csrf-token" content="([^"]+)"', reader.get("/console/b/audiences").text).group(1)
    r = reader.post("/console/b/audiences/save", json={"name": "fans", "query": "is_fan"},
                    headers={"X-CSRF-Token": rtoken})
    assert r.status_code == 403 and "'write'" in r.json()["error"]["message"]
    saved = client.post("/console/a/audiences/save", json={"name": "fans", "query": "is_fan"},
                        headers={"X-CSRF-Token": token})
    assert saved.status_code == 200 and saved.json()["members"] == ok.json()["count"]
    assert "fans" in client.get("/console/a/audiences").text
    # plotly.js is served by the app, cached for long
    js = client.get("/console/static/plotly.min.js")
    assert js.status_code == 200 and "max-age=31536000" in js.headers["cache-control"] and len(js.content) > 1e6
    # a revoked key ends its sessions at the next request
    key, rec = KeyStore(app.state.server.tenants.root).create("a", "read", "short-lived")
    short = _http_session(url, key)
    assert short.get("/console/a/link").status_code == 200
    KeyStore(app.state.server.tenants.root).revoke(rec.id)
    r = short.get("/console/a/link")
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
    assert short.post("/console/a/audiences/count", json=body).status_code == 401
    # sign-out with the token
    out = client.post("/console/logout", data={"csrf_token": token})
    assert out.status_code == 303 and client.get("/console/a/").status_code == 303
