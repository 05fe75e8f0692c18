"""Routes of customer-value health: GAIN with its diagnosis, LINK+."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from siyu.server.app import Read, plain

router = APIRouter()


@router.get("/gain")
def gain(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """GAIN: the 12 indicators, dimension and total scores, trend, and the diagnosis (``siyu gain``)."""
    from siyu.health.gain import diagnose
    from siyu.health.gain import gain as run_gain

    def compute() -> dict[str, Any]:
        res = run_gain(a.ws, as_of)
        return plain({**res, "diagnosis": diagnose(a.ws, res)})

    return a.cached("gain", [as_of], compute)


@router.get("/link")
def link(a: Read, as_of: str | None = None) -> dict[str, Any]:
    """LINK+: Lead → Interlock → Engage → Keep and the relationship multiples (``siyu link``)."""
    from siyu.health.linkplus import link_plus

    return a.cached("link", [as_of], lambda: plain(link_plus(a.ws, as_of)))
