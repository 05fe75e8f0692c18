"""Customer summaries for the BTYD models: transactions → one row per customer, aggregated in DuckDB.

:func:`rfm_summary` builds the continuous-time summary ``(frequency, recency, T, monetary)`` of Fader, Hardie &
Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the Pareto/NBD Model", *Marketing Science*
24(2) — the ``(x, t_x, T)`` of the BG/NBD, Pareto/NBD and MBG/NBD models and the ``(x, m_x)`` of Gamma-Gamma —
with the conventions that reproduce the paper's CDNOW summary (and ``lifetimes``'
``summary_data_from_transaction_data(..., freq="D")`` divided by the unit):

* orders are aggregated to local **purchase days** (a purchase is an order with ``refund_amount < amount``; its
  spend is ``amount − refund_amount``; the spend of a day is the sum over its purchases), so several orders on one
  day are one transaction;
* **calibration** = purchase days ``≤ calibration_end`` (inclusive, a local date); customers whose first purchase
  is after it are left out;
* ``frequency`` = calibration purchase days after the first; ``recency`` = (last − first purchase day) / unit;
  ``T`` = (calibration_end − first purchase day) / unit; ``monetary`` = mean spend of the repeat purchase days (the
  first is excluded, as Gamma-Gamma requires; 0 when ``frequency = 0``); ``first_purchase`` = the first day;
* **holdout** (with ``holdout_end``) = purchase days in ``(calibration_end, holdout_end]``: ``frequency_holdout`` =
  their number, ``monetary_holdout`` = their mean spend (0 if none), ``duration_holdout`` = (holdout_end −
  calibration_end) / unit.

Units (:data:`UNIT_DAYS`): ``D`` = 1 day, ``W`` = 7 days, ``M`` = 30.4375 days (365.25 / 12, the mean Gregorian
month), ``Y`` = 365.25 days. A purchase day ``d`` sits at time ``d`` (its start), so a customer who first bought on
1997-01-01 has ``T = 272 / 7 = 38.86`` weeks at 1997-09-30, as in the paper.

:func:`discrete_summary` builds the discrete-time summary ``(x, t_x, n)`` of the BG/BB model (Fader, Hardie &
Shang 2010, "Customer-Base Analysis in a Discrete-Time Noncontractual Setting", *Marketing Science* 29(6)).

Sources: a :class:`siyu.Workspace` (its ``orders`` table), a ``.csv`` / ``.parquet`` / ``.jsonl`` file read by
DuckDB, a pandas DataFrame or a pyarrow Table. Whatever the source, the rows are exposed to the SQL as the temp
view ``_clv_tx`` (``customer_id, paid_at, amount, refund_amount``) by :func:`transactions` and every aggregation
runs in DuckDB (SQL: ``sql/clv_summary.sql``, with a holdout ``sql/clv_summary_holdout.sql``;
``sql/clv_discrete_summary.sql``; ``sql/clv_source_columns.sql``, ``sql/clv_purchase_span.sql`` and
``sql/clv_memory_limit.sql`` for the checks). The only queries built at run time are the two source views, in
:func:`_view_sql` (besides the session settings ``SET temp_directory`` / ``memory_limit``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siyu._exceptions import ConfigError, InsufficientDataError, ValidationError
from siyu.engine.dates import as_date
from siyu.engine.duckdb import arrow, one, run
from siyu.engine.io import format_of, read_sql
from siyu.engine.sql import load_model

__all__ = ["MAX_SPAN_DAYS", "MEMORY_LIMIT", "PERIODS", "PURCHASE", "UNIT_DAYS", "discrete_summary", "rfm_summary",
           "transactions", "unit_days"]

#: length of a time unit in days: D = 1, W = 7, M = 365.25 / 12 = 30.4375 (mean Gregorian month), Y = 365.25
UNIT_DAYS: dict[str, float] = {"D": 1.0, "W": 7.0, "M": 30.4375, "Y": 365.25}

#: discrete periods of :func:`discrete_summary`: SQL giving a period index of a DATE ``{d}`` (consecutive periods
#: have consecutive indices): calendar years, calendar months, and weeks starting on Monday (1969-12-29 is one);
#: ``sql/clv_discrete_summary.sql`` spells out these expressions (a test checks they agree)
PERIODS: dict[str, str] = {
    "Y": "year({d})",
    "M": "(year({d}) * 12 + month({d}) - 1)",
    "W": "(date_diff('day', DATE '1969-12-29', {d}) // 7)",
}

#: SQL predicate of a purchase over ``_clv_tx`` (docs/customer-assets.md; ``refund_amount`` is NULL when the source
#: records no refunds, and then every row with ``amount >= 0`` is a purchase, as in a lifetimes transaction log);
#: every model over ``_clv_tx`` in ``clv/sql`` spells out this predicate (a test checks they agree)
PURCHASE = "CASE WHEN refund_amount IS NULL THEN amount >= 0 ELSE refund_amount < amount END"

#: DuckDB memory cap while a summary is computed (its hash aggregations spill to disk beyond it; an existing lower
#: limit is kept): a summary of 10M transactions of 2M customers then peaks at 0.93 GB resident (1.4 GB uncapped);
#: a tighter cap costs speed (600MB: 3.3 s instead of 2.3 s) without a lower peak (850MB peaked at 1.04 GB)
MEMORY_LIMIT = "900MB"
#: the widest span of purchase days (bits per customer) summarised through a bitstring of days (clv_summary_days)
MAX_SPAN_DAYS = 4000

_DEFAULT_TZ = "Asia/Shanghai"  # docs/data.md §Dates: the default workspace time zone
_OFFSET = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)$"
_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "UHUGEINT", "FLOAT", "DOUBLE", "DECIMAL", "REAL")


# -- arguments -----------------------------------------------------------------------------------------------------
def unit_days(time_unit: str) -> float:
    """Days in ``time_unit`` (``D``, ``W``, ``M`` or ``Y``, see :data:`UNIT_DAYS`)."""
    key = str(time_unit).strip().upper()
    if key not in UNIT_DAYS:
        raise ConfigError(f"time_unit {time_unit!r}: use one of {', '.join(UNIT_DAYS)} "
                          "(D = 1 day, W = 7 days, M = 30.4375 days, Y = 365.25 days)")
    return UNIT_DAYS[key]


# -- the source as a view --------------------------------------------------------------------------------------------
def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _describe_source(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return f"file {source}"
    return f"workspace {source.path}" if hasattr(source, "session") else type(source).__name__


@contextlib.contextmanager
def _connection(source: Any, customer_col: str) -> Iterator[tuple[Any, str, str | None]]:
    """Yield ``(connection, relation, workspace time zone or None)`` for ``source``."""
    if hasattr(source, "session") and hasattr(source, "config"):  # a Workspace (not imported unless needed)
        from siyu.workspace import Workspace

        if isinstance(source, Workspace):
            with source.session() as conn:
                yield conn, "orders", source.config.workspace.tz
            return
    import duckdb

    conn = duckdb.connect()
    try:
        conn.execute("SET enable_progress_bar = false")
        spill = Path(tempfile.gettempdir()) / "siyu-duckdb-spill"
        conn.execute(f"SET temp_directory = {_lit(str(spill))}")  # not ./.tmp, should a summary spill
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            fmt = format_of(path)
            if not path.is_file():
                raise ConfigError(f"file {path} does not exist")
            try:
                run(conn, _view_sql("_clv_src", read_sql(path, fmt)))
                # identifiers are strings: never let CSV sniffing turn "00042" into 42
                if fmt == "csv" and customer_col in _columns(conn, "_clv_src"):
                    run(conn, _view_sql("_clv_src", read_sql(path, fmt, text_columns=(customer_col,))))
                _columns(conn, "_clv_src")
            except duckdb.Error as exc:
                raise ValidationError(str(path), f"cannot be read as {path.suffix.lower()[1:]}: "
                                                 f"{str(exc).splitlines()[0]}") from None
        elif _is_frame(source):
            conn.register("_clv_src", source)
        else:
            raise ConfigError(f"source of type {type(source).__name__}: pass a siyu.Workspace, a .csv / .parquet / "
                              ".jsonl path, a pandas DataFrame or a pyarrow Table")
        yield conn, "_clv_src", None
    finally:
        conn.close()


_UNITS = {"": 1, "B": 1, "BYTES": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30, "TIB": 2**40}


def _bytes(text: str) -> float:
    m = re.fullmatch(r"\s*([\d.]+)\s*([A-Za-z]*)\s*", str(text))
    return float(m.group(1)) * _UNITS.get(m.group(2).upper(), 1) if m else float("inf")


def _memory_limit(conn: Any) -> str:
    return one(conn, load_model("clv_memory_limit").sql)[0]


@contextlib.contextmanager
def _memory_cap(conn: Any) -> Iterator[None]:
    """Lower DuckDB's ``memory_limit`` to :data:`MEMORY_LIMIT` for the duration (never raise it), then restore it."""
    if getattr(conn, "dialect", "duckdb") != "duckdb":  # Spark sizes its executors itself
        yield
        return
    old = _memory_limit(conn)
    if _bytes(old) <= _bytes(MEMORY_LIMIT):
        yield
        return
    conn.execute(f"SET memory_limit = {_lit(MEMORY_LIMIT)}")
    try:
        yield
    finally:
        conn.execute("RESET memory_limit")  # exact when the limit was DuckDB's default (siyu never sets one)
        if _memory_limit(conn) != old:
            conn.execute(f"SET memory_limit = {_lit(old)}")


