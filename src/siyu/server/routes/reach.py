"""Routes of reach (触达): campaigns and their funnel, planning (``write``), sending as a job (``send``), the outbox
and a user's consent state. None of them answers a phone number, an email address or message content."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from siyu.server.app import Job, Read, Send, Write, plain

router = APIRouter()


class FunnelRow(BaseModel):
    """One planned campaign's reach funnel (docs/reach.md §The reach funnel)."""

    campaign_id: str
    planned_at: str
    priority: int
    audience: int
    planned: int = Field(..., description="Messages written to the outbox.")
    global_control: int
    holdout: int
    no_consent: int
    budget: int
    quiet_hours_dropped: int
    queued: int
    sent: int = Field(..., description="Sent or exported.")
    failed: int
    delivered: int
    opened: int
    clicked: int


class PlanRequest(BaseModel):
    """A campaign to plan: the campaign file's keys as a JSON object, and the local moment to plan at."""

    campaign: dict[str, Any] = Field(..., description="The campaign, with the keys of a campaign file (docs/reach.md "
                                                      "§Campaigns): id, audience, channels, send_from, send_until, "
                                                      "priority, on_budget, holdout, content.")
    at: str | None = Field(None, max_length=40, description="Local moment \"YYYY-MM-DD HH:MM\" (default: now).")


class SendRequest(BaseModel):
    """When to send: the local moment the due messages are those of (default: now)."""

    at: str | None = Field(None, max_length=40, description="Local moment \"YYYY-MM-DD HH:MM\" (default: now).")


class PlanResult(BaseModel):
    """What planning did (``siyu campaign plan --format json``); ``audience = planned + sum(suppressed)``."""

    model_config = ConfigDict(extra="allow")

    campaign: str
    audience: int
    planned: int
    suppressed: dict[str, int]
    queued_quiet_hours: int
    queued_budget: int
    by_channel: dict[str, int]
    by_variant: dict[str, int]
    bumped: int
    at: str
    as_of: str
    snapshot_id: str | None = None


class OutboxRow(BaseModel):
    message_id: str
    campaign_id: str
    user_id: str
    channel: str
    status: str
    scheduled_at: str
    sent_at: str | None = None
    attempts: int


class OutboxPage(BaseModel):
    campaign: str | None
    total: int
    offset: int
    rows: list[OutboxRow]


class ConsentRow(BaseModel):
    channel: str
    purpose: str
    status: str = Field(..., description="granted, withdrawn or none")
    since: str | None = None
    record_channel: str | None = None
    source: str | None = None
    text_version: str | None = None


def _funnel(a: Any, campaign: str | None = None) -> list[dict[str, Any]]:
    from siyu.reach import funnel

    return plain(funnel(a.ws, campaign))


def _known(a: Any, campaign_id: str) -> dict[str, Any]:
    """The funnel row of ``campaign_id``; a campaign never planned is a WorkspaceError (404)."""
    from siyu._exceptions import WorkspaceError

    rows = a.cached("campaigns", [campaign_id], lambda: _funnel(a, campaign_id))
    if not rows:
        raise WorkspaceError(f"no planned campaign {campaign_id!r}; GET campaigns lists the planned ones")
    return rows[0]


@router.get("/campaigns", response_model=list[FunnelRow])
def campaigns(a: Read) -> Any:
    """Every planned campaign with its reach funnel, newest plan first (``siyu campaign list``)."""
    return a.cached("campaigns", [None], lambda: _funnel(a))


@router.post("/campaigns/plan", response_model=PlanResult)
def plan_campaign(a: Write, body: PlanRequest) -> Any:
    """Plan a campaign at ``at`` and store the plan (``siyu campaign plan``): the outbox, every suppression with
    its reason and every member's arm. A bad campaign is 400 naming the key; re-planning a sent campaign is
    refused."""
    from siyu import reach

    return plain(reach.plan(a.ws, body.campaign, body.at))


@router.get("/campaigns/{campaign_id}", response_model=FunnelRow)
def show_campaign(a: Read, campaign_id: str) -> Any:
    """One campaign's reach funnel, suppressions by reason included (``siyu campaign show``)."""
    return _known(a, campaign_id)


@router.post("/campaigns/{campaign_id}/send", status_code=202, response_model=Job)
def send_campaign(a: Send, campaign_id: str, body: SendRequest | None = None) -> Any:
    """Send the campaign's messages due at ``at`` as a job (``siyu campaign send``); consent, the contact budget,
    quiet hours and the global control group are checked again at the send moment. The job's ``result`` holds the
    totals: ``due``, ``sent``, ``exported``, ``failed``, ``retrying``, ``rescheduled``, ``suppressed`` by reason,
    ``attempts``. Only a key with the ``send`` scope may send."""
    from siyu.reach import parse_at, send

    at = parse_at(body.at if body else None, name="at")  # a bad moment is 400 before any job starts
    _known(a, campaign_id)
    ws = a.ws

    def run(progress: Any) -> Any:
        progress(f"send {campaign_id}", 0.0)
        return plain(send(ws, campaign_id, at, progress=progress))

    return plain(a.server.jobs.submit(a.tenant, f"campaign send {campaign_id}", run))


@router.get("/outbox", response_model=OutboxPage)
def outbox(a: Read, campaign: Annotated[str | None, Query(max_length=200)] = None,
           offset: Annotated[int, Query(ge=0)] = 0,
           limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000) -> Any:
    """The outbox (``siyu outbox``): every message with its status, schedule, send time and attempts, of
    ``campaign`` (default: every campaign), one page (``offset``, ``limit``) at a time, ordered by campaign,
    schedule and message id. No content, phone or address."""
    from siyu.reach import outbox as outbox_table

    if campaign is not None:
        _known(a, campaign)
    # not cached (like audience members): a client paging through a large outbox would fill the result cache
    table = outbox_table(a.ws, campaign)
    return {"campaign": campaign, "total": table.num_rows, "offset": offset, "rows": plain(table.slice(offset, limit))}


@router.get("/consents/{user_id}", response_model=list[ConsentRow])
def consents(a: Read, user_id: str, at: Annotated[str | None, Query(max_length=40)] = None) -> Any:
    """``user_id``'s consent per channel and purpose at ``at`` (default: now), with the record each state comes
    from (``siyu consent``): ``status`` granted, withdrawn or none."""
    from siyu.reach import consent_state, parse_at

    t = parse_at(at, name="at")
    if t is None:  # "now" moves: not cached
        return plain(consent_state(a.ws, user_id))
    return a.cached("consents", [user_id, t.isoformat()], lambda: plain(consent_state(a.ws, user_id, t)))
