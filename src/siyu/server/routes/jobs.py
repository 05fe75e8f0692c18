"""``GET /api/v1/{tenant}/jobs/{job_id}``: the state of a long-running job."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from siyu.server.app import Job, Read

router = APIRouter(tags=["jobs"])


@router.get("/jobs/{job_id}", response_model=Job)
def job(a: Read, job_id: str) -> dict[str, Any]:
    """A job of this tenant: ``status`` (queued, running, done, failed), ``progress`` 0–1, ``step``, ``result`` or
    ``error``."""
    from siyu.server.app import plain

    rec = a.server.jobs.get(a.tenant, job_id)
    if rec is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return plain(rec)
