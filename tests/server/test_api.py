"""The HTTP API over a real uvicorn server: keys, tenancy, scopes, rate limits, jobs, the error model, masking and
the single writer under parallel ingests and reads."""

from __future__ import annotations

import concurrent.futures as cf
import csv
import io
import json
import logging
import time

import httpx
import pytest
from conftest import run_cli

from siyu.server.app import create_app
from siyu.server.keys import KeyStore

from .conftest import live_server


@pytest.fixture(scope="module")
def api(root):
    """(base URL, keys by name, root) of a server over tenants a and b."""
    base_root, _ = root
    store = KeyStore(base_root)
    keys = {
        "a_read": store.create("a", "read", "a reader")[0],
        "a_write": store.create("a", "read,write", "a writer")[0],
        "a_send": store.create("a", "read,write,send", "a sender")[0],
        "a_unmask": store.create("a", "read,unmask", "a support desk")[0],
        "b_read": store.create("b", "read", "b reader")[0],
    }
    app = create_app(base_root)
    with live_server(app) as url:
        yield url, keys, app.state.server.tenants  # the server holds each workspace file: use its own handles


def get(api, key, path, **kw):
    url, keys, _ = api
    headers = {"Authorization": f"Bearer {keys[key]}"} if key else {}
    return httpx.get(f"{url}/api/v1{path}", headers=headers, timeout=60, **kw)


def call(api, method, key, path, **kw):
    url, keys, _ = api
    return httpx.request(method, f"{url}/api/v1{path}", headers={"Authorization": f"Bearer {keys[key]}"},
                         timeout=60, **kw)


def test_read_routes_answer_what_python_answers(api):
    from siyu import assets

    r = get(api, "a_read", "/a/aipl")
    assert r.status_code == 200, r.text
    py = assets.aipl_summary(api[2].get("a"))
    assert r.json()["counts"] == py["counts"] and r.json()["as_of"] == py["as_of"].isoformat()
    for path in ("/a/summary", "/a/tables", "/a/fast", "/a/pools", "/a/ucmv", "/a/rfm", "/a/gain", "/a/link",
                 "/a/clv"):
        res = get(api, "a_read", path)
        assert res.status_code == 200, (path, res.text)
    assert get(api, "a_read", "/a/gain").json()["diagnosis"] is not None
    assert get(api, "a_read", "/a/clv").json() == {"stored": False}


