"""Evaluate audiences at a snapshot date: count, members, explain, and the AIPL / pool mix of the result.

The per-user profile at T (model ``audience_profile`` over the ``_features`` snapshot and the per-user asset
models) is materialised once per T as a temporary table of the engine's session and reused by every audience
at that T until the workspace's data change (the engine's ``generation`` moves on every write): its cost is that
of the asset snapshot; an audience over it costs one scan of the profile plus one aggregate per window.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from typing import TYPE_CHECKING, Any

from siyu._exceptions import WorkspaceError
from siyu.audiences.compile import Compiled, compile_tree
from siyu.audiences.tree import holds, validate
from siyu.engine.dates import default_as_of
from siyu.engine.duckdb import arrow, run
from siyu.engine.sql import bind, load_model, snapshot

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["count", "explain", "members", "mix", "profile", "universe_size"]

#: profiles kept per engine (the most recent snapshot dates)
KEEP_PROFILES = 3
#: engine -> snapshot date -> (session table, the engine's generation it was built at, users in it)
_PROFILES: weakref.WeakKeyDictionary[Any, dict[dt.date, tuple[str, int, int]]] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _inputs(ws: Workspace, t: dt.date) -> dict[str, tuple[str, dict[str, Any]]]:
    """The inputs of ``audience_profile`` at ``t``: the per-user asset models on ``_features`` and the stored
    predictions (an empty table when none are stored), as (sql, params) by table name."""
    stored = "write" in ws.engine.capabilities and ws.model("clv_tables").num_rows > 0
    clv = (load_model("audience_clv").sql if stored else
           "SELECT CAST(NULL AS VARCHAR) AS user_id, CAST(NULL AS DOUBLE) AS predicted_clv, "
           "CAST(NULL AS DOUBLE) AS p_alive WHERE false")
    return {"_pools": (load_model("pools").sql, bind(ws, "pools", as_of=t)),
            "_ucmv": (load_model("ucmv").sql, bind(ws, "ucmv")),
            "_rfm": (load_model("rfm").sql, bind(ws, "rfm", as_of=t)),
            "_clv": (clv, {})}


def profile(ws: Workspace, conn: Any, t: dt.date) -> str:
    """The name of the session table holding the profile at ``t`` (built when missing or stale).

    Call it inside ``ws.session()``; ``conn`` is that session's connection.
    """
    return _profile(ws, conn, t)[0]


def _profile(ws: Workspace, conn: Any, t: dt.date) -> tuple[str, int, int]:
    engine = ws.engine
    gen = getattr(engine, "generation", 0)
    with _GUARD:
        cache = _PROFILES.setdefault(engine, {})
    hit = cache.get(t)
    if hit and hit[1] == gen:
        return hit
    name = f"_audience_profile_{t:%Y%m%d}"
    inputs = _inputs(ws, t)
    with snapshot(ws, t):
        try:
            for table, (sql, params) in inputs.items():
                run(conn, f"CREATE OR REPLACE TEMP TABLE {table} AS {sql}", params)
            run(conn, f"CREATE OR REPLACE TEMP TABLE {name} AS {load_model('audience_profile').sql}", {"as_of": t})
        finally:
            for table in inputs:
                run(conn, f"DROP TABLE IF EXISTS {table}")
    cache[t] = (name, gen, arrow(conn, f"SELECT count(*) AS n FROM {name}").column("n")[0].as_py())
    drop = [d for d, (_, g, _) in cache.items() if g != gen]
    # keep the newest dates besides t, which is just built (and may be older than them)
    drop += sorted(d for d in cache if d not in drop and d != t)[:-(KEEP_PROFILES - 1) or None]
    for d in drop:
        run(conn, f"DROP TABLE IF EXISTS {cache.pop(d)[0]}")
    return cache[t]


def _prepare(ws: Workspace, tree: Any, as_of: dt.date | str | None) -> tuple[dict[str, Any], dt.date, Compiled]:
    canon = validate(tree)
    t = default_as_of(ws, as_of)

    def bind_source(source: Any) -> tuple[str, dict[str, Any]]:
        if callable(source):
            return source(ws, t)
        return load_model(source).sql, bind(ws, source, as_of=t)

    return canon, t, compile_tree(canon, t, bind_source=bind_source)


def count(ws: Workspace, tree: Any, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Members of the audience at ``as_of`` (default: the last pay date): ``{"as_of", "count", "universe"}``.

    Raises
    ------
    ConfigError
        When the tree is unknown or ill-typed (the message names the path).
    """
    _, t, c = _prepare(ws, tree, as_of)
    with ws.session() as conn:
        name, _, total = _profile(ws, conn, t)
        n = arrow(conn, c.query(name, "count(*) AS n"), c.params).column("n")[0].as_py()
    return {"as_of": t, "count": n, "universe": total}


