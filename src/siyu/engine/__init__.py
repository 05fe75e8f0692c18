"""The engine layer under every model: SQL runner, dates, file I/O and the engine registry.

- :mod:`siyu.engine.sql` — named ``.sql`` models, parameter binding from the typed config, snapshots;
- :mod:`siyu.engine.dates` — the one date parser and window arithmetic;
- :mod:`siyu.engine.io` — CSV / Parquet / JSON Lines, read and written atomically;
- :mod:`siyu.engine.base` — the :class:`Engine` protocol, capability flags and the registry;
- :mod:`siyu.engine.duckdb` — the embedded DuckDB engine and its connection helpers;
- :mod:`siyu.engine.spark` — Apache Spark over Parquet contract tables;
- :mod:`siyu.engine.translate` — the models translated to Spark SQL by sqlglot, with siyu's rules.
"""

from siyu.engine.base import ENGINES, Engine, get_engine, register_engine

__all__ = ["ENGINES", "Engine", "get_engine", "register_engine"]
