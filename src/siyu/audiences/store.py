"""Saved audiences and membership snapshots, in the workspace file.

- ``audiences(name, definition, query, created_at, updated_at)``: the canonical tree (JSON) and its text form;
  saving a name again replaces its definition (``created_at`` kept).
- ``audience_snapshots(snapshot_id, name, as_of, definition, members, created_at, purpose)`` and
  ``audience_members(snapshot_id, user_id)``: who was in an audience at a date, with the definition used, so a
  campaign or an export can say exactly whom it targeted. A snapshot is taken on ``save`` and on ``export``
  (and by later capabilities through :func:`take_snapshot`); snapshots are never edited.

Tables are created on the first save. The Spark engine stores nothing, so these are DuckDB-only.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError, WorkspaceError
from siyu.audiences.evaluate import members
from siyu.audiences.tree import validate
from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import one, registered, run, transaction

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["NAME_RULE", "export", "list_saved", "load", "save", "show", "snapshot_members", "take_snapshot"]

#: a saved audience's name: letters (any script), digits, ``_ . -``, 1–64 characters
NAME_RULE = re.compile(r"^[\w.\-]{1,64}$")

_DDL = (
    ("CREATE TABLE IF NOT EXISTS audiences (name VARCHAR PRIMARY KEY, definition VARCHAR NOT NULL, "
     "query VARCHAR, created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS audience_snapshots (snapshot_id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, "
     "as_of DATE NOT NULL, definition VARCHAR NOT NULL, members BIGINT NOT NULL, created_at TIMESTAMP NOT NULL, "
     "purpose VARCHAR)"),
    "CREATE TABLE IF NOT EXISTS audience_members (snapshot_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL)",
)


def _now() -> dt.datetime:
    """Local wall-clock time to the microsecond (the latest snapshot is the one created last)."""
    return dt.datetime.now()


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RULE.match(name):
        raise ConfigError(f"audience name {name!r}: 1–64 letters, digits, '_', '.' or '-'")
    return name


def _exists(ws: Workspace) -> bool:
    return ws.model("audience_tables").num_rows == 3


def save(ws: Workspace, name: str, tree: Any, as_of: dt.date | str | None = None, *,
         query: str | None = None) -> dict[str, Any]:
    """Save (or replace) audience ``name`` and snapshot its members at ``as_of``.

    Returns
    -------
    dict
        ``{"name", "replaced", "snapshot_id", "as_of", "members"}``.
    """
    from siyu.audiences.text import to_text

    _check_name(name)
    ws._require("write", "saving an audience")
    canon = validate(tree)
    text = query if query is not None else to_text(canon)
    t = default_as_of(ws, as_of)
    table = members(ws, canon, t)
    definition = json.dumps(canon, ensure_ascii=False, sort_keys=False)

    def write(conn: Any) -> dict[str, Any]:
        with transaction(conn):
            for ddl in _DDL:
                run(conn, ddl)
            old = one(conn, "SELECT created_at FROM audiences WHERE name = ?", [name])
            now = _now()
            run(conn, "DELETE FROM audiences WHERE name = ?", [name])
            run(conn, "INSERT INTO audiences VALUES (?, ?, ?, ?, ?)",
                [name, definition, text, old[0] if old else now, now])
            sid = _insert_snapshot(conn, name, t, definition, table, "save")
        return {"name": name, "replaced": old is not None, "snapshot_id": sid, "as_of": t, "members": table.num_rows}

    return ws.write(write)


def _insert_snapshot(conn: Any, name: str, t: dt.date, definition: str, table: pa.Table, purpose: str) -> str:
    sid = uuid.uuid4().hex[:16]
    run(conn, "INSERT INTO audience_snapshots VALUES (?, ?, ?, ?, ?, ?, ?)",
        [sid, name, t, definition, table.num_rows, _now(), purpose])
    with registered(conn, _members=table):
        run(conn, "INSERT INTO audience_members SELECT ?, user_id FROM _members", [sid])
    return sid


def take_snapshot(ws: Workspace, name: str, as_of: dt.date | str | None = None, *,
                  purpose: str = "snapshot") -> dict[str, Any]:
    """Snapshot saved audience ``name`` at ``as_of``: ``{"snapshot_id", "as_of", "members", "table"}``."""
    saved = load(ws, name)
    t = default_as_of(ws, as_of)
    table = members(ws, saved["definition"], t)
    definition = json.dumps(saved["definition"], ensure_ascii=False)

    def write(conn: Any) -> str:
        with transaction(conn):
            return _insert_snapshot(conn, name, t, definition, table, purpose)

    sid = ws.write(write)
    return {"snapshot_id": sid, "as_of": t, "members": table.num_rows, "table": table}


def load(ws: Workspace, name: str) -> dict[str, Any]:
    """Saved audience ``name``: ``{"name", "definition", "query", "created_at", "updated_at"}``.

    Raises
    ------
    WorkspaceError
        When no audience of that name is saved.
    """
    ws._require("write", "saved audiences (they live in the workspace file)")
    rows = ws.model("audience_get", audience=name).to_pylist() if _exists(ws) else []
    if not rows:
        raise WorkspaceError(f"no saved audience named {name!r}; `siyu audience list` shows the saved ones")
    r = rows[0]
    return {**r, "definition": json.loads(r["definition"])}


def list_saved(ws: Workspace) -> list[dict[str, Any]]:
    """Every saved audience with its latest snapshot: name, query, updated_at, last_as_of, last_members."""
    ws._require("write", "saved audiences (they live in the workspace file)")
    return ws.model("audience_list").to_pylist() if _exists(ws) else []


def show(ws: Workspace, name: str) -> dict[str, Any]:
    """Saved audience ``name`` with its snapshots (newest first)."""
    out = load(ws, name)
    out["snapshots"] = ws.model("audience_snapshot_list", audience=name).to_pylist()
    return out


def export(ws: Workspace, name: str, out: str | Path, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Write the members of saved audience ``name`` at ``as_of`` to ``out`` and snapshot them.

    ``.csv`` / ``.parquet`` / ``.jsonl`` write a ``user_id`` column; ``.txt`` writes one user id a line with no
    header (the 人群包 file platform tools take). The file is written atomically.
    """
    from siyu.engine.io import format_of, write_table

    path = Path(out)
    if path.suffix.lower() != ".txt":
        format_of(path)
    snap = take_snapshot(ws, name, as_of, purpose="export")
    if path.suffix.lower() == ".txt":
        _write_ids(path, snap["table"].column("user_id").to_pylist())
    else:
        write_table(snap["table"], path)
    return {"name": name, "snapshot_id": snap["snapshot_id"], "as_of": snap["as_of"], "members": snap["members"],
            "out": str(path)}


def _write_ids(path: Path, ids: list[str]) -> None:
    from siyu.engine.io import atomic_path

    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{u}\n" for u in ids), encoding="utf-8", newline="\n")


def snapshot_members(ws: Workspace, snapshot_id: str) -> pa.Table:
    """The stored members of a snapshot (``user_id``, sorted)."""
    return ws.model("audience_snapshot_members", snapshot_id=snapshot_id)