def universe_size(ws: Workspace, as_of: dt.date | str | None = None) -> int:
    """Users in the universe at ``as_of`` (every user id in any table)."""
    t = default_as_of(ws, as_of)
    with ws.session() as conn:
        return _profile(ws, conn, t)[2]


def members(ws: Workspace, tree: Any, as_of: dt.date | str | None = None) -> pa.Table:
    """The audience's members at ``as_of``: a table with one ``user_id`` column, sorted."""
    _, t, c = _prepare(ws, tree, as_of)
    with ws.session() as conn:
        return arrow(conn, c.query(profile(ws, conn, t), "p.user_id", tail="ORDER BY p.user_id"), c.params)


def mix(ws: Workspace, tree: Any, as_of: dt.date | str | None = None) -> dict[str, dict[str, int]]:
    """The AIPL stages and customer / fan / member pools of the members: ``{"aipl": {code: n}, ...}``.

    Users outside a pool count under ``""`` (the stage ``none`` is a stage of AIPL and keeps its code).
    """
    _, t, c = _prepare(ws, tree, as_of)
    out: dict[str, dict[str, int]] = {}
    with ws.session() as conn:
        name = profile(ws, conn, t)
        for col in ("aipl", "customer_pool", "fan_pool", "member_pool"):
            rows = arrow(conn, c.query(name, f'coalesce(p."{col}", \'\') AS k, count(*) AS n',
                                       tail="GROUP BY 1 ORDER BY 1"), c.params).to_pylist()
            out[col] = {r["k"]: r["n"] for r in rows}
    return out


def _jsonable(v: Any) -> Any:
    return v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else v


def explain(ws: Workspace, user_id: str, tree: Any, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """Why ``user_id`` is or is not a member at ``as_of``: every leaf with the user's own value and whether it
    held, and ``member`` (the tree over those results).

    Returns
    -------
    dict
        ``{"user_id", "as_of", "member", "conditions": [{"path", "condition", "value", "pass"}, ...]}``.

    Raises
    ------
    WorkspaceError
        When the user is not in the universe at ``as_of`` (no table has the id).
    """
    rows = _explain_rows(ws, tree, as_of, user_id)
    canon, t, leaves = rows["tree"], rows["as_of"], rows["leaves"]
    if not rows["rows"]:
        raise WorkspaceError(f"user {user_id!r} is not in the universe at {t} (no table has this user id)")
    r = rows["rows"][0]
    conditions = [{"path": lf.path, "condition": lf.condition, "value": _jsonable(r[f"v{i}"]), "pass": bool(r[f"k{i}"])}
                  for i, lf in enumerate(leaves)]
    member = holds(canon, {c["path"]: c["pass"] for c in conditions})
    return {"user_id": user_id, "as_of": t, "member": member, "conditions": conditions}


def _explain_rows(ws: Workspace, tree: Any, as_of: dt.date | str | None, user_id: str | None) -> dict[str, Any]:
    """Leaf values and results of one user (or of every user, ``user_id=None``)."""
    canon, t, c = _prepare(ws, tree, as_of)
    cols = ", ".join(["p.user_id"] + [f"{lf.value} AS v{i}, {lf.passed} AS k{i}" for i, lf in enumerate(c.leaves)])
    params = dict(c.params)
    where = "true"
    if user_id is not None:
        params["explain_user"] = user_id
        where = "p.user_id = $explain_user"
    with ws.session() as conn:
        rows = arrow(conn, c.query(profile(ws, conn, t), cols, where=where, tail="ORDER BY p.user_id"),
                     params).to_pylist()
    return {"tree": canon, "as_of": t, "leaves": c.leaves, "rows": rows}