def _columns(conn: Any, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of the table, view or registered frame named ``relation``."""
    if getattr(conn, "dialect", "duckdb") != "duckdb":  # another engine's connection names DuckDB's types itself
        return conn.siyu_columns(relation)
    return {r[0]: r[1] for r in run(conn, load_model("clv_source_columns").sql, {"relation": relation})}


def _view_sql(view: str, relation: str, columns: dict[str, str] | None = None) -> str:
    """``CREATE OR REPLACE TEMP VIEW <view> AS SELECT <columns> FROM <relation>``, the SQL built at run time.

    ``columns`` maps each output column to an SQL expression (all columns of ``relation`` when None). This is the one
    statement of the CLV summaries that cannot be a named model in ``clv/sql``, because what varies is not a value
    DuckDB could bind as a ``$parameter`` but SQL text:

    * ``relation`` is a table expression: ``read_csv('<the user's path>', …)`` / ``read_parquet`` / ``read_json_auto``
      from :func:`siyu.engine.io.read_sql`, or the name of a table or view (``orders``, ``_clv_src``);
    * the expressions of ``_clv_tx`` name the columns the caller chose (``customer_col``, ``time_col``, …) and their
      form depends on each column's type (:func:`_time_expr`, :func:`_money_expr`: zoned timestamps become local time,
      text becomes numbers).

    Identifiers are quoted (:func:`_ident`) and literals escaped (:func:`_lit`, :func:`siyu.engine.io.sql_literal`);
    the named models (``clv_summary``, ``clv_discrete_summary``, …) then read the fixed views ``_clv_src`` and
    ``_clv_tx``.
    """
    select = "*" if columns is None else ", ".join(f"{expr} AS {_ident(name)}" for name, expr in columns.items())
    return f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {select} FROM {relation}"


def _is_frame(obj: Any) -> bool:
    mod = type(obj).__module__.split(".")[0]
    return mod in ("pandas", "pyarrow", "polars")


def _time_expr(col: str, sql_type: str, tz: str) -> str:
    c, t = _ident(col), sql_type.upper()
    if t in ("TIMESTAMPTZ", "TIMESTAMP WITH TIME ZONE"):
        return f"timezone({_lit(tz)}, {c})"  # local wall-clock time in the workspace zone
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return c
    if t == "VARCHAR":
        return (f"CASE WHEN regexp_matches({c}, {_lit(_OFFSET)}) THEN timezone({_lit(tz)}, CAST({c} AS TIMESTAMPTZ)) "
                f"ELSE CAST({c} AS TIMESTAMP) END")
    raise ConfigError(f"column {col!r} ({sql_type}) must hold dates or timestamps")


def _money_expr(col: str, sql_type: str) -> str:
    t = sql_type.upper()
    if t.startswith(_NUMERIC):
        return _ident(col)
    if t == "VARCHAR":
        return f"CAST({_ident(col)} AS DOUBLE)"
    raise ConfigError(f"column {col!r} ({sql_type}) must hold amounts of money (numbers)")


@contextlib.contextmanager
def transactions(source: Any, *, customer_col: str = "user_id", time_col: str = "paid_at", amount_col: str = "amount",
                 refund_col: str | None = None, tz: str | None = None) -> Iterator[Any]:
    """Yield a DuckDB connection on which the temp view ``_clv_tx`` holds ``source``'s orders.

    ``_clv_tx`` has the columns ``customer_id VARCHAR, paid_at (DATE or local TIMESTAMP), amount,
    refund_amount``. With ``refund_col=None`` the contract column ``refund_amount`` is used when the source has
    one; a missing refund value is 0. Without any refund column ``refund_amount`` is NULL: the source is a plain
    transaction log and :data:`PURCHASE` counts every row with ``amount >= 0``. Zoned timestamps become local
    time in ``tz`` (default: the workspace's zone, else Asia/Shanghai, docs/data.md §Dates). A Workspace's lock is held, and
    DuckDB's memory limit lowered to :data:`MEMORY_LIMIT`, while the connection is in use.

    Raises
    ------
    ConfigError
        A named column is missing (the message lists the columns there are) or has the wrong type, or the source
        is of an unsupported kind.
    """
    with _connection(source, customer_col) as (conn, relation, ws_tz):
        zone = tz or ws_tz or _DEFAULT_TZ
        types = _columns(conn, relation)
        if refund_col is None and "refund_amount" in types:
            refund_col = "refund_amount"
        for role, col in (("customer_col", customer_col), ("time_col", time_col), ("amount_col", amount_col),
                          ("refund_col", refund_col)):
            if col is not None and col not in types:
                raise ConfigError(f"{_describe_source(source)} has no column {col!r} ({role}); "
                                  f"its columns are: {', '.join(types)}")
        cust = _ident(customer_col)
        if types[customer_col].upper() != "VARCHAR":
            cust = f"CAST({cust} AS VARCHAR)"
        refund = f"coalesce({_money_expr(refund_col, types[refund_col])}, 0)" if refund_col else "CAST(NULL AS DOUBLE)"
        conn.execute(_view_sql("_clv_tx", relation, {
            "customer_id": cust, "paid_at": _time_expr(time_col, types[time_col], zone),
            "amount": _money_expr(amount_col, types[amount_col]), "refund_amount": refund}))
        try:
            with _memory_cap(conn):
                yield conn
        finally:
            conn.execute("DROP VIEW IF EXISTS _clv_tx")


def _run(conn: Any, sql: str, params: dict, source: Any):
    import duckdb

    try:
        return arrow(conn, sql, params)
    except duckdb.ConversionException as exc:
        msg = f"a value cannot be read: {str(exc).splitlines()[0]}"
        if isinstance(source, (str, os.PathLike)):
            raise ValidationError(str(source), msg) from None
        raise ConfigError(f"{_describe_source(source)}: {msg}") from None


def _empty(conn: Any, source: Any, calibration_end: dt.date) -> InsufficientDataError:
    lo, hi, n = one(conn, load_model("clv_purchase_span").sql)
    seen = f"its {n} purchases run from {lo} to {hi}" if n else "it has no purchases (orders not fully refunded)"
    return InsufficientDataError(f"no customer has a purchase on or before calibration_end {calibration_end} in "
                                 f"{_describe_source(source)}: {seen}")


# -- summaries -----------------------------------------------------------------------------------------------------
def rfm_summary(source: Any, *, calibration_end: Any, holdout_end: Any = None, time_unit: str = "D",
                customer_col: str = "user_id", time_col: str = "paid_at", amount_col: str = "amount",
                refund_col: str | None = None, tz: str | None = None, monetary: bool = True):
    """Per-customer ``frequency, recency, T, monetary`` (Fader, Hardie & Lee 2005) from transactions.

    Parameters
    ----------
    source : Workspace, str or Path, pandas.DataFrame or pyarrow.Table
        Orders: a workspace's ``orders`` table, a ``.csv`` / ``.parquet`` / ``.jsonl`` file, or a frame.
    calibration_end : date or str
        Last local date of the calibration period (inclusive).
    holdout_end : date or str, optional
        Last local date of the holdout period (inclusive); adds ``frequency_holdout, monetary_holdout,
        duration_holdout``. Must be after ``calibration_end``.
    time_unit : {"D", "W", "M", "Y"}, default "D"
        Unit of ``recency``, ``T`` and ``duration_holdout`` (:data:`UNIT_DAYS`; M = 30.4375 days).
    customer_col, time_col, amount_col : str
        Column names in ``source`` (defaults: the ``orders`` contract).
    refund_col : str, optional
        Refunded amount per order; default ``refund_amount`` when the source has it, else no refunds.
    tz : str, optional
        Zone in which zoned timestamps are turned into local dates (default: the workspace's, else Asia/Shanghai).
    monetary : bool, default True
        With False (and no holdout) ``monetary`` may be left out: the purchase models do not use it, and the
        summary is then one aggregation by customer (``sql/clv_summary_days.sql``) when the purchase days span at
        most :data:`MAX_SPAN_DAYS`.

    Returns
    -------
    pyarrow.Table
        ``customer_id, frequency, recency, T, monetary, first_purchase`` (+ the holdout columns), one row per
        customer whose first purchase day is ≤ ``calibration_end``, in no particular order (sort by
        ``customer_id`` if needed). Conventions in the module docstring; SQL in ``sql/clv_summary.sql`` (with a
        holdout, ``sql/clv_summary_holdout.sql``).

    Raises
    ------
    ConfigError
        Bad dates or unit, ``holdout_end ≤ calibration_end``, a missing or mistyped column.
    InsufficientDataError
        No customer has a purchase on or before ``calibration_end``.
    """
    cal = as_date(calibration_end, name="calibration_end")
    hold = None if holdout_end is None else as_date(holdout_end, name="holdout_end")
    if hold is not None and hold <= cal:
        raise ConfigError(f"holdout_end {hold} must be after calibration_end {cal}")
    days = unit_days(time_unit)
    model = load_model("clv_summary" if hold is None else "clv_summary_holdout")
    params = {"calibration_end": cal, "unit_days": days} | ({} if hold is None else {"holdout_end": hold})
    with transactions(source, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                      refund_col=refund_col, tz=tz) as conn:
        if not monetary and hold is None:
            lo, hi = _run(conn, load_model("clv_day_span").sql, {"calibration_end": cal}, source).to_pylist()[0].values()
            if lo is not None and hi - lo < MAX_SPAN_DAYS:
                model = load_model("clv_summary_days")
                params |= {"day_lo": lo, "day_hi": hi}
        table = _run(conn, model.sql, params, source)
        if table.num_rows == 0:
            raise _empty(conn, source, cal)
    return table


def discrete_summary(source: Any, *, calibration_end: Any, period: str = "Y", n_periods: int | None = None,
                     customer_col: str = "user_id", time_col: str = "paid_at", amount_col: str = "amount",
                     refund_col: str | None = None, tz: str | None = None):
    """Per-customer discrete-time ``(x, t_x, n)`` for BG/BB (Fader, Hardie & Shang 2010, §2).

    Time is cut into calendar periods (``Y`` years, ``M`` months, ``W`` weeks from Monday). The period of a
    customer's first purchase is period 0 and is not an opportunity; the opportunities are the periods 1..n that
    follow it and are **complete** by ``calibration_end`` (they end on or before it; a trailing partial period
    and anything bought in it are left out), capped at ``n_periods`` when given (a balanced design: the paper's
    1995 cohort has n = 6 yearly opportunities). Purchases are defined as in :func:`rfm_summary`.

    Returns
    -------
    pyarrow.Table
        ``customer_id, frequency, recency, T`` (BIGINT): ``frequency`` = x = number of opportunities with ≥ 1
        purchase, ``recency`` = t_x = the last such opportunity (0 if none), ``T`` = n. One row per customer whose
        first purchase is ≤ ``calibration_end``; customers whose first period is not yet complete have n = 0.
        SQL in ``sql/clv_discrete_summary.sql``.
    """
    cal = as_date(calibration_end, name="calibration_end")
    key = str(period).strip().upper()
    if key not in PERIODS:
        raise ConfigError(f"period {period!r}: use one of {', '.join(PERIODS)} (calendar years, months, weeks)")
    if n_periods is not None and (isinstance(n_periods, bool) or not isinstance(n_periods, int) or n_periods < 1):
        raise ConfigError(f"n_periods {n_periods!r} must be a positive whole number of periods")
    params = {"calibration_end": cal, "period": key, "n_periods": n_periods if n_periods is not None else 2**62}
    with transactions(source, customer_col=customer_col, time_col=time_col, amount_col=amount_col,
                      refund_col=refund_col, tz=tz) as conn:
        table = _run(conn, load_model("clv_discrete_summary").sql, params, source)
        if table.num_rows == 0:
            raise _empty(conn, source, cal)
    return table
