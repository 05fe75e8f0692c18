"""Ingest formats: a registry from file extension to a DuckDB reader.

Each reader stages a file into a temporary table ``_stage`` with a 1-based
``__row`` column (the data row number, header excluded) and the file's columns
as they are: text for CSV and JSON Lines (so that identifiers keep their leading
zeros and every value is validated by siyu, not guessed), native types for
Parquet.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from pathlib import Path

import duckdb

from siyu.engine.duckdb import run
from siyu._exceptions import ValidationError

__all__ = ["FORMATS", "format_of", "stage_file"]

Reader = Callable[[duckdb.DuckDBPyConnection, Path], None]


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _csv_reason(exc: Exception) -> tuple[int | None, str]:
    """Line number and reason from a DuckDB CSV error, never the offending line itself (may hold personal data)."""
    msg = str(exc)
    m = re.search(r"Line: (\d+)", msg)
    line = int(m.group(1)) if m else None
    reason = "malformed CSV"
    for ln in msg.splitlines()[1:]:
        ln = ln.strip()
        if ln and not ln.startswith(("Original Line", "Possible", "*", "file =", "delimiter", "quote", "escape")):
            reason = ln
            break
    if "unicode" in msg.lower() or "utf-8" in msg.lower():
        reason = "file is not valid UTF-8"
    return line, reason


def _read_csv(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    with path.open("rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise ValidationError(str(path), "empty file: a CSV needs a header row and at least one data row")
    try:
        header_text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(str(path), "file is not valid UTF-8", row=0) from None
    header = next(csv.reader(io.StringIO(header_text)))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise ValidationError(str(path), "column appears twice in the header", column=dup)
    cols = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in header) + "}"
    try:
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS __row, * FROM read_csv({_lit(str(path))}, "
            f"header=true, auto_detect=false, columns={cols}, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, encoding='utf-8')")
    except duckdb.Error as exc:
        line, reason = _csv_reason(exc)
        raise ValidationError(str(path), reason, row=None if line is None else max(line - 1, 0)) from None


def _read_parquet(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({_lit(str(path))}, file_row_number=true)")
    except duckdb.Error as exc:
        raise ValidationError(str(path), f"not a readable Parquet file ({str(exc).splitlines()[0][:200]})") from None


def _read_jsonl(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    src = _lit(str(path))
    try:
        names = [r[0] for r in run(conn, 
            f"DESCRIBE SELECT * FROM read_json({src}, format='newline_delimited', records=true, "
            f"sample_size=-1)")]
        if names == ["json"]:
            raise ValidationError(str(path), "each line must be a JSON object")
        cols = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS __row, * FROM read_json({src}, "
            f"format='newline_delimited', records=true, columns={cols})")
    except duckdb.Error as exc:
        row, rule = _locate_json_error(path)
        if rule is None:
            rule = f"malformed JSON Lines ({str(exc).splitlines()[0][:160]})"
        raise ValidationError(str(path), rule, row=row) from None


def _locate_json_error(path: Path) -> tuple[int | None, str | None]:
    """Find the first bad line of a JSON Lines file (error path only, so a Python scan is affordable)."""
    import json

    with path.open("rb") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                return i, "file is not valid UTF-8"
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                return i, f"malformed JSON: {err.msg} at character {err.pos + 1}"
            if not isinstance(obj, dict):
                return i, "each line must be a JSON object"
    return None, None


#: extension -> reader (the format is taken from the extension, DATA.md)
FORMATS: dict[str, Reader] = {
    ".csv": _read_csv,
    ".parquet": _read_parquet,
    ".pq": _read_parquet,
    ".jsonl": _read_jsonl,
    ".ndjson": _read_jsonl,
}


def format_of(path: Path) -> str:
    """The registered extension of ``path``.

    Raises
    ------
    ValidationError
        If the extension is not a registered format.
    """
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValidationError(str(path), f"unknown file format {ext or '(none)'!r}; use one of {', '.join(FORMATS)}")
    return ext


def stage_file(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Stage ``path`` into the temporary table ``_stage`` (see module docstring)."""
    if not path.is_file():
        raise ValidationError(str(path), "file not found")
    if path.stat().st_size == 0:
        raise ValidationError(str(path), "empty file")
    FORMATS[format_of(path)](conn, path)
