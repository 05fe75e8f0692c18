"""Transactional, idempotent loading of one file into one contract table.

The loading rules of ``docs/data.md`` §Loading: a load is one transaction (a file
with any invalid row changes nothing); loading the same file twice changes
nothing; a row whose key already exists replaces the stored row, and the counts
of new, replaced and unchanged rows are reported. All work is set-based SQL in
DuckDB: no Python loop touches the rows (personal data is encrypted per
distinct value, see :mod:`siyu.contract.privacy`).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from siyu._exceptions import ValidationError
from siyu.contract.formats import _ident, stage_file, text_encoding
from siyu.contract.privacy import encrypt_many, mask_sql
from siyu.contract.schema import TABLES, TableSpec
from siyu.contract.validate import check_columns, checks_for, run_checks, typed_expr
from siyu.engine.duckdb import one, run, transaction

__all__ = ["LoadResult", "create_schema", "create_session_tables", "ensure_schema", "load_file"]


@dataclass(frozen=True)
class LoadResult:
    """What one load did."""

    table: str
    file: str
    rows: int
    inserted: int
    replaced: int
    unchanged: int
    duplicates_dropped: int
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def create_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create every contract table and the bookkeeping tables if absent."""
    for spec in TABLES.values():
        cols = ", ".join(f"{_ident(n)} {t}" for n, t in spec.storage_columns)
        run(conn, f"CREATE TABLE IF NOT EXISTS {spec.name} ({cols})")
        for n, t in spec.storage_columns:  # a workspace made by an earlier version gains the new columns
            run(conn, f"ALTER TABLE {spec.name} ADD COLUMN IF NOT EXISTS {_ident(n)} {t}")
    run(conn, """CREATE TABLE IF NOT EXISTS _loads (
        loaded_at TIMESTAMP, "table" VARCHAR, file VARCHAR, file_sha256 VARCHAR, rows BIGINT,
        inserted BIGINT, replaced BIGINT, unchanged BIGINT, duplicates_dropped BIGINT)""")


