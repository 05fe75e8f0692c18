"""A tier program (会员等级体系) as a TOML file, validated; errors name the file and the key.

.. code-block:: toml

    [program]
    name = "成长型会员"
    basis = "spend"            # or "points" (qualifying points)
    window_days = 365          # qualifying spend at day d = net purchases in W(365) ending d
    review = "monthly"         # downgrade reviews on the first day of each month ("quarterly", "yearly")
    [points]                   # optional: the points ledger (default 1 point per yuan, expiring end of next year)
    points_per_yuan = 1
    expire = "end_of_next_year" # or a number of days, or "never"
    [[tiers]]                  # ascending
    name = "银卡"
    threshold = 500
    discount = 0.95
    benefits = ["free_trial"]
    [[tiers]]
    name = "金卡"
    threshold = 2000
    keep = 1500                # 保级: what keeps the tier at a review (default: its threshold)
    discount = 0.90
    multiplier = 1.5           # points earned per yuan × 1.5 while 金卡
    benefits = ["advisor"]

Rules: ``docs/loyalty.md``. Thresholds and keeps are in yuan for ``basis = "spend"`` and in qualifying points
for ``basis = "points"``; they are compared exactly (in fen, or in whole points).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from siyu._toml import load_toml_model

__all__ = ["PointsRule", "Program", "ProgramInfo", "Tier", "load_program"]

#: the review calendars: the months whose first day is a review day
REVIEW_MONTHS = {"monthly": tuple(range(1, 13)), "quarterly": (1, 4, 7, 10), "yearly": (1,)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProgramInfo(_Strict):
    """``[program]``: the name, what qualifies, the window and the review calendar."""

    name: str = Field(min_length=1, max_length=64)
    basis: Literal["spend", "points"] = "spend"
    window_days: int = Field(365, ge=1, le=3650)
    review: Literal["monthly", "quarterly", "yearly"] = "monthly"


class Tier(_Strict):
    """One ``[[tiers]]`` entry; tiers are listed from the lowest up."""

    name: str = Field(min_length=1, max_length=32)
    threshold: Decimal = Field(gt=0, le=Decimal("1e12"))
    keep: Decimal | None = Field(None, ge=0, le=Decimal("1e12"))
    discount: float = Field(1.0, gt=0, le=1)
    multiplier: float = Field(1.0, ge=0, le=100)
    benefits: tuple[str, ...] = ()

    @property
    def keep_amount(self) -> Decimal:
        """What keeps the tier at a review (保级): ``keep``, or the threshold when not given."""
        return self.threshold if self.keep is None else self.keep


class PointsRule(_Strict):
    """``[points]``: how purchases earn spendable points and when they expire."""

    points_per_yuan: float = Field(1.0, ge=0, le=1000)
    expire: Literal["end_of_next_year", "never"] | int = "end_of_next_year"

    @field_validator("expire")
    @classmethod
    def _days(cls, v: Any) -> Any:
        if isinstance(v, int) and not 1 <= v <= 36500:
            raise ValueError("a number of days from 1 to 36500, \"end_of_next_year\" or \"never\"")
        return v

    def expires_on(self, earned: dt.date) -> dt.date | None:
        """The first day on which points earned on ``earned`` are no longer spendable (None: never)."""
        if self.expire == "never":
            return None
        if self.expire == "end_of_next_year":
            return dt.date(earned.year + 2, 1, 1)
        return earned + dt.timedelta(days=int(self.expire))


class Program(_Strict):
    """A tier program (see the module docstring); built by :func:`load_program`."""

    program: ProgramInfo
    points: PointsRule = PointsRule()
    tiers: tuple[Tier, ...] = Field(min_length=1, max_length=20)

    @model_validator(mode="after")
    def _ascending(self) -> Program:
        names = [t.name for t in self.tiers]
        for i, t in enumerate(self.tiers):
            if names.count(t.name) > 1:
                raise ValueError(f"tiers[{i}].name: {t.name!r} is used twice")
            if t.keep_amount > t.threshold:
                raise ValueError(f"tiers[{i}].keep: {t.keep_amount} is above the tier's threshold {t.threshold}")
            if i and t.threshold <= self.tiers[i - 1].threshold:
                raise ValueError(f"tiers[{i}].threshold: tiers are listed from the lowest up; {t.threshold} is "
                                 f"not above tiers[{i - 1}]'s {self.tiers[i - 1].threshold}")
            if i and t.keep_amount < self.tiers[i - 1].keep_amount:
                raise ValueError(f"tiers[{i}].keep: {t.keep_amount} is below tiers[{i - 1}]'s keep "
                                 f"{self.tiers[i - 1].keep_amount}; a higher tier cannot be easier to keep")
            unit = Decimal("0.01") if self.program.basis == "spend" else Decimal(1)
            for key, v in (("threshold", t.threshold), ("keep", t.keep_amount)):
                if v != v.quantize(unit):
                    raise ValueError(f"tiers[{i}].{key}: {v} has more decimals than the basis allows "
                                     f"({'fen' if unit < 1 else 'whole points'})")
        return self

    # -- what the engine needs -------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.program.name

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)

    def units(self, value: Decimal) -> int:
        """A threshold or keep in the integer unit the engine compares in (fen for spend, points for points)."""
        return int(value * 100) if self.program.basis == "spend" else int(value)

    def is_review_day(self, d: dt.date) -> bool:
        """Whether ``d`` is a review day: the first day of a month of the review calendar."""
        return d.day == 1 and d.month in REVIEW_MONTHS[self.program.review]

    def definition(self) -> dict[str, Any]:
        """The program as JSON-ready data (stored with a run)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """A short hash of the definition (stored with a run; a changed file gives another digest)."""
        return hashlib.sha256(json.dumps(self.definition(), sort_keys=True).encode()).hexdigest()[:16]


def load_program(source: str | Path | dict[str, Any]) -> Program:
    """Read and validate a tier program: a TOML file's path, or the parsed mapping.

    Raises
    ------
    ConfigError
        Naming the file and each bad key (``tiers[1].threshold: …``), or when the file cannot be read or is not
        TOML.
    """
    return load_toml_model(source, Program, "tier program" if not isinstance(source, dict) else "program")
