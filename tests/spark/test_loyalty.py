"""Loyalty on the second engine: the tier history computed from a Parquet lake on Spark equals DuckDB's, and the
commands that store results are refused there."""

from __future__ import annotations

import pytest

from siyu import EngineError
from siyu import loyalty

PROGRAM = {"program": {"name": "成长型会员", "window_days": 365, "review": "monthly"},
           "tiers": [{"name": "银卡", "threshold": 100}, {"name": "金卡", "threshold": 400, "keep": 250}]}


def test_tier_history_and_members_on_spark_equal_duckdbs(store):
    duck, spark, t = store
    prog = loyalty.load_program(PROGRAM)
    a, b = loyalty.history(duck, prog, t), loyalty.history(spark, prog, t)
    assert a.changes.num_rows > 50 and set(a.changes.column("reason").to_pylist()) >= {"upgrade", "review"}
    assert b.changes.to_pylist() == a.changes.to_pylist()
    assert loyalty.members(spark, prog, t).to_pylist() == loyalty.members(duck, prog, t).to_pylist()


def test_run_is_refused_on_spark(store):
    _, spark, t = store
    with pytest.raises(EngineError, match="loyalty"):
        loyalty.run(spark, PROGRAM, t)
