"""Routes of audiences: count, members, explain a tree; saved audiences; export (the ``send`` scope)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from siyu.server.app import Access, Read, Send, Write, plain

router = APIRouter()


class AudienceQuery(BaseModel):
    """An audience given once: a condition tree (``where``), its text form (``query``) or a saved name."""

    where: dict[str, Any] | None = Field(None, description="The condition tree (docs/audiences.md).")
    query: str | None = Field(None, description="The text form, e.g. \"aipl in (I, P) and not is_member\".",
                              max_length=20_000)
    audience: str | None = Field(None, description="A saved audience's name.")
    as_of: str | None = Field(None, description="Snapshot date YYYY-MM-DD (default: the last pay date).")


class MembersQuery(AudienceQuery):
    offset: int = Field(0, ge=0)
    limit: int = Field(10_000, ge=1, le=100_000)


class ExplainQuery(AudienceQuery):
    user_id: str = Field(..., max_length=200)


class CountResult(BaseModel):
    as_of: str
    count: int
    universe: int
    mix: dict[str, dict[str, int]]
    tree: dict[str, Any]
    query: str


class MembersResult(BaseModel):
    as_of: str
    total: int
    offset: int
    user_ids: list[str]


class Condition(BaseModel):
    path: str
    condition: dict[str, Any]
    value: Any = None
    passed: bool = Field(..., alias="pass")


class ExplainResult(BaseModel):
    user_id: str
    as_of: str
    member: bool
    conditions: list[Condition]


class SaveRequest(BaseModel):
    where: dict[str, Any] | None = None
    query: str | None = Field(None, max_length=20_000)
    as_of: str | None = None


def _tree(a: Access, q: AudienceQuery) -> dict[str, Any]:
    from siyu import audiences

    return audiences.resolve(a.ws, where=q.where, query=q.query, name=q.audience)


@router.post("/audiences/count", response_model=CountResult)
def count(a: Read, q: AudienceQuery) -> Any:
    """Members of the audience at ``as_of`` with the AIPL / pool mix of the result (the console's live count)."""
    from siyu import audiences

    tree = _tree(a, q)

    def compute() -> dict[str, Any]:
        res = audiences.count(a.ws, tree, q.as_of)
        return plain(res | {"mix": audiences.mix(a.ws, tree, res["as_of"]), "tree": tree,
                            "query": audiences.to_text(tree)})

    return a.cached("audiences/count", [tree, q.as_of], compute)


@router.post("/audiences/members", response_model=MembersResult)
def members(a: Read, q: MembersQuery) -> Any:
    """The member ids at ``as_of``, sorted, one page (``offset``, ``limit``) at a time."""
    from siyu import audiences
    from siyu.engine.dates import default_as_of

    t = default_as_of(a.ws, q.as_of)
    ids = audiences.members(a.ws, _tree(a, q), t).column("user_id")
    return {"as_of": t.isoformat(), "total": len(ids), "offset": q.offset,
            "user_ids": ids.slice(q.offset, q.limit).to_pylist()}


@router.post("/audiences/explain", response_model=ExplainResult)
def explain(a: Read, q: ExplainQuery) -> Any:
    """Why ``user_id`` is or is not a member: every condition with the user's value and whether it held."""
    from siyu import audiences

    return plain(audiences.explain(a.ws, q.user_id, _tree(a, q), q.as_of))


@router.get("/audiences")
def saved(a: Read) -> list[dict[str, Any]]:
    """The saved audiences with their latest snapshot."""
    from siyu import audiences

    return plain(audiences.list_saved(a.ws))


@router.get("/audiences/{name}")
def show(a: Read, name: str) -> dict[str, Any]:
    """A saved audience: its definition and its membership snapshots."""
    from siyu import audiences

    return plain(audiences.show(a.ws, name))


@router.put("/audiences/{name}")
def save(a: Write, name: str, body: SaveRequest) -> dict[str, Any]:
    """Save (or replace) audience ``name`` and snapshot its members at ``as_of``."""
    from siyu import audiences

    tree = audiences.resolve(a.ws, where=body.where, query=body.query)
    return plain(audiences.save(a.ws, name, tree, body.as_of, query=body.query))


@router.post("/audiences/{name}/export")
def export(a: Send, name: str, as_of: str | None = None) -> dict[str, Any]:
    """Snapshot saved audience ``name`` at ``as_of`` and return its member ids (a 人群包 for a platform tool);
    only a key with the ``send`` scope may export."""
    from siyu import audiences

    snap = audiences.take_snapshot(a.ws, name, as_of, purpose="export")
    return plain({"name": name, "snapshot_id": snap["snapshot_id"], "as_of": snap["as_of"],
                  "members": snap["members"], "user_ids": snap["table"].column("user_id")})
