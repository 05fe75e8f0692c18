"""The console's routes: sign-in, the pages of one tenant, their JSON endpoints and the static files.

Pages are rendered on the server (Jinja2) from the tenant's snapshot, with the report's own sections, so the
console and the report draw the same charts; plotly.js is served by the app, never from a CDN. Every POST
carries the session's CSRF token. Rules: ``docs/server.md``.
"""

from __future__ import annotations

import math
import re
import secrets
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from siyu._exceptions import SiyuError, WorkspaceError
from siyu.server.app import Server, plain
from siyu.server.console.i18n import LANGS, TEXT, pick_lang, translator
from siyu.server.console.sessions import Session, Sessions, same_token
from siyu.server.console.snapshots import Snapshots
from siyu.server.keys import ApiKey
from siyu.server.pages import Page, capability_pages

__all__ = ["BUILTIN_PAGES", "PAGES", "Page", "router"]

router = APIRouter(prefix="/console", include_in_schema=False)

SESSION_COOKIE = "siyu_console"
LOGIN_COOKIE = "siyu_console_login"
LANG_COOKIE = "siyu_lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
STATIC = Path(__file__).parent / "static"
#: failed or not, sign-in attempts per client address
LOGIN_RATE = "20/minute"


#: the console's own pages, in the order of the navigation
BUILTIN_PAGES: tuple[Page, ...] = (
    Page("dashboard", "", ("sales", "grow", "channels")),
    Page("gain", "gain", ("gain",)),
    Page("aipl", "aipl", ("aipl", "fast")),
    Page("pools", "pools", ("pools",)),
    Page("link", "link", ("link",)),
    Page("clv", "clv", ("clv",)),
    Page("audiences", "audiences", ("audiences",), template="audiences.html.j2"),
    Page("autobid", "autobid", template="autobid.html.j2"),
)
#: every page, in the order of the navigation: the built-in ones, then those capabilities register (the registry's
#: ``pages``, :mod:`siyu.server.pages`)
PAGES: tuple[Page, ...] = BUILTIN_PAGES + capability_pages()
if len({p.id for p in PAGES}) < len(PAGES) or len({p.path for p in PAGES}) < len(PAGES):
    raise ValueError("two console pages share an id or a path: " + ", ".join(f"{p.id}:/{p.path}" for p in PAGES))

#: audience text forms offered as clickable examples in the builder
EXAMPLES: tuple[str, ...] = (
    "aipl in (I, P) and not is_member",
    "customer_pool = 老客 and orders.count(365d) >= 2",
    "event.add_cart(30d) >= 1 and aipl = I",
    "is_fan and days_since_purchase > 90",
    "rfm_group = champions",
)

_KPI_MONEY = frozenset({"gmv", "member_gmv", "kedanjia", "bidanjia", "member_kedanjia"})


# --- state ----------------------------------------------------------------------------------------------------------

class ConsoleState:
    """What the console keeps per app: sessions, snapshots and the page templates."""

    def __init__(self) -> None:
        import jinja2

        self.sessions = Sessions()
        self.snapshots = Snapshots()
        self.env = jinja2.Environment(loader=jinja2.PackageLoader("siyu.server.console", "templates"),
                                      autoescape=jinja2.select_autoescape(["html", "j2"]))
        self.env.filters["nonced"] = _with_nonce


_STATE_LOCK = threading.Lock()


def _state(request: Request) -> ConsoleState:
    app_state = request.app.state
    with _STATE_LOCK:
        st = getattr(app_state, "console", None)
        if st is None:
            st = app_state.console = ConsoleState()
    return st


def _server(request: Request) -> Server:
    return request.app.state.server


@cache
def _plotly() -> tuple[Path, str]:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js", plotly.__version__


def _live_key(srv: Server, key_id: str) -> ApiKey | None:
    """The key ``key_id`` when it still exists and is not revoked."""
    return next((k for k in srv.keys.list() if k.id == key_id and k.revoked_at is None), None)


# --- responses ------------------------------------------------------------------------------------------------------

