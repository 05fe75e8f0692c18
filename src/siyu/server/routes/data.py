"""Routes of the data capability: store summary, tables, ingest (a job), one user's profile (masked)."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile

from siyu.server.app import Job, Read, Write, plain

router = APIRouter()


@router.get("/summary")
def summary(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """Store KPIs, daily and monthly GMV and the channel mix at ``as_of`` (``siyu summary``)."""
    from siyu.metrics import store_summary

    return a.cached("summary", [as_of], lambda: plain(store_summary(a.ws, as_of)))


@router.get("/tables")
def tables(a: Read) -> dict[str, Any]:
    """Rows and date range of every contract table (``siyu tables``)."""
    return a.cached("tables", [], lambda: plain(a.ws.tables()))


@router.post("/ingest/{table}", status_code=202, response_model=Job)
def ingest(a: Write, table: str, file: Annotated[UploadFile, File()], encoding: str = "utf-8") -> dict[str, Any]:
    """Validate and load an uploaded file (CSV, Parquet, JSON Lines by its name) into contract ``table`` as a job:
    the answer is the job (``GET /jobs/{id}``); the load is one transaction, and a bad file changes nothing."""
    from siyu.contract.schema import get_table
    from siyu.engine.io import format_of

    get_table(table)
    name = Path(file.filename or "upload.csv").name
    format_of(name)  # an unknown extension is refused before anything is stored
    tmp = Path(tempfile.mkdtemp(prefix="siyu-upload-"))
    path = tmp / name
    with path.open("wb") as out:
        shutil.copyfileobj(file.file, out)
    ws = a.ws

    def run(progress: Any) -> dict[str, Any]:
        try:
            progress(f"ingest {table}", 0.0)
            return plain(ws.ingest(table, path, encoding=encoding).as_dict() | {"file": name})
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    return plain(a.server.jobs.submit(a.tenant, f"ingest {table}", run))


@router.get("/users/{user_id}")
def user(a: Read, user_id: str) -> dict[str, Any]:
    """One user's profile row; the phone is masked (``138****1234``) unless the key has the ``unmask`` scope."""
    from siyu._exceptions import WorkspaceError

    rows = a.ws.model("user_profile", user_id=user_id).to_pylist()
    if not rows:
        raise WorkspaceError(f"no user {user_id!r} in the users table")
    row = rows[0]
    enc = row.pop("phone_enc")
    if "unmask" in a.key.scopes and enc is not None:
        from siyu.contract.privacy import decrypt, load_or_create_key

        row["phone"] = decrypt(load_or_create_key(a.ws.path), enc)
    else:
        row["phone"] = row["phone_masked"]
    row.pop("phone_masked")
    return plain(row)


@router.post("/snapshot", status_code=202, response_model=Job)
def snapshot(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """Every capability's results at ``as_of`` (what the report shows), computed as a job with progress: at a
    million users this takes longer than a request should wait. The job's ``result`` is the snapshot."""
    from siyu.pipeline.snapshot import compute_snapshot

    ws = a.ws

    def run(progress: Any) -> Any:
        snap = compute_snapshot(ws, as_of, progress=progress)
        return plain({k: v for k, v in snap.items() if k != "clv_predictions"})  # per-customer rows stay out

    return plain(a.server.jobs.submit(a.tenant, "snapshot", run))