def test_tenancy_and_scopes_are_enforced(api):
    url, keys, tenants = api
    base_root = tenants.root
    # a key of tenant a reading tenant b: 404, the same as a tenant that does not exist
    r = get(api, "a_read", "/b/aipl")
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound"
    assert get(api, "a_read", "/nope/aipl").json()["error"]["message"] == get(api, "a_read", "/b/aipl").json()[
        "error"]["message"].replace("'b'", "'nope'")
    assert get(api, "b_read", "/b/aipl").status_code == 200
    # missing, malformed and unknown keys: 401 with WWW-Authenticate
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "Basic abc"},
                    {"Authorization": "Bearer sk_00000000_forged"}, {"Authorization": keys["a_read"]}):
        r = httpx.get(f"{url}/api/v1/a/aipl", headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", headers
    # a read key cannot write; only send may export an audience
    r = call(api, "PUT", "a_read", "/a/audiences/x", json={"query": "is_fan"})
    assert r.status_code == 403 and "'write'" in r.json()["error"]["message"]
    files = {"file": ("users.csv", b"user_id\nz1\n", "text/csv")}
    assert call(api, "POST", "a_read", "/a/ingest/users", files=files).status_code == 403
    assert call(api, "PUT", "a_write", "/a/audiences/fans", json={"query": "is_fan"}).status_code == 200
    assert call(api, "POST", "a_write", "/a/audiences/fans/export").status_code == 403
    r = call(api, "POST", "a_send", "/a/audiences/fans/export")
    assert r.status_code == 200 and r.json()["members"] == len(r.json()["user_ids"]) > 0
    # a revoked key stops working at once
    store = KeyStore(base_root)
    key, rec = store.create("a", "read", "short-lived")
    assert httpx.get(f"{url}/api/v1/a/fast", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    store.revoke(rec.id)
    assert httpx.get(f"{url}/api/v1/a/fast", headers={"Authorization": f"Bearer {key}"}).status_code == 401


def test_keys_at_rest_are_hashes_and_the_cli_manages_them(root):
    base_root, _ = root
    res = run_cli("keys", "create", "--root", str(base_root), "--tenant", "b", "--scopes", "read,send",
                  "--name", "crm")
    assert res.returncode == 0, res.stderr
    key = res.stdout.strip()
    assert key.startswith("sk_") and "\n" not in key
    text = (base_root / "siyu-keys.json").read_text(encoding="utf-8")
    assert key not in text and key.split("_", 2)[2] not in text
    import hashlib

    assert hashlib.sha256(key.encode()).hexdigest() in text
    assert (base_root / "siyu-keys.json").stat().st_mode & 0o077 == 0
    listed = json.loads(run_cli("keys", "list", "--root", str(base_root), "--format", "json").stdout)
    row = next(r for r in listed if r["name"] == "crm")
    assert row["scopes"] == ["read", "send"] and row["tenant"] == "b" and "sha256" not in row
    assert key not in run_cli("keys", "list", "--root", str(base_root)).stdout
    assert run_cli("keys", "revoke", "--root", str(base_root), row["id"]).returncode == 0
    again = json.loads(run_cli("keys", "list", "--root", str(base_root), "--format", "json").stdout)
    assert next(r for r in again if r["id"] == row["id"])["revoked_at"] is not None
    bad = run_cli("keys", "create", "--root", str(base_root), "--tenant", "b", "--scopes", "read,admin")
    assert bad.returncode == 78 and "admin" in bad.stderr
    assert run_cli("keys", "create", "--root", str(base_root), "--tenant", "zz").returncode == 66
    assert run_cli("keys", "revoke", "--root", str(base_root), "nope").returncode == 66


def test_errors_map_once_with_the_cli_messages(api, tmp_path):
    r = get(api, "a_read", "/a/aipl", params={"as_of": "2024-13-01"})
    assert run_cli("-w", str(tmp_path / "ws"), "init").returncode == 0
    cli = run_cli("-w", str(tmp_path / "ws"), "aipl", "--as-of", "2024-13-01")
    assert r.status_code == 400 and cli.returncode == 78
    assert r.json()["error"] == {"type": "ConfigError", "message": cli.stderr.strip().removeprefix("error: ")}
    r = call(api, "POST", "a_read", "/a/audiences/count", json={"where": {"all": []}})
    assert r.status_code == 400 and "at all" in r.json()["error"]["message"]
    r = call(api, "POST", "a_read", "/a/audiences/count", json={"query": "aipl in (I, P) and"})
    assert r.status_code == 400 and "line 1, column 19" in r.json()["error"]["message"]
    r = call(api, "POST", "a_read", "/a/audiences/count", json={"query": 3})
    assert r.status_code == 422 and r.json()["error"]["type"] == "ValidationError"
    assert get(api, "a_read", "/a/audiences/nope").status_code == 404
    assert get(api, "a_read", "/a/users/nobody").status_code == 404


def test_audiences_over_http_equal_the_python_results(api):
    from siyu import audiences as A

    q = "customer_pool = 老客 and event.visit(30d) >= 1"
    c = call(api, "POST", "a_read", "/a/audiences/count", json={"query": q}).json()
    m = call(api, "POST", "a_read", "/a/audiences/members", json={"query": q, "limit": 5, "offset": 2}).json()
    ids = A.members(api[2].get("a"), A.parse(q)).column("user_id").to_pylist()
    assert c["count"] == m["total"] == len(ids) > 0 and m["user_ids"] == ids[2:7]
    assert sum(c["mix"]["aipl"].values()) == c["count"]
    e = call(api, "POST", "a_read", "/a/audiences/explain", json={"query": q, "user_id": ids[0]}).json()
    assert e["member"] is True and [x["pass"] for x in e["conditions"]] == [True, True]


def test_phones_are_masked_unless_the_key_may_unmask(api, root):
    _, files = root
    rows = list(csv.DictReader(io.StringIO((files / "users.csv").read_text(encoding="utf-8"))))
    user = next(r for r in rows if r.get("phone"))
    masked = get(api, "a_read", f"/a/users/{user['user_id']}").json()
    assert masked["phone"] != user["phone"] and "****" in masked["phone"]
    assert masked["phone"][:3] == user["phone"][:3] and masked["phone"][-4:] == user["phone"][-4:]
    assert get(api, "a_unmask", f"/a/users/{user['user_id']}").json()["phone"] == user["phone"]


def test_request_logs_hold_no_personal_data_or_query_strings(api, root, caplog):
    _, files = root
    rows = list(csv.DictReader(io.StringIO((files / "users.csv").read_text(encoding="utf-8"))))
    user = next(r for r in rows if r.get("phone"))
    with caplog.at_level(logging.INFO, logger="siyu.server"):
        get(api, "a_unmask", f"/a/users/{user['user_id']}")
        get(api, "a_read", "/a/aipl", params={"as_of": "2024-10-01"})
        call(api, "POST", "a_read", "/a/audiences/count", json={"query": "city_tier = 一线"})
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "/api/v1/{tenant}/users/{user_id} 200" in text and "/api/v1/{tenant}/aipl 200" in text
    for secret in (user["user_id"], user["phone"], "2024-10-01", "一线", api[1]["a_read"]):
        assert secret not in text, secret


def test_ingest_is_a_job_and_a_bad_file_changes_nothing(api):
    before = get(api, "a_read", "/a/tables").json()["users"]["rows"]
    good = b"user_id,city_tier\nnew1,\xe4\xb8\x80\xe7\xba\xbf\nnew2,\n"
    r = call(api, "POST", "a_write", "/a/ingest/users", files={"file": ("more.csv", good, "text/csv")})
    assert r.status_code == 202, r.text
    job = _wait(api, r.json()["id"])
    assert job["status"] == "done" and job["result"]["inserted"] == 2
    bad = b"user_id,is_88vip\nnew3,maybe\n"
    r = call(api, "POST", "a_write", "/a/ingest/users", files={"file": ("bad.csv", bad, "text/csv")})
    job = _wait(api, r.json()["id"])
    assert job["status"] == "failed" and job["error"]["type"] == "ValidationError"
    assert "bad.csv" in job["error"]["message"] and "is_88vip" in job["error"]["message"]
    assert get(api, "a_read", "/a/tables").json()["users"]["rows"] == before + 2
    # a job is its tenant's: another tenant's key does not see it
    assert get(api, "b_read", f"/b/jobs/{r.json()['id']}").status_code == 404
    assert call(api, "POST", "a_write", "/a/ingest/nope", files={"file": ("x.csv", b"a\n", "text/csv")}
                ).status_code == 400


def test_a_snapshot_is_a_job_with_progress(api):
    r = call(api, "POST", "a_read", "/a/snapshot")
    assert r.status_code == 202 and r.json()["status"] in ("queued", "running")
    job = _wait(api, r.json()["id"])
    assert job["status"] == "done" and job["progress"] == 1.0, job.get("error")
    assert {"summary", "aipl", "gain", "audiences"} <= set(job["result"])


def _wait(api, jid, tenant="a", key="a_read"):
    deadline = time.time() + 120
    while time.time() < deadline:
        job = get(api, key, f"/{tenant}/jobs/{jid}").json()
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {jid} did not finish")


def test_parallel_ingests_and_reads_keep_the_single_writer(api):
    """Eight uploads of distinct orders and reads at the same time: every load lands whole, every read answers."""
    before = get(api, "a_read", "/a/tables").json()["orders"]["rows"]

    def upload(i):
        body = "order_id,user_id,paid_at,amount\n" + "".join(
            f"par{i}-{j},u{i:03d}{j:03d},2024-12-01 10:00:00,{10 + j}.50\n" for j in range(50))
        r = call(api, "POST", "a_write", "/a/ingest/orders", files={"file": (f"o{i}.csv", body.encode(), "text/csv")})
        return _wait(api, r.json()["id"])

    def read(_):
        return get(api, "a_read", "/a/fast").status_code

    with cf.ThreadPoolExecutor(8) as pool:
        ups = [pool.submit(upload, i) for i in range(8)]
        reads = [pool.submit(read, i) for i in range(16)]
        jobs = [u.result() for u in ups]
        codes = [r.result() for r in reads]
    assert all(j["status"] == "done" and j["result"]["inserted"] == 50 for j in jobs), jobs
    assert codes == [200] * 16
    assert get(api, "a_read", "/a/tables").json()["orders"]["rows"] == before + 400


def test_rate_limits_answer_429_with_retry_after(root):
    base_root, _ = root
    key, _ = KeyStore(base_root).create("a", "read", "limited")
    with live_server(create_app(base_root, rate_limit="3/minute")) as url:
        codes = [httpx.get(f"{url}/api/v1/a/tables", headers={"Authorization": f"Bearer {key}"}) for _ in range(4)]
    assert [r.status_code for r in codes] == [200, 200, 200, 429]
    assert 1 <= int(codes[-1].headers["retry-after"]) <= 60
    assert codes[-1].json()["error"]["type"] == "TooManyRequests"


def test_the_rate_limit_setting_is_read_from_the_root(root, tmp_path):
    base_root, _ = root
    key, _ = KeyStore(base_root).create("b", "read", "from settings")
    (base_root / "siyu.toml").write_text('[server]\nrate_limit = "2/minute"\n', encoding="utf-8")
    try:
        with live_server(create_app(base_root)) as url:
            codes = [httpx.get(f"{url}/api/v1/b/tables", headers={"Authorization": f"Bearer {key}"}).status_code
                     for _ in range(3)]
        assert codes == [200, 200, 429]
        (base_root / "siyu.toml").write_text('[server]\nrate_limit = "lots"\n', encoding="utf-8")
        from siyu import ConfigError

        with pytest.raises(ConfigError, match="rate_limit"):
            create_app(base_root)
    finally:
        (base_root / "siyu.toml").unlink()


def _serve(args: list[str], env: dict[str, str] | None = None):
    """``python -m siyu *args serve --port P`` as a process, once it answers ``/health``: (process, API URL)."""
    import os
    import subprocess
    import sys

    from .conftest import free_port

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "siyu", *args, "serve", "--port", str(port)],
                            env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    url = f"http://127.0.0.1:{port}/api/v1"
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                return proc, url
        except httpx.TransportError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise AssertionError(proc.communicate()[1] or "serve did not start") from None
            time.sleep(0.2)


def test_siyu_serve_runs_the_current_workspace_as_its_only_tenant(tmp_path):
    """``siyu serve`` as a merchant runs it: the default root is the workspace's parent, that workspace alone."""
    ws = tmp_path / "shop"
    (tmp_path / "other").mkdir()
    assert run_cli("-w", str(ws), "init").returncode == 0
    assert run_cli("-w", str(tmp_path / "other"), "init").returncode == 0
    key = run_cli("-w", str(ws), "keys", "create", "--tenant", "shop").stdout.strip()
    other = run_cli("keys", "create", "--root", str(tmp_path), "--tenant", "other").stdout.strip()
    proc, url = _serve([], {"SIYU_WORKSPACE": str(ws)})
    try:
        r = httpx.get(f"{url}/shop/tables", headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200 and r.json()["orders"]["rows"] == 0
        # the sibling workspace is not served without --root, even with its own key
        assert httpx.get(f"{url}/other/tables", headers={"Authorization": f"Bearer {other}"}).status_code == 404
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "tenants: shop" in err.replace("\n", " ") and key not in err
    assert "had no API key" not in err  # shop had one already


def test_siyu_serve_gives_a_tenant_without_keys_a_first_key(tmp_path):
    import re

    ws = tmp_path / "fresh"
    assert run_cli("-w", str(ws), "init").returncode == 0
    proc, _ = _serve(["-w", str(ws)])
    proc.terminate()
    _, err = proc.communicate(timeout=20)
    key = re.search(r"sk_[0-9a-f]{8}_\S+", err).group(0)
    rec = KeyStore(tmp_path).verify(key)
    assert rec is not None and rec.tenant == "fresh" and rec.scopes == ("read", "write")
