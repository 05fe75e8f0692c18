"""The offers file (TOML), validated: member price lists, coupons, the follower discount and the price floor.

.. code-block:: toml

    floor_ratio = 0.3                  # the price never goes below 30 % of the list price (default 0.3)

    [[price_lists]]                    # 会员价: tier k pays this price for the sku
    tier = "金卡"
    sku = "SKU-001"
    price = 79.00

    [[coupons]]
    id = "spring-30"
    audience = "待唤醒老客"            # a saved audience's name, or a tree (inline table or JSON string); omitted: everyone
    categories = ["面霜"]              # or skus = ["SKU-001"]; omitted: every sku
    threshold = 199                    # 满 199 …
    amount_off = 30                    # … 减 30 (or discount = 0.9: 9 折) — exactly one of the two
    valid_from = "2024-05-01 00:00"    # local time of the workspace, valid_from <= at < valid_to
    valid_to = "2024-05-08 00:00"
    per_user_limit = 1                 # optional: uses per user (siyu offers uses FILE records them)
    stackable = false                  # default false: only the best non-stackable coupon applies
    first_purchase = false             # true: 新人礼券, only for users with no purchase before the quote moment

    [follow_discount]                  # 关注立减: off the line for the store's fans at the quote moment
    amount = 5

Rules: ``docs/offers.md``. Errors name the file and the key (``coupons[1].discount: …``) and exit 78.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from siyu._toml import json_table, load_toml_model, local_timestamp
from siyu.reach.campaign import ID_RULE

__all__ = ["Coupon", "FollowDiscount", "Offers", "PriceListEntry", "load_offers"]

#: an amount of money in yuan: at most two decimals (fen), below a trillion
Money = Annotated[Decimal, Field(ge=0, le=Decimal("1e12"), decimal_places=2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PriceListEntry(_Strict):
    """One ``[[price_lists]]`` row: what members of ``tier`` pay per unit of ``sku`` (会员价)."""

    tier: str = Field(min_length=1, max_length=32)
    sku: str = Field(min_length=1, max_length=200)
    price: Money


class Coupon(_Strict):
    """One ``[[coupons]]`` entry (see the module docstring)."""

    id: str
    audience: str | dict[str, Any] | None = None
    skus: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] | None = Field(None, min_length=1)
    categories: tuple[Annotated[str, Field(min_length=1, max_length=200)], ...] | None = Field(None, min_length=1)
    threshold: Money = Decimal(0)
    amount_off: Money | None = None
    discount: float | None = None
    valid_from: dt.datetime
    valid_to: dt.datetime
    per_user_limit: int | None = Field(None, ge=1, le=1_000_000)
    stackable: bool = False
    first_purchase: bool = False

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RULE.match(v):
            raise ValueError("1–64 letters, digits, '_', '.' or '-'")
        return v

    @field_validator("valid_from", "valid_to", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> Any:
        return local_timestamp(v)

    @field_validator("discount")
    @classmethod
    def _discount(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v < 1:
            raise ValueError(f"a share of the price paid between 0 and 1 exclusive (0.9 = 9折), not {v}")
        return v

    @field_validator("amount_off")
    @classmethod
    def _positive(cls, v: Decimal | None) -> Decimal | None:
        if v is not None and v <= 0:
            raise ValueError("must be above 0")
        return v

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, v: Any) -> Any:
        v = json_table(v)
        if isinstance(v, dict):
            from siyu._exceptions import ConfigError
            from siyu.audiences.tree import validate

            try:
                return validate(v)
            except ConfigError as exc:
                raise ValueError(str(exc)) from None
        if isinstance(v, str) and not v.strip():
            raise ValueError("a saved audience's name or a tree; omit the key for everyone")
        return v

    @model_validator(mode="after")
    def _rules(self) -> Coupon:
        if (self.amount_off is None) == (self.discount is None):
            raise ValueError(f"coupon {self.id!r}: give exactly one of amount_off (满减) and discount (折扣)")
        if self.skus is not None and self.categories is not None:
            raise ValueError(f"coupon {self.id!r}: give skus or categories, not both")
        if self.valid_to <= self.valid_from:
            raise ValueError(f"coupon {self.id!r}: valid_to must be after valid_from")
        return self

    @property
    def audience_name(self) -> str | None:
        """The saved audience's name, or None for a tree or everyone."""
        return self.audience if isinstance(self.audience, str) else None

    def in_scope(self, sku: str, category_leaf: str | None, category_l1: str | None) -> bool:
        """Whether the coupon covers ``sku`` (its skus, or its categories by leaf or first level)."""
        if self.skus is not None:
            return sku in self.skus
        if self.categories is not None:
            return category_leaf in self.categories or category_l1 in self.categories
        return True


class FollowDiscount(_Strict):
    """``[follow_discount]``: 关注立减, off the line for users who are fans of the store at the quote moment."""

    amount: Money

    @field_validator("amount")
    @classmethod
    def _positive(cls, v: Decimal) -> Decimal:
        if v <= 0:
            raise ValueError("must be above 0")
        return v


class Offers(_Strict):
    """A merchant's whole set of offers (see the module docstring); built by :func:`load_offers`."""

    floor_ratio: float = Field(0.3, ge=0, le=1)
    price_lists: tuple[PriceListEntry, ...] = ()
    coupons: tuple[Coupon, ...] = ()
    follow_discount: FollowDiscount | None = None

    @model_validator(mode="after")
    def _unique(self) -> Offers:
        seen: dict[str, int] = {}
        for i, c in enumerate(self.coupons):
            if c.id in seen:
                raise ValueError(f"coupons[{i}].id: {c.id!r} is used twice (also coupons[{seen[c.id]}])")
            seen[c.id] = i
        pairs: dict[tuple[str, str], int] = {}
        for i, p in enumerate(self.price_lists):
            if (p.tier, p.sku) in pairs:
                raise ValueError(f"price_lists[{i}]: tier {p.tier!r} already has a price for sku {p.sku!r} "
                                 f"(price_lists[{pairs[p.tier, p.sku]}])")
            pairs[p.tier, p.sku] = i
        return self

    def definition(self) -> dict[str, Any]:
        """The offers as JSON-ready data (stored by ``siyu offers load``)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """A short hash of the definition."""
        return hashlib.sha256(json.dumps(self.definition(), sort_keys=True).encode()).hexdigest()[:16]


def load_offers(source: str | Path | dict[str, Any]) -> Offers:
    """Read and validate an offers file: a TOML file's path, or the parsed mapping.

    Raises
    ------
    ConfigError
        Naming the file and each bad key (``coupons[1].discount: …``), or when the file cannot be read or is not
        TOML.
    """
    return load_toml_model(source, Offers, "offers file" if not isinstance(source, dict) else "offers")
