"""Contract validation of a staged file, expressed as SQL over ``_stage``.

Every rule of ``docs/data.md`` §Validation becomes one boolean SQL condition on a
row; one aggregate pass finds, for every rule, the first failing row and the
number of failing rows. Typed values are produced by :func:`typed_expr`, which
is also what the loader inserts, so what is validated is what is stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from siyu._exceptions import ValidationError
from siyu.contract.formats import _ident, _lit
from siyu.contract.privacy import mask_sql
from siyu.contract.schema import Column, TableSpec
from siyu.engine.duckdb import one

__all__ = ["Check", "checks_for", "run_checks", "typed_expr", "check_columns"]

_OFFSET = r"[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?\s*([Zz]|[+-]\d{2}(:?\d{2})?)$"


def typed_expr(col: Column, raw_type: str | None, tz: str) -> str:
    """SQL turning the staged column into its contract type (NULL when it cannot be converted)."""
    if raw_type is None:  # optional column absent from the file
        return f"CAST({_lit(col.default)} AS {col.sql_type})" if col.default is not None else f"CAST(NULL AS {col.sql_type})"
    c = _ident(col.name)
    text = raw_type.upper() == "VARCHAR"
    if col.kind in ("string", "enum"):
        expr = f"NULLIF(CAST({c} AS VARCHAR), '')"
    elif col.kind == "timestamp":
        if text:
            expr = (f"CASE WHEN regexp_matches({c}, {_lit(_OFFSET)}) "
                    f"THEN timezone({_lit(tz)}, TRY_CAST({c} AS TIMESTAMPTZ)) ELSE TRY_CAST({c} AS TIMESTAMP) END")
        elif "TIME ZONE" in raw_type.upper() or raw_type.upper() == "TIMESTAMPTZ":
            expr = f"timezone({_lit(tz)}, {c})"
        elif raw_type.upper().startswith(("TIMESTAMP", "DATE")):
            expr = f"CAST({c} AS TIMESTAMP)"
        else:
            expr = "CAST(NULL AS TIMESTAMP)"
    elif col.kind == "date":
        expr = f"TRY_CAST({c} AS DATE)" if text or raw_type.upper().startswith(("DATE", "TIMESTAMP")) else "CAST(NULL AS DATE)"
    elif col.kind == "money":
        expr = f"TRY_CAST({c} AS DECIMAL(18,2))" if _numeric_or_text(raw_type) else "CAST(NULL AS DECIMAL(18,2))"
    elif col.kind == "integer":
        expr = (f"CASE WHEN TRY_CAST({c} AS DOUBLE) = floor(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS BIGINT) END"
                if _numeric_or_text(raw_type) else "CAST(NULL AS BIGINT)")
    elif col.kind == "number":
        expr = (f"CASE WHEN isfinite(TRY_CAST({c} AS DOUBLE)) THEN TRY_CAST({c} AS DOUBLE) END"
                if _numeric_or_text(raw_type) else "CAST(NULL AS DOUBLE)")
    elif col.kind == "boolean":
        expr = f"TRY_CAST({c} AS BOOLEAN)"
    else:  # pragma: no cover - schema declares only the kinds above
        raise AssertionError(col.kind)
    return expr


def _numeric_or_text(raw_type: str) -> bool:
    t = raw_type.upper()
    return t == "VARCHAR" or any(k in t for k in ("INT", "DECIMAL", "DOUBLE", "FLOAT", "REAL", "NUMERIC"))


_EXPECT = {
    "timestamp": "an ISO 8601 timestamp (e.g. 2024-11-11 20:00:00 or 2024-11-11T12:00:00Z)",
    "date": "an ISO 8601 date (e.g. 2024-06-18)",
    "money": "a decimal number",
    "integer": "a whole number",
    "number": "a finite number",
    "boolean": "true or false",
}


@dataclass(frozen=True)
class Check:
    """One row-level rule: a SQL condition that is true on an offending row."""

    column: str | None
    rule: str
    condition: str
    value_sql: str | None


def checks_for(spec: TableSpec, raw_types: dict[str, str], tz: str) -> list[Check]:
    """Row-level checks of ``spec`` for a staged file with columns ``raw_types``."""
    out: list[Check] = []
    typed = {c.name: typed_expr(c, raw_types.get(c.name), tz) for c in spec.columns}
    for col in spec.columns:
        if col.name not in raw_types:
            continue
        raw, t = _ident(col.name), typed[col.name]
        shown = mask_sql(col.mask, f"CAST({raw} AS VARCHAR)") if col.pii else f"CAST({raw} AS VARCHAR)"
        if col.kind in _EXPECT:
            out.append(Check(col.name, f"not {_EXPECT[col.kind]}",
                             f"({raw} IS NOT NULL AND CAST({raw} AS VARCHAR) <> '' AND ({t}) IS NULL)", shown))
        if col.pii:
            out.append(Check(col.name, "a masked value cannot be loaded (export with --unmask for a round trip)",
                             f"(strpos(CAST({raw} AS VARCHAR), '*') > 0)", shown))
        if col.required:
            out.append(Check(col.name, "required value is missing", f"(({t}) IS NULL AND ({raw} IS NULL OR CAST({raw} AS VARCHAR) = ''))", shown))
        if col.kind == "money":
            out.append(Check(col.name, "money has at most two decimals",
                             f"(abs(TRY_CAST({raw} AS DOUBLE) * 100 - round(TRY_CAST({raw} AS DOUBLE) * 100)) > 1e-6)", shown))
        if col.enum:
            allowed = ", ".join(_lit(v) for v in col.enum)
            out.append(Check(col.name, f"must be one of: {', '.join(col.enum)}", f"(({t}) NOT IN ({allowed}))", shown))
        if col.min is not None:
            out.append(Check(col.name, f"must be ≥ {col.min:g}", f"(({t}) < {col.min})", shown))
        if col.max is not None:
            out.append(Check(col.name, f"must be ≤ {col.max:g}", f"(({t}) > {col.max})", shown))
        if col.not_above and col.not_above in raw_types:
            out.append(Check(col.name, f"must not exceed {col.not_above}", f"(({t}) > ({typed[col.not_above]}))", shown))
        if col.after and col.after in raw_types:
            out.append(Check(col.name, f"must not be before {col.after}", f"(({t}) < ({typed[col.after]}))", shown))
    return out


def check_columns(spec: TableSpec, file: str, columns: list[str]) -> None:
    """Reject missing required columns and columns the contract does not have."""
    known = set(spec.column_names)
    for name in columns:
        if name not in known:
            raise ValidationError(file, f"unknown column: table {spec.name} has {', '.join(spec.column_names)}",
                                  column=name)
    for col in spec.columns:
        if col.required and col.name not in columns:
            raise ValidationError(file, f"required column is missing from the file (table {spec.name})", column=col.name)


def run_checks(conn: duckdb.DuckDBPyConnection, file: str, checks: list[Check]) -> None:
    """Run all checks in one pass; raise for the earliest offending row."""
    if not checks:
        return
    aggs = ", ".join(f"min(CASE WHEN {c.condition} THEN __row END), count_if({c.condition})" for c in checks)
    res = one(conn, f"SELECT {aggs} FROM _stage")
    hits = [(res[2 * i], res[2 * i + 1], c) for i, c in enumerate(checks) if res[2 * i] is not None]
    if not hits:
        return
    row, n, check = min(hits, key=lambda h: h[0])
    value = None
    if check.value_sql:
        value = one(conn, f"SELECT {check.value_sql} FROM _stage WHERE __row = ?", [row])[0]
    more = ("" if n <= 1 else " (1 more row breaks this rule)" if n == 2 else
            f" ({n - 1:,} more rows break this rule)")
    raise ValidationError(file, check.rule + more, row=int(row), column=check.column, value=value)
