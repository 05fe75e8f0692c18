"""Fixtures of the Spark tests: simulated stores in a DuckDB workspace and as a Parquet lake, both engines open.

The tests run a real local Spark session (``local[2]``, Java 17). Without Java they are skipped, unless
``SIYU_REQUIRE_SPARK`` is set (CI, ``.ci/run``), where that is a failure. They share one xdist group, so that one
worker starts one JVM.
"""

from __future__ import annotations

import os
import shutil

import pytest

from siyu import Workspace
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store

MASTER = "local[2]"


def require_spark() -> None:
    """Skip without Java or pyspark, unless SIYU_REQUIRE_SPARK is set (CI), where that is a failure."""
    missing = []
    if not (os.environ.get("JAVA_HOME") or shutil.which("java")):
        missing.append("Java 17 (apt-get install openjdk-17-jre-headless)")
    try:
        import pyspark  # noqa: F401
        import sqlglot  # noqa: F401
    except ImportError:
        missing.append("pyspark and sqlglot (pip install 'siyu[spark]')")
    if not missing:
        return
    if os.environ.get("SIYU_REQUIRE_SPARK"):
        pytest.fail(f"Spark is required (SIYU_REQUIRE_SPARK is set) but missing: {', '.join(missing)}")
    pytest.skip(f"missing for the Spark tests: {', '.join(missing)}")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/spark/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.spark)
            item.add_marker(pytest.mark.xdist_group("spark"))


def _store(root, users: int, seed: int, scenario: str = "default"):
    """A simulated store in a DuckDB workspace and exported to ``lake/`` as Parquet (siyu export --all)."""
    from siyu.contract.exchange import export_all
    from siyu.simulate import SCENARIOS

    cfg = SimulationConfig(**{**SCENARIOS[scenario], "users": users, "days": 420, "seed": seed})
    tables, truth = simulate_store(cfg)
    files = write_store(root / "d", tables, truth)
    ws = Workspace.init(root / "ws")
    for name in TABLES:
        ws.ingest(name, files[name])
    export_all(ws, root / "lake", "parquet")
    return ws


@pytest.fixture(scope="session")
def store(tmp_path_factory):
    """(DuckDB workspace, Spark workspace, snapshot date) of a simulated store (default scenario)."""
    require_spark()
    os.environ["SIYU_SPARK_MASTER"] = MASTER
    root = tmp_path_factory.mktemp("spark-store")
    duck = _store(root, 1500, 5150)
    spark = Workspace(root / "ws", engine="spark", data=root / "lake")
    yield duck, spark, duck.last_date()
    duck.close()
    spark.close()


@pytest.fixture(scope="session")
def weak_store(tmp_path_factory):
    """A second store (weak membership scenario, another seed), for the per-user models."""
    require_spark()
    os.environ["SIYU_SPARK_MASTER"] = MASTER
    root = tmp_path_factory.mktemp("spark-weak")
    duck = _store(root, 1200, 5151, "weak_membership")
    spark = Workspace(root / "ws", engine="spark", data=root / "lake")
    yield duck, spark, duck.last_date()
    duck.close()
    spark.close()
