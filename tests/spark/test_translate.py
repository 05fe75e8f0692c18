"""The DuckDB → Spark SQL translation: rules, every model, the overrides (sqlglot only, no JVM)."""

from __future__ import annotations

import datetime as dt
from importlib import resources

import pytest

from siyu import EngineError
from siyu.config import SiyuConfig
from siyu.engine.spark import spark_sql, translate
from siyu.engine.sql import SqlModel, bind, list_models, load_model


def test_parameters_become_literals_of_their_type():
    sql = translate("SELECT $d AS d, $n AS n, $x AS x, $s AS s, $b AS b, $l AS l, $z AS z",
                    {"d": dt.date(2024, 1, 2), "n": 7, "x": 0.25, "s": "it's", "b": True, "l": ["V1", "V2"],
                     "z": None})
    assert "CAST('2024-01-02' AS DATE) AS d" in sql
    assert "7 AS n" in sql and "CAST(0.25 AS DOUBLE) AS x" in sql and "'it\\'s' AS s" in sql and "TRUE AS b" in sql
    assert "ARRAY('V1', 'V2') AS l" in sql and "NULL AS z" in sql
    with pytest.raises(EngineError, match=r"\$missing is not given"):
        translate("SELECT $missing")


def test_division_and_averages_are_doubles_as_in_duckdb():
    assert "CAST(a AS DOUBLE) / b" in translate("SELECT a / b FROM t")
    assert "CAST(a AS DECIMAL(18, 2)) / b" in translate("SELECT CAST(a AS DECIMAL(18,2)) / b FROM t")
    assert "AVG(CAST(x AS DOUBLE))" in translate("SELECT avg(x) FROM t")


def test_duckdb_functions_without_a_spark_name_are_rewritten():
    assert "NULLIF(ARRAY_POSITION(ARRAY('A', 'I'), s), 0)" in translate("SELECT list_position(['A', 'I'], s) FROM t")
    assert "PERCENTILE(x, 0.8)" in translate("SELECT quantile_cont(x, 0.8) FROM t")
    assert "DATEDIFF(DAY, a, b)" in translate("SELECT date_diff('day', a, b) FROM t")


def _sample(p: str):
    if p in ("period",):
        return "M"
    if p in ("relation", "source", "audience_mode", "crowd_a"):
        return "orders" if p == "relation" else "internal"
    if p in ("unit_days", "days", "n_periods", "day_lo", "day_hi", "mid_low", "mid_high"):
        return 1
    return dt.date(2024, 6, 30)


class _Ws:
    config = SiyuConfig()


@pytest.mark.parametrize("name", list_models())
def test_every_model_translates_or_says_it_runs_on_duckdb_only(name):
    from siyu.engine.spark import _spark_text

    model = load_model(name)
    if "spark" not in model.engines:
        assert "(" in model.header["engines"], "a DuckDB-only model says why"
        with pytest.raises(EngineError, match=f"model {name} .*runs on the duckdb engine only"):
            _spark_text(model.sql)
        return
    given = {p: _sample(p) for p in model.params if not hasattr(SiyuConfig().model, p)
             and p not in ("event_days", "short_days")}
    sql = translate(spark_sql(name), bind(_Ws(), name, **given))
    assert sql.upper().startswith(("SELECT", "WITH"))
    assert "$" not in sql


def _overrides() -> list[tuple[str, SqlModel]]:
    out = []
    for name in list_models():
        model = load_model(name)
        f = resources.files("siyu").joinpath(model.package, "sql", "spark", f"{name}.sql")
        if f.is_file():
            out.append((name, f.read_text(encoding="utf-8")))
    return out


def test_overrides_say_why_and_keep_the_models_interface():
    overrides = _overrides()
    assert [n for n, _ in overrides] == ["clv_summary_days"]
    for name, text in overrides:
        header = {}
        for line in text.splitlines():
            if not line.startswith("--"):
                break
            k, _, v = line[2:].strip().partition(":")
            header[k.strip()] = (header.get(k.strip(), "") + " " + v.strip()).strip()
        model = load_model(name)
        assert header["name"] == name and header["engine"] == "spark"
        assert len(header["override"]) > 60, "an override says why the translation is impossible"
        for key in ("params", "columns"):
            assert header[key] == model.header[key], key
        assert spark_sql(name) == text
