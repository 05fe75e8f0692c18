"""The channel interface: how the outbox hands messages to a channel adapter, and what it gets back.

The outbox (:mod:`siyu.reach.outbox`) decides *whether* and *when* a message may go (consent, the contact budget,
quiet hours, control groups); an adapter only *delivers* a batch of messages that are due and reports every
attempt it made. Three adapters ship (docs/reach.md §Channels), registered in :data:`ADAPTERS` by dotted name:

``export``   writes the audience package (人群包) a platform tool (智能短信, 群聊, push, 客服) sends to: one user id
             a line, plus a JSON manifest; every message is ``exported``.
``email``    real SMTP (``[reach.email]``); the message id is the ``Message-ID`` and ``Idempotency-Key`` header.
``webhook``  HTTP POST of a JSON body signed with HMAC-SHA256 (``X-Siyu-Signature``), ``Idempotency-Key`` = the
             message id, retried with exponential backoff on 5xx and timeouts, never on 4xx (``[reach.webhook]``).

Which adapter serves a reach channel is ``[reach] adapters`` (default: email → email, webhook → webhook, the
platform channels → export). Adapters never log or put into an error text a phone number, an email address or
message content: errors name the status code or the exception class only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tenacity import retry_if_result, stop_after_attempt, wait_exponential

from siyu._exceptions import ConfigError

__all__ = ["ADAPTERS", "Attempt", "Channel", "OutMessage", "open_adapter", "retrying"]


@dataclass(frozen=True)
class OutMessage:
    """One message due to be delivered.

    ``address`` is the recipient's email address for the email adapter (decrypted just before sending, never
    stored or logged by the adapter); ``None`` for the others. ``subject`` is the rendered email subject.
    """

    message_id: str
    campaign_id: str
    user_id: str
    channel: str
    variant: str  # "personalised" or "plain"
    content: str
    content_id: str
    scheduled_at: dt.datetime
    address: str | None = None
    subject: str | None = None

    def payload(self) -> dict[str, Any]:
        """The JSON body of the webhook (its keys are an interface: docs/reach.md §Channels)."""
        return {"message_id": self.message_id, "campaign_id": self.campaign_id, "user_id": self.user_id,
                "channel": self.channel, "variant": self.variant, "content": self.content,
                "scheduled_at": self.scheduled_at.isoformat(sep=" ", timespec="seconds")}


@dataclass(frozen=True)
class Attempt:
    """One delivery attempt of one message.

    ``status`` is ``sent`` or ``exported`` when it went, else ``failed``; ``retryable`` says whether a later
    attempt may succeed (5xx, timeouts, refused connections, SMTP 4xx) or not (HTTP 4xx, SMTP 5xx, no address);
    ``error`` is a short text without personal data; ``at`` is the wall-clock time of the attempt.
    """

    message_id: str
    status: str
    retryable: bool = False
    error: str | None = None
    at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("sent", "exported")


class Channel(Protocol):
    """A channel adapter: delivers batches, reports every attempt per message (in the batch's order)."""

    name: str

    def send(self, batch: list[OutMessage]) -> list[list[Attempt]]:
        """Deliver ``batch``; for each message, its attempts in order (the last one is the outcome)."""

    def close(self) -> None:
        """Release connections."""


def retrying(retries: int, backoff_s: float, **kw: Any) -> dict[str, Any]:
    """Tenacity arguments of the channels' retry policy (``tenacity.Retrying(**retrying(...))``).

    Up to ``retries`` attempts while the outcome is a retryable failed :class:`Attempt`, waiting ``backoff_s`` ×
    2^(n-1) after attempt n; the last outcome is returned, not raised. An outcome of ``None`` (not attempted)
    stops at once. ``kw`` overrides or adds tenacity arguments (``sleep=`` in tests, ...).
    """
    return {"stop": stop_after_attempt(retries), "wait": wait_exponential(multiplier=backoff_s, min=0),
            "retry": retry_if_result(lambda a: a is not None and not a.ok and a.retryable),
            "retry_error_callback": lambda state: state.outcome.result(), **kw}


#: adapter name -> "module:Class"; each class is built as ``Class(settings, workspace_dir=..., channel=...)``
ADAPTERS: dict[str, str] = {
    "export": "siyu.reach.channels.export:ExportChannel",
    "email": "siyu.reach.channels.email:EmailChannel",
    "webhook": "siyu.reach.channels.webhook:WebhookChannel",
}


def open_adapter(channel: str, settings: Any, *, workspace_dir: Path) -> Channel:
    """The adapter serving reach ``channel`` under ``settings`` (a :class:`siyu.config.ReachSettings`).

    Raises
    ------
    ConfigError
        When the adapter is unknown or its settings are incomplete (a webhook without ``url``, a secret
        environment variable that is not set, ...).
    """
    from siyu.registry import load

    name = settings.adapters.get(channel, "export")
    try:
        target = ADAPTERS[name]
    except KeyError:
        raise ConfigError(f"[reach] adapters: channel {channel!r} has unknown adapter {name!r}; "
                          f"use one of {', '.join(ADAPTERS)}") from None
    return load(target)(settings, workspace_dir=Path(workspace_dir), channel=channel)
