"""The offers routes over a real uvicorn server (tests/server/conftest.py's ``live_server``): GET offers, POST and GET
quote; scopes, tenancy, errors, and answers equal to the Python API's."""

from __future__ import annotations

import shutil

import httpx
import pytest

from siyu import offers
from siyu.server.app import create_app, plain
from siyu.server.keys import KeyStore
from siyu.workspace import Workspace
from tests.server.conftest import live_server

from .conftest import AT, IS_MEMBER, coupon, offers_toml

pytestmark = pytest.mark.xdist_group("server-offers")

OFFERS = offers_toml(price_lists=[("金卡", "S100", 80)], follow=5,
                     coupons=[coupon("vip", audience=IS_MEMBER, amount_off=15), coupon("all10"),
                              coupon("st", amount_off=None, discount=0.95, stackable=True)])


@pytest.fixture(scope="module")
def api(base_store, tmp_path_factory):
    """(base URL, keys by name, a copy of tenant a taken before the server starts) over tenants ``a`` (offers loaded)
    and ``b`` (the same store, no offers)."""
    base = tmp_path_factory.mktemp("offers-server")
    root = base / "root"
    root.mkdir()
    shutil.copytree(base_store, root / "a")
    shutil.copytree(base_store, root / "b")
    (base / "offers.toml").write_text(OFFERS, encoding="utf-8")
    ws = Workspace(root / "a")
    offers.load(ws, base / "offers.toml")
    ws.close()
    shutil.copytree(root / "a", base / "copy-a")
    store = KeyStore(root)
    keys = {"a_read": store.create("a", "read", "a reader")[0],
            "a_write": store.create("a", "write", "a writer, no read")[0],
            "b_read": store.create("b", "read", "b reader")[0]}
    app = create_app(root)
    with live_server(app) as url:
        yield url, keys, base / "copy-a"


def call(api, method, key, path, **kw):
    url, keys, _ = api
    headers = {"Authorization": f"Bearer {keys[key]}"} if key else {}
    return httpx.request(method, f"{url}/api/v1{path}", headers=headers, timeout=60, **kw)


def test_offers_lists_what_is_loaded_and_the_empty_set_elsewhere(api):
    r = call(api, "GET", "a_read", "/a/offers")
    assert r.status_code == 200, r.text
    got = r.json()
    assert [c["id"] for c in got["coupons"]] == ["vip", "all10", "st"]
    assert got["price_lists"] == [{"tier": "金卡", "sku": "S100", "price": 80.0}]
    assert got["coupons"][0]["audience"] == IS_MEMBER and got["coupons"][2]["discount"] == 0.95
    assert got["follow_discount"] == {"amount": 5.0} and got["floor_ratio"] == 0.3
    assert got["coupons"][1]["valid_from"] == "2024-05-01T00:00:00" and got["coupons"][1]["uses"] == 0
    r = call(api, "GET", "b_read", "/b/offers")
    assert r.json() == {"loaded_at": None, "source": None, "digest": None, "floor_ratio": 0.3, "price_lists": [],
                        "coupons": [], "follow_discount": None}


def test_quote_by_post_and_get_equals_the_python_api(api):
    body = {"user": "goldfan", "sku": "S100", "qty": 2, "at": AT}
    r = call(api, "POST", "a_read", "/a/quote", json=body)
    assert r.status_code == 200, r.text
    # goldfan × 2: 160; vip 15 beats all10 10; st 160 × 0.05 = 8; fan 5: 160 − 15 − 8 − 5 = 132
    assert r.json() == {
        "list_price": 100.0, "unit_price": 66.0, "price": 132.0,
        "applied": [{"rule": "member_price", "id": "金卡", "amount": 40.0},
                    {"rule": "coupon", "id": "vip", "amount": 15.0}, {"rule": "coupon", "id": "st", "amount": 8.0},
                    {"rule": "follow_discount", "id": "follow", "amount": 5.0}],
        "rejected": [{"rule": "tier_discount", "id": "金卡", "reason": "not_best"},
                     {"rule": "coupon", "id": "all10", "reason": "not_best"}]}
    g = call(api, "GET", "a_read", "/a/quote", params=body)
    assert g.status_code == 200 and g.json() == r.json()
    copy = Workspace(api[2])
    try:
        assert r.json() == plain(offers.quote(copy, "goldfan", "S100", 2, AT))
        for user in ("gold", "guest", "newbie"):
            g = call(api, "GET", "a_read", "/a/quote", params={"user": user, "sku": "T50", "at": AT})
            assert g.json() == plain(offers.quote(copy, user, "T50", 1, AT)), user
    finally:
        copy.close()
    # tenant b has no offers: the member discount only (200 × 0.9 = 180)
    r = call(api, "POST", "b_read", "/b/quote", json={"user": "gold", "sku": "S200", "at": AT})
    assert r.json()["price"] == 180.0 and r.json()["rejected"] == []


def test_errors_scopes_and_tenancy(api):
    r = call(api, "POST", "a_read", "/a/quote", json={"user": "gold", "sku": "NOPE", "at": AT})
    assert r.status_code == 400 and r.json()["error"] == {"type": "ConfigError",
                                                          "message": "unknown sku 'NOPE': not in products (siyu "
                                                                     "ingest products FILE)"}
    r = call(api, "POST", "a_read", "/a/quote", json={"user": "gold", "sku": "S100", "at": "soon"})
    assert r.status_code == 400 and "at: not a local timestamp" in r.json()["error"]["message"]
    for bad in ({"user": "gold", "sku": "S100", "qty": 0}, {"user": "", "sku": "S100"},
                {"user": "gold", "sku": "S100", "extra": 1}):
        assert call(api, "POST", "a_read", "/a/quote", json=bad).status_code == 422, bad
    assert call(api, "GET", "a_read", "/a/quote", params={"user": "gold", "sku": "S100", "qty": 0}).status_code == 422
    assert call(api, "GET", None, "/a/offers").status_code == 401
    assert call(api, "GET", "a_write", "/a/offers").status_code == 403            # offers need the read scope
    assert call(api, "GET", "b_read", "/a/offers").status_code == 404             # another tenant's key
    assert call(api, "POST", "b_read", "/a/quote", json={"user": "gold", "sku": "S100"}).status_code == 404


def test_generated_requests_never_get_a_server_error(api):
    """Property-based (schemathesis, as tests/server/test_schema.py does for every route): whatever a client sends
    to the offers routes of tenant a (offers loaded, a tier program stored), the answer is never a 500."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import not_a_server_error

    url, keys, copy_a = api
    schema = schemathesis.openapi.from_dict(create_app(copy_a.parent / "root").openapi()).include(
        path_regex=r"/(offers|quote)$")
    statuses = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=40, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            case.path_parameters["tenant"] = "a"
            response = case.call(base_url=url, headers={"Authorization": f"Bearer {keys['a_read']}"}, timeout=60)
            statuses.append(response.status_code)
            case.validate_response(response, checks=[not_a_server_error])

        run()
    assert statuses and 500 not in statuses and any(s == 200 for s in statuses)
