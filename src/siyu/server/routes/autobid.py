"""Routes of 全站推: the volume–ROI advisor, run as a job (it simulates the auction)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from siyu.server.app import Job, Read, plain

router = APIRouter()


class AdviseRequest(BaseModel):
    profile: Literal["hot", "normal", "new"] = Field("normal", description="Product strength: 爆品, normal, 新品.")
    budget: float | None = Field(None, gt=0, description="Budget of the simulated 7-day run (¥); none: unlimited.")
    goal: Literal["max_gmv", "max_profit"] = "max_gmv"
    roi_floor: float | None = Field(None, gt=0)
    margin: float | None = Field(None, gt=0, le=1)
    seeds: int = Field(3, ge=1, le=10)


@router.post("/autobid/advise", status_code=202, response_model=Job)
def advise(a: Read, body: AdviseRequest) -> dict[str, Any]:
    """Which target ROI to set: the volume–ROI curve and the recommendation (``siyu autobid advise``), as a job."""
    import math

    def run(progress: Any) -> Any:
        from dataclasses import asdict, is_dataclass

        from siyu.autobid.advisor import advise as run_advise

        progress("simulate the volume-ROI curve", 0.0)
        adv = run_advise(body.profile, budget=body.budget or math.inf, seeds=body.seeds, goal=body.goal,
                         roi_floor=body.roi_floor, margin=body.margin)
        return plain(asdict(adv) if is_dataclass(adv) else adv)

    return plain(a.server.jobs.submit(a.tenant, "autobid advise", run))
