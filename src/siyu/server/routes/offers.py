"""Routes of offers (会员价与优惠券): the loaded offers and the quote (``read`` scope). Loading offers and coupon uses is
done with the CLI (``siyu offers load`` / ``siyu offers uses``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from siyu.server.app import Read, plain

router = APIRouter()

#: the largest quantity of one quote (siyu.offers.quote.MAX_QTY)
MAX_QTY = 1_000_000


class PriceListRow(BaseModel):
    tier: str
    sku: str
    price: float


class CouponRow(BaseModel):
    """One loaded coupon (docs/offers.md §Coupons) with its recorded uses."""

    id: str
    audience: str | dict[str, Any] | None = Field(None, description="A saved audience's name, a tree, or null for "
                                                                    "everyone.")
    skus: list[str] | None = None
    categories: list[str] | None = None
    threshold: float
    amount_off: float | None = None
    discount: float | None = None
    valid_from: str
    valid_to: str
    per_user_limit: int | None = None
    stackable: bool
    first_purchase: bool
    uses: int = Field(..., description="Recorded uses (siyu offers uses).")
    users: int = Field(..., description="Users with a recorded use.")


class FollowDiscount(BaseModel):
    amount: float


class OffersResult(BaseModel):
    """The loaded offers (``siyu offers show --format json``); ``loaded_at`` is null before any load."""

    loaded_at: str | None = None
    source: str | None = None
    digest: str | None = None
    floor_ratio: float
    price_lists: list[PriceListRow]
    coupons: list[CouponRow]
    follow_discount: FollowDiscount | None = None


class QuoteRequest(BaseModel):
    """What to quote: a user, a sku, a quantity and the local moment (default: now)."""

    model_config = ConfigDict(extra="forbid")

    user: str = Field(..., min_length=1, max_length=200, description="The user id (an unknown user is a guest).")
    sku: str = Field(..., min_length=1, max_length=200)
    qty: int = Field(1, ge=1, le=MAX_QTY)
    at: str | None = Field(None, max_length=40, description="Local moment \"YYYY-MM-DD HH:MM\" (default: now).")


class Applied(BaseModel):
    rule: str = Field(..., description="member_price, tier_discount, coupon, follow_discount or floor")
    id: str
    amount: float = Field(..., description="The saving on the line (negative for the floor: what it gives back).")


class Rejected(BaseModel):
    rule: str = Field(..., description="member_price, tier_discount, coupon or follow_discount")
    id: str
    reason: str


class QuoteResult(BaseModel):
    """The quote (``siyu quote --format json``): ``price`` is the line total, ``unit_price = price / qty``."""

    list_price: float
    unit_price: float
    price: float
    applied: list[Applied]
    rejected: list[Rejected]


def _quote(a: Any, body: QuoteRequest) -> Any:
    from siyu.offers import quote
    from siyu.reach import parse_at

    at = parse_at(body.at, name="at")  # a bad moment is 400
    return plain(quote(a.ws, body.user, body.sku, body.qty, at))


@router.get("/offers", response_model=OffersResult)
def offers(a: Read) -> Any:
    """The loaded offers: price lists, coupons with their recorded uses, 关注立减 and the floor (``siyu offers
    show``)."""
    from siyu.offers import show

    return a.cached("offers", [], lambda: plain(show(a.ws)))


@router.post("/quote", response_model=QuoteResult)
def quote_post(a: Read, body: QuoteRequest) -> Any:
    """The price ``user`` pays for ``qty`` of ``sku`` at ``at`` and every rule applied or rejected with its reason
    (``siyu quote``, docs/offers.md §The quote). An unknown sku is 400 naming it."""
    return _quote(a, body)


@router.get("/quote", response_model=QuoteResult)
def quote_get(a: Read, user: Annotated[str, Query(min_length=1, max_length=200)],
              sku: Annotated[str, Query(min_length=1, max_length=200)],
              qty: Annotated[int, Query(ge=1, le=MAX_QTY)] = 1,
              at: Annotated[str | None, Query(max_length=40)] = None) -> Any:
    """``POST /quote`` with query parameters."""
    return _quote(a, QuoteRequest(user=user, sku=sku, qty=qty, at=at))
