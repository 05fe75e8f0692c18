"""Routes of loyalty (会员等级与积分): the program's state at a date (tier distribution, changes by month, points
liability), the members with their tier, the stored tier changes and one user's points. All read what the last
``siyu loyalty run`` stored (and the points ledger); before any run the state is ``{"program": null}`` and members
and changes are 404. No route answers a phone number or any other personal data."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from siyu.server.app import Read, plain

router = APIRouter()

AsOf = Annotated[str | None, Query(max_length=40, description="Date YYYY-MM-DD (default: the last run's as-of date).")]
Offset = Annotated[int, Query(ge=0)]
Limit = Annotated[int, Query(ge=1, le=100_000)]


class MonthChanges(BaseModel):
    month: str = Field(..., description="YYYY-MM")
    upgrade: int
    review: int = Field(..., description="Downgrades at a review.")
    left: int = Field(..., description="Tiers ended by leaving the membership.")


class KindTotal(BaseModel):
    entries: int
    users: int
    points: int


class Liability(BaseModel):
    """The points liability at ``as_of`` (docs/loyalty-points.md §Liability)."""

    outstanding: int = Field(..., description="The sum of the positive balances (ledger entries dated ≤ as_of).")
    users_with_balance: int
    expiring: int = Field(..., description="What the lots expiring in (as_of, expiring_by] still hold at as_of.")
    users_expiring: int
    expiring_days: int
    expiring_by: str
    by_kind: dict[str, KindTotal]


class LoyaltyState(BaseModel):
    """The program's state at ``as_of``; only ``program`` (null) before any ``siyu loyalty run``."""

    program: str | None
    digest: str | None = None
    as_of: str | None = None
    history_to: str | None = Field(None, description="The last run's as-of date: the stored tier history ends there.")
    stale: bool | None = Field(None, description="as_of is after history_to.")
    tiers: list[str] | None = Field(None, description="The tiers from the lowest up.")
    members: int | None = None
    by_tier: dict[str, int] | None = Field(None, description="Members per tier; \"\" for members without a tier.")
    months: list[str] | None = None
    changes_by_month: list[MonthChanges] | None = None
    changes: dict[str, int] | None = Field(None, description="Tier changes per reason over the 12 months.")
    points: Liability | None = None


class Member(BaseModel):
    user_id: str
    tier: str | None = Field(..., description="Null: a member without a tier.")
    since: str | None = Field(..., description="The date of the tier change that gave the tier.")


class MembersPage(BaseModel):
    program: str
    as_of: str
    history_to: str
    tier: str | None
    total: int
    offset: int
    rows: list[Member]


class Change(BaseModel):
    user_id: str
    date: str
    from_tier: str | None
    to_tier: str | None
    reason: str = Field(..., description="upgrade, review or left")


class ChangesPage(BaseModel):
    date_from: str | None = Field(..., alias="from")
    date_to: str | None = Field(..., alias="to")
    user: str | None
    total: int
    offset: int
    rows: list[Change]


class Entry(BaseModel):
    entry_id: str
    date: str
    kind: str = Field(..., description="earn, refund, correction, expire, redeem or adjust")
    points: int
    qualifying: int
    source_id: str | None = None
    reason: str | None = None
    expires_on: str | None = None
    recorded_at: str
    balance: int = Field(..., description="The user's balance after this entry.")


class Points(BaseModel):
    """A user's points (``siyu loyalty points``)."""

    user_id: str
    as_of: str | None = Field(..., description="Null: every entry, whatever its date.")
    points: int = Field(..., description="The spendable balance: the sum of the points of the user's entries dated "
                                         "≤ as_of.")
    qualifying: int = Field(..., description="The sum of their qualifying points.")
    entries: list[Entry]


@router.get("/loyalty", response_model=LoyaltyState, response_model_exclude_unset=True)
def state(a: Read, as_of: AsOf = None) -> Any:
    """The program's state at ``as_of`` (default: the last run's): members by tier, tier changes by month and reason
    over 12 months, and the points liability (outstanding, users with a balance, expiring within 90 days, the ledger
    by kind). ``{"program": null}`` before any ``siyu loyalty run``."""
    from siyu.loyalty.report_data import loyalty_snapshot

    return a.cached("loyalty", [as_of], lambda: plain(loyalty_snapshot(a.ws, as_of)))


@router.get("/loyalty/members", response_model=MembersPage)
def members(a: Read, as_of: AsOf = None,
            tier: Annotated[str | None, Query(max_length=64, description="One tier; \"\" for no tier.")] = None,
            offset: Offset = 0, limit: Limit = 10_000) -> Any:
    """The members at ``as_of`` with their tier from the stored tier changes (and since when they hold it), by user,
    of ``tier`` only when given (``tier=`` empty: the members without a tier), one page (``offset``, ``limit``) at a
    time. An unknown tier is 400; before any run 404."""
    from siyu.loyalty.report_data import members_at

    # not cached (like audience members): a client paging through every member would fill the result cache
    head, table = members_at(a.ws, as_of, tier)
    return plain({**head, "total": table.num_rows, "offset": offset, "rows": table.slice(offset, limit)})


@router.get("/loyalty/changes", response_model=ChangesPage, response_model_by_alias=True)
def changes(a: Read, date_from: Annotated[str | None, Query(alias="from", max_length=40)] = None,
            date_to: Annotated[str | None, Query(alias="to", max_length=40)] = None,
            user: Annotated[str | None, Query(max_length=200)] = None,
            offset: Offset = 0, limit: Limit = 10_000) -> Any:
    """The stored tier changes with ``from ≤ date ≤ to`` (of ``user`` when given), by date then user
    (``siyu loyalty changes``), one page at a time. Before any run 404."""
    from siyu.engine.dates import as_date
    from siyu.loyalty import changes as stored_changes

    lo, hi = as_date(date_from, name="from"), as_date(date_to, name="to")  # the API's names in a bad date's message
    table = stored_changes(a.ws, lo, hi, user)
    return plain({"from": date_from, "to": date_to, "user": user, "total": table.num_rows, "offset": offset,
                  "rows": table.slice(offset, limit)})


@router.get("/loyalty/points/{user_id}", response_model=Points)
def points(a: Read, user_id: str, as_of: Annotated[str | None, Query(max_length=40)] = None) -> Any:
    """``user_id``'s points at ``as_of`` (default: every entry; ``siyu loyalty points``): the balance ``points`` (the
    sum of the points of their ledger entries dated ≤ ``as_of``), their qualifying points, and those entries in
    ledger order, each with the running balance. A user without entries (or a workspace without a ledger) has 0."""
    from siyu.loyalty.points import balance

    return a.cached("loyalty/points", [user_id, as_of], lambda: plain(balance(a.ws, user_id, as_of)))
