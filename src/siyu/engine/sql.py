"""Named SQL models and the one runner that binds their parameters.

A model is a ``.sql`` file in the ``sql/`` folder of the capability package that owns it
(``siyu/assets/sql/aipl.sql``, ``siyu/health/sql/gain_indicators.sql``, …); names are unique across
packages. A file starts with ``--`` header lines ``-- key: value`` (``name``, ``grain``, ``params``,
``columns``, ``source``, optionally ``engines``; a key may continue on the next header line) followed by the
query, written in DuckDB's dialect with named parameters (``$as_of``). The same file runs on Spark, translated
(:mod:`siyu.engine.spark`); a model that cannot says so in its ``engines`` header, and one whose translation
is impossible has an override ``sql/spark/<name>.sql`` whose ``override`` header says why. Every model has a
golden data test in ``tests/sql/`` (input rows → expected rows).

Parameters are bound by :func:`bind`: a value given by the caller first, else the same-named setting of
``[model]`` in ``siyu.toml``. :func:`snapshot` materialises ``_features`` (one row per user at the
snapshot date, model ``user_features``) for the per-user models built on it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError
from siyu.engine.dates import default_as_of

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["SqlModel", "bind", "list_models", "load_model", "model_arrow", "per_user", "snapshot", "write_per_user"]


@dataclass(frozen=True)
class SqlModel:
    """A parsed SQL model file: its ``name``, ``header`` (key -> text), ``sql`` and owning ``package``."""

    name: str
    header: dict[str, str]
    sql: str
    package: str = "siyu"

    @property
    def params(self) -> tuple[str, ...]:
        """Named parameters the query uses, from the ``params`` header."""
        return tuple(p.strip() for p in self.header.get("params", "").split(",") if p.strip())

    @property
    def engines(self) -> tuple[str, ...]:
        """Engines the model runs on, from the ``engines`` header (default: every engine); a model for one
        engine says why in parentheses (``-- engines: duckdb (a write to the workspace file)``)."""
        text = self.header.get("engines", "")
        return tuple(e.strip() for e in text.split("(")[0].split(",") if e.strip()) or ("duckdb", "spark")

    @property
    def columns(self) -> tuple[str, ...]:
        """Output columns, from the ``columns`` header (names only)."""
        return tuple(c.strip().split(" ")[0].strip('"') for c in self.header.get("columns", "").split(",") if c.strip())


@cache
def _index() -> dict[str, tuple[str, Any]]:
    """Model name -> (package, resource) over every ``siyu/<package>/sql/*.sql``."""
    out: dict[str, tuple[str, Any]] = {}
    root = resources.files("siyu")
    for pkg in sorted(root.iterdir(), key=lambda p: p.name):
        sql_dir = pkg.joinpath("sql")
        if not pkg.is_dir() or not sql_dir.is_dir():
            continue
        for f in sorted(sql_dir.iterdir(), key=lambda p: p.name):
            if f.name.endswith(".sql"):
                name = f.name[:-4]
                if name in out:
                    raise ValueError(f"SQL model {name!r} is defined twice: siyu/{out[name][0]}/sql and "
                                     f"siyu/{pkg.name}/sql")
                out[name] = (pkg.name, f)
    return out


@cache
def load_model(name: str) -> SqlModel:
    """Load and parse the named model (see module docstring).

    Raises
    ------
    ConfigError
        When no package has a model of that name.
    """
    try:
        package, res = _index()[name]
    except KeyError:
        raise ConfigError(f"no SQL model named {name!r}") from None
    text = res.read_text(encoding="utf-8")
    header: dict[str, str] = {}
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        body = line[2:].strip()
        if ":" in body:
            k, v = body.split(":", 1)
            header[k.strip()] = (header.get(k.strip(), "") + " " + v.strip()).strip()
    if header.get("name") != name:
        raise ValueError(f"sql/{name}.sql: header name {header.get('name')!r} does not match the file name")
    return SqlModel(name, header, text, package)


def list_models() -> list[str]:
    """Names of every packaged SQL model."""
    return sorted(_index())


def bind(ws: Workspace, name: str, **given: Any) -> dict[str, Any]:
    """Parameters of model ``name``: explicit values first, then same-named settings of ``[model]``.

    Two derived parameters exist: ``event_days`` (the longest event look-back any asset rule needs, at least
    365) and ``short_days`` (the longest of the A, I and member-activity windows).
    """
    m = ws.config.model
    params: dict[str, Any] = {}
    for p in load_model(name).params:
        if p in given:
            params[p] = given[p]
        elif p == "event_days":
            params[p] = max(365, m.l_days, m.a_days, m.i_days, m.fan_silent_days, m.member_silent_days,
                            m.member_active_days)
        elif p == "short_days":
            params[p] = max(m.a_days, m.i_days, m.member_active_days)
        elif hasattr(m, p):
            v = getattr(m, p)
            params[p] = list(v) if isinstance(v, tuple) else v
        else:
            raise ConfigError(f"model {name} needs parameter {p!r}")
    return params


@contextlib.contextmanager
def snapshot(ws: Workspace, as_of: dt.date) -> Iterator[Any]:
    """Hold the workspace and materialise ``_features`` (user_features at ``as_of``) for the models on top."""
    from siyu.engine.duckdb import run

    with ws.session() as conn:
        run(conn, "CREATE OR REPLACE TEMP TABLE _features AS " + load_model("user_features").sql,
            bind(ws, "user_features", as_of=as_of))
        try:
            yield conn
        finally:
            run(conn, "DROP TABLE IF EXISTS _features")


def model_arrow(ws: Workspace, conn: Any, name: str, **given: Any) -> pa.Table:
    """Run model ``name`` on ``conn`` with bound parameters; a :class:`pyarrow.Table`."""
    from siyu.engine.duckdb import arrow

    return arrow(conn, load_model(name).sql, bind(ws, name, **given))


def per_user(ws: Workspace, name: str, as_of: dt.date | str | None, **given: Any) -> pa.Table:
    """Model ``name`` on the features snapshot at ``as_of`` (default: the last pay date)."""
    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn:
        return model_arrow(ws, conn, name, **{"as_of": t, **given})


def write_per_user(ws: Workspace, name: str, as_of: dt.date | str | None, path: Any,
                   columns: list[str] | tuple[str, ...]) -> int:
    """Write ``columns`` of per-user model ``name`` at ``as_of`` to ``path``; the number of rows.

    On DuckDB the rows are written atomically as Parquet, CSV or JSON Lines (by the extension). On Spark they
    are written as a directory of Parquet part files by the executors, so that nothing passes through the
    driver (``docs/spark.md``).
    """
    from siyu.engine.io import format_of, write_table

    t = default_as_of(ws, as_of)
    cols = ", ".join(f'"{c}"' for c in columns)
    if hasattr(ws.engine, "write_query"):
        if str(path).lower().endswith((".csv", ".jsonl", ".json")):
            raise ConfigError(f"{path}: the spark engine writes per-user rows as Parquet (a directory of part "
                              "files); give a path without a CSV or JSON extension")
        with snapshot(ws, t):
            return ws.engine.write_query(f"SELECT {cols} FROM ({load_model(name).sql})",
                                         bind(ws, name, as_of=t), path)
    format_of(path)  # refuse an unknown extension before computing
    table = per_user(ws, name, t).select(list(columns))
    write_table(table, path)
    return table.num_rows
