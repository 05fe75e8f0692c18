"""Routes of CLV: the stored predictions' totals."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from siyu.server.app import Read, plain

router = APIRouter()


@router.get("/clv")
def clv(a: Read) -> dict[str, Any]:
    """Totals of the stored predictions (``siyu clv predict``): customers, predicted CLV total and mean, mean
    P(alive); ``{"stored": false}`` before any prediction."""
    from siyu.clv.runs import prediction_summary, stored_predictions

    table = stored_predictions(a.ws)
    if table is None:
        return {"stored": False}
    return plain({"stored": True, **prediction_summary(table)})
