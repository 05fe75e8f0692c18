"""Tiny helpers over a DuckDB connection: every statement's result is consumed in full.

DuckDB ≥ 2 refuses new work on a connection while a result is half read, so
callers never hold a cursor: :func:`run` returns all rows, :func:`one` the first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["DuckDBEngine", "arrow", "one", "registered", "run", "transaction"]


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


class DuckDBEngine:
    """The embedded engine: one DuckDB database file, one connection, one writer.

    Reads and writes are serialised through one re-entrant lock (datasette's single-writer pattern): a
    ``session()`` holds it for several statements, ``write(fn)`` runs ``fn(conn)`` under it and refuses when
    the file was opened read-only.

    Parameters
    ----------
    path : Path
        The database file (``siyu.duckdb``); it must exist.
    read_only : bool
        Open read-only (several readers may then share the file).
    """

    name = "duckdb"
    capabilities = frozenset({"read", "write", "temp", "udf"})

    def __init__(self, path: Any, *, read_only: bool = False) -> None:
        import threading

        self.path = path
        self.read_only = read_only
        self._conn: Any = None
        self._lock = threading.RLock()
        #: bumped after every write and on close: caches of derived tables (audience profiles) compare it
        self.generation = 0

    @classmethod
    def open(cls, ws: Any, *, data: Any = None) -> DuckDBEngine:
        """The engine of workspace ``ws`` (its ``siyu.duckdb``)."""
        return cls(ws.db_path, read_only=ws.read_only)

    def connection(self) -> Any:
        """The open connection (opened on first use, with the session's temporary tables)."""
        if self._conn is None:
            import duckdb

            from siyu._exceptions import WorkspaceError
            from siyu.contract.loader import create_session_tables, ensure_schema

            try:
                self._conn = duckdb.connect(str(self.path), read_only=self.read_only)
            except duckdb.IOException as exc:
                raise WorkspaceError(f"cannot open {self.path}: {str(exc).splitlines()[0]}") from None
            if not self.read_only:
                ensure_schema(self._conn)
            create_session_tables(self._conn)
        return self._conn

    def query(self, sql: str, params: dict | list | None = None) -> Any:
        """Run a read query; a :class:`pyarrow.Table`."""
        with self._lock:
            return arrow(self.connection(), sql, params)

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """Hold the lock and yield the connection (for multi-statement reads with temp tables)."""
        with self._lock:
            yield self.connection()

    def write(self, fn: Any) -> Any:
        """Run ``fn(connection)`` as the one writer."""
        if self.read_only:
            from siyu._exceptions import WorkspaceError

            raise WorkspaceError(f"{self.path.parent} is open read-only")
        with self._lock:
            try:
                return fn(self.connection())
            finally:
                self.generation += 1

    def close(self) -> None:
        """Close the connection (reopened on demand)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
                self.generation += 1  # session tables are gone: caches built on them are stale
