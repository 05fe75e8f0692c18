"""Acceptance paths of the foundation, run as a user would: real processes, real files."""

from __future__ import annotations

import json

from conftest import run_cli

from siyu.contract import TABLES


def test_simulate_init_ingest_twice_and_tables_json(tmp_path):
    d, ws = tmp_path / "d", str(tmp_path / "ws")
    res = run_cli("simulate", "--users", "3000", "--days", "365", "--seed", "7", "--out", str(d))
    assert res.returncode == 0, res.stderr
    assert (d / "truth.json").exists()
    assert run_cli("-w", ws, "init").returncode == 0
    for t in TABLES:
        res = run_cli("-w", ws, "ingest", t, str(d / f"{t}.parquet"), "--format", "json")
        assert res.returncode == 0, res.stderr
        assert json.loads(res.stdout)[0]["inserted"] > 0, t
    first = json.loads(run_cli("-w", ws, "tables", "--format", "json").stdout)
    for t in TABLES:
        res = run_cli("-w", ws, "ingest", t, str(d / f"{t}.parquet"), "--format", "json")
        load = json.loads(res.stdout)[0]
        assert (load["inserted"], load["replaced"]) == (0, 0), t
    again = json.loads(run_cli("-w", ws, "tables", "--format", "json").stdout)
    assert again == first
    assert all(first[t]["rows"] > 0 for t in TABLES)
    truth = json.loads((d / "truth.json").read_text())
    assert json.dumps(truth)  # valid JSON with the simulator's true parameters


def test_demo_prints_the_summary_and_writes_the_report(tmp_path):
    ws = tmp_path / "ws"
    res = run_cli("-w", str(ws), "demo", "--users", "3000")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    for words in ("Store summary", "店铺概览", "客单价", "Repeat-buyer share", "report.html", "Saved audiences"):
        assert words in out, words
    from siyu.pipeline.demo import DEMO_AUDIENCES

    saved = json.loads(run_cli("-w", str(ws), "audience", "list", "--format", "json").stdout)
    assert [r["name"] for r in saved] == sorted(DEMO_AUDIENCES) and all(r["last_members"] > 0 for r in saved)
    for r in saved:  # the demo's table prints each audience with its size
        assert any(r["name"] in line and f"{r['last_members']:,}" in line for line in out.splitlines()), r
    report = ws / "report.html"
    assert report.exists() and report.stat().st_size > 1_000_000  # plotly.js is inlined
    # a second demo run on the same workspace is idempotent
    res = run_cli("-w", str(ws), "demo", "--users", "3000")
    assert res.returncode == 0
    rows = [line for line in res.stdout.splitlines() if line.startswith("│ orders ")]
    assert rows and rows[0].split("│")[3].strip() == "0"  # no new orders the second time
