"""The loyalty routes over a real uvicorn server: the program's state, members with their stored tier (filtered and
paged), the stored tier changes and a user's points; tenancy, errors, cache invalidation by a new run, and the
console's loyalty page in Chromium in both languages."""

from __future__ import annotations

import re

import httpx
import pytest

from siyu.server.app import create_app
from siyu.server.keys import KeyStore
from tests.reach.conftest import write_csv
from tests.test_report_loyalty import AS_OF, PROGRAM, make_store

from .conftest import live_server

pytestmark = pytest.mark.xdist_group("server-loyalty")

ALL_DRAWN = """() => {
  const plots = [...document.querySelectorAll('.plotly-graph-div, .js-plotly-plot')];
  return plots.length > 0 && plots.every(d => d.querySelector('.main-svg'));
}"""
#: the members of tenant a on 2024-06-30 (tests/test_report_loyalty.py make_store)
MEMBERS = [{"user_id": "u1", "tier": "金卡", "since": "2024-03-05"},
           {"user_id": "u2", "tier": "银卡", "since": "2024-04-01"},
           {"user_id": "u4", "tier": None, "since": None},
           {"user_id": "u5", "tier": None, "since": None},
           {"user_id": "u7", "tier": "金卡", "since": "2024-06-20"}]
#: every stored tier change of tenant a, by date then user
CHANGES = [("u2", "2023-03-10", None, "金卡", "upgrade"), ("u3", "2024-01-05", None, "银卡", "upgrade"),
           ("u1", "2024-01-10", None, "银卡", "upgrade"), ("u1", "2024-03-05", "银卡", "金卡", "upgrade"),
           ("u2", "2024-04-01", "金卡", "银卡", "review"), ("u3", "2024-05-01", "银卡", None, "left"),
           ("u7", "2024-06-20", None, "金卡", "upgrade")]


@pytest.fixture(scope="module")
def loyalty_api(tmp_path_factory):
    """(base URL, keys by name, the server's tenants) over tenants ``a`` (the program run to 2024-06-30; u1 redeemed
    600 points on 06-25), ``b`` (the same store with user ids ``b…``, run) and ``c`` (the same store, never run)."""
    from siyu import loyalty
    from siyu.loyalty.adjustments import load_adjustments

    base = tmp_path_factory.mktemp("loyalty-server")
    root = base / "root"
    root.mkdir()
    a = make_store(root, "", "a")
    loyalty.run(a, PROGRAM, AS_OF)
    load_adjustments(a, write_csv(base / "redeem.csv", ["adjustment_id", "user_id", "date", "kind", "points", "reason"],
                                  [("r1", "u1", "2024-06-25", "redeem", -600, "兑换礼品 gift")]))
    a.close()
    b = make_store(root, "b", "b")
    loyalty.run(b, PROGRAM, AS_OF)
    b.close()
    make_store(root, "c", "c").close()
    for name in ("a", "b", "c"):  # the stores' input files live beside the workspaces, not in the root
        for f in root.glob(f"{name}-*.csv"):
            f.rename(base / f.name)
    store = KeyStore(root)
    keys = {t: store.create(t, "read", f"{t} reader")[0] for t in ("a", "b", "c")}
    app = create_app(root)
    with live_server(app) as url:
        yield url, keys, app.state.server.tenants


