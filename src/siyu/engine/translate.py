"""DuckDB → Spark SQL: the named models translated by sqlglot with siyu's rules (``docs/spark.md`` §Translation).

Parameters become typed literals, ``/`` and ``avg`` work in doubles, DuckDB functions without a Spark name are
rewritten; a model whose translation is impossible has an override ``sql/spark/<name>.sql``, and a model for
DuckDB only says so in its ``engines`` header (:func:`_spark_text` refuses it).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cache
from typing import Any

from siyu._exceptions import ConfigError, EngineError

__all__ = ["spark_sql", "translate"]


# -- translation -------------------------------------------------------------------------------------------------
@cache
def _parsed(sql: str) -> Any:
    import sqlglot

    try:
        return sqlglot.parse_one(sql, read="duckdb")
    except sqlglot.errors.ParseError as exc:
        raise EngineError(f"this query cannot be translated to Spark SQL: {str(exc).splitlines()[0]}") from None


def _literal(value: Any) -> Any:
    """A Python value as a sqlglot literal expression."""
    from sqlglot import exp

    if value is None:
        return exp.Null()
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, (int, Decimal)):
        return exp.Literal.number(str(value))
    if isinstance(value, float):  # a double, as DuckDB binds it (a bare 0.8 is a DECIMAL in Spark SQL)
        import math

        finite = math.isfinite(value)
        return exp.cast(exp.Literal.number(repr(value)) if finite else exp.Literal.string(repr(value)), "DOUBLE")
    if isinstance(value, dt.datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, dt.date):
        return exp.cast(exp.Literal.string(value.isoformat()), "DATE")
    if isinstance(value, str):
        return exp.Literal.string(value)
    if isinstance(value, (list, tuple)):
        return exp.Array(expressions=[_literal(v) for v in value])
    raise ConfigError(f"a parameter of type {type(value).__name__} cannot be passed to Spark")


def _list_position(arr: Any, x: Any) -> Any:
    from sqlglot import exp

    # DuckDB's list_position is NULL when the element is absent, Spark's array_position 0
    return exp.Nullif(this=exp.Anonymous(this="array_position", expressions=[arr, x]),
                      expression=exp.Literal.number(0))


#: DuckDB functions sqlglot leaves as they are, and their Spark equivalents
_FUNCTIONS = {"list_position": _list_position}


def translate(sql: str, params: dict[str, Any] | None = None) -> str:
    """``sql`` (DuckDB's dialect, ``$name`` parameters) as Spark SQL with ``params`` bound as literals.

    Raises
    ------
    EngineError
        When sqlglot cannot parse the query, or a parameter it uses is not given.
    """
    from sqlglot import exp

    params = params or {}

    def bind_params(node: Any) -> Any:
        if isinstance(node, exp.Placeholder) and node.this:
            if node.this not in params:
                raise EngineError(f"query parameter ${node.this} is not given")
            return _literal(params[node.this])
        return node

    def rewrite(node: Any) -> Any:
        if isinstance(node, exp.Anonymous) and str(node.this).lower() in _FUNCTIONS:
            return _FUNCTIONS[str(node.this).lower()](*node.expressions)
        if isinstance(node, exp.Div) and not isinstance(node.this, exp.Cast | exp.TryCast):
            # DuckDB divides decimals as doubles; so does Spark when told
            node.set("this", exp.cast(node.this, "DOUBLE"))
        if isinstance(node, exp.PercentileCont) and node.expression is not None:
            # DuckDB's quantile_cont(x, q): Spark's exact percentile(x, q), the same linear interpolation
            return exp.Anonymous(this="percentile", expressions=[node.this, node.expression])
        if isinstance(node, exp.Avg) and not isinstance(node.this, exp.Cast | exp.TryCast):
            # DuckDB's avg of decimals is a double; Spark's a decimal of four more digits
            node.set("this", exp.cast(node.this, "DOUBLE"))
        return node

    tree = _parsed(sql).copy().transform(bind_params).transform(rewrite)
    return tree.sql(dialect="spark", comments=False)


def spark_sql(name: str) -> str:
    """The query of model ``name`` for Spark: its override ``sql/spark/<name>.sql`` when it has one, else its
    DuckDB query (translated when run)."""
    return _override(name) or _model_sql(name)


def _model_sql(name: str) -> str:
    from siyu.engine.sql import load_model

    return load_model(name).sql


@cache
def _override(name: str) -> str | None:
    from importlib import resources

    from siyu.engine.sql import load_model

    model = load_model(name)
    res = resources.files("siyu").joinpath(model.package, "sql", "spark", f"{name}.sql")
    return res.read_text(encoding="utf-8") if res.is_file() else None


@cache
def _duckdb_only() -> dict[str, str]:
    """DuckDB query text -> the model's name and reason, for models whose ``engines`` header leaves Spark out."""
    from siyu.engine.sql import list_models, load_model

    out = {}
    for n in list_models():
        m = load_model(n)
        if "spark" not in m.engines:
            out[m.sql] = f"{n} ({m.header['engines'].partition('(')[2].rstrip(')') or 'DuckDB only'})"
    return out


@cache
def _overrides_by_text() -> dict[str, str]:
    """DuckDB query text -> Spark override, for every model with an override (the capability code passes SQL text)."""
    from siyu.engine.sql import list_models

    return {_model_sql(n): o for n in list_models() if (o := _override(n)) is not None}


def _spark_text(sql: str) -> str:
    """The Spark query for ``sql``: a model's override when ``sql`` is a model that has one.

    Raises
    ------
    EngineError
        When ``sql`` is a model that runs on DuckDB only (its ``engines`` header says why).
    """
    if sql in _duckdb_only():
        raise EngineError(f"the model {_duckdb_only()[sql]} runs on the duckdb engine only")
    return _overrides_by_text().get(sql, sql)
