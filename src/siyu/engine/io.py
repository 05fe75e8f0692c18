"""The one file I/O module: CSV, Parquet and JSON Lines, read and written the same way everywhere.

Ingest (:mod:`siyu.contract.formats`), ``siyu export``, ``siyu clv predict --out``, the CLV summary's
``--input`` files and the simulator all take a file's format from its extension through :func:`format_of`
and write through :func:`write_table` / :func:`copy_query`. Every write is atomic: the data goes to a
temporary file beside the target, which is renamed over it only when complete, so a failed write leaves
no half-written file.

Formats: ``parquet`` (``.parquet``, ``.pq``), ``csv`` (``.csv``: UTF-8, header row, comma, ``"`` quotes,
missing values empty) and ``jsonl`` (``.jsonl``, ``.ndjson``: one JSON object per line, missing values null).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siyu._exceptions import ConfigError

__all__ = ["EXTENSIONS", "FORMATS", "atomic_path", "copy_query", "format_of", "read_sql", "sql_literal",
           "write_table"]

FORMATS = ("parquet", "csv", "jsonl")
#: file extension -> format
EXTENSIONS: dict[str, str] = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".jsonl": "jsonl",
                              ".ndjson": "jsonl"}
_COPY = {"parquet": "(FORMAT parquet)", "csv": "(FORMAT csv, HEADER true)", "jsonl": "(FORMAT json)"}


def format_of(path: str | os.PathLike, fmt: str | None = None) -> str:
    """The format of ``path``: ``fmt`` if given, else from the extension (see :data:`EXTENSIONS`).

    Raises
    ------
    ConfigError
        Naming the file and the formats that exist.
    """
    if fmt is not None:
        if fmt not in FORMATS:
            raise ConfigError(f"unknown file format {fmt!r}; use one of {', '.join(FORMATS)}")
        return fmt
    ext = Path(path).suffix.lower()
    if ext not in EXTENSIONS:
        raise ConfigError(f"file {path}: unsupported extension {ext or '(none)'!r} (unknown file format); "
                          f"use one of {', '.join(EXTENSIONS)}")
    return EXTENSIONS[ext]


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + str(text).replace("'", "''") + "'"


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside ``path``; renamed onto ``path`` when the block succeeds, removed otherwise."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        tmp.replace(out)
    finally:
        tmp.unlink(missing_ok=True)


def write_table(table: Any, path: str | os.PathLike, fmt: str | None = None, *,
                compression: str = "zstd") -> Path:
    """Write a :class:`pyarrow.Table` to ``path`` atomically; returns the path.

    CSV writes nulls as empty fields; JSON Lines writes them as ``null`` (rows in table order).
    """
    fmt = format_of(path, fmt)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            pq.write_table(table, tmp, compression=compression)
        elif fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, tmp)
        else:
            import duckdb

            con = duckdb.connect()
            try:
                con.execute("SET preserve_insertion_order = true")
                con.register("_siyu_out", table)
                con.execute(f"COPY _siyu_out TO {sql_literal(tmp.as_posix())} (FORMAT json)")
            finally:
                con.close()
    return Path(path)


def copy_query(conn: Any, sql: str, path: str | os.PathLike, fmt: str | None = None) -> Path:
    """Write the rows of a DuckDB query to ``path`` atomically (``COPY (sql) TO …``); returns the path."""
    fmt = format_of(path, fmt)
    with atomic_path(path) as tmp:
        conn.execute(f"COPY ({sql}) TO {sql_literal(str(tmp))} {_COPY[fmt]}").fetchall()
    return Path(path)


def read_sql(path: str | os.PathLike, fmt: str | None = None, *, text_columns: tuple[str, ...] = ()) -> str:
    """A DuckDB table expression reading ``path`` (``read_parquet`` / ``read_csv`` / ``read_json``).

    ``text_columns`` are read as text from CSV (identifiers keep their leading zeros: ``"00042"`` is not 42).
    """
    fmt = format_of(path, fmt)
    src = sql_literal(str(path))
    if fmt == "parquet":
        return f"read_parquet({src})"
    if fmt == "csv":
        types = ", ".join(f"{sql_literal(c)}: 'VARCHAR'" for c in text_columns)
        return f"read_csv({src}, header = true{', types = {' + types + '}' if types else ''})"
    return f"read_json_auto({src})"
