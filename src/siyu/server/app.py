"""The HTTP API: one FastAPI app serving every tenant under a root, behind scoped API keys.

Routes live under ``/api/v1/{tenant}/…``; each capability registers its router in the registry (``routes``).
Every request is authenticated (``Authorization: Bearer KEY``), limited per key (429 with ``Retry-After``) and
logged without personal data or query strings. Errors map :class:`~siyu.SiyuError` subclasses to HTTP statuses
once, with the CLI's messages. Rules: ``docs/server.md``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from siyu._exceptions import SiyuError
from siyu.server.jobs import Jobs
from siyu.server.keys import ApiKey, KeyStore
from siyu.server.tenants import Tenants

__all__ = ["Access", "ErrorBody", "Job", "Read", "Send", "Write", "access", "create_app", "plain"]

log = logging.getLogger("siyu.server")
API = "/api/v1"


def plain(v: Any) -> Any:
    """``v`` as JSON-ready Python: dates as ISO text, decimals and numpy numbers as floats, NaN and infinities
    as null, Arrow tables as lists of rows."""
    if isinstance(v, dict):
        return {str(k): plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [plain(x) for x in v]
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, bool) or v is None or isinstance(v, (int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if hasattr(v, "to_pylist"):
        return plain(v.to_pylist())
    if hasattr(v, "item"):  # numpy scalar
        return plain(v.item())
    if hasattr(v, "tolist"):
        return plain(v.tolist())
    if isinstance(v, Path):
        return str(v)
    return str(v)


class ResultCache:
    """Results of read routes, per tenant, route and parameters, valid for the engine generation they were computed
    at: any write to the tenant (an ingest, a saved audience) makes them stale. Least recently used first out."""

    def __init__(self, size: int = 512) -> None:
        import collections
        import threading

        self.size = size
        self._data: collections.OrderedDict[tuple, Any] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: tuple, generation: int, fn: Any) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is not None and hit[0] == generation:
                self._data.move_to_end(key)
                return hit[1]
        value = fn()
        with self._lock:
            self._data[key] = (generation, value)
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


@dataclass
class Server:
    """What every request reaches through ``request.app.state.server``."""

    tenants: Tenants
    keys: KeyStore
    limiter: Any
    rate: Any
    jobs: Jobs
    results: ResultCache


@dataclass(frozen=True)
class Access:
    """An authenticated request on one tenant: its workspace, key and server."""

    tenant: str
    key: ApiKey
    server: Server
    #: the tenant's open workspace (looked up once, when the request is authorised)
    ws: Any

    def cached(self, route: str, params: Any, fn: Any) -> Any:
        """``fn()`` (a JSON-ready result), computed once per tenant, route, parameters and data generation."""
        import json

        key = (self.tenant, route, json.dumps(params, sort_keys=True, default=str))
        return self.server.results.get_or_compute(key, getattr(self.ws.engine, "generation", 0), fn)


class ErrorDetail(BaseModel):
    type: str = Field(..., description="The error class: ConfigError, ValidationError, NotFound, …")
    message: str = Field(..., description="What went wrong, as the CLI says it.")


class ErrorBody(BaseModel):
    """The one shape of every error answer."""

    error: ErrorDetail


class Job(BaseModel):
    """A long-running job (``GET /jobs/{id}``)."""

    id: str
    tenant: str
    kind: str
    status: str = Field(..., description="queued, running, done or failed")
    progress: float = Field(..., ge=0, le=1)
    step: str
    created_at: str
    finished_at: str | None = None
    result: Any = None
    error: dict[str, Any] | None = None


#: the error answers every tenant route may give, for the OpenAPI document
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text} for code, text in (
        (400, "a bad parameter, tree or date (ConfigError)"), (401, "no valid API key"),
        (403, "the key lacks the scope"), (404, "no such tenant or object, or another tenant's"),
        (422, "invalid data or request body"), (429, "the key's rate limit; see Retry-After"))}


def _error(status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": kind, "message": message}}, status_code=status, headers=headers)


def access(scope: str = "read") -> Any:
    """A dependency: the caller's key must be live, belong to ``{tenant}`` and hold ``scope``.

    A missing, unknown or revoked key is 401; a key of another tenant gets 404 (the tenant's existence is not
    confirmed to it); a missing scope is 403; over the key's rate 429 with ``Retry-After``.
    """

    def dep(request: Request, tenant: str) -> Access:
        srv: Server = request.app.state.server
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header[:7].lower() == "bearer " else ""
        key = srv.keys.verify(token) if token else None
        if key is None:
            raise HTTPException(401, "a valid API key is required: Authorization: Bearer KEY",
                                headers={"WWW-Authenticate": "Bearer"})
        request.state.key_id = key.id
        if not srv.limiter.hit(srv.rate, key.id):
            reset = srv.limiter.get_window_stats(srv.rate, key.id).reset_time
            raise HTTPException(429, f"rate limit of this key exceeded ({srv.rate})",
                                headers={"Retry-After": str(max(1, math.ceil(reset - time.time())))})
        if key.tenant != tenant:
            raise HTTPException(404, f"no tenant {tenant!r}")
        ws = srv.tenants.get(tenant)  # 404 when the tenant's workspace is gone
        if scope not in key.scopes:
            raise HTTPException(403, f"this key lacks the {scope!r} scope")
        return Access(tenant, key, srv, ws)

    return Depends(dep)


#: route parameters of an authenticated request needing each scope: ``def route(a: Read): …``
Read = Annotated[Access, access("read")]
Write = Annotated[Access, access("write")]
Send = Annotated[Access, access("send")]


def create_app(root: str | Path, *, only: list[str] | None = None, rate_limit: str | None = None) -> FastAPI:
    """The app serving the tenants under ``root`` (only those in ``only`` when given).

    ``rate_limit`` defaults to ``[server] rate_limit`` of ``<root>/siyu.toml`` when the root has one, else of the
    first tenant's configuration, else ``1000/minute``.
    """
    from limits import parse
    from limits.storage import MemoryStorage
    from limits.strategies import MovingWindowRateLimiter

    from siyu import __version__
    from siyu.registry import capabilities, load

    tenants = Tenants(root, only)
    rate = parse(rate_limit or _configured_rate(tenants))
    server = Server(tenants, KeyStore(tenants.root), MovingWindowRateLimiter(MemoryStorage()), rate, Jobs(),
                    ResultCache())
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> Any:
        yield
        server.jobs.shutdown()
        tenants.close()

    app = FastAPI(title="siyu API", version=__version__, lifespan=lifespan,
                  description="私域 customer operations: the read models and writes of every capability, per tenant. "
                              "Authenticate with `Authorization: Bearer KEY` (`siyu keys create`).")
    app.state.server = server

    @app.exception_handler(SiyuError)
    async def siyu_error(request: Request, exc: SiyuError) -> JSONResponse:
        return _error(exc.http_status, str(exc), type(exc).__name__)

    @app.exception_handler(StarletteHTTPException)  # FastAPI's and Starlette's own (405, a bad multipart body)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kinds = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
                 405: "MethodNotAllowed", 429: "TooManyRequests"}
        return _error(exc.status_code, str(exc.detail), kinds.get(exc.status_code, "HTTPError"),
                      getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = ["/".join(str(x) for x in e.get("loc", ())) + ": " + e.get("msg", "") for e in exc.errors()]
        return _error(422, "; ".join(parts) or "invalid request", "ValidationError")

    @app.middleware("http")
    async def request_log(request: Request, call_next: Any) -> Any:
        start = time.perf_counter()
        try:
            response = await call_next(request)
        except Exception:  # an unexpected error: logged without the request's data, answered as 500
            log.exception("%s %s failed", request.method, _route(request))
            response = _error(500, "internal error (logged on the server)", "InternalError")
        log.info("%s %s %s %.1fms key=%s", request.method, _route(request), response.status_code,
                 1000 * (time.perf_counter() - start), getattr(request.state, "key_id", "-"))
        return response

    @app.get(f"{API}/health", tags=["server"])
    def health() -> dict[str, str]:
        """Liveness: no key needed, reveals no tenant."""
        return {"status": "ok", "version": __version__}

    from siyu.server.routes import jobs as job_routes

    app.include_router(job_routes.router, prefix=f"{API}/{{tenant}}", responses=ERRORS)
    for cap in capabilities():
        if cap.routes:
            app.include_router(load(cap.routes), prefix=f"{API}/{{tenant}}", tags=[cap.name], responses=ERRORS)
    app.include_router(load("siyu.server.console:router"))
    return app


def _route(request: Request) -> str:
    """The matched route template (``/api/v1/{tenant}/aipl``), never the raw path or query (no personal data)."""
    route = request.scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path and not path.startswith((API, "/console")):
        path = f"{API}/{{tenant}}{path}"  # a capability's router, included under the tenant prefix
    return path or "(unmatched)"


def _configured_rate(tenants: Tenants) -> str:
    from siyu.config import load_config

    candidates = [tenants.root / "siyu.toml"] + [tenants.root / n / "siyu.toml" for n in tenants.names()[:1]]
    for path in candidates:
        if path.is_file():
            return load_config(path).server.rate_limit
    return "1000/minute"
