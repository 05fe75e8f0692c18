"""The command line as a user runs it: a real process, real files."""

from __future__ import annotations

import json

from conftest import GOOD_FILES, run_cli


def test_version_and_help():
    from siyu import __version__

    res = run_cli("--version")
    assert res.returncode == 0 and __version__ in res.stdout
    res = run_cli("--help")
    assert res.returncode == 0 and "ingest" in res.stdout and "demo" in res.stdout


def test_ingest_tables_export_round_trip(tmp_path):
    ws = str(tmp_path / "ws")
    assert run_cli("-w", ws, "init").returncode == 0
    for table, path in GOOD_FILES.items():
        res = run_cli("-w", ws, "ingest", table, str(path), "--format", "json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)[0]["table"] == table
    res = run_cli("-w", ws, "tables", "--format", "json")
    info = json.loads(res.stdout)
    assert {k: v["rows"] for k, v in info.items()} == {
        "users": 3, "products": 3, "orders": 4, "order_items": 5, "events": 5, "follows": 3, "memberships": 2,
        "reach_log": 3}
    assert info["orders"]["from"] == "2024-06-18 09:15:00"
    out = tmp_path / "orders.parquet"
    assert run_cli("-w", ws, "export", "orders", str(out)).returncode == 0
    res = run_cli("-w", ws, "ingest", "orders", str(out), "--format", "json")
    assert json.loads(res.stdout)[0]["unchanged"] == 4
    res = run_cli("-w", ws, "tables", "--format", "csv")
    assert res.stdout.splitlines()[0] == "table,rows,from,to"


def test_summary_json_and_config(tmp_path):
    ws = str(tmp_path / "ws")
    run_cli("-w", ws, "init")
    for table, path in GOOD_FILES.items():
        run_cli("-w", ws, "ingest", table, str(path))
    res = run_cli("-w", ws, "summary", "--as-of", "2024-11-12", "--format", "json")
    s = json.loads(res.stdout)
    assert s["as_of"] == "2024-11-12" and s["kpis"]["buyers"] == 3
    res = run_cli("-w", ws, "summary", "--as-of", "2024-13-45")
    assert res.returncode == 78 and "not a date" in res.stderr
    res = run_cli("-w", ws, "config")
    assert res.returncode == 0 and "a_days = 15" in res.stdout


def test_bad_option_is_a_usage_error(tmp_path):
    res = run_cli("-w", str(tmp_path), "tables", "--format", "xml")
    assert res.returncode == 2 and "xml" in res.stderr