def ensure_schema(conn: duckdb.DuckDBPyConnection) -> bool:
    """Bring a workspace made by an earlier siyu up to the contract (new tables, new columns); True if it changed.

    One catalogue query when nothing is missing, so every writable open can afford it."""
    have = set(run(conn, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main'"))
    want = {(spec.name, n) for spec in TABLES.values() for n, _ in spec.storage_columns}
    if want <= have:
        return False
    create_schema(conn)
    return True


def create_session_tables(conn: duckdb.DuckDBPyConnection) -> None:
    """Per-connection lookup tables the SQL models join to (channel groups, docs/data.md §Channels)."""
    from siyu.contract.schema import CHANNEL_GROUPS

    run(conn, "SET enable_progress_bar = false")  # siyu draws its own progress bars
    run(conn, "CREATE TEMP TABLE IF NOT EXISTS _channel_groups (channel VARCHAR, channel_group VARCHAR)")
    run(conn, "DELETE FROM _channel_groups")
    conn.executemany("INSERT INTO _channel_groups VALUES (?, ?)", list(CHANNEL_GROUPS.items()))


def _file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _key_match(spec: TableSpec, a: str, b: str) -> str:
    return " AND ".join(f"{a}.{_ident(k)} = {b}.{_ident(k)}" for k in spec.key)


def load_file(conn: duckdb.DuckDBPyConnection, table: str, path: str | Path, *, tz: str,
              key: bytes | None, encoding: str = "utf-8") -> LoadResult:
    """Validate ``path`` against the contract of ``table`` and upsert it, all in one transaction.

    Parameters
    ----------
    conn : duckdb.DuckDBPyConnection
        Connection to the workspace database (the caller serialises writes).
    table : str
        Contract table name.
    path : str or Path
        CSV, Parquet or JSON Lines file (format from the extension).
    tz : str
        Workspace time zone; zoned timestamps are converted to it, naive ones are read in it.
    key : bytes or None
        Workspace key for personal data; required when the file has a personal-data column.
    encoding : str, default "utf-8"
        Encoding of a CSV or JSON Lines file (any codec Python knows: ``gbk``, ``gb18030``, ``utf-8-sig``, …);
        Parquet ignores it.

    Raises
    ------
    ConfigError
        If ``encoding`` is no text encoding Python knows.
    ValidationError
        Naming file, row, column, value and rule; the workspace is left unchanged.
    """
    spec = TABLES[table]
    path = Path(path)
    file = str(path)
    encoding = text_encoding(encoding)
    t0 = time.perf_counter()
    with transaction(conn):
        stage_file(conn, path, encoding)
        raw = {r[0]: r[1] for r in run(conn, "DESCRIBE _stage") if r[0] != "__row"}
        check_columns(spec, file, list(raw))
        n_rows = one(conn, "SELECT count(*) FROM _stage")[0]
        if n_rows == 0:
            raise ValidationError(file, "file has no data rows")
        run_checks(conn, file, checks_for(spec, raw, tz))
        _check_file_keys(conn, spec, raw, file)
        dropped = _build_typed(conn, spec, raw, tz, key, file)
        inserted, replaced = _upsert(conn, spec)
        _check_references(conn, spec, file)
        n_typed = n_rows - dropped
        result = LoadResult(table, file, n_rows, inserted - replaced, replaced, n_typed - inserted, dropped,
                            round(time.perf_counter() - t0, 3))
        run(conn, "INSERT INTO _loads VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)",
            [table, file, _file_sha256(path), n_rows, result.inserted, replaced, result.unchanged, dropped])
        run(conn, "DROP TABLE IF EXISTS _stage; DROP TABLE IF EXISTS _typed")
    return result


def _check_file_keys(conn: duckdb.DuckDBPyConnection, spec: TableSpec, raw: dict[str, str], file: str) -> None:
    """A key may appear once per file (hash-derived keys are de-duplicated instead)."""
    if spec.hashed_key and spec.key[0] not in raw:
        return
    cols = ", ".join(_ident(k) for k in spec.key)
    where = " AND ".join(f"{_ident(k)} IS NOT NULL" for k in spec.key)
    hit = one(conn, 
        f"SELECT __row, first_row FROM (SELECT __row, min(__row) OVER (PARTITION BY {cols}) AS first_row, "
        f"count(*) OVER (PARTITION BY {cols}) AS n FROM _stage WHERE {where}) WHERE n > 1 AND __row <> first_row "
        f"ORDER BY __row LIMIT 1")
    if hit:
        value = one(conn, f"SELECT concat_ws(' | ', {cols}) FROM _stage WHERE __row = ?", [hit[0]])[0]
        raise ValidationError(file, f"duplicate key ({', '.join(spec.key)}) inside the file; first seen on row {hit[1]}",
                              row=int(hit[0]), column=", ".join(spec.key), value=value)


def _build_typed(conn: duckdb.DuckDBPyConnection, spec: TableSpec, raw: dict[str, str], tz: str,
                 key: bytes | None, file: str) -> int:
    """Create ``_typed`` (stored columns); return the number of exact duplicate rows dropped."""
    exprs: list[str] = []
    joins = ""
    maps: list[str] = []  # one registered (plain -> ciphertext) table per personal-data column
    # ids derived from a content hash only where the file leaves the key empty (ids given are unique: checked)
    needs_hash = spec.hashed_key and (
        spec.key[0] not in raw
        or one(conn, f"SELECT count(*) FROM _stage WHERE NULLIF(CAST({_ident(spec.key[0])} AS VARCHAR), '') IS NULL")[0] > 0)
    for col in spec.columns:
        e = typed_expr(col, raw.get(col.name), tz)
        if col.pii:
            if col.name in raw:
                if key is None:
                    raise ValidationError(file, "the workspace key is needed to store personal data", column=col.name)
                values = [r[0] for r in run(conn, 
                    f"SELECT DISTINCT {e} FROM _stage WHERE {e} IS NOT NULL")]
                mapping = pa.table({"plain": pa.array(values, pa.string()),
                                    "enc": pa.array(encrypt_many(key, values), pa.binary())})
                alias = f"_pii_{len(maps)}"
                maps.append(alias)
                conn.register(alias, mapping)
                joins += f" LEFT JOIN {alias} ON {alias}.plain = {e}"
                exprs += [f"{mask_sql(col.mask, e)} AS {_ident(col.name + '_masked')}",
                          f"{alias}.enc AS {_ident(col.name + '_enc')}"]
            else:
                exprs += [f"CAST(NULL AS VARCHAR) AS {_ident(col.name + '_masked')}",
                          f"CAST(NULL AS BLOB) AS {_ident(col.name + '_enc')}"]
            continue
        if col.default is not None:
            e = f"coalesce({e}, CAST({col.default!r} AS {col.sql_type}))"
        if needs_hash and col.name == spec.key[0]:
            others = [typed_expr(c, raw.get(c.name), tz) for c in spec.columns if c.name != col.name]
            digest = "md5(concat_ws(chr(31), " + ", ".join(f"coalesce(CAST({o} AS VARCHAR), chr(0))" for o in others) + "))"
            e = f"CASE WHEN {e} IS NOT NULL THEN {e} ELSE 'h:' || {digest} END"
        exprs.append(f"{e} AS {_ident(col.name)}")
    select = f"SELECT _stage.__row, {', '.join(exprs)} FROM _stage{joins}"
    if needs_hash:
        k = _ident(spec.key[0])
        select = f"SELECT * FROM ({select}) QUALIFY row_number() OVER (PARTITION BY {k} ORDER BY __row) = 1"
    run(conn, f"CREATE TEMP TABLE _typed AS {select}")
    for alias in maps:
        conn.unregister(alias)
    n_stage, n_typed = one(conn, "SELECT (SELECT count(*) FROM _stage), (SELECT count(*) FROM _typed)")
    return n_stage - n_typed


def _upsert(conn: duckdb.DuckDBPyConnection, spec: TableSpec) -> tuple[int, int]:
    """Replace changed rows and insert new ones; return (rows inserted incl. replacements, rows replaced)."""
    cols = [n for n, _ in spec.storage_columns]
    collist = ", ".join(_ident(c) for c in cols)
    tuple_t = "(" + ", ".join(f"t.{_ident(c)}" for c in cols) + ")"
    tuple_s = "(" + ", ".join(f"s.{_ident(c)}" for c in cols) + ")"
    replaced = one(conn, 
        f"DELETE FROM {spec.name} t USING _typed s WHERE {_key_match(spec, 't', 's')} "
        f"AND row{tuple_t} IS DISTINCT FROM row{tuple_s}")[0]
    inserted = one(conn, 
        f"INSERT INTO {spec.name} ({collist}) SELECT {', '.join('s.' + _ident(c) for c in cols)} FROM _typed s "
        f"WHERE NOT EXISTS (SELECT 1 FROM {spec.name} t WHERE {_key_match(spec, 't', 's')})")[0]
    return int(inserted), int(replaced)


def _check_references(conn: duckdb.DuckDBPyConnection, spec: TableSpec, file: str) -> None:
    for col, other, other_col in spec.references:
        hit = one(conn, 
            f"SELECT s.__row, s.{_ident(col)} FROM _typed s ANTI JOIN {other} o ON o.{_ident(other_col)} = s.{_ident(col)} "
            f"ORDER BY s.__row LIMIT 1")
        if hit:
            raise ValidationError(file, f"{col} points to no row of {other} (load {other} first)",
                                  row=int(hit[0]), column=col, value=hit[1])
