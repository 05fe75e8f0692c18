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
