"""The engine protocol and registry: what every execution engine offers, and how one is chosen.

An engine runs the named SQL models (:mod:`siyu.engine.sql`) over the contract tables and returns Arrow
tables. DuckDB (:mod:`siyu.engine.duckdb`) is the embedded default and the only engine that writes (ingest,
forget, stored results). The registry has a slot for a distributed engine (Apache Spark) that reads the
same contract tables and runs the same models; :func:`get_engine` refuses an engine that is not available
with a clear :class:`~siyu.ConfigError`, never a stack trace from inside.

Capability flags say what an engine can do, so callers ask instead of assuming:

``read``      run queries and named models
``write``     change stored data (ingest, forget, stored predictions)
``temp``      session temporary tables (``_features`` snapshots)
``udf``       Python scalar functions (unmasking personal data on export)
"""

from __future__ import annotations

import contextlib
import importlib
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from siyu._exceptions import ConfigError

__all__ = ["CAPABILITIES", "ENGINES", "Engine", "EngineSpec", "get_engine", "register_engine", "require"]

CAPABILITIES = frozenset({"read", "write", "temp", "udf"})


@runtime_checkable
class Engine(Protocol):
    """What the core asks of an execution engine."""

    name: str
    capabilities: frozenset[str]
    #: a counter bumped whenever stored data change (a write) or the session's temporary tables go (close);
    #: caches of derived session tables (the audience profile) are valid only for the generation they were built at
    generation: int

    def query(self, sql: str, params: dict | list | None = None) -> Any:
        """Run a read query; a :class:`pyarrow.Table`."""

    def session(self) -> contextlib.AbstractContextManager[Any]:
        """Hold the engine for several statements (temp tables live for the block); yields a connection."""

    def write(self, fn: Any) -> Any:
        """Run ``fn(connection)`` as the one writer; refused by engines without ``write``."""

    def close(self) -> None:
        """Release the engine's resources (reopened on demand)."""

    @classmethod
    def open(cls, ws: Any, *, data: Any = None) -> Engine:
        """The engine for workspace ``ws`` (its file, or for Spark ``data`` and ``ws.config.engine``)."""


@dataclass(frozen=True)
class EngineSpec:
    """A registered engine: its ``name``, the ``target`` ("module:Class") and a one-line ``description``."""

    name: str
    target: str | None
    description: str
    missing: str = ""

    def load(self) -> type:
        """The engine class (imported on first use, so ``import siyu`` stays light)."""
        if self.target is None:
            raise ConfigError(f"engine {self.name!r} is not available in this version: {self.missing}")
        module, _, cls = self.target.partition(":")
        return getattr(importlib.import_module(module), cls)


#: name -> engine; the Spark slot is filled by the Spark engine
ENGINES: dict[str, EngineSpec] = {
    "duckdb": EngineSpec("duckdb", "siyu.engine.duckdb:DuckDBEngine", "embedded DuckDB file (default)"),
    "spark": EngineSpec("spark", "siyu.engine.spark:SparkEngine", "Apache Spark over Parquet contract tables"),
}


def require(engine: Engine, capability: str, what: str) -> None:
    """Refuse ``what`` with a clear :class:`~siyu.EngineError` when ``engine`` lacks ``capability``."""
    if capability not in engine.capabilities:
        from siyu._exceptions import EngineError

        raise EngineError(f"{what} needs the workspace file and is not available on the {engine.name} engine, "
                          "which only reads and computes: run it with --engine duckdb")


def register_engine(name: str, target: str, description: str) -> None:
    """Register (or replace) an engine under ``name``; ``target`` is ``"module:Class"``."""
    ENGINES[name] = EngineSpec(name, target, description)


def get_engine(name: str) -> type:
    """The engine class registered under ``name``.

    Raises
    ------
    ConfigError
        For an unknown engine, or one whose slot is not filled.
    """
    if name not in ENGINES:
        raise ConfigError(f"unknown engine {name!r}; choose from {', '.join(ENGINES)}")
    return ENGINES[name].load()

