"""The layout rules of docs/architecture.md, checked on the source: layers, the engine registry, a thin workspace."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "siyu"
CORE = ["engine", "contract", "metrics", "assets", "health", "clv", "audiences", "autobid", "simulate", "pipeline"]
ADAPTERS = ("siyu.cli", "siyu.report", "siyu.api", "siyu.console", "siyu.server")


def _imports(path: Path) -> set[str]:
    """Every module name imported by ``path`` (absolute imports, at any depth of the file)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{a.name}" for a in node.names)
    return out


def test_the_layout_has_an_engine_a_cli_package_and_no_flat_cli_files():
    assert (SRC / "engine").is_dir() and (SRC / "cli" / "__init__.py").is_file()
    assert not list(SRC.glob("cli_*.py"))
    for pkg in ["engine", "contract", "metrics", "assets", "health", "clv", "audiences", "autobid", "simulate", "pipeline",
                "report", "cli"]:
        assert (SRC / pkg / "__init__.py").is_file(), pkg


@pytest.mark.parametrize("package", CORE)
def test_the_core_never_imports_an_adapter(package):
    bad = {f"{p.relative_to(SRC)}: {m}" for p in (SRC / package).rglob("*.py") for m in _imports(p)
           if m.startswith(ADAPTERS)}
    assert not bad


def test_the_report_renders_only():
    """Nothing under report/ runs SQL, opens an engine or fits a model: it renders the snapshot it is given.

    From the core it may import label constants only (``STAGE_LABELS``, ``KPI_LABELS``, …).
    """
    for p in (SRC / "report").rglob("*.py"):
        text = p.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Import):
                bad = [a.name for a in node.names if a.name.startswith(("duckdb", "siyu"))
                       and not a.name.startswith("siyu.report")]
                assert not bad, f"{p.name} imports {bad}"
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module.startswith("duckdb"):
                    raise AssertionError(f"{p.name} imports duckdb")
                if node.module.startswith("siyu") and not node.module.startswith("siyu.report") \
                        and node.module not in ("siyu", "siyu._exceptions", "siyu.registry"):
                    names = [a.name for a in node.names]
                    assert all(n.isupper() for n in names), f"{p.name} imports {node.module}: {names}"
        for call in (".query(", ".model(", ".session(", ".fit(", "execute("):
            assert call not in text, f"{p.name} calls {call}"


def test_import_siyu_and_the_engine_layer_stay_light():
    code = ("import sys, siyu, siyu.registry, siyu.engine; heavy = [m for m in ('duckdb', 'pyarrow', 'pandas', "
            "'numpy', 'scipy', 'typer', 'rich', 'plotly', 'jinja2', 'siyu.cli', 'siyu.report') "
            "if m in sys.modules]; print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def test_the_engine_registry_has_duckdb_and_spark_and_refuses_an_unfilled_slot_clearly():
    from siyu import ConfigError
    from siyu.engine import ENGINES, Engine, get_engine, register_engine
    from siyu.engine.base import EngineSpec
    from siyu.engine.duckdb import DuckDBEngine
    from siyu.engine.spark import SparkEngine

    assert get_engine("duckdb") is DuckDBEngine
    assert {"read", "write", "temp", "udf"} <= DuckDBEngine.capabilities
    assert get_engine("spark") is SparkEngine
    assert "write" not in SparkEngine.capabilities and "read" in SparkEngine.capabilities
    ENGINES["flink"] = EngineSpec("flink", None, "a slot not filled", missing="not built")
    try:
        with pytest.raises(ConfigError, match="flink.*not available"):
            get_engine("flink")
        register_engine("flink", "siyu.engine.duckdb:DuckDBEngine", "filled")
        assert get_engine("flink") is DuckDBEngine
    finally:
        del ENGINES["flink"]
    with pytest.raises(ConfigError, match="unknown engine 'oracle'"):
        get_engine("oracle")
    assert isinstance(DuckDBEngine(Path("x.duckdb")), Engine) and isinstance(SparkEngine("lake"), Engine)


def test_the_workspace_is_thin_and_has_one_public_writer(good_ws):
    from siyu.workspace import Workspace

    public = {n for n in vars(Workspace) if not n.startswith("_")}
    assert public <= {"init", "db_path", "close", "query", "session", "model", "tables", "checksums", "last_date",
                      "write", "ingest", "export", "forget"}, public
    for p in SRC.rglob("*.py"):
        assert "._write(" not in p.read_text(encoding="utf-8"), p
    ro = Workspace(good_ws.path, read_only=True)
    from siyu import WorkspaceError

    with pytest.raises(WorkspaceError, match="read-only"):
        ro.write(lambda conn: None)
    ro.close()


def test_a_named_model_runs_through_the_workspace(good_ws):
    t = good_ws.model("last_pay_date").column("d")[0].as_py()
    assert t == good_ws.last_date() and t is not None


def test_one_date_parser():
    import datetime as dt

    from siyu import ConfigError
    from siyu.engine.dates import as_date, window_start

    assert as_date("2024-03-01") == dt.date(2024, 3, 1)
    assert as_date("2024-03-01T23:59:00") == dt.date(2024, 3, 1)
    assert as_date(dt.datetime(2024, 3, 1, 5)) == dt.date(2024, 3, 1)
    assert as_date(None) is None
    with pytest.raises(ConfigError, match="as_of: not a date"):
        as_date("01/03/2024", name="as_of")
    assert window_start(dt.date(2024, 3, 31), 31) == dt.date(2024, 3, 1)
    defs = [p for p in SRC.rglob("*.py") if "def as_date" in p.read_text(encoding="utf-8")
            or "def _as_date" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(SRC).as_posix() for p in defs] == ["engine/dates.py"]


def test_io_writes_atomically_and_reads_back(tmp_path):
    import pyarrow as pa

    from siyu import ConfigError
    from siyu.engine.io import format_of, write_table

    t = pa.table({"user_id": ["00042", "b"], "amount": [1.5, None]})
    for ext in ("parquet", "csv", "jsonl"):
        out = write_table(t, tmp_path / f"t.{ext}")
        assert out.exists() and format_of(out) == ext
    assert (tmp_path / "t.csv").read_text().splitlines() == ['"user_id","amount"', '"00042",1.5', '"b",']
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(ConfigError, match="unsupported extension '.xlsx'"):
        write_table(t, tmp_path / "t.xlsx")
    assert not (tmp_path / "t.xlsx").exists()


def test_cli_modules_do_not_import_the_root_app():
    """No import cycle: capability CLI modules import siyu.cli._common, never the root app that registers them."""
    for p in (SRC / "cli").glob("*.py"):
        if p.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module in ("siyu.cli", "siyu"):
                names = {a.name for a in node.names}
                assert "app" not in names and "cli" not in names, f"{p.name} imports the root app"
            if isinstance(node, ast.Import):
                assert all(a.name != "siyu.cli" for a in node.names), p.name
