"""The customer-asset commands as a user runs them: real process, simulated store, exact output shapes."""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import run_cli

from siyu import Workspace
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-assets")
    tables, truth = simulate_store(SimulationConfig(users=2500, seed=31337))
    files = write_store(root / "d", tables, truth)
    with Workspace.init(root / "ws") as ws:
        for name in TABLES:
            ws.ingest(name, files[name])
        universe = ws.query("SELECT count(*) AS n FROM (SELECT user_id FROM users UNION SELECT user_id FROM orders "
                            "UNION SELECT user_id FROM events UNION SELECT user_id FROM follows UNION SELECT user_id "
                            "FROM memberships UNION SELECT user_id FROM reach_log)").to_pylist()[0]["n"]
        last = ws.last_date()
    return str(root / "ws"), universe, last


def _csv(out: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(out)))


@pytest.mark.parametrize("cmd, header", [
    ("aipl", ["user_id", "stage"]),
    ("pools", ["user_id", "fan_pool", "member_pool", "customer_pool"]),
    ("ucmv", ["user_id", "stage"]),
    ("rfm", ["user_id", "r", "f", "m", "group"]),
])
def test_per_user_csv_shapes(ws_path, cmd, header):
    ws, universe, last = ws_path
    res = run_cli("-w", ws, cmd, "--per-user", "--as-of", str(last), "--format", "csv")
    assert res.returncode == 0, res.stderr
    rows = _csv(res.stdout)
    assert rows[0] == header
    body = rows[1:]
    assert len({r[0] for r in body}) == len(body)
    if cmd == "aipl":
        assert len(body) == universe and {r[1] for r in body} <= {"none", "A", "I", "P", "L"}
    if cmd == "pools":
        assert len(body) == universe
        assert {r[3] for r in body} <= {"", "new", "old", "lapsed", "prospect"}
        assert {r[2] for r in body} <= {"", "quality", "potential", "silent"}
    if cmd == "ucmv":
        assert {r[1] for r in body} <= {"", "U", "C", "M", "V"}
    if cmd == "rfm":
        assert all(1 <= int(x) <= 5 for r in body for x in r[1:4])


def test_aipl_json_with_transitions_adds_up(ws_path):
    ws, universe, last = ws_path
    res = run_cli("-w", ws, "aipl", "--from", "2024-11-01", "--as-of", str(last), "--format", "json")
    out = json.loads(res.stdout)
    assert sum(out["counts"].values()) == universe
    assert out["total"] == universe - out["counts"]["none"]
    for stage, acc in out["transitions"]["accounting"].items():
        assert acc["start"] == acc["stayed"] + acc["moved"] + acc["churned"], stage
    flows = out["flow"]["channels"]
    assert flows[0]["channel"] == "*" and all(0 <= f["coverage"] <= 1 for f in flows)


def test_fast_grow_pools_json(ws_path):
    ws, universe, last = ws_path
    f = json.loads(run_cli("-w", ws, "fast", "--format", "json").stdout)
    assert set(f) >= {"as_of", "current", "previous", "year_ago", "change"}
    assert 0 <= f["current"]["T"] <= 1 and f["current"]["S"] > 0
    g = json.loads(run_cli("-w", ws, "grow", "--from", "2024-09-30", "--format", "json").stdout)
    tot = g["total"]
    assert tot["G"] + tot["R"] + tot["O"] == pytest.approx(tot["delta"], rel=1e-9)
    p = json.loads(run_cli("-w", ws, "pools", "--from", "2024-12-01", "--format", "json").stdout)
    assert set(p["customer"]) == {"new", "old", "lapsed", "prospect"} and p["transitions"]
    with Workspace(ws, read_only=True) as w:
        assert w.query("SELECT count(*) AS n FROM pool_transitions").to_pylist()[0]["n"] > 0


def test_from_after_as_of_is_refused(ws_path):
    ws, _, last = ws_path
    res = run_cli("-w", ws, "aipl", "--from", "2025-06-01", "--as-of", str(last))
    assert res.returncode == 78 and "must be before" in res.stderr
