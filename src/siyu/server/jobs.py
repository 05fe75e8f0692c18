"""Long work as jobs: ingest of an uploaded file, a snapshot, the 全站推 advisor run in a worker thread and report
progress at ``GET /api/v1/{tenant}/jobs/{id}``, instead of holding a request open."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from siyu._exceptions import SiyuError

__all__ = ["Jobs"]


class Jobs:
    """Jobs of every tenant, in memory (a restart forgets them; their effects are in the workspaces)."""

    def __init__(self, workers: int = 2, keep: int = 1000) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="siyu-job")
        self._jobs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self.keep = keep

    def submit(self, tenant: str, kind: str, fn: Callable[[Callable[[str, float], None]], Any]) -> dict[str, Any]:
        """Run ``fn(progress)`` in the background; the job's public record."""
        jid = secrets.token_hex(8)
        job = {"id": jid, "tenant": tenant, "kind": kind, "status": "queued", "progress": 0.0, "step": "",
               "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "finished_at": None, "result": None, "error": None}
        with self._lock:
            self._jobs[jid] = job
            for old in list(self._jobs)[:-self.keep]:
                if self._jobs[old]["status"] in ("done", "failed"):
                    del self._jobs[old]

        def progress(step: str, frac: float) -> None:
            job.update(step=step, progress=round(min(max(frac, 0.0), 1.0), 4))

        def run() -> None:
            job["status"] = "running"
            try:
                job["result"] = fn(progress)
                job.update(status="done", progress=1.0)
            except SiyuError as exc:
                job.update(status="failed", error={"type": type(exc).__name__, "message": str(exc),
                                                   "http_status": exc.http_status})
            except Exception as exc:  # noqa: BLE001 - a job reports what stopped it instead of dying silently
                job.update(status="failed", error={"type": "InternalError", "message": type(exc).__name__,
                                                   "http_status": 500})
            job["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")

        self._pool.submit(run)
        return dict(job)

    def get(self, tenant: str, jid: str) -> dict[str, Any] | None:
        """The job ``jid`` of ``tenant`` (another tenant's job is None)."""
        job = self._jobs.get(jid)
        return dict(job) if job and job["tenant"] == tenant else None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
