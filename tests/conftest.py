"""Shared fixtures: real workspaces on disk, the real ``siyu`` executable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
GOOD_FILES = {
    "users": GOOD / "users.csv", "products": GOOD / "products.csv", "orders": GOOD / "orders.csv",
    "order_items": GOOD / "order_items.csv", "events": GOOD / "events.jsonl", "follows": GOOD / "follows.csv",
    "memberships": GOOD / "memberships.csv", "reach_log": GOOD / "reach_log.csv",
    "consents": GOOD / "consents.csv",
}


def run_cli(*args: str, env: dict | None = None, cwd: str | Path | None = None) -> subprocess.CompletedProcess:
    """Run the installed ``siyu`` entry point in a fresh process."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    full_env.pop("SIYU_WORKSPACE", None) if env is None or "SIYU_WORKSPACE" not in env else None
    return subprocess.run([sys.executable, "-m", "siyu", *args], capture_output=True, text=True, env=full_env,
                          cwd=cwd, timeout=600)


@pytest.fixture
def workspace(tmp_path):
    """An empty, initialised workspace."""
    from siyu import Workspace

    ws = Workspace.init(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def good_ws(workspace):
    """A workspace with the hand-written good fixture loaded."""
    for table, path in GOOD_FILES.items():
        workspace.ingest(table, path)
    return workspace


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> Path:
    """Write a CSV file with ``header`` and ``rows`` (None written as an empty field); the tests' input files."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(["" if v is None else v for v in r] for r in rows)
    return path
