"""Generate a large simulated store as a Parquet "lake" for the engine benchmark (benchmarks/bench_spark.py).

    python benchmarks/gen_lake.py --users 5000000 --chunk 1000000 --days 365 --seed 7 --out /tmp/siyu-lake \
        --workspace /tmp/siyu-lake-ws

The store is simulated chunk by chunk (``siyu.simulate.generate_store`` on ``--chunk`` users at a time, each chunk
with its own generator spawned from ``--seed``), and each chunk's contract tables are appended straight to
``<out>/<table>.parquet`` (one file per contract table, zstd, row groups of about 1M rows), so no more than one
chunk is ever held in memory. The directory has the layout ``siyu export --all --format parquet DIR`` writes and
the spark engine reads (``Workspace(path, engine="spark", data=DIR)``); the personal-data column ``phone`` of
users is left out.

How the chunks are made one store:

* every id the simulator numbers per run gets a chunk prefix (``c03:u0000042``): user ids in every table, order
  ids (orders, order_items), event ids and session ids (events) and message ids (reach_log), so every contract
  key stays unique across chunks (checked against ``siyu.contract.schema.TABLES`` below);
* the catalogue is one for the whole store: it is drawn once (chunk 0, at the size of the whole store) and given
  to every chunk, whose orders and events then refer to the same SKUs at the same list prices; ``products`` is
  written once and SKUs are not renamed;
* campaign ids (``cmp0001`` …) are kept: a campaign is sent on the same dates in every chunk, so each reads as
  one campaign to the whole user base (its channel may differ between chunks: it is drawn per chunk);
* each chunk is cast to the first chunk's schema (dictionary-encoded columns decoded to plain strings, a column
  that is all-null in the first chunk given its contract type).

``--workspace PATH`` also builds a DuckDB workspace holding the same rows, for the DuckDB side of the benchmark:
``Workspace.init(PATH)``, then one ``INSERT INTO <table> SELECT … FROM read_parquet(…)`` per contract table in one
transaction. This is a benchmark fixture load, not ``siyu ingest``: rows are not validated, de-duplicated or
recorded in ``_loads``, and the users' ``phone_masked`` / ``phone_enc`` columns are NULL.

Prints the row count of every table, the generation time and (with ``--workspace``) the load time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

#: columns holding an id the simulator numbers per run (1, 2, …), renamed with the chunk prefix
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "users": ("user_id",),
    "products": (),  # one catalogue for the whole store: written once, SKUs unchanged
    "orders": ("order_id", "user_id"),
    "order_items": ("order_id",),
    "events": ("event_id", "user_id", "session_id"),
    "follows": ("user_id",),
    "memberships": ("user_id",),
    "reach_log": ("message_id", "user_id"),
}
MIN_CHUNK = 100  # SimulationConfig.users >= 100
ROW_GROUP = 1_000_000


def _check_keys() -> None:
    """Every contract table but products must have a renamed column in its key (so keys stay unique)."""
    from siyu.contract.schema import TABLES

    assert set(ID_COLUMNS) == set(TABLES), f"ID_COLUMNS does not list the contract tables {sorted(TABLES)}"
    for name, spec in TABLES.items():
        if name != "products" and not set(spec.key) & set(ID_COLUMNS[name]):
            raise SystemExit(f"gen_lake: the key {spec.key} of {name} has no chunk-prefixed column; update ID_COLUMNS")


def chunk_sizes(users: int, chunk: int) -> list[int]:
    """``users`` split in chunks of ``chunk``; a remainder under MIN_CHUNK users joins the last chunk."""
    sizes = [chunk] * (users // chunk)
    rest = users - chunk * len(sizes)
    if rest:
        if rest < MIN_CHUNK and sizes:
            sizes[-1] += rest
        else:
            sizes.append(rest)
    return sizes


def _contract_type(kind: str):
    import pyarrow as pa

    return {"string": pa.string(), "enum": pa.string(), "timestamp": pa.timestamp("us"), "date": pa.date32(),
            "money": pa.decimal128(18, 2), "integer": pa.int64(), "number": pa.float64(),
            "boolean": pa.bool_()}[kind]


def _plain(table):
    """``table`` with dictionary-encoded columns decoded to their values (what the writer keeps across chunks)."""
    import pyarrow as pa

    cols = []
    for col in table.columns:
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        cols.append(col)
    return pa.table(cols, names=table.column_names)


def _target_schema(name: str, table):
    """The schema every chunk of ``name`` is cast to: the first chunk's, null-typed columns given their contract type."""
    import pyarrow as pa

    from siyu.contract.schema import TABLES

    spec = TABLES[name]
    fields = []
    for f in table.schema:
        if pa.types.is_null(f.type):
            f = pa.field(f.name, _contract_type(spec.column(f.name).kind), nullable=True)
        fields.append(f)
    return pa.schema(fields)


