"""The Apache Spark engine: the same named SQL models over contract tables stored as Parquet.

A merchant's or an agency's data may live in a lake (Parquet on object storage or HDFS) rather than in a siyu
workspace. :class:`SparkEngine` reads the contract tables from a directory or URI (``<data>/<table>.parquet`` or
``<data>/<table>/``, what ``siyu export --all --format parquet`` writes) into temporary views of one Spark
session, and runs the named models of :mod:`siyu.engine.sql` on them. The models are written once, in DuckDB's
dialect; :func:`translate` turns each into Spark SQL with sqlglot (Mao, *sqlglot*, the DuckDB → Spark transpiler)
and three rules that make the results equal to DuckDB's (``docs/spark.md`` §Translation):

* parameters (``$as_of``) are bound as SQL literals (a date as ``DATE '…'``, a list as ``array(…)``);
* ``a / b`` divides as doubles: DuckDB's ``/`` returns a DOUBLE for decimals, Spark's keeps a DECIMAL of limited
  scale, which would differ from DuckDB's ratios past the sixth decimal;
* the session uses local timestamps (``TIMESTAMP_NTZ``, the contract's local wall-clock time) in UTC, and
  non-ANSI arithmetic (a division by zero is NULL, as in DuckDB).

Where a translation is impossible, a model has an override ``sql/spark/<name>.sql`` in its package whose header
says why (:func:`spark_sql`). The engine reads and computes; writes stay with a workspace and are refused with an
:class:`~siyu.EngineError`. Spark's own errors come back as an :class:`~siyu.EngineError` carrying their first
line, never a Java stack trace.

The connection a :meth:`SparkEngine.session` yields answers the calls the capability code makes on a DuckDB
connection (``execute(…).fetchall()``, ``sql(…).to_arrow_table()``, ``register`` / ``unregister``), so that
code runs unchanged on both engines; ``CREATE TEMP TABLE x AS …`` becomes a temporary view materialised by a local checkpoint.
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
from collections.abc import Iterator
from typing import Any

from siyu._exceptions import ConfigError, EngineError, ValidationError
from siyu.engine.translate import _spark_text, spark_sql, translate

__all__ = ["SPARK_DEFAULTS", "SparkConnection", "SparkEngine", "spark_sql", "translate"]

#: session settings siyu needs for results equal to DuckDB's (docs/spark.md §Session); ``conf`` may add others
SPARK_DEFAULTS: dict[str, str] = {
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.ansi.enabled": "false",
    "spark.sql.parquet.inferTimestampNTZ.enabled": "true",
}


def _local_defaults(master: str) -> dict[str, str]:
    """Extra defaults for a local master: two shuffle partitions per core (not Spark's 200, made for clusters),
    no web UI, and the driver's log at errors only."""
    from importlib import resources

    m = re.fullmatch(r"local\[(\d+|\*)(,\d+)?\]", master.strip())
    cores = os.cpu_count() or 2 if m is None or m.group(1) == "*" else int(m.group(1))
    log4j = resources.files("siyu").joinpath("engine", "log4j2.properties")
    return {"spark.sql.shuffle.partitions": str(2 * cores), "spark.ui.enabled": "false",
            "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile=file:{log4j}"}

#: the contract's column kinds as Spark types, and as DuckDB's type names (what the CLV summaries ask for)
_SPARK_TYPES = {"string": "STRING", "enum": "STRING", "timestamp": "TIMESTAMP_NTZ", "date": "DATE",
                "money": "DECIMAL(18,2)", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}
_DUCK_NAMES = {"string": "VARCHAR", "bigint": "BIGINT", "int": "INTEGER", "double": "DOUBLE", "float": "FLOAT",
               "boolean": "BOOLEAN", "date": "DATE", "timestamp_ntz": "TIMESTAMP",
               "timestamp": "TIMESTAMP WITH TIME ZONE", "smallint": "SMALLINT", "tinyint": "TINYINT"}

_WRITES = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|COPY|ALTER|CREATE\s+(OR\s+REPLACE\s+)?TABLE|"
                     r"CREATE\s+(UNIQUE\s+)?INDEX|TRUNCATE)\b", re.IGNORECASE)