def _lang(request: Request) -> str:
    return pick_lang(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def _headers(nonce: str) -> dict[str, str]:
    """Security headers of every page: scripts only from the app or with this response's nonce, nothing fetched
    from elsewhere, never framed, never cached."""
    csp = ("default-src 'none'; "
           f"script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
           "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    return {"Content-Security-Policy": csp, "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


_SCRIPT = re.compile(r"<script(?=[\s>])")


def _with_nonce(html: str, nonce: str) -> str:
    """The inline ``<script>`` tags of a report section (plotly's ``newPlot`` calls) with the page's nonce."""
    return _SCRIPT.sub(f'<script nonce="{nonce}"', html)


def _render(request: Request, template: str, *, status: int = 200, sess: Session | None = None,
            key: ApiKey | None = None, tenant: str | None = None, page: str | None = None,
            cookies: dict[str, str] | None = None, **ctx: Any) -> HTMLResponse:
    """A page: ``template`` with the chrome's context (language, navigation, CSRF token, nonce)."""
    from siyu import __version__

    lang = _lang(request)
    t = translator(lang)
    nonce = secrets.token_urlsafe(16)
    as_of = request.query_params.get("as_of") or ""
    suffix = f"?as_of={as_of}" if as_of and re.fullmatch(r"\d{4}-\d{2}-\d{2}", as_of) else ""
    nav = [{"id": p.id, "label": t(f"nav.{p.id}"), "href": f"/console/{tenant}/{p.path}{suffix}",
            "active": p.id == page} for p in PAGES] if sess and tenant else []
    langs = [{"code": code, "label": label, "active": code == lang,
              "href": f"{request.url.path}?" + urlencode({"lang": code} | ({"as_of": as_of} if suffix else {}))}
             for code, label in (("zh", "中文"), ("en", "English"))]
    _, plotly_version = _plotly()
    html = _state(request).env.get_template(template).render(
        t=t, lang=lang, langs=langs, nav=nav, tenant=tenant, page=page, csrf=sess.csrf if sess else "",
        key=key, nonce=nonce, version=__version__, as_of_param=as_of,
        plotly_url=f"/console/static/plotly.min.js?v={plotly_version}",
        static=lambda name: f"/console/static/{name}?v={__version__}", **ctx)
    resp = HTMLResponse(html, status_code=status, headers=_headers(nonce))
    if request.query_params.get("lang") in LANGS:
        resp.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/console", samesite="strict",
                        secure=_secure(request))
    for name, value in (cookies or {}).items():
        resp.set_cookie(name, value, path="/console", httponly=True, samesite="strict", secure=_secure(request))
    return resp


def _error_page(request: Request, status: int, message: str, sess: Session | None = None,
                tenant: str | None = None) -> HTMLResponse:
    return _render(request, "error.html.j2", status=status, sess=sess, tenant=tenant, message=message,
                   status_code=status)


def _to_login(request: Request, note: str | None = None) -> RedirectResponse:
    resp = RedirectResponse("/console/login" + (f"?note={note}" if note else ""), status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        resp.delete_cookie(SESSION_COOKIE, path="/console")
    return resp


# --- access ---------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Gate:
    """A request let through: its session, live key, tenant and workspace."""

    sess: Session
    key: ApiKey
    tenant: str
    ws: Any


def _check(request: Request, tenant: str) -> Gate | tuple[int, str]:
    """The gate of a console request on ``tenant``, or ``(status, reason)``: 401 without a live session (or its key
    was revoked), 429 over the key's rate, 404 for another tenant's pages (the same as no tenant at all)."""
    srv = _server(request)
    st = _state(request)
    sid = request.cookies.get(SESSION_COOKIE)
    sess = st.sessions.get(sid)
    if sess is None:
        return 401, "login.expired" if sid else "login.title"
    key = _live_key(srv, sess.key_id)
    if key is None:
        st.sessions.drop(sid)
        return 401, "login.refused"
    request.state.key_id = key.id
    if not srv.limiter.hit(srv.rate, key.id):
        return 429, "error.too_many"
    if sess.tenant != tenant or key.tenant != tenant:
        return 404, "error.not_found"
    try:
        ws = srv.tenants.get(tenant)
    except WorkspaceError:
        return 404, "error.not_found"
    return Gate(sess, key, tenant, ws)


def _page_gate(request: Request, tenant: str) -> Gate | Response:
    gate = _check(request, tenant)
    if isinstance(gate, Gate):
        return gate
    status, reason = gate
    if status == 401:
        return _to_login(request, None if reason == "login.title" else "expired")
    sess = _state(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    return _error_page(request, status, translator(_lang(request))(reason), sess, sess.tenant if sess else None)


def json_gate(scope: str = "read") -> Any:
    """A dependency of the JSON endpoints: a live session on ``{tenant}`` holding ``scope``, and on POST the
    session's CSRF token in ``X-CSRF-Token``. It runs before the body is validated; errors use the API's error
    model (401, 403, 404, 429)."""

    def dep(request: Request, tenant: str) -> Gate:
        gate = _check(request, tenant)
        if not isinstance(gate, Gate):
            status, reason = gate
            raise HTTPException(status, TEXT[reason][1])
        if request.method == "POST" and not same_token(request.headers.get(CSRF_HEADER), gate.sess.csrf):
            raise HTTPException(403, "missing or wrong CSRF token")
        if scope not in gate.key.scopes:
            raise HTTPException(403, f"this key lacks the {scope!r} scope")
        return gate

    return Depends(dep)


#: the gates of the JSON endpoints: reading, and writing (saving an audience)
READ = json_gate("read")
WRITE = json_gate("write")


# --- static files ---------------------------------------------------------------------------------------------------

@router.get("/static/{name}")
def static(name: str) -> Response:
    """plotly.js (from the installed plotly package, cached for a year: its URL carries plotly's version),
    ``console.css`` and ``console.js``."""
    if name == "plotly.min.js":
        path, _ = _plotly()
        return FileResponse(path, media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=31536000, immutable"})
    if name in ("console.css", "console.js"):
        media = "text/css" if name.endswith(".css") else "text/javascript"
        return FileResponse(STATIC / name, media_type=media, headers={"Cache-Control": "no-cache"})
    raise HTTPException(404, f"no static file {name!r}")


# --- sign-in --------------------------------------------------------------------------------------------------------

@router.get("", include_in_schema=False)
@router.get("/", include_in_schema=False)
def root(request: Request) -> Response:
    """The signed-in tenant's dashboard, else the sign-in page."""
    sess = _state(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    return RedirectResponse(f"/console/{sess.tenant}/" if sess else "/console/login", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, note: str | None = None) -> Response:
    """The sign-in form (an API key); a browser with a live session goes to its dashboard."""
    sess = _state(request).sessions.get(request.cookies.get(SESSION_COOKIE))
    if sess is not None and _live_key(_server(request), sess.key_id):
        return RedirectResponse(f"/console/{sess.tenant}/", status_code=303)
    return _login_page(request, message={"expired": "login.expired", "out": "login.signed_out"}.get(note or ""))


def _login_page(request: Request, *, status: int = 200, message: str | None = None, error: bool = False) -> Response:
    # the form's CSRF token before a session exists, bound to a cookie (kept, so that two open tabs both work)
    token = request.cookies.get(LOGIN_COOKIE) or ""
    if not re.fullmatch(r"[\w-]{43}", token):
        token = secrets.token_urlsafe(32)
    t = translator(_lang(request))
    return _render(request, "login.html.j2", status=status, login_csrf=token, cookies={LOGIN_COOKIE: token},
                   message=t(message) if message else None, error=error)


@router.post("/login")
def login(request: Request, key: str = Form(""), csrf_token: str = Form("")) -> Response:
    """Check the key once, start a session and go to the key's tenant; a wrong key is refused (401)."""
    from limits import parse

    srv = _server(request)
    if not same_token(csrf_token, request.cookies.get(LOGIN_COOKIE)):
        return _error_page(request, 403, "missing or wrong CSRF token · CSRF 校验失败")
    host = request.client.host if request.client else "-"
    if not srv.limiter.hit(parse(LOGIN_RATE), f"console-login:{host}"):
        return _login_page(request, status=429, message="error.too_many", error=True)
    rec = srv.keys.verify(key.strip())
    if rec is None:
        return _login_page(request, status=401, message="login.refused", error=True)
    if "read" not in rec.scopes:
        return _login_page(request, status=403, message="login.no_read", error=True)
    st = _state(request)
    st.sessions.drop(request.cookies.get(SESSION_COOKIE))
    sid, _ = st.sessions.create(rec.id, rec.tenant)
    request.state.key_id = rec.id
    resp = RedirectResponse(f"/console/{rec.tenant}/", status_code=303)
    resp.set_cookie(SESSION_COOKIE, sid, path="/console", httponly=True, samesite="strict", secure=_secure(request))
    resp.delete_cookie(LOGIN_COOKIE, path="/console")
    return resp


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form("")) -> Response:
    """End the session (the form carries its CSRF token) and go to the sign-in page."""
    st = _state(request)
    sid = request.cookies.get(SESSION_COOKIE)
    sess = st.sessions.get(sid)
    if sess is None:
        return _to_login(request)
    if not same_token(csrf_token or request.headers.get(CSRF_HEADER), sess.csrf):
        return _error_page(request, 403, "missing or wrong CSRF token · CSRF 校验失败", sess, sess.tenant)
    st.sessions.drop(sid)
    return _to_login(request, "out")


# --- pages ----------------------------------------------------------------------------------------------------------

def _kpi_text(key: str, v: Any) -> str:
    if v is None:
        return "–"
    v = float(v)
    if "share" in key or key.endswith("_rate"):
        return f"{v:.1%}"
    if key.endswith("ratio"):
        return f"{v:.2f}×"
    if key in _KPI_MONEY:
        return f"¥{v:,.2f}"
    return f"{round(v):,}"


def _sections(request: Request, entry: Any, page: Page) -> list[dict[str, Any]]:
    lang = _lang(request)
    out = []
    for name in page.sections:
        s = entry.section(name)
        if s:
            out.append({"id": s["id"], "title": s["title_zh"] if lang == "zh" else s["title_en"],
                        "subtitle": s["title_en"] if lang == "zh" else s["title_zh"], "html": s["html"]})
    return out


def _show(request: Request, tenant: str, page: Page, as_of: str | None) -> Response:
    """Render ``page`` of ``tenant`` from its snapshot at ``as_of``."""
    from siyu.metrics import KPI_LABELS

    gate = _page_gate(request, tenant)
    if not isinstance(gate, Gate):
        return gate
    t = translator(_lang(request))
    try:
        entry = _state(request).snapshots.get(tenant, gate.ws, as_of) if page.sections else None
        ctx: dict[str, Any] = {}
        if entry is not None:
            snap = entry.snap
            ctx["snapshot_as_of"] = snap["as_of"].isoformat()
            ctx["sections"] = _sections(request, entry, page)
            ctx["empty_message"] = {"clv": "", "audiences": t("aud.none_saved")}.get(page.id, t("section.none"))
            if page.id == "dashboard":
                summary = snap["summary"]
                i = 0 if _lang(request) == "zh" else 1
                ctx["kpis"] = [{"id": k, "label": KPI_LABELS[k][i], "sub": KPI_LABELS[k][1 - i],
                                "value": _kpi_text(k, v)} for k, v in summary["kpis"].items()]
                ctx["window"] = t("dash.window", n=summary["window_days"])
            if page.id == "clv":
                pred = snap.get("clv_predictions")
                if pred is not None:
                    from siyu.clv.runs import prediction_summary

                    s = prediction_summary(pred)
                    ctx["clv"] = [
                        (t("clv.customers"), f"{s['customers']:,}"),
                        (t("clv.total"), f"¥{s['predicted_clv_total']:,.0f}"),
                        (t("clv.mean"), "–" if s["predicted_clv_mean"] is None else f"¥{s['predicted_clv_mean']:,.2f}"),
                        (t("clv.p_alive"), "–" if s["p_alive_mean"] is None else f"{s['p_alive_mean']:.1%}")]
        if page.id == "audiences":
            ctx |= _builder_context(request, gate)
        if page.id == "autobid":
            ctx["i18n"] = {k: t(k) for k in TEXT if k.startswith("ab.")}
        if page.context is not None:
            ctx |= page.context(gate, t, _lang(request))
    except SiyuError as exc:
        return _error_page(request, exc.http_status, str(exc), gate.sess, tenant)
    title = t(f"nav.{page.id}")
    return _render(request, page.template or "page.html.j2",
                   sess=gate.sess, key=gate.key, tenant=tenant, page=page.id, title=title, **ctx)


def _builder_context(request: Request, gate: Gate) -> dict[str, Any]:
    """The audience builder's examples, labels and colours (the report's, when its chart module has them)."""
    from siyu.assets import POOL_LABELS, STAGE_LABELS

    lang = _lang(request)
    i = 0 if lang == "zh" else 1
    try:
        from siyu.report.charts import POOL_COLORS, STAGE_COLORS
    except ImportError:  # the report's chart module predates its shared colours
        STAGE_COLORS = {"A": "#fdd0a2", "I": "#fd8d3c", "P": "#e6550d", "L": "#a63603", "none": "#bdbdbd"}
        POOL_COLORS = {"prospect": "#6baed6", "new": "#74c476", "old": "#e6550d", "lapsed": "#9e9ac8", "∅": "#bdbdbd"}
    stages = [{"code": c, "label": f"{STAGE_LABELS[c][i]} {c}" if c != "none" else STAGE_LABELS[c][i],
               "color": STAGE_COLORS.get(c, "#999")} for c in ("A", "I", "P", "L", "none")]
    pools = [{"code": c, "label": f"{POOL_LABELS['customer'][c][i]} {c}", "color": POOL_COLORS.get(c, "#999")}
             for c in ("prospect", "new", "old", "lapsed")]
    pools.append({"code": "", "label": "无 none" if lang == "zh" else "none", "color": POOL_COLORS.get("∅", "#bbb")})
    t = translator(lang)
    return {"examples": EXAMPLES, "can_write": "write" in gate.key.scopes,
            "builder": {"stages": stages, "pools": pools,
                        "i18n": {k: t(k) for k in TEXT if k.startswith("aud.")}},
            "initial_query": request.query_params.get("q") or EXAMPLES[0]}


def _page_route(page: Page) -> None:
    def view(request: Request, tenant: str, as_of: str | None = None) -> Response:
        return _show(request, tenant, page, as_of)

    view.__name__ = f"console_{page.id}"
    view.__doc__ = f"The console's {page.id} page."
    router.add_api_route(f"/{{tenant}}/{page.path}", view, methods=["GET"], response_class=HTMLResponse)


for _p in PAGES:
    _page_route(_p)


# --- JSON endpoints of the pages ------------------------------------------------------------------------------------

class BuilderQuery(BaseModel):
    """An audience in the builder: its text form and snapshot date."""

    query: str = Field(..., max_length=20_000)
    as_of: str | None = None


class ExplainQuery(BuilderQuery):
    user_id: str = Field(..., min_length=1, max_length=200)


class SaveQuery(BuilderQuery):
    name: str = Field(..., min_length=1, max_length=200)


class AdviseForm(BaseModel):
    """The 全站推 advisor's form (``POST /api/v1/{tenant}/autobid/advise``, with a smaller default of seeds)."""

    profile: Literal["hot", "normal", "new"] = "normal"
    budget: float | None = Field(None, gt=0)
    goal: Literal["max_gmv", "max_profit"] = "max_gmv"
    roi_floor: float | None = Field(None, gt=0)
    margin: float | None = Field(None, gt=0, le=1)
    seeds: int = Field(1, ge=1, le=10)


@router.post("/{tenant}/audiences/count")
def audience_count(body: BuilderQuery, gate: Gate = READ) -> dict[str, Any]:
    """The builder's live count: members, universe, the canonical text and the AIPL / customer-pool mix."""
    from siyu import audiences

    tree = audiences.parse(body.query)
    res = audiences.count(gate.ws, tree, body.as_of)
    mix = audiences.mix(gate.ws, tree, res["as_of"])
    return plain(res | {"query": audiences.to_text(tree),
                        "mix": {"aipl": mix.get("aipl", {}), "customer_pool": mix.get("customer_pool", {})}})


@router.post("/{tenant}/audiences/explain")
def audience_explain(body: ExplainQuery, gate: Gate = READ) -> dict[str, Any]:
    """Why one user is or is not in the builder's audience: each condition, its text, the user's value."""
    from siyu import audiences

    res = audiences.explain(gate.ws, body.user_id.strip(), audiences.parse(body.query), body.as_of)
    for c in res["conditions"]:
        c["text"] = audiences.to_text(c["condition"])
    return plain(res)


@router.post("/{tenant}/audiences/save")
def audience_save(body: SaveQuery, gate: Gate = WRITE) -> dict[str, Any]:
    """Save the builder's audience under a name and snapshot its members (the ``write`` scope)."""
    from siyu import audiences

    out = audiences.save(gate.ws, body.name.strip(), audiences.parse(body.query), body.as_of, query=body.query)
    return plain(out)


@router.post("/{tenant}/autobid/advise", status_code=202)
def autobid_advise(body: AdviseForm, request: Request, gate: Gate = READ) -> dict[str, Any]:
    """Run the 全站推 advisor as a job, like ``POST /api/v1/{tenant}/autobid/advise``; its result also holds the
    volume–ROI chart as plotly JSON."""

    def run(progress: Any) -> Any:
        import json

        from siyu.autobid.advisor import advise, volume_roi_chart

        progress("模拟量–ROI 曲线 · simulating the volume–ROI curve", 0.0)
        adv = advise(body.profile, budget=body.budget or math.inf, seeds=body.seeds, goal=body.goal,
                     roi_floor=body.roi_floor, margin=body.margin)
        fig = volume_roi_chart(adv.curve, adv.recommendation)
        return plain({"advice": adv.as_dict(), "figure": json.loads(fig.to_json())})

    return plain(_server(request).jobs.submit(gate.tenant, "autobid advise", run))


@router.get("/{tenant}/jobs/{job_id}")
def job(job_id: str, request: Request, gate: Gate = READ) -> dict[str, Any]:
    """A job of this tenant, as ``GET /api/v1/{tenant}/jobs/{id}`` answers it."""
    rec = _server(request).jobs.get(gate.tenant, job_id)
    if rec is None:
        raise HTTPException(404, f"no job {job_id!r}")
    return plain(rec)
