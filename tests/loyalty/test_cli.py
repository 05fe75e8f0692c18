"""The loyalty commands end to end on a real workspace: ``siyu loyalty run|members|changes``, the stored history,
the audience fields and ``forget``."""

from __future__ import annotations

import csv
import io
import json

from conftest import run_cli

from siyu import audiences
from siyu.workspace import Workspace

from .conftest import make_store

PROGRAM = """\
[program]
name = "成长型会员"
window_days = 365
review = "monthly"
[[tiers]]
name = "银卡"
threshold = 500
discount = 0.95
[[tiers]]
name = "金卡"
threshold = 2000
keep = 1500
discount = 0.9
"""

ORDERS = [("o1", "a", "2024-01-10 10:00", "2000", "0"), ("o2", "a", "2024-06-15 10:00", "1000", "0"),
          ("o3", "b", "2024-03-01 10:00", "600", "0"), ("o4", "c", "2024-03-01 10:00", "100", "0"),
          ("o5", "d", "2024-03-01 10:00", "3000", "0")]
MEMBERS = [("a", "2024-01-01 00:00", None), ("b", "2024-01-01 00:00", None), ("c", "2024-01-01 00:00", None),
           ("d", "2024-01-01 00:00", "2024-09-01 00:00")]


def cli(ws_dir, *args):
    return run_cli("--workspace", str(ws_dir), *args)


def setup(tmp_path):
    ws = make_store(tmp_path, ORDERS, MEMBERS)
    ws.close()
    (tmp_path / "growth.toml").write_text(PROGRAM, encoding="utf-8")
    return tmp_path / "ws", tmp_path / "growth.toml"


def test_members_csv_has_the_issue_columns_and_members_only(tmp_path):
    ws_dir, prog = setup(tmp_path)
    res = cli(ws_dir, "loyalty", "members", "--program", str(prog), "--as-of", "2025-02-01", "--format", "csv")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == ["user_id", "tier", "qualifying_spend"]
    # 2025-02-01: a's o1 left W(365) on 2025-01-09 -> 1000 (review: 金卡 -> 银卡); b's o3 left on 2025-03-01? no:
    # 2024-03-01 + 365 = 2025-03-01, so b keeps 600 (银卡); c has 100 (no tier); d left on 2024-09-01 (not listed)
    assert {r["user_id"]: (r["tier"], float(r["qualifying_spend"])) for r in rows} == {
        "a": ("银卡", 1000.0), "b": ("银卡", 600.0), "c": ("", 100.0)}


def test_run_stores_the_history_and_changes_lists_it(tmp_path):
    ws_dir, prog = setup(tmp_path)
    res = cli(ws_dir, "loyalty", "run", "--program", str(prog), "--as-of", "2025-03-31", "--format", "json")
    assert res.returncode == 0, res.stdout + res.stderr
    out = json.loads(res.stdout)
    # at 2025-03-31: a 银卡 (review 2025-02-01: 1000 < keep 1500); b none (o3 leaves W(365) on 2025-03-01, itself
    # a review day: 0 < keep 500); c none (100); d not a member (left 2024-09-01)
    assert out["members"] == 3 and out["by_tier"] == {"": 2, "银卡": 1, "金卡": 0}
    assert out["changes"] == {"upgrade": 3, "review": 2, "left": 1}
    res = cli(ws_dir, "loyalty", "changes", "--from", "2024-03-01", "--to", "2024-09-01", "--format", "csv")
    assert res.returncode == 0, res.stdout + res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [(r["user_id"], r["date"], r["from_tier"], r["to_tier"], r["reason"]) for r in rows] == [
        ("b", "2024-03-01", "", "银卡", "upgrade"), ("d", "2024-03-01", "", "金卡", "upgrade"),
        ("d", "2024-09-01", "金卡", "", "left")]
    res = cli(ws_dir, "loyalty", "changes", "--user", "a", "--format", "json")
    assert [(r["date"], r["reason"]) for r in json.loads(res.stdout)] == [("2024-01-10", "upgrade"),
                                                                          ("2025-02-01", "review")]


def test_changes_before_any_run_and_bad_program_exit_clearly(tmp_path):
    ws_dir, _prog = setup(tmp_path)
    res = cli(ws_dir, "loyalty", "changes")
    assert res.returncode == 66 and "siyu loyalty run" in res.stdout + res.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(PROGRAM.replace("keep = 1500", "keep = 2500"), encoding="utf-8")
    res = cli(ws_dir, "loyalty", "run", "--program", str(bad))
    assert res.returncode == 78 and "bad.toml: tiers[1].keep" in res.stdout + res.stderr


def test_the_tier_audience_field_follows_the_program_once_run(tmp_path):
    ws_dir, prog = setup(tmp_path)
    ws = Workspace(ws_dir)
    gold = {"field": "tier", "op": "=", "value": "金卡"}
    silver = {"field": "tier", "op": "=", "value": "银卡"}
    assert audiences.count(ws, silver, "2024-12-31")["count"] == 0          # before a run: loaded tiers (none here)
    from siyu.loyalty import run

    run(ws, prog, "2025-03-31")
    assert audiences.members(ws, gold, "2024-12-31").column("user_id").to_pylist() == ["a"]
    assert audiences.members(ws, silver, "2024-12-31").column("user_id").to_pylist() == ["b"]
    assert audiences.members(ws, silver, "2025-02-01").column("user_id").to_pylist() == ["a", "b"]


def test_forget_anonymises_the_tier_history(tmp_path):
    ws_dir, prog = setup(tmp_path)
    ws = Workspace(ws_dir)
    from siyu.loyalty import changes, run

    run(ws, prog, "2025-03-31")
    ws.forget("a")
    ids = set(changes(ws).column("user_id").to_pylist())
    assert "a" not in ids and any(i.startswith("anon:") for i in ids)
    assert not ws.query("SELECT * FROM points_ledger WHERE user_id = 'a'").num_rows
