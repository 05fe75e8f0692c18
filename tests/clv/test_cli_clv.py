"""The CLV commands as a user runs them: fit with a holdout, fit on a transactions file, predict and store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from siyu import Workspace
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store

from conftest import GOOD_FILES, run_cli  # tests/conftest.py

CDNOW = Path(__file__).resolve().parents[1] / "data" / "cdnow" / "CDNOW_sample.txt"


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    root = tmp_path_factory.mktemp("clv-cli")
    tables, truth = simulate_store(SimulationConfig(users=6000, seed=515))
    files = write_store(root / "d", tables, truth)
    with Workspace.init(root / "ws") as ws:
        for name in TABLES:
            ws.ingest(name, files[name])
    return str(root / "ws")


def test_fit_with_holdout_prints_params_ll_and_metrics(ws_path):
    res = run_cli("-w", ws_path, "clv", "fit", "--model", "bgnbd", "--calibration-end", "2024-09-30",
                  "--holdout-end", "2024-12-30", "--time-unit", "W", "--format", "json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert set(out["params"]) == {"r", "alpha", "a", "b"} and out["log_likelihood"] < 0
    assert out["n_customers"] > 1000 and out["n_distinct"] <= out["n_customers"]
    m = out["holdout"]["metrics"]["purchases"]
    assert m["mae"] >= 0 and m["rmse"] >= m["mae"]
    # the model predicts the holdout total within 25 % on this store
    assert abs(m["predicted_total"] - m["actual_total"]) < 0.25 * m["actual_total"]


@pytest.mark.parametrize("model, keys", [("pnbd", {"r", "alpha", "s", "beta"}), ("mbgnbd", {"r", "alpha", "a", "b"}),
                                         ("gg", {"p", "q", "v"}), ("bgbb", {"alpha", "beta", "gamma", "delta"})])
def test_every_model_fits_from_the_cli(ws_path, model, keys):
    unit = "M" if model == "bgbb" else "W"
    res = run_cli("-w", ws_path, "clv", "fit", "--model", model, "--calibration-end", "2024-12-30",
                  "--time-unit", unit, "--format", "json")
    assert res.returncode == 0, res.stderr
    assert set(json.loads(res.stdout)["params"]) == keys


def test_fit_on_a_transactions_file_reproduces_cdnow(tmp_path):
    f = tmp_path / "cdnow.csv"
    with CDNOW.open() as src, f.open("w", newline="") as dst:
        w = csv.writer(dst)
        w.writerow(["customer", "date", "dollars"])
        for line in src:
            cid, _, date, _, dollars = line.split()
            w.writerow([cid, f"{date[:4]}-{date[4:6]}-{date[6:]}", dollars])
    res = run_cli("clv", "fit", "--model", "bgnbd", "--calibration-end", "1997-09-30", "--time-unit", "W",
                  "--input", str(f), "--customer-col", "customer", "--time-col", "date", "--amount-col", "dollars",
                  "--format", "json", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    p = out["params"]
    assert (round(p["r"], 3), round(p["alpha"], 3), round(p["a"], 3), round(p["b"], 3)) == (0.243, 4.414, 0.793, 2.426)
    assert out["log_likelihood"] == pytest.approx(-9582.4, abs=0.1)
    assert out["n_customers"] == 2357


def test_predict_writes_a_file_and_stores_predictions(ws_path, tmp_path):
    out = tmp_path / "clv.csv"
    res = run_cli("-w", ws_path, "clv", "predict", "--horizon", "365D", "--out", str(out), "--format", "json")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(out.open()))
    s = json.loads(res.stdout)["summary"]
    assert len(rows) == s["customers"] > 1000
    for r in rows[:200]:
        assert 0 <= float(r["p_alive"]) <= 1 and float(r["p_churn"]) == pytest.approx(1 - float(r["p_alive"]))
        assert float(r["predicted_clv"]) >= 0 and float(r["total_clv"]) >= float(r["historic_clv"])
    with Workspace(ws_path, read_only=True) as ws:
        n = ws.query("SELECT count(*) AS n, min(p_alive) AS lo FROM clv_predictions").to_pylist()[0]
    assert n["n"] == len(rows) and n["lo"] >= 0


def test_too_little_data_is_refused_with_a_reason(tmp_path):
    ws = str(tmp_path / "ws")
    run_cli("-w", ws, "init")
    for table, path in GOOD_FILES.items():
        run_cli("-w", ws, "ingest", table, str(path))
    res = run_cli("-w", ws, "clv", "predict")
    assert res.returncode == 65 and "repeat buyers" in res.stderr


def test_prediction_file_is_rounded_has_no_nan_and_no_next_order_beyond_the_horizon(ws_path, tmp_path):
    import datetime as dt
    import re

    out = tmp_path / "clv.csv"
    res = run_cli("-w", ws_path, "clv", "predict", "--horizon", "365D", "--out", str(out), "--format", "json")
    assert res.returncode == 0, res.stderr
    text = out.read_text(encoding="utf-8")
    assert "nan" not in text.lower() and "inf" not in text.lower()
    rows = list(csv.DictReader(text.splitlines()))
    money = ("historic_clv", "predicted_clv", "total_clv", "expected_spend")
    six = ("p_alive", "p_churn", "expected_purchases")
    for r in rows:
        for c in money:
            assert re.fullmatch(r"-?\d+(\.\d{1,2})?", r[c]), (c, r[c])
        for c in six:
            assert re.fullmatch(r"\d+(\.\d{1,6})?", r[c]), (c, r[c])
        if float(r["frequency"]) == 0:
            assert r["avg_days_between_orders"] == ""  # no repeat purchase: missing, not nan
    last = dt.date(2024, 12, 30) + dt.timedelta(days=365)
    assert {r["calibration_end"] for r in rows} == {"2024-12-30"}
    dates = {r["customer_id"]: r["expected_next_order"] for r in rows}
    assert all(d == "" or dt.date.fromisoformat(d) <= last for d in dates.values())
    assert any(d != "" for d in dates.values())
    # the stored table keeps every prediction as computed: unrounded, with the dates beyond the horizon
    with Workspace(ws_path, read_only=True) as ws:
        stored = ws.query("SELECT customer_id, predicted_clv, expected_next_order FROM clv_predictions").to_pylist()
    beyond = {s["customer_id"] for s in stored if s["expected_next_order"] and s["expected_next_order"] > last}
    assert beyond and all(dates[c] == "" for c in beyond)
    assert any(abs(s["predicted_clv"] * 100 - round(s["predicted_clv"] * 100)) > 1e-6 for s in stored)
    by_id = {s["customer_id"]: s["predicted_clv"] for s in stored}
    assert all(abs(float(r["predicted_clv"]) - by_id[r["customer_id"]]) <= 0.005 + 1e-9 for r in rows)
    # the printed JSON is that of the stored table, not of the rounded file
    s = json.loads(res.stdout)["summary"]
    assert s["predicted_clv_total"] == pytest.approx(sum(by_id.values()), rel=1e-12)


def test_prediction_jsonl_has_nulls_not_nan(ws_path, tmp_path):
    out = tmp_path / "clv.jsonl"
    res = run_cli("-w", ws_path, "clv", "predict", "--horizon", "90D", "--out", str(out))
    assert res.returncode == 0, res.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    assert "NaN" not in "".join(lines) and "Infinity" not in "".join(lines)
    rows = [json.loads(line) for line in lines]
    assert any(r["avg_days_between_orders"] is None for r in rows)
    assert any(r["expected_next_order"] is None for r in rows)
    assert all(r["predicted_clv"] == round(r["predicted_clv"], 2) for r in rows)
