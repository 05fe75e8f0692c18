"""Fixtures of the server tests: two tenants under one root, and a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from siyu import Workspace
from siyu.contract import TABLES
from siyu.simulate import SimulationConfig, simulate_store, write_store


def _tenant(root: Path, name: str, users: int, seed: int) -> Path:
    tables, truth = simulate_store(SimulationConfig(users=users, days=420, seed=seed))
    files = write_store(root.parent / f"files-{name}", tables, truth, fmt="csv")
    ws = Workspace.init(root / name)
    for t in TABLES:
        ws.ingest(t, files[t])
    ws.close()
    return root.parent / f"files-{name}"


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """A root with tenants ``a`` (600 users) and ``b`` (400 users); ``root.files`` the CSV files of ``a``."""
    base = tmp_path_factory.mktemp("server")
    root = base / "root"
    root.mkdir()
    files_a = _tenant(root, "a", 600, 41)
    _tenant(root, "b", 400, 42)
    return root, files_a


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def live_server(app):
    """Run ``app`` under uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def pytest_collection_modifyitems(items):
    """The schema tests share one worker (their last test reads what the generated requests recorded); the marker
    is set here because schemathesis's generated items do not carry the module's ``pytestmark``."""
    for item in items:
        if str(item.fspath).replace("\\", "/").endswith("tests/server/test_schema.py"):
            item.add_marker(pytest.mark.xdist_group("server-schema"))
