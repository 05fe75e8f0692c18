"""A campaign file (TOML), validated: who is targeted, over which channels, with what content, when.

.. code-block:: toml

    id = "spring-recall"
    audience = "待唤醒老客"          # a saved audience's name, or a tree: an inline table or a JSON string
    channels = ["group_chat", "sms"] # priority order: the first the user can be reached on is used
    send_from = "2024-05-01 10:00"   # local time of the workspace
    send_until = "2024-05-03 20:00"
    priority = 1                     # 1 = highest; wins the contact budget over lower priorities
    on_budget = "queue"              # or "drop"
    holdout = 0.1                    # share held out (no message), keyed by the campaign id
    [content]
    personalised = "{{ user.city_tier }} 的老朋友，春季回购礼已到账"
    plain = "春季回购礼已到账"

Rules: docs/reach.md §Campaigns. Errors name the file and the key (``channels: unknown channel 'fax'``) and exit 78.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from siyu._exceptions import ConfigError
from siyu._toml import json_table, load_toml_model, local_timestamp
from siyu.contract.schema import REACH_CHANNELS

__all__ = ["ID_RULE", "Campaign", "Content", "load_campaign", "parse_at"]

#: a campaign id: letters (any script), digits, ``_ . -``, 1–64 characters
ID_RULE = re.compile(r"^[\w.\-]{1,64}$")


def parse_at(value: str | dt.datetime | None, *, name: str = "--at") -> dt.datetime | None:
    """A local timestamp ``YYYY-MM-DD HH:MM[:SS]`` (or ``T`` between); None stays None.

    Raises
    ------
    ConfigError
        Naming ``name`` and the value when it is not such a timestamp (a time zone is refused: timestamps are
        local wall-clock time of the workspace).
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        out = value
    else:
        try:
            out = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ConfigError(f"{name}: not a local timestamp (YYYY-MM-DD HH:MM): {value!r}") from None
    if out.tzinfo is not None:
        raise ConfigError(f"{name}: give local wall-clock time of the workspace without a zone: {value!r}")
    return out


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Content(_Strict):
    """The two variants of a message (Jinja2 templates). ``personalised`` may use ``user`` (the profile, without
    personal data) and ``campaign``; ``plain`` only ``campaign`` — it is what a user without personalisation
    consent may receive (PIPL Art. 24). ``subject`` is the email subject (a template over ``campaign``)."""

    personalised: str | None = Field(None, min_length=1)
    plain: str | None = Field(None, min_length=1)
    subject: str | None = Field(None, min_length=1)
    id: str | None = Field(None, min_length=1, max_length=128, description="content id in export manifests")

    @model_validator(mode="after")
    def _one(self) -> Content:
        if self.personalised is None and self.plain is None:
            raise ValueError("give personalised, plain or both")
        return self


class Campaign(_Strict):
    """One campaign (see the module docstring); built by :func:`load_campaign`."""

    id: str
    audience: str | dict[str, Any]
    channels: tuple[str, ...] = Field(min_length=1)
    content: Content
    send_from: dt.datetime
    send_until: dt.datetime
    priority: int = Field(5, ge=1, le=1000)
    on_budget: Literal["queue", "drop"] = "queue"
    holdout: float = Field(0.0, ge=0, lt=1)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not ID_RULE.match(v):
            raise ValueError("1–64 letters, digits, '_', '.' or '-'")
        return v

    @field_validator("channels")
    @classmethod
    def _channels(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for c in v:
            if c not in REACH_CHANNELS:
                raise ValueError(f"unknown channel {c!r}; the reach channels are {', '.join(REACH_CHANNELS)}")
        if len(set(v)) != len(v):
            raise ValueError("a channel is listed twice")
        return v

    @field_validator("send_from", "send_until", mode="before")
    @classmethod
    def _ts(cls, v: Any) -> Any:
        return local_timestamp(v)

    @field_validator("audience", mode="before")
    @classmethod
    def _audience(cls, v: Any) -> Any:
        return json_table(v)

    @model_validator(mode="after")
    def _window(self) -> Campaign:
        if self.send_until <= self.send_from:
            raise ValueError("send_until must be after send_from")
        return self

    @property
    def audience_name(self) -> str | None:
        """The saved audience's name, or None when the campaign gives a tree."""
        return self.audience if isinstance(self.audience, str) else None

    def content_id(self, variant: str) -> str:
        """The content id of a variant (``content.id``, else ``<campaign id>:<variant>``)."""
        return f"{self.content.id or self.id}:{variant}"

    def definition(self) -> dict[str, Any]:
        """The campaign as JSON-ready data (stored with the plan)."""
        return self.model_dump(mode="json")


def load_campaign(source: str | Path | dict[str, Any]) -> Campaign:
    """Read and validate a campaign: a TOML file's path, or the parsed mapping.

    Raises
    ------
    ConfigError
        Naming the file and each bad key (``channels: unknown channel 'fax'``), or when the file cannot be read
        or is not TOML.
    """
    return load_toml_model(source, Campaign, "campaign file" if not isinstance(source, dict) else "campaign")
