"""The Spark engine from the outside: the CLI, the settings, writes refused, bad data and failures as siyu errors."""

from __future__ import annotations

import csv
import io
import shutil

import pyarrow.parquet as pq
import pytest
from conftest import run_cli

from siyu import ConfigError, EngineError, ValidationError, Workspace

from .conftest import MASTER


def _lake(duck) -> str:
    return str(duck.path.parent / "lake")


def _sorted_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    return [rows[0], *sorted(rows[1:])]


def test_cli_per_user_csv_on_spark_prints_what_duckdb_prints(store):
    duck, _, t = store
    duck.close()  # let the CLI processes open the workspace file
    env = {"SIYU_SPARK_MASTER": MASTER}
    a = run_cli("-w", str(duck.path), "aipl", "--per-user", "--format", "csv", "--as-of", str(t), env=env)
    b = run_cli("-w", str(duck.path), "--engine", "spark", "--data", _lake(duck), "aipl", "--per-user", "--format",
                "csv", "--as-of", str(t), env=env)
    assert a.returncode == 0 and b.returncode == 0, b.stderr
    assert _sorted_csv(a.stdout) == _sorted_csv(b.stdout)
    assert len(a.stdout.splitlines()) > 1000
    assert "at org.apache" not in b.stderr and "Traceback" not in b.stderr


def test_out_writes_parquet_from_the_executors_equal_to_duckdbs_file(store, tmp_path):
    duck, _, t = store
    duck.close()
    env = {"SIYU_SPARK_MASTER": MASTER, "SIYU_ENGINE": "spark", "SIYU_DATA": _lake(duck)}
    b = run_cli("-w", str(duck.path), "rfm", "--as-of", str(t), "--out", str(tmp_path / "rfm"), env=env)
    assert b.returncode == 0, b.stderr
    assert "wrote" in b.stderr and (tmp_path / "rfm" / "_SUCCESS").exists()
    a = run_cli("-w", str(duck.path), "rfm", "--as-of", str(t), "--out", str(tmp_path / "rfm.parquet"))
    assert a.returncode == 0, a.stderr
    key = [("user_id", "ascending")]
    spark_rows = pq.read_table(tmp_path / "rfm").sort_by(key)
    duck_rows = pq.read_table(tmp_path / "rfm.parquet").sort_by(key)
    assert spark_rows.column_names == ["user_id", "r", "f", "m", "group"]
    assert spark_rows.to_pylist() == duck_rows.to_pylist() and duck_rows.num_rows > 100


def test_out_on_spark_refuses_csv_and_replaces_an_old_directory_whole(store, tmp_path):
    from siyu.engine.sql import write_per_user

    _, spark, t = store
    with pytest.raises(ConfigError, match="Parquet"):
        write_per_user(spark, "ucmv", t, tmp_path / "u.csv", ["user_id", "stage"])
    old = tmp_path / "u"
    old.mkdir()
    (old / "stale.parquet").write_text("old")
    n = write_per_user(spark, "ucmv", t, old, ["user_id", "stage"])
    assert not (old / "stale.parquet").exists() and pq.read_table(old).num_rows == n > 100
    assert not list(tmp_path.glob("u.tmp-*"))


@pytest.mark.parametrize("args", [["forget", "u1"], ["ingest", "orders", "x.csv"], ["export", "orders", "o.csv"],
                                  ["export", "--all", "lake2"]])
def test_writes_are_refused_on_spark_with_a_clear_message(store, args, tmp_path):
    duck, _, _ = store
    before = duck.checksums()
    duck.close()
    res = run_cli("-w", str(duck.path), "--engine", "spark", "--data", _lake(duck), *args, cwd=tmp_path)
    assert res.returncode == 69, res.stderr
    assert "not available on the spark engine" in res.stderr and "--engine duckdb" in res.stderr
    assert duck.checksums() == before and not list(tmp_path.iterdir())


def test_storing_results_is_refused_and_the_stored_tables_are_none_on_spark(store):
    from siyu.assets import pool_transitions
    from siyu.clv.runs import stored_predictions

    _, spark, t = store
    with pytest.raises(EngineError, match="storing results .*spark engine"):
        pool_transitions(spark, t.replace(day=1), t, store=True)
    assert stored_predictions(spark) is None
    with pytest.raises(EngineError, match="checksums"):
        spark.checksums()


