"""Tiny helpers over a DuckDB connection: every statement's result is consumed in full.

DuckDB ≥ 2 refuses new work on a connection while a result is half read, so
callers never hold a cursor: :func:`run` returns all rows, :func:`one` the first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["arrow", "one", "registered", "run", "transaction"]


def run(conn: Any, sql: str, params: list | dict | None = None) -> list[tuple]:
    """Execute ``sql`` and return every row (an empty list for statements without rows)."""
    cur = conn.execute(sql) if params is None else conn.execute(sql, params)
    return cur.fetchall()


def one(conn: Any, sql: str, params: list | dict | None = None) -> tuple | None:
    """Execute ``sql`` and return its first row, or None."""
    rows = run(conn, sql, params)
    return rows[0] if rows else None


def arrow(conn: Any, sql: str, params: list | dict | None = None):
    """Execute a query and return a :class:`pyarrow.Table` (DuckDB 1.x and 2.x)."""
    rel = conn.sql(sql, params=params or None)
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.arrow()


@contextlib.contextmanager
def transaction(conn: Any) -> Iterator[Any]:
    """``BEGIN`` … ``COMMIT``, or ``ROLLBACK`` if the block raises (nothing half written)."""
    run(conn, "BEGIN TRANSACTION")
    try:
        yield conn
    except BaseException:
        run(conn, "ROLLBACK")
        raise
    run(conn, "COMMIT")


@contextlib.contextmanager
def registered(conn: Any, **tables: Any) -> Iterator[Any]:
    """Register Arrow tables (or DataFrames) under the given names for the block, then unregister them."""
    for name, table in tables.items():
        conn.register(name, table)
    try:
        yield conn
    finally:
        for name in tables:
            conn.unregister(name)
