"""The ``siyu audience`` commands, run as a merchant runs them (the real executable on a real workspace)."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from siyu import Workspace
from siyu import audiences as A
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store

QUERY = "customer_pool = 老客 and event.visit(30d) >= 1"


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("audcli")
    tables, truth = simulate_store(SimulationConfig(users=800, days=420, seed=31))
    files = write_store(root / "d", tables, truth)
    ws = Workspace.init(root / "ws")
    for name in TABLES:
        ws.ingest(name, files[name])
    ws.close()
    return root / "ws"


def test_parse_prints_the_canonical_tree():
    res = run_cli("audience", "parse", "--query",
                  "aipl in (I, P) and orders.count(365d) >= 2 and event.add_cart(30d) >= 1 and not is_member")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"all": [
        {"field": "aipl", "op": "in", "value": ["I", "P"]},
        {"orders": "count", "within_days": 365, "op": ">=", "value": 2},
        {"event": "add_cart", "within_days": 30, "op": ">=", "value": 1},
        {"not": {"field": "is_member", "op": "=", "value": True}}]}
    bad = run_cli("audience", "parse", "--query", "aipl in (I, P) and")
    assert bad.returncode == 78 and "line 1, column 19" in bad.stderr and "Traceback" not in bad.stderr


def test_count_members_and_explain_agree(ws_path, tmp_path):
    res = run_cli("-w", str(ws_path), "audience", "count", "--query", QUERY, "--format", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"as_of", "count", "universe", "share", "mix", "tree", "query"} <= set(out)
    assert 0 < out["count"] < out["universe"] and sum(out["mix"]["aipl"].values()) == out["count"]
    assert out["mix"]["customer_pool"] == {"old": out["count"]}
    tree_file = tmp_path / "tree.json"
    tree_file.write_text(json.dumps(out["tree"]), encoding="utf-8")
    res = run_cli("-w", str(ws_path), "audience", "members", "--where", f"@{tree_file}", "--format", "csv")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    ids = [r["user_id"] for r in rows]
    assert list(rows[0]) == ["user_id"] and ids == sorted(ids) and len(ids) == out["count"]
    with Workspace(ws_path) as ws:
        outsider = next(u for u in A.members(ws, A.parse("aipl is not null")).column("user_id").to_pylist()
                        if u not in set(ids))
    for user, member in ((ids[0], True), (outsider, False)):
        res = run_cli("-w", str(ws_path), "audience", "explain", user, "--query", QUERY, "--format", "json")
        assert res.returncode == 0, res.stderr
        ex = json.loads(res.stdout)
        assert ex["member"] is member and ex["user_id"] == user
        assert [c["path"] for c in ex["conditions"]] == ["all[0]", "all[1]"]
        assert all(set(c) == {"path", "condition", "value", "pass"} for c in ex["conditions"])
        assert all(c["pass"] for c in ex["conditions"]) is member
    table = run_cli("-w", str(ws_path), "audience", "explain", ids[0], "--query", QUERY)
    assert table.returncode == 0 and "member" in table.stdout and "event.visit(30d) >= 1" in table.stdout


def test_save_list_show_export_and_snapshots(ws_path, tmp_path):
    assert run_cli("-w", str(ws_path), "audience", "save", "winback", "--query", "customer_pool = lapsed").returncode == 0
    res = run_cli("-w", str(ws_path), "audience", "save", "winback", "--query", QUERY, "--format", "json")
    assert res.returncode == 0, res.stderr
    saved = json.loads(res.stdout)
    assert saved["replaced"] is True
    listed = json.loads(run_cli("-w", str(ws_path), "audience", "list", "--format", "json").stdout)
    row = next(r for r in listed if r["name"] == "winback")
    assert row["query"] == QUERY and row["snapshots"] == 2 and row["last_members"] == saved["members"]
    shown = json.loads(run_cli("-w", str(ws_path), "audience", "show", "winback", "--format", "json").stdout)
    assert shown["definition"] == A.parse(QUERY) and len(shown["snapshots"]) == 2
    # exports: a 人群包 (.txt, one id a line, no header), CSV and Parquet with a user_id column
    members = run_cli("-w", str(ws_path), "audience", "members", "--audience", "winback").stdout.split()[1:]
    for name in ("pkg.txt", "m.csv", "m.parquet"):
        res = run_cli("-w", str(ws_path), "audience", "export", "winback", "--out", str(tmp_path / name), "--format", "json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)["members"] == len(members) == saved["members"]
    assert (tmp_path / "pkg.txt").read_text(encoding="utf-8").splitlines() == members
    assert list(csv.reader(io.StringIO((tmp_path / "m.csv").read_text(encoding="utf-8")))) == \
        [["user_id"]] + [[m] for m in members]
    assert pq.read_table(tmp_path / "m.parquet").column("user_id").to_pylist() == members
    with Workspace(ws_path) as ws:
        snaps = A.show(ws, "winback")["snapshots"]
        assert [s["purpose"] for s in snaps].count("export") == 3
        assert A.snapshot_members(ws, snaps[0]["snapshot_id"]).column("user_id").to_pylist() == members
        # forget anonymises the user in the stored snapshots too
        gone = members[0]
        held = sum(gone in A.snapshot_members(ws, s["snapshot_id"]).column("user_id").to_pylist() for s in snaps)
        assert held >= 4  # the save of QUERY and the three exports
        changed = ws.forget(gone)
        assert changed["audience_members"] == held
        left = set(A.snapshot_members(ws, snaps[0]["snapshot_id"]).column("user_id").to_pylist())
        assert gone not in left and len(left) == len(members)
    assert run_cli("-w", str(ws_path), "audience", "show", "nope").returncode == 66
    bad = run_cli("-w", str(ws_path), "audience", "save", "bad name!", "--query", QUERY)
    assert bad.returncode == 78 and "audience name" in bad.stderr
    assert run_cli("-w", str(ws_path), "audience", "export", "winback", "--out", str(tmp_path / "x.xlsx")).returncode != 0
    assert not (tmp_path / "x.xlsx").exists()


def test_bad_trees_exit_78_naming_the_path(ws_path):
    res = run_cli("-w", str(ws_path), "audience", "count", "--where", '{"all": [{"field": "aipl", "op": "=", "value": "A"}, {"field": "x"}]}')
    assert res.returncode == 78 and "all[1].field" in res.stderr and "Traceback" not in res.stderr
    res = run_cli("-w", str(ws_path), "audience", "count", "--where", "{not json")
    assert res.returncode == 78 and "not valid JSON" in res.stderr
    res = run_cli("-w", str(ws_path), "audience", "count", "--query", QUERY, "--where", "{}")
    assert res.returncode == 78 and "give the audience once" in res.stderr


def test_fields_lists_the_registry():
    res = run_cli("audience", "fields", "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = {r["field"]: r for r in json.loads(res.stdout)}
    assert set(rows) == set(A.FIELDS)
    assert rows["customer_pool"]["values"] == ["new", "old", "prospect", "lapsed"]
    assert rows["tags"]["ops"] == ["contains", "is_null", "not_null"]
