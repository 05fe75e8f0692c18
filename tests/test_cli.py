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
        "reach_log": 3, "consents": 5}
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


def test_export_all_writes_every_table_and_loads_back(tmp_path):
    """`siyu export --all --format parquet DIR`: one file per contract table; with --unmask a new workspace loaded
    from it holds the same data (checksums of every table, personal data included)."""
    from siyu import Workspace
    from siyu.contract import TABLES

    ws, ws2, out = str(tmp_path / "ws"), str(tmp_path / "ws2"), tmp_path / "lake"
    assert run_cli("-w", ws, "init").returncode == 0
    for table, path in GOOD_FILES.items():
        assert run_cli("-w", ws, "ingest", table, str(path)).returncode == 0
    (out).mkdir()
    (out / "README.txt").write_text("kept")
    res = run_cli("-w", ws, "export", "--all", "--format", "parquet", "--unmask", str(out))
    assert res.returncode == 0, res.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{t}.parquet" for t in TABLES] + ["README.txt"])
    assert "exported 3 rows of users" in res.stdout
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".lake.")]  # the staging directory is gone
    assert run_cli("-w", ws2, "init").returncode == 0
    for table in TABLES:
        res = run_cli("-w", ws2, "ingest", table, str(out / f"{table}.parquet"))
        assert res.returncode == 0, res.stderr
    with Workspace(ws) as a, Workspace(ws2) as b:
        ca, cb = a.checksums(), b.checksums()
        a.export("users", tmp_path / "u1.csv", unmask=True)
        b.export("users", tmp_path / "u2.csv", unmask=True)
    # personal data is encrypted with each workspace's own key: users compare in clear
    assert {k: v for k, v in ca.items() if k not in ("_loads", "users")} == \
        {k: v for k, v in cb.items() if k not in ("_loads", "users")}
    assert (tmp_path / "u1.csv").read_text() == (tmp_path / "u2.csv").read_text()
    assert "13812341234" in (tmp_path / "u1.csv").read_text()  # in clear, as loaded
    res = run_cli("-w", ws, "export", "--all", str(out), "extra.csv")
    assert res.returncode == 78 and "one directory" in res.stderr
    res = run_cli("-w", ws, "export", "--all", "--format", "csv", str(tmp_path / "csvlake"))
    assert res.returncode == 0 and (tmp_path / "csvlake" / "users.csv").read_text().count("****") >= 1  # masked
