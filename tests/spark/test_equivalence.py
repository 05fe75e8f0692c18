"""Every model the Spark engine covers gives DuckDB's result on simulated stores.

Equal means: the same rows and keys, every text, date, integer and decimal identical, and every float within
1e-12 of DuckDB's (relative to its size, at least 1: a money figure of ¥273,711.39 within a millionth of a cent, a
rate within 1e-12), the difference that summing doubles in another order makes.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

from siyu import assets
from siyu.clv.summary import discrete_summary
from siyu.clv.summary import rfm_summary as clv_summary
from siyu.health.gain import diagnose, gain
from siyu.health.linkplus import link_plus
from siyu.metrics import store_summary

TOL = 1e-12


def same(a, b, path="") -> list[str]:
    """Where ``a`` (DuckDB) and ``b`` (Spark) differ, as paths; empty when equal in the sense above."""
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{path}: keys {sorted(set(a) ^ set(b))}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        if (math.isnan(a) and math.isnan(b)) or abs(a - b) <= TOL * max(1.0, abs(a), abs(b)):
            return []
        return [f"{path}: {a!r} vs {b!r}"]
    if type(a) is not type(b) and not (isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal))):
        return [f"{path}: {type(a).__name__} {a!r} vs {type(b).__name__} {b!r}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def rows(table, key=("user_id",)):
    """An Arrow table's rows sorted by ``key``."""
    key = [k for k in key if k in table.column_names]
    return table.sort_by([(k, "ascending") for k in key]).to_pylist()


def check(fn, duck, spark, key=("user_id",)):
    a, b = fn(duck), fn(spark)
    if hasattr(a, "sort_by"):
        assert a.schema.names == b.schema.names
        assert a.num_rows > 0
        a, b = rows(a, key), rows(b, key)
    diff = same(a, b)
    assert not diff, diff[:10]
    return a


PER_USER = {
    "aipl": lambda w, t: assets.aipl(w, t),
    "pools": lambda w, t: assets.pools(w, t),
    "ucmv": lambda w, t: assets.ucmv(w, t),
    "rfm": lambda w, t: assets.rfm(w, t),
    "clv_summary": lambda w, t: clv_summary(w, calibration_end=t),
    "clv_summary_days": lambda w, t: clv_summary(w, calibration_end=t, monetary=False),
    "clv_summary_holdout": lambda w, t: clv_summary(w, calibration_end=t - dt.timedelta(days=120), holdout_end=t),
    "clv_discrete_summary": lambda w, t: discrete_summary(w, calibration_end=t, period="M"),
}

SUMMARIES = {
    "aipl_summary": lambda w, t: assets.aipl_summary(w, t),
    "aipl_transitions": lambda w, t: assets.aipl_transitions(w, t - dt.timedelta(days=90), t),
    "aipl_channel_flow": lambda w, t: assets.aipl_channel_flow(w, t - dt.timedelta(days=90), t),
    "pool_summary": lambda w, t: assets.pool_summary(w, t),
    "pool_transitions": lambda w, t: assets.pool_transitions(w, t - dt.timedelta(days=21), t),
    "ucmv_summary": lambda w, t: assets.ucmv_summary(w, t),
    "rfm_summary": lambda w, t: assets.rfm_summary(w, t),
    "fast": lambda w, t: assets.fast(w, t),
    "grow": lambda w, t: assets.grow(w, t),
    "link_plus": lambda w, t: link_plus(w, t),
    "store_summary": lambda w, t: store_summary(w, t),
}


@pytest.mark.parametrize("name", list(PER_USER))
def test_per_user_models_equal_duckdb(store, name):
    duck, spark, t = store
    out = check(lambda w: PER_USER[name](w, t), duck, spark, key=("user_id", "customer_id"))
    assert len(out) > 100


@pytest.mark.parametrize("name", ["aipl", "pools", "ucmv", "rfm", "clv_summary_days"])
def test_per_user_models_equal_duckdb_on_a_second_store(weak_store, name):
    duck, spark, t = weak_store
    check(lambda w: PER_USER[name](w, t), duck, spark, key=("user_id", "customer_id"))


@pytest.mark.parametrize("name", list(SUMMARIES))
def test_summaries_equal_duckdb(store, name):
    duck, spark, t = store
    out = check(lambda w: SUMMARIES[name](w, t), duck, spark, key=("user_id", "pool_type", "date"))
    assert out


def test_gain_and_its_diagnosis_equal_duckdb(store):
    duck, spark, t = store
    a, b = gain(duck, t), gain(spark, t)
    assert not same(a, b), same(a, b)[:10]
    assert not same(diagnose(duck, a), diagnose(spark, b))
    assert a["indicators"]


def test_the_comparison_itself_catches_a_difference():
    assert same({"x": [1.0, Decimal("2.50")]}, {"x": [1.0 + 1e-13, Decimal("2.50")]}) == []
    assert same({"x": 273711.39}, {"x": 273711.40})
    assert same({"x": 0.5}, {"x": 0.5 + 1e-9})
    assert same([{"user_id": "u1", "stage": "A"}], [{"user_id": "u1", "stage": "I"}])
    assert same({"a": 1}, {"a": 1, "b": 2})


def test_clv_fit_with_holdout_and_predict_equal_duckdb(store, tmp_path):
    """The summaries come from Spark; the fit runs on the driver over the distinct tuples: the same numbers."""
    import pyarrow.parquet as pq

    from siyu.clv.runs import fit_model, predict

    duck, spark, t = store
    cal = t - dt.timedelta(days=120)
    for model in ("bgnbd", "gg", "bgbb"):
        kw = {"holdout_end": t} if model == "bgnbd" else {}
        a = fit_model(duck, model, calibration_end=cal, time_unit="M" if model == "bgbb" else "W", **kw)
        b = fit_model(spark, model, calibration_end=cal, time_unit="M" if model == "bgbb" else "W", **kw)
        assert not same(a, b), (model, same(a, b)[:5])
    assert a["n_customers"] > 100
    pa_ = predict(duck, horizon_days=90, calibration_end=t, out=tmp_path / "duck.parquet", store=False)
    pb = predict(spark, horizon_days=90, calibration_end=t, out=tmp_path / "spark.parquet")
    assert pb["stored"] is False and not pa_["stored"]
    ra = pq.read_table(tmp_path / "duck.parquet").sort_by("customer_id").to_pylist()
    rb = pq.read_table(tmp_path / "spark.parquet").sort_by("customer_id").to_pylist()
    assert not same(ra, rb) and len(ra) > 100