def call(api, key, path, **kw):
    url, keys, _ = api
    return httpx.get(f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {keys[key]}"}, timeout=60, **kw)


def test_the_programs_state(loyalty_api):
    from siyu.loyalty.report_data import loyalty_snapshot
    from siyu.server.app import plain

    r = call(loyalty_api, "a", "/a/loyalty")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == plain(loyalty_snapshot(loyalty_api[2].get("a")))
    assert body["program"] == "成长型会员" and body["as_of"] == body["history_to"] == AS_OF and not body["stale"]
    assert body["members"] == 5 and body["by_tier"] == {"": 2, "银卡": 1, "金卡": 2}
    assert body["changes"] == {"upgrade": 4, "review": 1, "left": 1} and len(body["changes_by_month"]) == 12
    # 8,200 earned, 600 redeemed by u1
    assert body["points"] == {"outstanding": 7600, "users_with_balance": 5, "expiring": 0, "users_expiring": 0,
                              "expiring_days": 90, "expiring_by": "2024-09-28",
                              "by_kind": {"earn": {"entries": 7, "users": 5, "points": 8200},
                                          "redeem": {"entries": 1, "users": 1, "points": -600}}}
    # another date: u2's 2,500 points of 2023 expire within 90 days of 2024-12-01; the history is older than that
    late = call(loyalty_api, "a", "/a/loyalty", params={"as_of": "2024-12-01"}).json()
    assert late["stale"] and late["points"]["expiring"] == 2500 and late["points"]["users_expiring"] == 1
    bad = call(loyalty_api, "a", "/a/loyalty", params={"as_of": "June"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "ConfigError" and "as_of" in bad.text
    # before any run: only the program, null
    assert call(loyalty_api, "c", "/c/loyalty").json() == {"program": None}


def test_members_with_their_stored_tier(loyalty_api):
    r = call(loyalty_api, "a", "/a/loyalty/members")
    assert r.status_code == 200, r.text
    assert r.json() == {"program": "成长型会员", "as_of": AS_OF, "history_to": AS_OF, "tier": None, "total": 5,
                        "offset": 0, "rows": MEMBERS}
    gold = call(loyalty_api, "a", "/a/loyalty/members", params={"tier": "金卡"}).json()
    assert [m["user_id"] for m in gold["rows"]] == ["u1", "u7"] and gold["total"] == 2 and gold["tier"] == "金卡"
    none = call(loyalty_api, "a", "/a/loyalty/members", params={"tier": ""}).json()
    assert [m["user_id"] for m in none["rows"]] == ["u4", "u5"] and none["tier"] == ""
    # 04-30: u3 still a member with 银卡, u7 not yet one
    early = call(loyalty_api, "a", "/a/loyalty/members", params={"as_of": "2024-04-30"}).json()
    assert [(m["user_id"], m["tier"]) for m in early["rows"]] == [
        ("u1", "金卡"), ("u2", "银卡"), ("u3", "银卡"), ("u4", None), ("u5", None)]
    page = call(loyalty_api, "a", "/a/loyalty/members", params={"offset": 1, "limit": 2}).json()
    assert page["total"] == 5 and page["offset"] == 1 and page["rows"] == MEMBERS[1:3]
    bad = call(loyalty_api, "a", "/a/loyalty/members", params={"tier": "钻石卡"})
    assert bad.status_code == 400 and "钻石卡" in bad.json()["error"]["message"] and "银卡" in bad.text
    assert call(loyalty_api, "a", "/a/loyalty/members", params={"limit": 0}).status_code == 422
    assert call(loyalty_api, "a", "/a/loyalty/members", params={"offset": -1}).status_code == 422
    assert call(loyalty_api, "a", "/a/loyalty/members", params={"as_of": "x"}).status_code == 400
    r = call(loyalty_api, "c", "/c/loyalty/members")
    assert r.status_code == 404 and r.json()["error"]["type"] == "WorkspaceError"
    assert "siyu loyalty run" in r.json()["error"]["message"]


def test_the_stored_tier_changes(loyalty_api):
    r = call(loyalty_api, "a", "/a/loyalty/changes")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 7 and body["offset"] == 0 and body["from"] is None and body["user"] is None
    assert [tuple(x.values()) for x in body["rows"]] == CHANGES
    assert set(body["rows"][0]) == {"user_id", "date", "from_tier", "to_tier", "reason"}
    q1 = call(loyalty_api, "a", "/a/loyalty/changes", params={"from": "2024-01-01", "to": "2024-03-31"}).json()
    assert [tuple(x.values()) for x in q1["rows"]] == CHANGES[1:4] and (q1["from"], q1["to"]) == ("2024-01-01",
                                                                                                   "2024-03-31")
    # both ends included
    assert call(loyalty_api, "a", "/a/loyalty/changes",
                params={"from": "2024-01-10", "to": "2024-04-01"}).json()["total"] == 3
    u2 = call(loyalty_api, "a", "/a/loyalty/changes", params={"user": "u2"}).json()
    assert [tuple(x.values()) for x in u2["rows"]] == [CHANGES[0], CHANGES[4]]
    paged = call(loyalty_api, "a", "/a/loyalty/changes", params={"offset": 5, "limit": 10}).json()
    assert paged["total"] == 7 and [tuple(x.values()) for x in paged["rows"]] == CHANGES[5:]
    bad = call(loyalty_api, "a", "/a/loyalty/changes", params={"from": "01/01/2024"})
    assert bad.status_code == 400 and bad.json()["error"]["message"].startswith("from:")
    assert call(loyalty_api, "c", "/c/loyalty/changes").status_code == 404


def test_a_users_points(loyalty_api):
    from siyu.loyalty.points import balance
    from siyu.server.app import plain

    r = call(loyalty_api, "a", "/a/loyalty/points/u1")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body == plain(balance(loyalty_api[2].get("a"), "u1"))
    assert body["user_id"] == "u1" and body["as_of"] is None and body["points"] == 1500
    assert body["qualifying"] == 2100
    assert [(e["date"], e["kind"], e["points"], e["balance"]) for e in body["entries"]] == [
        ("2024-01-10", "earn", 600, 600), ("2024-03-05", "earn", 1500, 2100), ("2024-06-25", "redeem", -600, 1500)]
    assert body["entries"][0]["source_id"] == "o1" and body["entries"][0]["expires_on"] == "2026-01-01"
    march = call(loyalty_api, "a", "/a/loyalty/points/u1", params={"as_of": "2024-03-31"}).json()
    assert march["as_of"] == "2024-03-31" and march["points"] == 2100 and len(march["entries"]) == 2
    assert call(loyalty_api, "a", "/a/loyalty/points/u2").json()["points"] == 3300
    nobody = call(loyalty_api, "a", "/a/loyalty/points/nobody").json()
    assert (nobody["points"], nobody["entries"]) == (0, [])
    assert call(loyalty_api, "a", "/a/loyalty/points/u1", params={"as_of": "soon"}).status_code == 400
    # a workspace without a ledger: nothing, not an error
    assert call(loyalty_api, "c", "/c/loyalty/points/cu1").json()["points"] == 0


def test_another_tenants_loyalty_is_404(loyalty_api):
    for path in ("/b/loyalty", "/b/loyalty/members", "/b/loyalty/changes", "/b/loyalty/points/bu1"):
        r = call(loyalty_api, "a", path)
        assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound", (path, r.text)
    # b's users on a's routes: unknown here
    assert call(loyalty_api, "a", "/a/loyalty/points/bu1").json()["entries"] == []
    assert call(loyalty_api, "a", "/a/loyalty/changes", params={"user": "bu2"}).json()["total"] == 0
    # b's own key sees b's members only
    rows = call(loyalty_api, "b", "/b/loyalty/members").json()["rows"]
    assert [m["user_id"] for m in rows] == ["bu1", "bu2", "bu4", "bu5", "bu7"]
    assert call(loyalty_api, "b", "/b/loyalty").json()["points"]["outstanding"] == 8200    # no redemption in b
    # no key: 401
    assert httpx.get(f"{loyalty_api[0]}/api/v1/a/loyalty", timeout=60).status_code == 401


def test_a_new_run_is_seen_at_once(loyalty_api):
    from siyu import loyalty

    ws = loyalty_api[2].get("a")
    assert call(loyalty_api, "a", "/a/loyalty").json()["history_to"] == AS_OF
    try:
        loyalty.run(ws, PROGRAM, "2024-05-31")         # the cached state is stale: the run moved the generation
        body = call(loyalty_api, "a", "/a/loyalty").json()
        assert body["history_to"] == body["as_of"] == "2024-05-31" and body["changes"]["upgrade"] == 3
        assert call(loyalty_api, "a", "/a/loyalty/changes").json()["total"] == 6
    finally:
        loyalty.run(ws, PROGRAM, AS_OF)
    assert call(loyalty_api, "a", "/a/loyalty").json()["history_to"] == AS_OF


def _sign_in(page, url: str, key: str) -> None:
    page.goto(f"{url}/console/login")
    page.fill("#key", key)
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")


def test_the_console_loyalty_page(loyalty_api, tmp_path):
    """The loyalty page (registered by the loyalty capability): the members by tier, the changes by month and the
    points liability, with the report's charts drawing the snapshot's values, in Chinese and English."""
    from browser import browser_page

    from siyu.loyalty.report_data import loyalty_snapshot

    url, keys, tenants = loyalty_api
    snap = loyalty_snapshot(tenants.get("a"))
    with browser_page(1280, 900) as page:
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        _sign_in(page, url, keys["a"])
        assert page.inner_text("[data-nav=loyalty]") == "会员"
        with page.expect_navigation():
            page.click("[data-nav=loyalty]")
        assert page.url == f"{url}/console/a/loyalty"
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        assert page.inner_text("#page-title") == "会员" and page.locator("[data-nav=loyalty].active").count() == 1
        assert page.inner_text("#loyalty-program") == "成长型会员" and AS_OF in page.inner_text("#loyalty-summary h2")
        kpis = {k: page.inner_text(f"#loyalty-summary [data-kpi={k}] .v")
                for k in ("members", "outstanding", "users_with_balance", "expiring")}
        assert kpis == {"members": "5", "outstanding": "7,600", "users_with_balance": "5", "expiring": "0"}
        tiers = {t: page.inner_text(f"#loyalty-tiers-table tr[data-tier='{t}'] td[data-col=members]")
                 for t in ("", "银卡", "金卡")}
        assert tiers == {"": "2", "银卡": "1", "金卡": "2"}
        assert page.inner_text("#loyalty-tiers-table tr[data-tier=''] td") == "无等级"
        assert page.inner_text("#loyalty-changes-table tr[data-month='2024-01'] td[data-reason=upgrade]") == "2"
        assert page.inner_text("#loyalty-changes-table tr[data-month='2024-04'] td[data-reason=review]") == "1"
        assert page.inner_text("#loyalty-ledger-table tr[data-kind=redeem] td[data-col=points]") == "-600"
        drawn = page.evaluate("""() => ({tiers: document.getElementById('chart-loyalty-tiers').data.map(t => t.y),
            changes: document.getElementById('chart-loyalty-changes').data.map(t => t.y)})""")
        assert drawn["tiers"] == [[2, 1, 2]]
        assert drawn["changes"] == [[r[k] for r in snap["changes_by_month"]] for k in ("upgrade", "review", "left")]
        page.screenshot(path=str(tmp_path / "console-loyalty.png"), full_page=True)
        with page.expect_navigation():
            page.click("#lang-switch a[data-lang=en]")
        page.wait_for_function(ALL_DRAWN, timeout=30_000)
        assert page.inner_text("#page-title") == "Loyalty" and page.inner_text("[data-nav=loyalty]") == "Loyalty"
        assert "Members by tier" in page.inner_text("#loyalty-tiers h2")
        assert "Review downgrades" in page.inner_text("#loyalty-changes-table thead")
        assert page.inner_text("#loyalty-ledger-table tr[data-kind=redeem] td") == "redeemed"
        assert page.inner_text("#loyalty-tiers-table tr[data-tier=''] td") == "No tier"
        assert errors == [] and page.external_requests == []  # type: ignore[attr-defined]
        # another tenant's page: 404, as for no tenant at all
        assert page.goto(f"{url}/console/b/loyalty").status == 404
    # a tenant whose program never ran: a note saying how to run one, no chart
    client = httpx.Client(base_url=url, follow_redirects=False, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/login").text).group(1)
    assert client.post("/console/login", data={"key": keys["c"], "csrf_token": token}).status_code == 303
    empty = client.get("/console/c/loyalty?lang=en")
    assert empty.status_code == 200 and 'id="loyalty-none"' in empty.text
    assert "siyu loyalty run --program FILE" in empty.text and "Plotly.newPlot" not in empty.text
