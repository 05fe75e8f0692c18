"""The :class:`Workspace` facade: one directory, one DuckDB file, one configuration.

Everything the CLI, the HTTP API and the console do goes through a
``Workspace``. It owns the DuckDB connection and serialises writes through one
lock (datasette's single-writer pattern), so adapters stay thin: parse, call,
format.

A workspace directory holds ``siyu.duckdb`` (all data), ``siyu.toml`` (the
configuration, see :mod:`siyu.config`) and ``siyu.key`` (the key protecting
personal data). It is chosen by an explicit path, else ``SIYU_WORKSPACE``,
else ``./siyu-workspace``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siyu._db import one, run, transaction
from siyu._exceptions import ConfigError, WorkspaceError
from siyu.config import SiyuConfig, config_template, load_config

__all__ = ["DB_FILE", "CONFIG_FILE", "DEFAULT_WORKSPACE", "Workspace", "resolve_workspace_path"]

DB_FILE = "siyu.duckdb"
CONFIG_FILE = "siyu.toml"
DEFAULT_WORKSPACE = "siyu-workspace"
_EXPORT_FORMATS = {".parquet": "(FORMAT parquet)", ".csv": "(FORMAT csv, HEADER true)", ".jsonl": "(FORMAT json)",
                   ".ndjson": "(FORMAT json)"}


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

    Examples
    --------
    >>> ws = Workspace.init("demo-ws")                       # doctest: +SKIP
    >>> ws.ingest("orders", "orders.parquet").inserted      # doctest: +SKIP
    """

    def __init__(self, path: str | os.PathLike | None = None, *, read_only: bool = False) -> None:
        self.path = resolve_workspace_path(path)
        if not (self.path / DB_FILE).exists():
            raise WorkspaceError(f"{self.path} is not a siyu workspace (no {DB_FILE}); create it with `siyu init`")
        self.read_only = read_only
        self.config: SiyuConfig = load_config(self.path / CONFIG_FILE)
        self._conn: Any = None
        self._lock = threading.RLock()

    # -- lifecycle -------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike | None = None, *, config: SiyuConfig | None = None) -> Workspace:
        """Create a workspace (idempotent: an existing one is opened, its configuration kept)."""
        from siyu.contract.loader import create_schema
        from siyu.privacy import load_or_create_key

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

    def _connection(self) -> Any:
        if self._conn is None:
            import duckdb

            from siyu.contract.loader import create_session_tables

            try:
                self._conn = duckdb.connect(str(self.db_path), read_only=self.read_only)
            except duckdb.IOException as exc:
                raise WorkspaceError(f"cannot open {self.db_path}: {str(exc).splitlines()[0]}") from None
            create_session_tables(self._conn)
        return self._conn

    def close(self) -> None:
        """Close the database connection (reopened on demand)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Workspace({str(self.path)!r})"

    # -- reading ---------------------------------------------------------------------------
    def query(self, sql: str, params: dict | list | None = None):
        """Run a read query and return a :class:`pyarrow.Table`."""
        from siyu._db import arrow

        with self._lock:
            return arrow(self._connection(), sql, params)

    @contextlib.contextmanager
    def session(self) -> Iterator[Any]:
        """Hold the workspace lock and yield its connection (for multi-statement reads with temp tables)."""
        with self._lock:
            yield self._connection()

    def model(self, name: str, **params: Any):
        """Run the named SQL model ``siyu/sql/<name>.sql`` with its parameters; a :class:`pyarrow.Table`."""
        from siyu._sql import load_model

        m = load_model(name)
        missing = set(m.params) - set(params)
        if missing:
            raise ConfigError(f"model {name} needs parameters: {', '.join(sorted(missing))}")
        return self.query(m.sql, {k: params[k] for k in m.params})

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

        out = {}
        for name in [*TABLES, "_loads"]:
            n, h = self.query(f"SELECT count(*) AS n, coalesce(bit_xor(hash(t)), 0) AS h FROM {name} t").to_pylist()[0].values()
            out[name] = f"{n}:{h:x}"
        return out

    def last_date(self) -> Any:
        """The latest local pay date in ``orders`` (the default snapshot date), or None."""
        return self.query("SELECT max(paid_at)::DATE AS d FROM orders").column("d")[0].as_py()

    # -- customer assets (siyu.assets; Arrow tables per user, dicts for summaries) -------------
    def aipl(self, as_of=None):
        """Per-user AIPL stage (see :func:`siyu.assets.aipl`)."""
        from siyu import assets
        return assets.aipl(self, as_of)

    def aipl_transitions(self, t0, t1=None):
        """AIPL transition matrix and accounting (see :func:`siyu.assets.aipl_transitions`)."""
        from siyu import assets
        return assets.aipl_transitions(self, t0, t1)

    def fast(self, as_of=None):
        """FAST with period-over-period and YoY change (see :func:`siyu.assets.fast`)."""
        from siyu import assets
        return assets.fast(self, as_of)

    def pools(self, as_of=None):
        """Per-user fan / member / customer pools (see :func:`siyu.assets.pools`)."""
        from siyu import assets
        return assets.pools(self, as_of)

    def pool_transitions(self, start, end=None, *, step_days=None):
        """Pool transitions as events, stored in ``pool_transitions`` (see :func:`siyu.assets.pool_transitions`)."""
        from siyu import assets
        return assets.pool_transitions(self, start, end, step_days=step_days)

    def ucmv(self, as_of=None):
        """Per-user UCMV stage (see :func:`siyu.assets.ucmv`)."""
        from siyu import assets
        return assets.ucmv(self, as_of)

    def rfm(self, as_of=None):
        """Per-buyer RFM scores and groups (see :func:`siyu.assets.rfm`)."""
        from siyu import assets
        return assets.rfm(self, as_of)

    def grow(self, as_of=None, from_date=None):
        """GROW decomposition and new-product metrics (see :func:`siyu.assets.grow.grow`)."""
        from siyu.assets.grow import grow
        return grow(self, as_of, from_date)

    def customer_assets(self, as_of=None):
        """AIPL, pools, UCMV and RFM per user from one snapshot (see :func:`siyu.assets.customer_assets`)."""
        from siyu import assets
        return assets.customer_assets(self, as_of)

    def gain(self, as_of=None):
        """GAIN health score with its 12 indicators and trend (see :func:`siyu.gain.gain`)."""
        from siyu.gain import gain
        return gain(self, as_of)

    def link_plus(self, as_of=None):
        """LINK+ funnel for relationship users and the 大盘 (see :func:`siyu.link.link_plus`)."""
        from siyu.link import link_plus
        return link_plus(self, as_of)

    # -- writing ---------------------------------------------------------------------------
    def _write(self, fn):
        if self.read_only:
            raise WorkspaceError(f"{self.path} is open read-only")
        with self._lock:
            return fn(self._connection())

    def ingest(self, table: str, file: str | os.PathLike):
        """Validate and load ``file`` into contract table ``table`` in one transaction.

        Returns
        -------
        siyu.contract.loader.LoadResult
            Rows read, inserted, replaced and unchanged.

        Raises
        ------
        ValidationError
            Naming the file, row, column, value and rule; the workspace is unchanged.
        """
        from siyu.contract.loader import load_file
        from siyu.contract.schema import get_table
        from siyu.privacy import load_or_create_key

        spec = get_table(table)
        key = load_or_create_key(self.path) if any(c.pii for c in spec.columns) else None
        return self._write(lambda conn: load_file(conn, table, file, tz=self.config.workspace.tz, key=key))

    def export(self, table: str, file: str | os.PathLike, *, unmask: bool = False) -> int:
        """Write contract table ``table`` to ``file`` (format from the extension); returns rows written.

        Personal data is written masked unless ``unmask`` is true (a masked file cannot be loaded back).
        """
        from siyu.contract.formats import _ident, _lit
        from siyu.contract.schema import get_table

        spec = get_table(table)
        out = Path(file)
        fmt = _EXPORT_FORMATS.get(out.suffix.lower())
        if fmt is None:
            raise ConfigError(f"unknown export format {out.suffix!r}; use one of {', '.join(_EXPORT_FORMATS)}")
        cols = []
        for c in spec.columns:
            if c.pii:
                cols.append(f"{'siyu_unmask(' + _ident(c.name + '_enc') + ')' if unmask else _ident(c.name + '_masked')}"
                            f" AS {_ident(c.name)}")
            else:
                cols.append(_ident(c.name))
        order = ", ".join(_ident(k) for k in spec.key)

        def do_export(conn):
            if unmask:
                self._register_unmask(conn)
            tmp = out.with_name(f".{out.name}.{secrets.token_hex(4)}.tmp")
            try:
                run(conn, f"COPY (SELECT {', '.join(cols)} FROM {spec.name} ORDER BY {order}) TO {_lit(str(tmp))} {fmt}")
                tmp.replace(out)
            finally:
                tmp.unlink(missing_ok=True)
            return one(conn, f"SELECT count(*) FROM {spec.name}")[0]

        with self._lock:
            return do_export(self._connection())

    def _register_unmask(self, conn) -> None:
        from siyu.privacy import decrypt, load_or_create_key

        key = load_or_create_key(self.path)
        try:
            conn.create_function("siyu_unmask", lambda b: None if b is None else decrypt(key, b),
                                 ["BLOB"], "VARCHAR", null_handling="special")
        except Exception:  # already registered on this connection
            pass

    def forget(self, user_id: str) -> dict[str, int]:
        """Erase a user on request (PIPL): remove personal data, anonymise the user id everywhere.

        The user's profile row is deleted; their orders, events, follows,
        memberships and messages keep their facts under a random anonymous id
        (``anon:<hex>``), so aggregates stay right while nothing links them back.

        Returns
        -------
        dict
            Rows changed per table.
        """
        from siyu.contract.schema import TABLES

        anon = "anon:" + secrets.token_hex(8)

        def do_forget(conn):
            with transaction(conn):
                changed = {"users": one(conn, "DELETE FROM users WHERE user_id = ?", [user_id])[0]}
                for name, spec in TABLES.items():
                    if name != "users" and "user_id" in spec.column_names:
                        changed[name] = one(conn, f"UPDATE {name} SET user_id = ? WHERE user_id = ?",
                                            [anon, user_id])[0]
                run(conn, "CREATE TABLE IF NOT EXISTS _erasures (erased_at TIMESTAMP, anon_id VARCHAR)")
                run(conn, "INSERT INTO _erasures VALUES (now()::TIMESTAMP, ?)", [anon])
            return changed

        return self._write(do_forget)
