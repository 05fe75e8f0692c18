"""A load killed half-way leaves the workspace exactly as before or exactly as after: never half written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from siyu import Workspace


def test_killed_load_is_all_or_nothing(tmp_path):
    n = 1_500_000
    rng = np.random.default_rng(3)
    src = tmp_path / "orders.parquet"
    pq.write_table(pa.table({
        "order_id": pa.array(np.char.add("k", np.arange(n).astype("U8"))),
        "user_id": pa.array(np.char.add("u", rng.integers(0, 1000, n).astype("U4"))),
        "paid_at": pa.array(np.full(n, 1_700_000_000_000_000), pa.timestamp("us")),
        "amount": pa.array(np.round(rng.random(n) * 100, 2)),
    }), src)
    ws = Workspace.init(tmp_path / "ws")
    (tmp_path / "small.csv").write_text("order_id,user_id,paid_at,amount\na,u,2024-01-01,1\n")
    ws.ingest("orders", tmp_path / "small.csv")
    before = ws.checksums()
    ws.close()
    outcomes = set()
    for delay in (0.3, 0.8, 1.5):
        proc = subprocess.Popen([sys.executable, "-m", "siyu", "-w", str(ws.path), "ingest", "orders", str(src)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with Workspace(ws.path) as again:
            rows = again.tables()["orders"]["rows"]
            assert rows in (1, 1 + n), rows
            outcomes.add(rows)
            if rows == 1:
                assert again.checksums() == before
    assert 1 in outcomes  # at least one kill landed mid-load and was rolled back
