"""Helper of the golden SQL tests: run a named model on a connection and check its header columns."""

from __future__ import annotations

from siyu.engine.sql import load_model


def run_model(conn, name, **params):
    """Rows (dicts) of SQL model ``name`` with ``params``; asserts the header's columns match the query's."""
    m = load_model(name)
    cur = conn.execute(m.sql, {k: params[k] for k in m.params})
    cols = [x[0] for x in cur.description]
    rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    assert tuple(cols) == m.columns, "header columns must match the query's columns"
    return rows


def contract_db(*ddl):
    """An in-memory DuckDB with the contract tables and the capability tables of ``ddl`` (statements); a generator
    for a fixture: ``yield from contract_db(*DDL)``."""
    import duckdb

    from siyu.contract.loader import create_schema

    c = duckdb.connect()
    create_schema(c)
    for stmt in ddl:
        c.execute(stmt)
    yield c
    c.close()