def prepare(name: str, table, prefix: str):
    """One chunk's ``table``: personal data dropped, dictionaries decoded, per-run ids given the chunk prefix."""
    import pyarrow.compute as pc

    from siyu.contract.schema import TABLES

    pii = [c.name for c in TABLES[name].columns if c.pii and c.name in table.column_names]
    if pii:
        table = table.drop_columns(pii)
    table = _plain(table)
    for col in ID_COLUMNS[name]:
        i = table.schema.get_field_index(col)
        table = table.set_column(i, col, pc.binary_join_element_wise(prefix, table.column(i), ""))
    return table


class _SharedCatalog:
    """``build_catalog`` drawing the store's catalogue once and giving the same one to every later chunk."""

    def __init__(self, build):
        self.build = build
        self.catalog = None

    def __call__(self, cfg, cal, rng):
        if self.catalog is None:
            self.catalog = self.build(cfg, cal, rng)
        return self.catalog


def generate(args: argparse.Namespace) -> tuple[dict[str, int], float]:
    """Simulate the chunks and append them to ``<out>/<table>.parquet``; rows per table and seconds."""
    import numpy as np
    import pyarrow.parquet as pq
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    import siyu.simulate._store as store
    from siyu.simulate import SimulationConfig
    from siyu.simulate._store import TABLE_NAMES, generate_store

    sizes = chunk_sizes(args.users, args.chunk)
    width = max(2, len(str(len(sizes) - 1)))
    n_skus = SimulationConfig(users=args.users, days=args.days, seed=args.seed).n_skus
    seeds = np.random.SeedSequence(args.seed).spawn(len(sizes))
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    tmp = {name: out / f".{name}.parquet.partial" for name in TABLE_NAMES}
    writers: dict[str, pq.ParquetWriter] = {}
    schemas = {}
    rows = dict.fromkeys(TABLE_NAMES, 0)
    shared = _SharedCatalog(store.build_catalog)
    store.build_catalog = shared  # generate_store calls it first, with the chunk's generator
    t0 = time.perf_counter()
    try:
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[stage]}"), TimeElapsedColumn()) as bar:
            task = bar.add_task(f"{args.users:,} users", total=len(sizes), stage="")
            for k, n in enumerate(sizes):
                prefix = f"c{k:0{width}d}:"

                def step(stage: str, frac: float, k=k) -> None:
                    bar.update(task, stage=f"chunk {k}: {stage}")

                cfg = SimulationConfig(users=n, days=args.days, seed=args.seed, skus=n_skus)
                tables, _truth = generate_store(cfg, np.random.default_rng(seeds[k]), progress=step)
                del _truth
                bar.update(task, stage=f"chunk {k}: writing")
                for name in TABLE_NAMES:
                    table = tables.pop(name)
                    if name == "products" and k > 0:
                        continue
                    table = prepare(name, table, prefix)
                    if name not in writers:
                        schemas[name] = _target_schema(name, table)
                        writers[name] = pq.ParquetWriter(tmp[name], schemas[name], compression="zstd")
                    if table.schema != schemas[name]:
                        table = table.select(schemas[name].names).cast(schemas[name])
                    writers[name].write_table(table, row_group_size=ROW_GROUP)
                    rows[name] += table.num_rows
                    del table
                bar.advance(task)
            bar.update(task, stage="done")
        for name, w in writers.items():
            w.close()
            tmp[name].replace(out / f"{name}.parquet")
        writers.clear()
    finally:
        store.build_catalog = shared.build
        for w in writers.values():
            w.close()
        for p in tmp.values():
            p.unlink(missing_ok=True)
    return rows, time.perf_counter() - t0


