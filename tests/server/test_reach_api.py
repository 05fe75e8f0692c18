"""The reach routes over a real uvicorn server: campaigns and their funnel, planning (write), sending as a job (send),
the outbox and consent; scopes, tenancy, paging and no personal data in any answer."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import httpx
import pytest

from siyu import Workspace
from siyu.server.app import create_app
from siyu.server.keys import KeyStore
from tests.reach.conftest import EVERYONE, write_csv

from .conftest import live_server

pytestmark = pytest.mark.xdist_group("server-reach")

AT = "2024-05-10 10:00"
#: everyone with an order: members and non-members
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|\d{3}\*{4}\d{4}")
OUTBOX_COLUMNS = {"message_id", "campaign_id", "user_id", "channel", "status", "scheduled_at", "sent_at", "attempts"}


def campaign(**kw) -> dict:
    """A campaign as the JSON object the API takes (the keys of a campaign file)."""
    base = {"id": "spring", "audience": EVERYONE, "channels": ["push", "group_chat"], "send_from": AT,
            "send_until": "2024-05-12 20:00", "holdout": 0.1, "content": {"plain": "春季回购礼 {{ campaign.id }}"}}
    return {**base, **kw}


def _tenant(root: Path, name: str, n: int) -> Workspace:
    """``n`` users with a phone and an email, one order each on 2024-05-01; four in five granted marketing on every
    channel (the consents table, loaded like any contract table), one of those withdrew later."""
    files = root.parent / f"files-{name}"
    files.mkdir()
    users = [f"{name}{i:04d}" for i in range(n)]
    ws = Workspace.init(root / name)
    ws.ingest("users", write_csv(files / "users.csv", ["user_id", "phone", "email", "city_tier"],
                            [(u, f"138{i:08d}", f"{u}@example.com", "一线") for i, u in enumerate(users)]))
    ws.ingest("orders", write_csv(files / "orders.csv", ["order_id", "user_id", "paid_at", "amount"],
                             [(f"o{u}", u, "2024-05-01 10:00", 10) for u in users]))
    granted = users[: n * 4 // 5]
    rows = [(u, "all", "marketing", "granted", "2024-01-01 10:00", "register", "v1") for u in granted]
    rows.append((granted[0], "all", "marketing", "withdrawn", "2024-03-01 10:00", "SMS reply TD", "v1"))
    ws.ingest("consents", write_csv(files / "consents.csv",
                               ["user_id", "channel", "purpose", "status", "ts", "source", "text_version"], rows))
    return ws


@pytest.fixture(scope="module")
def reach_root(tmp_path_factory):
    """A root with tenants ``a`` (300 users), ``b`` (40 users, campaign ``only-b`` planned) and ``c`` (10 users, no
    campaign), and ``copy-a``: a copy of ``a`` (its key file included) taken before the server starts, outside the
    root."""
    from siyu import reach

    base = tmp_path_factory.mktemp("reach-server")
    root = base / "root"
    root.mkdir()
    _tenant(root, "a", 300).close()
    shutil.copytree(root / "a", base / "copy-a")
    b = _tenant(root, "b", 40)
    reach.plan(b, campaign(id="only-b", holdout=0.0), AT)
    b.close()
    _tenant(root, "c", 10).close()
    return root, base / "copy-a"


@pytest.fixture(scope="module")
def api(reach_root):
    """(base URL, keys by name, the server's tenants, the copy of tenant a)."""
    root, copy_a = reach_root
    store = KeyStore(root)
    keys = {
        "a_read": store.create("a", "read", "a reader")[0],
        "a_write": store.create("a", "read,write", "a planner")[0],
        "a_send": store.create("a", "read,send", "a sender")[0],
        "b_read": store.create("b", "read", "b reader")[0],
        "c_read": store.create("c", "read", "c reader")[0],
    }
    app = create_app(root)
    with live_server(app) as url:
        yield url, keys, app.state.server.tenants, copy_a


def call(api, method, key, path, **kw):
    url, keys, *_ = api
    return httpx.request(method, f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {keys[key]}"},
                         timeout=60, **kw)


def _no_personal_data(payload) -> None:
    text = str(payload)
    assert not PHONE.search(text) and "@example.com" not in text, text[:300]


def _wait(api, key, job_id, tenant="a"):
    deadline = time.time() + 60
    while True:
        job = call(api, "GET", key, f"/{tenant}/jobs/{job_id}").json()
        if job["status"] in ("done", "failed") or time.time() > deadline:
            return job
        time.sleep(0.1)


def test_reading_planning_and_the_scopes(api):
    from siyu import reach

    # a read key lists (nothing planned yet) and may not plan
    r = call(api, "GET", "a_read", "/a/campaigns")
    assert r.status_code == 200 and r.json() == []
    assert call(api, "GET", "a_read", "/a/outbox").json() == {"campaign": None, "total": 0, "offset": 0, "rows": []}
    r = call(api, "POST", "a_read", "/a/campaigns/plan", json={"campaign": campaign(), "at": AT})
    assert r.status_code == 403 and "'write'" in r.json()["error"]["message"]
    # a write key plans: the answer is what siyu.reach.plan gives for the same input on a copy of the workspace
    r = call(api, "POST", "a_write", "/a/campaigns/plan", json={"campaign": campaign(), "at": AT})
    assert r.status_code == 200, r.text
    copy = Workspace(api[3])
    try:
        assert r.json() == reach.plan(copy, campaign(), AT)
    finally:
        copy.close()
    res = r.json()
    assert res["audience"] == 300 and res["planned"] + sum(res["suppressed"].values()) == 300
    assert 40 <= res["suppressed"]["no_consent"] <= 61 and res["suppressed"]["holdout"] > 0 and res["planned"] > 150
    _no_personal_data(res)
    # the cached list follows the write: the new campaign is there, with the plan's counts
    rows = call(api, "GET", "a_read", "/a/campaigns").json()
    assert [x["campaign_id"] for x in rows] == ["spring"]
    one = call(api, "GET", "a_read", "/a/campaigns/spring").json()
    assert one == rows[0] and one["planned"] == res["planned"] and one["queued"] == res["planned"]
    assert {k: one[k] for k in res["suppressed"]} == res["suppressed"] and one["sent"] == 0
    # a bad campaign is 400 naming the key; a bad moment too
    bad = call(api, "POST", "a_write", "/a/campaigns/plan", json={"campaign": campaign(channels=["fax"]), "at": AT})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "ConfigError"
    assert "channels" in bad.json()["error"]["message"] and "'fax'" in bad.json()["error"]["message"]
    bad = call(api, "POST", "a_write", "/a/campaigns/plan", json={"campaign": campaign(id="x"), "at": "10/05/2024"})
    assert bad.status_code == 400 and "local timestamp" in bad.json()["error"]["message"]
    assert call(api, "POST", "a_write", "/a/campaigns/plan", json={"at": AT}).status_code == 422


def test_sending_is_a_job_for_the_send_scope(api):
    from siyu.reach import funnel

    planned = call(api, "GET", "a_read", "/a/campaigns/spring").json()["planned"]
    r = call(api, "POST", "a_write", "/a/campaigns/spring/send", json={"at": AT})
    assert r.status_code == 403 and "'send'" in r.json()["error"]["message"]
    assert call(api, "POST", "a_send", "/a/campaigns/nope/send", json={"at": AT}).status_code == 404
    assert call(api, "POST", "a_send", "/a/campaigns/spring/send", json={"at": "soon"}).status_code == 400
    r = call(api, "POST", "a_send", "/a/campaigns/spring/send", json={"at": AT})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["tenant"] == "a" and job["kind"] == "campaign send spring" and job["status"] in ("queued", "running",
                                                                                             "done")
    job = _wait(api, "a_send", job["id"])
    assert job["status"] == "done", job["error"]
    result = job["result"]
    assert result["due"] == planned and result["exported"] == planned and result["failed"] == 0  # push: export
    _no_personal_data(result)
    # the funnel and the outbox show it; the audience packages are in the workspace
    one = call(api, "GET", "a_read", "/a/campaigns/spring").json()
    assert one["sent"] == planned and one["queued"] == 0
    assert one == {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                   for k, v in funnel(api[2].get("a"), "spring")[0].items()}
    assert list((api[2].get("a").path / "exports" / "spring").glob("*.txt"))


def test_the_outbox_is_paged_and_holds_no_personal_data(api):
    from siyu.reach import outbox

    full = call(api, "GET", "a_read", "/a/outbox", params={"campaign": "spring"})
    assert full.status_code == 200, full.text
    body = full.json()
    table = outbox(api[2].get("a"), "spring")
    assert body["total"] == table.num_rows == len(body["rows"]) > 0
    assert all(set(row) == OUTBOX_COLUMNS for row in body["rows"])
    assert {row["status"] for row in body["rows"]} == {"exported"}
    assert [row["message_id"] for row in body["rows"]] == table.column("message_id").to_pylist()
    _no_personal_data(body)
    page = call(api, "GET", "a_read", "/a/outbox", params={"campaign": "spring", "offset": 5, "limit": 10}).json()
    assert page["offset"] == 5 and page["total"] == body["total"] and page["rows"] == body["rows"][5:15]
    assert call(api, "GET", "a_read", "/a/outbox", params={"limit": 0}).status_code == 422
    assert call(api, "GET", "a_read", "/a/outbox", params={"offset": -1}).status_code == 422
    assert call(api, "GET", "a_read", "/a/outbox", params={"campaign": "nope"}).status_code == 404
    assert call(api, "GET", "a_read", "/a/outbox").json()["total"] == body["total"]   # every campaign: one here


def test_consent_state_of_a_user(api):
    from siyu.reach import consent_state

    ws = api[2].get("a")
    for user, status in (("a0001", "granted"), ("a0000", "withdrawn"), ("a0299", "none")):
        r = call(api, "GET", "a_read", f"/a/consents/{user}", params={"at": AT})
        assert r.status_code == 200, r.text
        rows = r.json()
        py = consent_state(ws, user, AT)
        assert len(rows) == len(py) == 18 and [x["status"] for x in rows] == [x["status"] for x in py]
        assert {x["status"] for x in rows if x["purpose"] == "marketing"} == {status}
        _no_personal_data(rows)
    withdrawn = next(x for x in call(api, "GET", "a_read", "/a/consents/a0000", params={"at": AT}).json()
                     if x["channel"] == "sms" and x["purpose"] == "marketing")
    assert withdrawn["source"] == "SMS reply TD" and withdrawn["since"] == "2024-03-01T10:00:00"
    # before the grant: no consent yet
    early = call(api, "GET", "a_read", "/a/consents/a0001", params={"at": "2023-12-31 23:00"}).json()
    assert {x["status"] for x in early} == {"none"}
    assert call(api, "GET", "a_read", "/a/consents/a0001").status_code == 200          # at: now
    bad = call(api, "GET", "a_read", "/a/consents/a0001", params={"at": "yesterday"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "ConfigError"


def test_another_tenants_campaigns_are_404(api):
    # tenant b's routes, for a key of tenant a: 404 as for no tenant at all
    for method, path, kw in (("GET", "/b/campaigns", {}), ("GET", "/b/campaigns/only-b", {}),
                             ("GET", "/b/outbox", {}), ("GET", "/b/consents/b0001", {}),
                             ("POST", "/b/campaigns/plan", {"json": {"campaign": campaign(), "at": AT}}),
                             ("POST", "/b/campaigns/only-b/send", {"json": {"at": AT}})):
        key = "a_send" if path.endswith("/send") else "a_write" if method == "POST" else "a_read"
        r = call(api, method, key, path, **kw)
        assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound", (path, r.text)
    # b's campaign id on a's routes: not planned here
    r = call(api, "GET", "a_read", "/a/campaigns/only-b")
    assert r.status_code == 404 and r.json()["error"]["type"] == "WorkspaceError"
    assert "only-b" in r.json()["error"]["message"]
    assert call(api, "GET", "a_read", "/a/outbox", params={"campaign": "only-b"}).status_code == 404
    # b's own key sees b's campaign only
    rows = call(api, "GET", "b_read", "/b/campaigns").json()
    assert [x["campaign_id"] for x in rows] == ["only-b"] and rows[0]["audience"] == 40


ALL_DRAWN = """() => {
  const plots = [...document.querySelectorAll('.plotly-graph-div, .js-plotly-plot')];
  return plots.length > 0 && plots.every(d => d.querySelector('.main-svg'));
}"""


def _sign_in(page, url: str, key: str) -> None:
    page.goto(f"{url}/console/login")
    page.fill("#key", key)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def test_the_console_reach_page(api, tmp_path):
    """The reach page (registered by the reach capability): campaigns with their funnel, one funnel chart per
    campaign drawn by the report's chart function with the funnel's values, the outbox by status, zh and en."""
    from browser import browser_page

    from siyu.reach import funnel
    from siyu.report.charts import REACH_STEPS

    url, keys, tenants, _ = api
    row = funnel(tenants.get("a"), "spring")[0]
    with browser_page(1280, 900) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _sign_in(page, url, keys["a_read"])
        assert page.inner_text("[data-nav=reach]") == "触达"
        with page.expect_navigation():
            page.click("[data-nav=reach]")
        assert page.url == f"{url}/console/a/reach"
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        assert page.inner_text("#page-title") == "触达" and page.locator("[data-nav=reach].active").count() == 1
        cells = {c: page.inner_text(f"#reach-table tr[data-campaign=spring] td[data-col={c}]")
                 for c in ("audience", "planned", "sent", "queued")}
        assert cells == {c: f"{row[c]:,}" for c in cells}
        exported = page.inner_text("#reach-outbox-table tr[data-campaign=spring] td[data-status=exported]")
        assert exported == f"{row['sent']:,}" and row["sent"] > 0
        drawn = page.evaluate("() => document.getElementById('chart-reach-0').data.map(t => [t.name, t.x])")
        assert drawn == [["spring", [row[k] for k in REACH_STEPS]]]
        assert not PHONE.search(page.inner_text("body")) and "@example.com" not in page.content()
        page.screenshot(path=str(tmp_path / "console-reach.png"), full_page=True)
        with page.expect_navigation():
            page.click("#lang-switch a[data-lang=en]")
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        assert page.inner_text("#page-title") == "Reach" and "Campaigns" in page.inner_text("#reach-campaigns h2")
        assert "exported" in page.inner_text("#reach-outbox-table thead")
        assert errors == [] and page.external_requests == []  # type: ignore[attr-defined]
        # another tenant's page: 404, as for no tenant at all
        assert page.goto(f"{url}/console/b/reach").status == 404
    # a tenant without campaigns: a note saying how to plan one, no chart
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
    assert client.post("/console/login", data={"key": keys["c_read"], "csrf_token": token}).status_code == 303
    empty = client.get("/console/c/reach?lang=en")
    assert empty.status_code == 200 and 'id="reach-none"' in empty.text and "siyu campaign plan FILE" in empty.text
    assert "Plotly.newPlot" not in empty.text