def test_a_spark_failure_is_one_line_not_a_java_stack_trace(store):
    _, spark, _ = store
    with pytest.raises(EngineError) as exc:
        spark.query("SELECT no_such_function(user_id) FROM orders")
    msg = str(exc.value)
    assert msg.startswith("Spark could not") and "NO_SUCH_FUNCTION" in msg.upper().replace(" ", "_")
    assert "\n" not in msg and "at org.apache" not in msg
    from siyu.engine.sql import load_model

    with pytest.raises(EngineError, match="pool_transitions_clear .*a write to the workspace file"), \
            spark.session() as conn:
        conn.execute(load_model("pool_transitions_clear").sql, {"first": "2024-01-01", "last": "2024-01-02"})


def _copy_lake(duck, tmp_path):
    lake = tmp_path / "lake"
    shutil.copytree(_lake(duck), lake)
    return lake


def test_a_lake_without_a_required_column_names_the_file_and_column(store, tmp_path):
    duck, _, _ = store
    lake = _copy_lake(duck, tmp_path)
    orders = pq.read_table(lake / "orders.parquet")
    pq.write_table(orders.drop_columns(["amount"]), lake / "orders.parquet")
    ws = Workspace(duck.path, engine="spark", data=lake)
    with pytest.raises(ValidationError) as exc:
        ws.last_date()
    assert "orders.parquet" in str(exc.value) and exc.value.column == "amount"
    assert "requires" in exc.value.rule


def test_missing_tables_are_empty_but_orders_are_required(store, tmp_path):
    from siyu import assets

    duck, _, t = store
    lake = _copy_lake(duck, tmp_path)
    (lake / "follows.parquet").unlink()
    part = lake / "memberships"  # a table may also be a folder of part files
    part.mkdir()
    (lake / "memberships.parquet").rename(part / "part-0.parquet")
    ws = Workspace(duck.path, engine="spark", data=lake)
    assert ws.tables()["follows"]["rows"] == 0 and ws.engine.tables["follows"] == ""
    assert ws.engine.tables["memberships"].endswith("memberships")
    pools = {r["user_id"]: r for r in assets.pools(ws, t).to_pylist()}
    assert not any(r["fan_pool"] for r in pools.values())
    assert any(r["member_pool"] for r in pools.values())
    (lake / "orders.parquet").unlink()
    with pytest.raises(ConfigError, match="no orders under"):
        Workspace(duck.path, engine="spark", data=lake).last_date()
    with pytest.raises(ConfigError, match="does not exist"):
        Workspace(duck.path, engine="spark", data=tmp_path / "nowhere").last_date()


def test_engine_settings_from_siyu_toml_and_the_environment(store, tmp_path, monkeypatch):
    duck, _, t = store
    monkeypatch.delenv("SIYU_SPARK_MASTER", raising=False)
    monkeypatch.delenv("SIYU_ENGINE", raising=False)
    monkeypatch.delenv("SIYU_DATA", raising=False)
    root = tmp_path / "cfg"
    root.mkdir()
    (root / "siyu.toml").write_text(
        '[engine]\nname = "spark"\n\n[engine.spark]\n'
        f'master = "{MASTER}"\ndata = "{_lake(duck)}"\nconf = {{ "spark.sql.shuffle.partitions" = "3" }}\n')
    ws = Workspace(root)  # no siyu.duckdb here: the spark engine needs none
    assert ws.engine.name == "spark" and ws.engine.master == MASTER and ws.engine.data == _lake(duck)
    assert ws.last_date() == t
    assert ws.engine.spark().conf.get("spark.sql.shuffle.partitions") == "3"
    monkeypatch.setenv("SIYU_SPARK_MASTER", "local[1]")
    monkeypatch.setenv("SIYU_DATA", str(tmp_path / "elsewhere"))
    other = Workspace(root)
    assert other.engine.master == "local[1]" and other.engine.data == str(tmp_path / "elsewhere")
    monkeypatch.setenv("SIYU_ENGINE", "duckdb")
    with pytest.raises(Exception, match="not a siyu workspace"):
        Workspace(root)
    assert Workspace(duck.path, engine="duckdb").engine.name == "duckdb"
    with pytest.raises(ConfigError, match="--data is the spark engine"):
        Workspace(duck.path, engine="duckdb", data=_lake(duck))
