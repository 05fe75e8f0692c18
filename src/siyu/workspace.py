"""The :class:`Workspace` facade: one directory, one DuckDB file, one configuration.

Everything the CLI, the HTTP API and the console do goes through a
``Workspace``: the data, the configuration, the engine that runs named models
(:mod:`siyu.engine`; DuckDB here) and the one writer, :meth:`Workspace.write`,
which serialises every change through one lock (datasette's single-writer
pattern). It has no method per model: models are functions of their capability
package that take the workspace (``siyu.assets.aipl(ws, as_of)``), so adapters
stay thin: parse, call, format.

A workspace directory holds ``siyu.duckdb`` (all data), ``siyu.toml`` (the
configuration, see :mod:`siyu.config`) and ``siyu.key`` (the key protecting
personal data). It is chosen by an explicit path, else ``SIYU_WORKSPACE``,
else ``./siyu-workspace``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from siyu._exceptions import ConfigError, WorkspaceError
from siyu.config import SiyuConfig, config_template, load_config
from siyu.engine.duckdb import one, run, transaction

__all__ = ["DB_FILE", "CONFIG_FILE", "DEFAULT_WORKSPACE", "Workspace", "resolve_workspace_path"]

DB_FILE = "siyu.duckdb"
CONFIG_FILE = "siyu.toml"
#: results siyu stores that hold user ids (table -> column); ``forget`` anonymises them like the contract tables
DERIVED_USER_COLUMNS = {"pool_transitions": "user_id", "clv_predictions": "customer_id",
                        "audience_members": "user_id", "outbox": "user_id", "reach_suppressions": "user_id",
                        "campaign_assignments": "user_id", "tier_changes": "user_id", "points_ledger": "user_id",
                        "coupon_uses": "user_id"}
#: stored payloads about a user that ``forget`` erases outright (table -> columns): the content of their messages
ERASED_PAYLOADS = {"outbox": ("content",)}
DEFAULT_WORKSPACE = "siyu-workspace"


def resolve_workspace_path(path: str | os.PathLike | None = None) -> Path:
    """The workspace directory: ``path``, else ``$SIYU_WORKSPACE``, else ``./siyu-workspace``."""
    chosen = path or os.environ.get("SIYU_WORKSPACE") or DEFAULT_WORKSPACE
    return Path(chosen).expanduser().resolve()


class Workspace:
    """A siyu workspace.

    Parameters
    ----------
    path : str or Path, optional
        Workspace directory (see :func:`resolve_workspace_path`). It must exist;
        create one with :meth:`Workspace.init`.
    read_only : bool, default False
        Open the database read-only (several readers may then share it).
    engine : {"duckdb", "spark"}, optional
        Engine that runs the models: the argument, else ``SIYU_ENGINE``, else ``[engine] name`` of the
        workspace's ``siyu.toml`` (default ``duckdb``). The Spark engine reads the contract tables as Parquet
        and needs no ``siyu.duckdb`` (``docs/spark.md``); it refuses ingest, forget and export.
    data : str or Path, optional
        Spark only: directory or lake URI of the contract tables (else ``SIYU_DATA``, else
        ``[engine.spark] data``).

    Examples
    --------
    >>> ws = Workspace.init("demo-ws")                       # doctest: +SKIP
    >>> ws.ingest("orders", "orders.parquet").inserted      # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False,
                 engine: str | None = None, data: str | os.PathLike | None = None) -> None:
        self.path = resolve_workspace_path(path)
        self.read_only = read_only
        self.config: SiyuConfig = load_config(self.path / CONFIG_FILE)
        from siyu.engine.base import get_engine

        name = engine or os.environ.get("SIYU_ENGINE") or self.config.engine.name
        if name == "duckdb":
            if data is not None:
                raise ConfigError("--data is the spark engine's contract tables; the duckdb engine reads the "
                                  "workspace file (choose --engine spark)")
            if not (self.path / DB_FILE).exists():
                raise WorkspaceError(f"{self.path} is not a siyu workspace (no {DB_FILE}); create it with `siyu init`")
        self.engine = get_engine(name).open(self, data=data)

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike | None = None, *, config: SiyuConfig | None = None) -> Workspace:
        """Create a workspace (idempotent: an existing one is opened, its configuration kept)."""
        from siyu.contract.loader import create_schema
        from siyu.contract.privacy import load_or_create_key

        root = resolve_workspace_path(path)
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root} exists and is not a directory")
        root.mkdir(parents=True, exist_ok=True)
        cfg_path = root / CONFIG_FILE
        if not cfg_path.exists():
            cfg_path.write_text(config_template(config), encoding="utf-8")
        elif config is not None:
            raise ConfigError(f"{cfg_path} already exists; edit it instead of passing a configuration")
        load_or_create_key(root, create=not (root / "siyu.key").exists() and not os.environ.get("SIYU_SECRET_KEY"))
        import duckdb

        with duckdb.connect(str(root / DB_FILE)) as conn:
            create_schema(conn)
        return cls(root)

    @property
    def db_path(self) -> Path:
        return self.path / DB_FILE

    def close(self) -> None:
        """Close the database connection (reopened on demand)."""
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: dict | list | None = None):
        """Run a read query and return a :class:`pyarrow.Table`."""
        return self.engine.query(sql, params)

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """Hold the workspace and yield its connection (for multi-statement reads with temp tables)."""
        return self.engine.session()

    def model(self, name: str, **params: Any):
        """Run the named SQL model (see :mod:`siyu.engine.sql`) with its parameters; a :class:`pyarrow.Table`.

        Parameters not given are bound from ``[model]`` of the configuration.
        """
        from siyu.engine.sql import bind, load_model

        return self.query(load_model(name).sql, bind(self, name, **params))

    def tables(self) -> dict[str, dict[str, Any]]:
        """Row count and date range of every contract table."""
        from siyu.contract.schema import TABLES

        out: dict[str, dict[str, Any]] = {}
        for spec in TABLES.values():
            tc = spec.time_column
            rng = f"min({tc})::VARCHAR AS lo, max({tc})::VARCHAR AS hi" if tc else "NULL AS lo, NULL AS hi"
            n, lo, hi = self.query(f"SELECT count(*) AS n, {rng} FROM {spec.name}").to_pylist()[0].values()
            out[spec.name] = {"rows": n, "from": lo, "to": hi}
        return out

    def checksums(self) -> dict[str, str]:
        """An order-independent checksum of every table's content (count and XOR of row hashes)."""
        from siyu.contract.schema import TABLES

        self._require("write", "checksums (of the stored workspace tables)")

        out = {}
        for name in [*TABLES, "_loads"]:
            n, h = self.query(f"SELECT count(*) AS n, coalesce(bit_xor(hash(t)), 0) AS h FROM {name} t").to_pylist()[0].values()
            out[name] = f"{n}:{h:x}"
        return out

    def last_date(self) -> Any:
        """The latest local pay date in ``orders`` (the default snapshot date), or None."""
        return self.model("last_pay_date").column("d")[0].as_py()

    # -- writing ---------------------------------------------------------------------------
    def _require(self, capability: str, what: str) -> None:
        """Refuse ``what`` with a clear :class:`~siyu.EngineError` when the engine lacks ``capability``."""
        from siyu.engine.base import require

        require(self.engine, capability, what)

    def write(self, fn: Callable[[Any], Any]) -> Any:
        """Run ``fn(connection)`` as the workspace's one writer (refused when opened read-only).

        Every change to stored data goes through here: ingest, forget and the results models store
        (pool transitions, CLV predictions). Engines without ``write`` (Spark) refuse.
        """
        self._require("write", "storing results")
        return self.engine.write(fn)

    def ingest(self, table: str, file: str | os.PathLike, encoding: str = "utf-8"):
        """Validate and load ``file`` into contract table ``table`` in one transaction.

        ``encoding`` is the encoding of a CSV or JSON Lines file (``gbk``, ``gb18030``, ``utf-8-sig``, any codec
        Python knows; Excel exports from Chinese systems are often GBK/GB18030); Parquet ignores it.

        Returns
        -------
        siyu.contract.loader.LoadResult
            Rows read, inserted, replaced and unchanged.

        Raises
        ------
        ConfigError
            If ``encoding`` is no text encoding Python knows.
        ValidationError
            Naming the file, row, column, value and rule; the workspace is unchanged.
        """
        from siyu.contract.loader import load_file
        from siyu.contract.privacy import load_or_create_key
        from siyu.contract.schema import get_table

        self._require("write", "ingest")
        spec = get_table(table)
        key = load_or_create_key(self.path) if any(c.pii for c in spec.columns) else None
        return self.write(lambda conn: load_file(conn, table, file, tz=self.config.workspace.tz, key=key,
                                                 encoding=encoding))

    def export(self, table: str, file: str | os.PathLike, *, unmask: bool = False) -> int:
        """Write contract table ``table`` to ``file`` (format from the extension); returns rows written.

        Personal data is written masked unless ``unmask`` is true (a masked file cannot be loaded back).
        """
        from siyu.contract.formats import _ident
        from siyu.contract.schema import get_table
        from siyu.engine.io import copy_query, format_of

        self._require("write", "export (from the workspace file)")
        spec = get_table(table)
        fmt = format_of(file)
        cols = []
        for c in spec.columns:
            if c.pii:
                cols.append(f"{'siyu_unmask(' + _ident(c.name + '_enc') + ')' if unmask else _ident(c.name + '_masked')}"
                            f" AS {_ident(c.name)}")
            else:
                cols.append(_ident(c.name))
        order = ", ".join(_ident(k) for k in spec.key)

        with self.session() as conn:
            if unmask:
                self._register_unmask(conn)
            copy_query(conn, f"SELECT {', '.join(cols)} FROM {spec.name} ORDER BY {order}", file, fmt)
            return one(conn, f"SELECT count(*) FROM {spec.name}")[0]

    def _register_unmask(self, conn) -> None:
        from siyu.contract.privacy import decrypt, load_or_create_key

        key = load_or_create_key(self.path)
        try:
            conn.create_function("siyu_unmask", lambda b: None if b is None else decrypt(key, b),
                                 ["BLOB"], "VARCHAR", null_handling="special")
        except Exception:  # already registered on this connection
            pass

    def forget(self, user_id: str) -> dict[str, int]:
        """Erase a user on request (PIPL): remove personal data, anonymise the user id everywhere.

        The user's profile row is deleted; their orders, events, follows,
        memberships and messages — and the results siyu stored about them (pool transitions, CLV
        predictions, audience snapshots, the outbox and reach events, tier changes, the points ledger, coupon
        uses: ``DERIVED_USER_COLUMNS``) — keep their
        facts under a random anonymous id (``anon:<hex>``), so aggregates stay right while nothing links them
        back; the content of their messages in the outbox is erased (``ERASED_PAYLOADS``).

        Returns
        -------
        dict
            Rows changed per table.
        """
        from siyu.contract.schema import TABLES

        self._require("write", "forget")
        anon = "anon:" + secrets.token_hex(8)

        def do_forget(conn):
            with transaction(conn):
                changed = {"users": one(conn, "DELETE FROM users WHERE user_id = ?", [user_id])[0]}
                for name, spec in TABLES.items():
                    if name != "users" and "user_id" in spec.column_names:
                        changed[name] = one(conn, f"UPDATE {name} SET user_id = ? WHERE user_id = ?",
                                            [anon, user_id])[0]
                stored = {r[0] for r in run(conn, "SELECT table_name FROM information_schema.tables "
                                                  "WHERE table_schema = 'main'")}
                for name, col in DERIVED_USER_COLUMNS.items():
                    if name in stored:
                        changed[name] = one(conn, f"UPDATE {name} SET {col} = ? WHERE {col} = ?",
                                            [anon, user_id])[0]
                for name, cols in ERASED_PAYLOADS.items():
                    if name in stored:
                        sets = ", ".join(f"{c} = NULL" for c in cols)
                        run(conn, f"UPDATE {name} SET {sets} WHERE {DERIVED_USER_COLUMNS[name]} = ?", [anon])
                run(conn, "CREATE TABLE IF NOT EXISTS _erasures (erased_at TIMESTAMP, anon_id VARCHAR)")
                run(conn, "INSERT INTO _erasures VALUES (now()::TIMESTAMP, ?)", [anon])
            return changed

        return self.write(do_forget)
