"""Property-based tests of the HTTP API from its own OpenAPI document (schemathesis): whatever a client sends,
the server never answers 500, and a tenant the key does not belong to is always 404.

Requests go to a real uvicorn server over tenants ``a`` and ``b`` (``conftest.py``) with a key of tenant ``a``
holding every scope. Most cases target tenant ``a``; some target ``b`` or the generated (random) tenant name.
``POST /autobid/advise`` starts a simulation job, so it is left out of generation and called once by hand.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
import zlib
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from siyu.server.app import create_app
from siyu.server.keys import KeyStore

from .conftest import live_server

#: the OpenAPI document the app serves; its routes do not depend on the root, so an empty one describes it
#: (``test_the_served_document_is_the_one_tested`` checks the live server serves the same document)
DOC = create_app(Path(tempfile.gettempdir()) / "siyu-schema-test-no-root").openapi()
ADVISE = r"/autobid/advise$"
schema = schemathesis.openapi.from_dict(DOC).exclude(method="POST", path_regex=ADVISE)

#: one worker runs this module's tests in order: the last one reads what the generated ones sent
pytestmark = pytest.mark.xdist_group("server-schema")

#: statuses seen per tenant kind ("a", "b", "other") and per operation for tenant a
SEEN: dict[str, Counter] = defaultdict(Counter)
#: ids of the jobs the generated requests started on tenant a (ingests, snapshots)
JOBS: list[str] = []
#: errors not in the documented shape ``{"error": {"type", "message"}}`` (docs/server.md, error model)
ODD_ERRORS: Counter = Counter()

SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.filter_too_much, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def api(root):
    """(base URL, key of tenant a with every scope) of a live server over tenants a and b."""
    base_root, _ = root
    key, _ = KeyStore(base_root).create("a", "read,write,send,unmask", "schemathesis")
    app = create_app(base_root, rate_limit="1000000/minute")
    with live_server(app) as url:
        yield url, key


def _documented_error(response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    err = body.get("error") if isinstance(body, dict) else None
    return isinstance(err, dict) and isinstance(err.get("type"), str) and isinstance(err.get("message"), str)


def _tenant_for(case) -> str:
    """Tenant ``a`` for about 8 cases in 10, ``b`` for one, the generated name for one (chosen from the case's
    data, so a run is reproducible)."""
    generated = case.path_parameters.get("tenant", "")
    data = repr((case.method, sorted(case.path_parameters.items()), case.query, case.body))
    pick = zlib.crc32(data.encode()) % 10
    if pick == 8:
        return "b"
    if pick == 9:
        return generated  # already percent-encoded by schemathesis
    return "a"


def _check(case, api):
    """One generated request: never a 500; other tenants refused; errors in the documented shape."""
    url, key = api
    other = None
    if case.path_parameters is not None and "tenant" in case.path_parameters:
        case.path_parameters["tenant"] = _tenant_for(case)
        other = unquote(str(case.path_parameters["tenant"]))
        other = None if other == "a" else other
    response = case.call(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60)
    SEEN["b" if other == "b" else "other" if other else "a"][response.status_code] += 1
    if other is None:
        SEEN[case.operation.label][response.status_code] += 1
        if response.status_code == 202:
            JOBS.append(response.json()["id"])
    if response.status_code >= 400 and not _documented_error(response):
        ODD_ERRORS[(response.status_code, response.text[:80])] += 1
    case.validate_response(response, checks=[not_a_server_error])
    if other is not None:  # another tenant's route, or one that does not exist: never confirmed, never served
        status = response.status_code
        assert not 200 <= status < 300 and status not in (401, 403), (other, status, response.text[:300])
        well_formed = case.meta is None or case.meta.generation.mode.is_positive
        if well_formed and case.method.upper() == case.operation.method.upper():
            assert status == 404, (other, status, response.text[:300])


def _generate(api) -> None:
    """Send the generated requests of every operation once per module (schemathesis's own parametrisation gives
    every operation the same test id, which pytest-xdist collapses, so the loop is explicit)."""
    from hypothesis import given

    if SEEN:
        return
    for result in schema.get_all_operations():
        operation = result.ok()

        @SETTINGS
        @given(case=operation.as_strategy())
        def run(case):
            _check(case, api)

        run()


def test_no_request_gets_a_server_error(api):
    _generate(api)
    assert SEEN["a"], "no request was sent"



def test_the_served_document_is_the_one_tested(api):
    url, _ = api
    served = httpx.get(f"{url}/openapi.json", timeout=30)
    assert served.status_code == 200
    assert served.json() == DOC
    ops = {(m.upper(), p) for p, item in DOC["paths"].items() for m in item}
    assert ("POST", "/api/v1/{tenant}/autobid/advise") in ops and ("GET", "/api/v1/{tenant}/aipl") in ops
    tested = {(op.ok().method.upper(), op.ok().path) for op in schema.get_all_operations()}
    assert tested == ops - {("POST", "/api/v1/{tenant}/autobid/advise")}


def test_autobid_advise_is_a_job_that_ends_without_a_server_error(api):
    url, key = api
    headers = {"Authorization": f"Bearer {key}"}
    r = httpx.post(f"{url}/api/v1/a/autobid/advise", headers=headers, timeout=60,
                   json={"profile": "normal", "seeds": 1})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running") and job["tenant"] == "a"
    # another tenant's key or name: 404, never the job
    assert httpx.post(f"{url}/api/v1/b/autobid/advise", headers=headers, timeout=60,
                      json={"seeds": 1}).status_code == 404
    assert httpx.post(f"{url}/api/v1/a/autobid/advise", headers=headers, timeout=60,
                      json={"seeds": 0}).status_code == 422
    deadline = time.time() + 60
    while time.time() < deadline:
        r = httpx.get(f"{url}/api/v1/a/jobs/{job['id']}", headers=headers, timeout=60)
        assert r.status_code == 200, r.text
        job = r.json()
        if job["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    else:
        return  # slower than a minute on this machine: the 202 and the running job are what was checked
    assert job["status"] == "done", job["error"]
    assert job["progress"] == 1.0 and job["result"] and job["finished_at"]


def test_the_generated_requests_reached_the_routes(api):
    """The property above holds for requests that got through: tenant a's read routes answered 2xx, no request
    lacked a valid key, tenants b and random names were tried (and always refused), and the jobs the generated
    requests started (ingests, snapshots) ended without an unexpected error."""
    url, key = api
    _generate(api)  # the requests are sent once per module, by whichever test runs first
    reads = ["summary", "tables", "aipl", "fast", "pools", "ucmv", "rfm", "gain", "link", "clv", "audiences"]
    for name in reads:
        seen = SEEN[f"GET /api/v1/{{tenant}}/{name}"]
        assert any(200 <= s < 300 for s in seen), (name, dict(seen))
    assert 202 in SEEN["POST /api/v1/{tenant}/snapshot"], dict(SEEN)
    for kind in ("a", "b", "other"):
        assert sum(SEEN[kind].values()) >= 20 and 401 not in SEEN[kind] and 500 not in SEEN[kind], dict(SEEN)
    for kind in ("b", "other"):
        assert 404 in SEEN[kind] and not any(200 <= s < 300 for s in SEEN[kind]), dict(SEEN)
    headers = {"Authorization": f"Bearer {key}"}
    deadline = time.time() + 60
    assert JOBS
    for jid in JOBS:
        while True:
            job = httpx.get(f"{url}/api/v1/a/jobs/{jid}", headers=headers, timeout=60).json()
            if job["status"] in ("done", "failed") or time.time() > deadline:
                break
            time.sleep(0.1)
        assert job["status"] in ("done", "failed"), job
        assert job["status"] == "done" or job["error"]["http_status"] < 500, job


def test_every_error_the_generated_requests_got_has_the_documented_shape(api):
    """docs/server.md: every error is ``{"error": {"type", "message"}}`` (405 and unrouted 404 included)."""
    _generate(api)
    assert sum(ODD_ERRORS.values()) == 0, dict(ODD_ERRORS)


def test_counts_going_back_in_time_keep_answering(api):
    """Counts at five snapshot dates, each older than the last: the audience profiles cached per date are evicted
    without losing the one just built (a KeyError there was a 500)."""
    url, key = api
    tree = {"field": "aipl", "op": "in", "value": ["I", "P"]}
    for as_of in ("2024-12-01", "2024-11-01", "2024-10-01", "2024-09-01", "2024-08-01"):
        r = httpx.post(f"{url}/api/v1/a/audiences/count", json={"where": tree, "as_of": as_of},
                       headers={"Authorization": f"Bearer {key}"}, timeout=60)
        assert r.status_code == 200, (as_of, r.text[:300])
        assert r.json()["as_of"] == as_of


# -- audience trees: the schema only says "an object", so valid trees come from the grammar (docs/audiences.md) --
def _conditions() -> st.SearchStrategy[dict]:
    from siyu.audiences import FIELDS
    from siyu.audiences.fields import KIND_OPS
    from siyu.contract.schema import EVENT_TYPES

    dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31)).map(dt.date.isoformat)
    numbers = st.one_of(st.integers(-1000, 100_000), st.floats(-1e6, 1e6, allow_nan=False),
                        st.sampled_from([0, 1e15, -1e15]))
    strings = st.one_of(st.sampled_from(["一线", "二线", "三线", "F", "M", "18-24", "25-34", ""]), st.text(max_size=8))

    def values(field) -> st.SearchStrategy:
        if field.kind == "enum":
            codes = list(field.labels())
            labels = [x for pair in field.labels().values() for x in pair]
            return st.sampled_from(codes + labels)
        return {"string": strings, "boolean": st.booleans(), "number": numbers, "date": dates,
                "tags": strings}[field.kind]

    def field_condition(name: str) -> st.SearchStrategy[dict]:
        f = FIELDS[name]

        def build(op: str, draw_value: Any) -> dict:
            if op in ("is_null", "not_null"):
                return {"field": name, "op": op}
            return {"field": name, "op": op, "value": draw_value}

        return st.sampled_from(KIND_OPS[f.kind]).flatmap(
            lambda op: (st.lists(values(f), min_size=1, max_size=3) if op in ("in", "not_in") else values(f))
            .map(lambda v, op=op: build(op, v)))

    window_ops = ("=", "!=", "<", "<=", ">", ">=")
    days = st.integers(1, 36_500)
    event = st.builds(lambda t, n, op, k: {"event": t, "within_days": n, "op": op, "value": k},
                      st.sampled_from(EVENT_TYPES), days, st.sampled_from(window_ops), st.integers(0, 5))
    orders = st.builds(lambda m, n, op, v: {"orders": m, "within_days": n, "op": op, "value": v},
                       st.sampled_from(["count", "amount", "days"]), days, st.sampled_from(window_ops),
                       st.integers(0, 2000))
    return st.one_of(st.sampled_from(sorted(FIELDS)).flatmap(field_condition), event, orders)


def _trees() -> st.SearchStrategy[dict]:
    return st.recursive(_conditions(), lambda kids: st.one_of(
        st.lists(kids, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
        st.lists(kids, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
        kids.map(lambda x: {"not": x})), max_leaves=5)


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tree=_trees(), as_of=st.one_of(st.none(), st.sampled_from(["2024-06-30", "2023-01-01", "2030-01-01"])))
def test_valid_audience_trees_are_counted_consistently(api, tree, as_of):
    """Any tree the grammar allows is counted (200), its complement makes up the universe, its members are as many
    as its count and its text form counts the same."""
    url, key = api

    def post(route: str, body: dict) -> httpx.Response:
        return httpx.post(f"{url}/api/v1/a/audiences/{route}", json=body | {"as_of": as_of},
                          headers={"Authorization": f"Bearer {key}"}, timeout=60)

    r = post("count", {"where": tree})
    assert r.status_code == 200, (tree, r.text[:500])
    res = r.json()
    assert 0 <= res["count"] <= res["universe"] and sum(res["mix"]["aipl"].values()) == res["count"], res
    neg = post("count", {"where": {"not": tree}})
    assert neg.status_code == 200, neg.text[:500]
    assert res["count"] + neg.json()["count"] == res["universe"], (tree, res, neg.json())
    text = post("count", {"query": res["query"]})
    assert text.status_code == 200 and text.json()["count"] == res["count"], (res["query"], text.text[:500])
    m = post("members", {"where": tree, "limit": 1})
    assert m.status_code == 200 and m.json()["total"] == res["count"], m.text[:500]
