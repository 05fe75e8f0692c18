"""The Workspace facade: location rules, init, privacy at rest, erasure, read-only access."""

from __future__ import annotations

import pytest
from conftest import run_cli

from siyu import Workspace, WorkspaceError
from siyu.workspace import resolve_workspace_path


def test_location_flag_beats_environment_beats_default(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SIYU_WORKSPACE", raising=False)
    assert resolve_workspace_path() == tmp_path / "siyu-workspace"
    monkeypatch.setenv("SIYU_WORKSPACE", str(tmp_path / "env-ws"))
    assert resolve_workspace_path() == tmp_path / "env-ws"
    assert resolve_workspace_path(tmp_path / "flag-ws") == tmp_path / "flag-ws"


def test_cli_uses_env_then_flag(tmp_path):
    env_ws = tmp_path / "env-ws"
    res = run_cli("init", env={"SIYU_WORKSPACE": str(env_ws)})
    assert res.returncode == 0 and (env_ws / "siyu.duckdb").exists()
    res = run_cli("-w", str(tmp_path / "flag-ws"), "init", env={"SIYU_WORKSPACE": str(env_ws)})
    assert (tmp_path / "flag-ws" / "siyu.duckdb").exists()
    res = run_cli("tables", cwd=tmp_path)  # default ./siyu-workspace does not exist there
    assert res.returncode == 66 and "siyu init" in res.stderr


def test_missing_workspace_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="not a siyu workspace"):
        Workspace(tmp_path / "nothing")


def test_init_is_idempotent_and_keeps_data(good_ws):
    before = good_ws.checksums()
    good_ws.close()
    again = Workspace.init(good_ws.path)
    assert again.checksums() == before


def test_phone_is_encrypted_at_rest_and_masked_everywhere(good_ws, tmp_path):
    good_ws.close()
    raw = good_ws.db_path.read_bytes()
    assert b"13812341234" not in raw and b"13900001111" not in raw
    res = run_cli("-w", str(good_ws.path), "export", "users", str(tmp_path / "u.csv"))
    assert res.returncode == 0
    text = (tmp_path / "u.csv").read_text()
    assert "138****1234" in text and "13812341234" not in text
    res = run_cli("-w", str(good_ws.path), "ingest", "users", str(tmp_path / "u.csv"))
    assert res.returncode == 65 and "13812341234" not in res.stderr + res.stdout


def test_forget_removes_personal_data_and_anonymises_rows(good_ws):
    n_orders = good_ws.tables()["orders"]["rows"]
    changed = good_ws.forget("00042")
    assert changed["users"] == 1 and changed["orders"] == 2 and changed["follows"] == 2
    for table in ("users", "orders", "events", "follows", "memberships", "reach_log"):
        assert good_ws.query(f"SELECT count(*) AS n FROM {table} WHERE user_id = '00042'").to_pylist()[0]["n"] == 0
    assert good_ws.tables()["orders"]["rows"] == n_orders  # facts stay, identity goes
    anon = good_ws.query("SELECT DISTINCT user_id FROM orders WHERE user_id LIKE 'anon:%'").to_pylist()
    assert len(anon) == 1


def test_read_only_workspace_refuses_writes(good_ws):
    good_ws.close()
    ro = Workspace(good_ws.path, read_only=True)
    assert ro.tables()["orders"]["rows"] == 4
    with pytest.raises(WorkspaceError, match="read-only"):
        ro.ingest("orders", "whatever.csv")
