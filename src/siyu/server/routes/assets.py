"""Routes of the customer assets: AIPL, FAST, pools, UCMV, RFM (the summaries ``siyu aipl`` … print)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from siyu.server.app import Read, plain

router = APIRouter()


@router.get("/aipl")
def aipl(a: Read, as_of: str | None = None, from_: str | None = None) -> dict[str, Any]:
    """AIPL counts and mix at ``as_of``; with ``from_``, the transitions since that date."""
    from siyu import assets

    def compute() -> dict[str, Any]:
        out = assets.aipl_summary(a.ws, as_of)
        if from_:
            out["transitions"] = assets.aipl_transitions(a.ws, from_, out["as_of"])
        return plain(out)

    return a.cached("aipl", [as_of, from_], compute)


@router.get("/fast")
def fast(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """FAST with period-over-period and year-over-year change."""
    from siyu import assets

    return a.cached("fast", [as_of], lambda: plain(assets.fast(a.ws, as_of)))


@router.get("/pools")
def pools(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """Fan, member and customer pools at ``as_of``."""
    from siyu import assets

    return a.cached("pools", [as_of], lambda: plain(assets.pool_summary(a.ws, as_of)))


@router.get("/ucmv")
def ucmv(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """UCMV stages at ``as_of``."""
    from siyu import assets

    return a.cached("ucmv", [as_of], lambda: plain(assets.ucmv_summary(a.ws, as_of)))


@router.get("/rfm")
def rfm(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """RFM segments at ``as_of``."""
    from siyu import assets

    return a.cached("rfm", [as_of], lambda: plain(assets.rfm_summary(a.ws, as_of)))