def load_workspace(path: Path, lake: Path, force: bool) -> tuple[dict[str, int], float]:
    """A DuckDB workspace at ``path`` with the lake's rows (benchmark fixture load: no validation); rows, seconds."""
    import duckdb

    from siyu import Workspace
    from siyu.contract.schema import TABLES
    from siyu.engine.duckdb import transaction

    t0 = time.perf_counter()
    ws = Workspace.init(path)

    def lit(p: Path) -> str:
        return "'" + str(p).replace("'", "''") + "'"

    def load(conn) -> dict[str, int]:
        counts = {}
        with transaction(conn):
            for name, spec in TABLES.items():
                if force:
                    conn.execute(f"DELETE FROM {name}")
                src = lake / f"{name}.parquet"
                if not src.exists():
                    counts[name] = 0
                    continue
                have = {r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM read_parquet({lit(src)})").fetchall()}
                cols = [f'CAST("{c}" AS {t})' if c in have else f"CAST(NULL AS {t})" for c, t in spec.storage_columns]
                names = ", ".join(f'"{c}"' for c, _ in spec.storage_columns)
                conn.execute(f"INSERT INTO {name} ({names}) SELECT {', '.join(cols)} FROM read_parquet({lit(src)})")
                counts[name] = conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            if force:
                conn.execute("DELETE FROM _loads")
        conn.execute("CHECKPOINT")
        return counts

    try:
        counts = ws.write(load)
    except duckdb.Error as exc:
        raise SystemExit(f"gen_lake: loading the workspace {path} failed: {exc}") from None
    finally:
        ws.close()
    return counts, time.perf_counter() - t0


def _refuse_non_empty(path: Path, what: str, force: bool) -> None:
    if path.exists() and not path.is_dir():
        raise SystemExit(f"gen_lake: {what} {path} exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise SystemExit(f"gen_lake: {what} {path} exists and is not empty; choose another path, remove it, "
                         "or pass --force to overwrite the tables in it")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=5_000_000, help="users of the whole store")
    ap.add_argument("--chunk", type=int, default=1_000_000, help="users simulated (and held in memory) at a time")
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, required=True, help="directory of the <table>.parquet files")
    ap.add_argument("--workspace", type=Path, help="also build a DuckDB workspace here with the same rows")
    ap.add_argument("--force", action="store_true", help="write into a non-empty --out / --workspace")
    args = ap.parse_args()
    if args.users < MIN_CHUNK or args.chunk < MIN_CHUNK:
        ap.error(f"--users and --chunk must be at least {MIN_CHUNK}")
    if args.days < 30:
        ap.error("--days must be at least 30")
    _check_keys()
    _refuse_non_empty(args.out, "--out", args.force)
    if args.workspace is not None:
        _refuse_non_empty(args.workspace, "--workspace", args.force)
        if args.workspace.resolve() == args.out.resolve():
            ap.error("--workspace must differ from --out")
    sizes = chunk_sizes(args.users, args.chunk)
    print(f"simulating {args.users:,} users x {args.days} days (seed {args.seed}) in {len(sizes)} chunk(s) of "
          f"up to {max(sizes):,} users -> {args.out}", flush=True)
    rows, gen_s = generate(args)
    size = sum((args.out / f"{n}.parquet").stat().st_size for n in rows)
    width = max(len(n) for n in rows)
    for name, n in rows.items():
        print(f"  {name:<{width}} {n:>14,} rows")
    print(f"generated and written in {gen_s:.1f} s ({size / 1e6:,.1f} MB of Parquet)", flush=True)
    manifest = {"users": args.users, "chunk": args.chunk, "chunks": len(sizes), "days": args.days,
                "seed": args.seed, "rows": rows, "generate_s": round(gen_s, 1), "bytes": size}
    if args.workspace is not None:
        counts, load_s = load_workspace(args.workspace, args.out, args.force)
        if counts != rows:
            raise SystemExit(f"gen_lake: the workspace has {counts} rows, the lake {rows}")
        print(f"workspace {args.workspace}: all tables loaded from the Parquet files in {load_s:.1f} s "
              f"(DuckDB bulk insert, benchmark fixture: not `siyu ingest`)")
        manifest["workspace_load_s"] = round(load_s, 1)
    (args.out / "lake.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.1f} GB")


if __name__ == "__main__":
    sys.exit(main())