_TEMP_TABLE = re.compile(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TEMP(ORARY)?\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?"
                         r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s+AS\s+(?P<query>.*)$", re.IGNORECASE | re.DOTALL)
_DROP = re.compile(r"^\s*DROP\s+(TABLE|VIEW)\s+(IF\s+EXISTS\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*;?\s*$", re.IGNORECASE)
_SETTING = re.compile(r"^\s*(SET|RESET)\s", re.IGNORECASE)


# -- errors ------------------------------------------------------------------------------------------------------
def _is_spark_error(exc: BaseException) -> bool:
    return type(exc).__module__.split(".")[0] in ("pyspark", "py4j")


@contextlib.contextmanager
def _spark_errors(what: str) -> Iterator[None]:
    """Turn Spark's and the JVM's exceptions into an :class:`EngineError` with their first line."""
    try:
        yield
    except Exception as exc:
        if not _is_spark_error(exc):
            raise
        first = next((ln.strip() for ln in str(exc).splitlines() if ln.strip()), type(exc).__name__)
        raise EngineError(f"Spark could not {what}: {first[:400]}") from None


# -- the connection the capability code uses ---------------------------------------------------------------------
class _Rows:
    def __init__(self, rows: list[tuple]) -> None:
        self._rows = rows

    def fetchall(self) -> list[tuple]:
        return self._rows


class _Relation:
    def __init__(self, df: Any) -> None:
        self._df = df

    def to_arrow_table(self) -> Any:
        """The rows as a :class:`pyarrow.Table`, collected on the driver."""
        with _spark_errors("run the query"):
            return self._df.toArrow()


class SparkConnection:
    """What :meth:`SparkEngine.session` yields: the DuckDB connection calls the capability code makes, on Spark."""

    dialect = "spark"

    def __init__(self, engine: SparkEngine) -> None:
        self.engine = engine

    @property
    def spark(self) -> Any:
        return self.engine.spark()

    def dataframe(self, sql: str, params: dict | list | None = None) -> Any:
        """The Spark DataFrame of a DuckDB-dialect query (lazy: nothing runs until it is collected or written)."""
        if isinstance(params, list):
            raise EngineError("positional query parameters are not supported on Spark; name them ($name)")
        text = translate(_spark_text(sql), params)
        with _spark_errors("plan the query"):
            return self.spark.sql(text)

    def sql(self, sql: str, params: dict | list | None = None) -> _Relation:
        return _Relation(self.dataframe(sql, params))

    def execute(self, sql: str, params: dict | list | None = None) -> _Rows:
        if _SETTING.match(sql):
            return _Rows([])  # DuckDB session settings (progress bar, memory limit) mean nothing here
        if m := _TEMP_TABLE.match(sql):
            name = m.group("name")
            df = self.dataframe(m.group("query"), params)
            with _spark_errors(f"compute {name}"):
                self.spark.catalog.dropTempView(name)  # and its cached data
                # materialised now, as DuckDB does, with its lineage cut: dropping the views it was computed
                # from (the _features snapshot) must not invalidate it
                df.localCheckpoint(eager=True).createOrReplaceTempView(name)
            return _Rows([])
        if m := _DROP.match(sql):
            with _spark_errors("drop a view"):
                self.spark.catalog.dropTempView(m.group("name"))  # uncached with it
            return _Rows([])
        if _WRITES.match(sql):
            raise self.engine.refuse("this statement")
        with _spark_errors("run the query"):
            if re.match(r"^\s*CREATE\s+(OR\s+REPLACE\s+)?TEMP(ORARY)?\s+VIEW\b", sql, re.IGNORECASE):
                self.spark.sql(translate(sql, params if isinstance(params, dict) else None))
                return _Rows([])
            return _Rows([tuple(r) for r in self.dataframe(sql, params).collect()])

    def register(self, name: str, table: Any) -> None:
        """Make an Arrow table (or pandas DataFrame) a temporary view ``name``."""
        import pyarrow as pa

        if not isinstance(table, pa.Table):
            table = pa.Table.from_pandas(table, preserve_index=False)
        with _spark_errors(f"load {name}"):
            self.spark.createDataFrame(table).createOrReplaceTempView(name)

    def unregister(self, name: str) -> None:
        with _spark_errors(f"drop {name}"):
            self.spark.catalog.dropTempView(name)

    def siyu_columns(self, relation: str) -> dict[str, str]:
        """Column name -> DuckDB type name of a view (the names :mod:`siyu.clv.summary` chooses conversions by)."""
        with _spark_errors(f"describe {relation}"):
            fields = self.spark.table(relation).schema.fields
        out = {}
        for f in fields:
            t = f.dataType.simpleString()
            out[f.name] = t.upper() if t.startswith("decimal") else _DUCK_NAMES.get(t, t.upper())
        return out


# -- the engine ----------------------------------------------------------------------------------------------------
def _join(base: str, name: str) -> str:
    return base.rstrip("/") + "/" + name


def _is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


class SparkEngine:
    """Apache Spark over the contract tables stored as Parquet under ``data``.

    Parameters
    ----------
    data : str
        Directory or lake URI (``s3a://bucket/store``, ``hdfs://…``, ``oss://…``) holding ``<table>.parquet`` files
        or ``<table>/`` folders of Parquet files, one per contract table.
    master : str, default "local[*]"
        Spark master: ``local[N]``, ``spark://host:7077``, ``yarn``, or ``sc://host:15002`` (Spark Connect).
    conf : dict, optional
        Spark settings added to :data:`SPARK_DEFAULTS` (and :func:`_local_defaults` on a local master).
    tz : str
        The workspace time zone. Contract timestamps are local wall-clock time in it and are read as such
        (``TIMESTAMP_NTZ`` in a UTC session), so no conversion uses it; it is kept for what the engine reports.

    Notes
    -----
    Each engine has its own Spark session (``newSession``: its own temporary views) on the process's one
    SparkContext, which lives until the process ends.
    """

    name = "spark"
    capabilities = frozenset({"read", "temp"})

    def __init__(self, data: str | os.PathLike, *, master: str | None = None, conf: dict[str, str] | None = None,
                 tz: str = "Asia/Shanghai") -> None:
        if not data:
            raise ConfigError("the spark engine needs the contract tables' location: --data DIR, "
                              "[engine.spark] data or SIYU_DATA")
        self.data = str(data)
        #: bumped when the session's temporary views are dropped (close): caches compare it
        self.generation = 0
        self.master = master or "local[*]"
        self.conf = dict(conf or {})
        self.tz = tz
        self._session: Any = None
        self._lock = threading.RLock()
        self.tables: dict[str, str] = {}  # contract table -> where it was read from ('' when absent)

    @classmethod
    def open(cls, ws: Any, *, data: Any = None) -> SparkEngine:
        """The engine for workspace ``ws``'s configuration: ``data`` (else ``SIYU_DATA``, else ``[engine.spark]
        data``), master from ``SIYU_SPARK_MASTER`` else ``[engine.spark] master``, the workspace's time zone."""
        cfg = ws.config.engine.spark
        return cls(data or os.environ.get("SIYU_DATA") or cfg.data,
                   master=os.environ.get("SIYU_SPARK_MASTER") or cfg.master, conf=cfg.conf,
                   tz=ws.config.workspace.tz)

    def refuse(self, what: str) -> EngineError:
        """The error for a write on this engine."""
        return EngineError(f"{what} writes to a workspace, and the spark engine only reads and computes: "
                           "run it on the duckdb engine (--engine duckdb)")

    # -- session -------------------------------------------------------------------------------------------------
    def spark(self) -> Any:
        """This engine's Spark session (started, and the contract views created, on first use)."""
        with self._lock:
            if self._session is None:
                self._session = self._start()
                try:
                    self._load_contract()
                except BaseException:
                    self._session = None
                    raise
            return self._session

    def _start(self) -> Any:
        import shutil
        import warnings

        try:
            from pyspark.logger import PySparkLogger
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError("the spark engine needs pyspark and sqlglot: pip install 'siyu[spark]' "
                              "(and Java 17)") from None
        remote = self.master.startswith("sc://")
        if not remote and not (os.environ.get("JAVA_HOME") or shutil.which("java")):
            raise ConfigError("the spark engine needs Java 17 on this machine (Debian: apt-get install "
                              "openjdk-17-jre-headless), or a Spark Connect server (SIYU_SPARK_MASTER=sc://host:15002)")
        for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
            PySparkLogger.getLogger(name).disabled = True  # siyu reports the error itself, in one line
        warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
        conf = {**SPARK_DEFAULTS, **(_local_defaults(self.master) if self.master.startswith("local") else {}),
                **self.conf}
        builder = SparkSession.builder.appName("siyu")
        builder = builder.remote(self.master) if remote else builder.master(self.master)
        for k, v in conf.items():
            builder = builder.config(k, str(v))
        with _spark_errors(f"start a session on {self.master}"):
            session = builder.getOrCreate()
            if not remote:
                session.sparkContext.setLogLevel("ERROR")
                session = session.newSession()
            for k, v in conf.items():
                if k.startswith("spark.sql."):
                    session.conf.set(k, str(v))
        return session

    def _read(self, session: Any, table: str) -> tuple[Any, str] | None:
        """The Parquet data of ``table`` and where it was found, or None when the data has none."""
        candidates = (_join(self.data, f"{table}.parquet"), _join(self.data, table))
        for where in candidates:
            if _is_local(where):
                path = where.removeprefix("file://")
                if not os.path.exists(path):
                    continue
            try:
                return session.read.parquet(where), where
            except Exception as exc:
                if not _is_spark_error(exc):
                    raise
                if _is_local(where):
                    first = next((ln for ln in str(exc).splitlines() if ln.strip()), "")
                    raise ValidationError(where, f"cannot be read as Parquet: {first[:300]}") from None
        return None

    def _load_contract(self) -> None:
        """Create one temporary view per contract table, with the contract's columns and types.

        A table the data does not have is an empty view (a store without follows has none); the data must have
        ``orders``. A column the contract requires and the file lacks is a :class:`~siyu.ValidationError`
        naming the file and the column; other missing columns are NULL; personal-data columns are not read.
        """
        from siyu.contract.schema import CHANNEL_GROUPS, TABLES

        session = self._session
        if _is_local(self.data) and not os.path.isdir(self.data.removeprefix("file://")):
            raise ConfigError(f"data directory {self.data} does not exist; write one with "
                              "`siyu export --all --format parquet DIR`")
        for name, spec in TABLES.items():
            found = self._read(session, name)
            cols = []
            if found is None:
                if name == "orders":
                    raise ConfigError(f"no orders under {self.data}: expected {name}.parquet or {name}/ "
                                      "(written by `siyu export --all --format parquet DIR`)")
                self.tables[name] = ""
                select = ", ".join(f"CAST(NULL AS {_SPARK_TYPES[c.kind]}) AS {c.name}"
                                   for c in spec.columns if not c.pii)
                with _spark_errors(f"create the empty view {name}"):
                    session.sql(f"SELECT {select} WHERE false").createOrReplaceTempView(name)
                continue
            df, where = found
            have = set(df.columns)
            for c in spec.columns:
                if c.pii:
                    continue
                if c.name in have:
                    cols.append(f"CAST(`{c.name}` AS {_SPARK_TYPES[c.kind]}) AS `{c.name}`")
                elif c.required:
                    raise ValidationError(where, "a column the contract requires is missing", column=c.name)
                else:
                    cols.append(f"CAST(NULL AS {_SPARK_TYPES[c.kind]}) AS `{c.name}`")
            with _spark_errors(f"read {where}"):
                df.createOrReplaceTempView(f"_file_{name}")
                session.sql(f"SELECT {', '.join(cols)} FROM _file_{name}").createOrReplaceTempView(name)
            self.tables[name] = where
        import pyarrow as pa

        groups = pa.table({"channel": list(CHANNEL_GROUPS), "channel_group": list(CHANNEL_GROUPS.values())})
        with _spark_errors("create _channel_groups"):
            session.createDataFrame(groups).createOrReplaceTempView("_channel_groups")

    # -- the Engine protocol ---------------------------------------------------------------------------------------
    def query(self, sql: str, params: dict | list | None = None) -> Any:
        """Run a read query (DuckDB's dialect, translated); a :class:`pyarrow.Table` on the driver."""
        with self.session() as conn:
            return conn.sql(sql, params).to_arrow_table()

    @contextlib.contextmanager
    def session(self) -> Iterator[SparkConnection]:
        """Hold the engine for several statements; yields a :class:`SparkConnection`."""
        with self._lock:
            self.spark()
            yield SparkConnection(self)

    def write(self, fn: Any) -> Any:
        """Refused: the spark engine does not change stored data."""
        raise self.refuse("this command")

    def write_query(self, sql: str, params: dict | None, path: str | os.PathLike) -> int:
        """Write a query's rows as Parquet to ``path`` from the executors (a directory of part files); rows.

        A local path is written to a temporary sibling first and moved into place when complete, so a failure
        leaves what was there; a lake URI relies on Spark's output committer.
        """
        import shutil
        import uuid

        target = str(path)
        local = _is_local(target)
        where = target + f".tmp-{uuid.uuid4().hex[:8]}" if local else target
        with self.session() as conn:
            df = conn.dataframe(sql, params)
            try:
                with _spark_errors(f"write {path}"):
                    df = df.cache()
                    n = df.count()
                    df.write.mode("overwrite").parquet(where)
                    df.unpersist()
                if local:
                    dest = target.removeprefix("file://")
                    if os.path.isdir(dest):
                        shutil.rmtree(dest)
                    elif os.path.exists(dest):
                        os.remove(dest)
                    os.replace(where.removeprefix("file://"), dest)
            finally:
                if local:
                    shutil.rmtree(where.removeprefix("file://"), ignore_errors=True)
        return n

    def close(self) -> None:
        """Drop this engine's views (and their cached data) and its session; the process's SparkContext stays for
        the next engine."""
        with self._lock:
            if self._session is not None:
                with contextlib.suppress(Exception):
                    for t in self._session.catalog.listTables():
                        if t.isTemporary:
                            self._session.catalog.dropTempView(t.name)
            self._session = None
            self.generation += 1  # session tables are gone: caches built on them are stale
