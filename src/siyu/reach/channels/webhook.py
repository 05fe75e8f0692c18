"""The webhook adapter: an HTTP POST of each message as signed JSON (``[reach.webhook]``).

The body is ``OutMessage.payload()`` as compact UTF-8 JSON; the headers are ``Content-Type: application/json``,
``X-Siyu-Signature`` (hex HMAC-SHA256 of the raw body with the secret from the environment variable named by
``secret_env``) and ``Idempotency-Key`` (the message id: a receiver that saw it already must not act twice).

Requests go through one :class:`httpx.HTTPTransport` (a pool of keep-alive connections, kept between batches until
:meth:`WebhookChannel.close`) from ``concurrency`` threads, so that many requests are in flight at once; the
transport is used without :class:`httpx.Client`, whose per-request work (cookies, auth, redirects, event hooks)
nearly doubles the CPU time of a request, so proxy environment variables are not read. Outcomes: 2xx → ``sent``;
5xx, timeouts and connection errors → ``failed`` and retryable, tried again in the same call up to ``retries``
attempts, waiting ``backoff_s``, 2 × ``backoff_s``, ...; any other status (4xx; 1xx and 3xx: redirects are not
followed) → ``failed``, not retryable, no retry. Error texts are ``HTTP <status>`` or the exception class (with
``connect:`` before it when no connection could be made), never the body.

When the receiver cannot be connected to on every attempt of a message, messages not yet started are not
attempted: their attempt list is empty, which the outbox reads as "retry later, no attempt spent".
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import httpx
from tenacity import Retrying

from siyu._exceptions import ConfigError
from siyu.reach.channels.base import Attempt, OutMessage
from siyu.reach.channels.email import retrying

__all__ = ["WebhookChannel", "sign"]


def sign(secret: bytes, body: bytes) -> str:
    """The ``X-Siyu-Signature`` of ``body``: hex HMAC-SHA256 with ``secret``."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """POSTs each message of a batch to ``[reach.webhook] url`` (see the module docstring).

    Parameters
    ----------
    settings : siyu.config.ReachSettings
        Reads ``webhook`` (:class:`siyu.config.ReachWebhookSettings`).
    workspace_dir : pathlib.Path, optional
        Unused (the adapter signature).
    channel : str
        The reach channel served.

    Raises
    ------
    ConfigError
        If ``url`` is not set or not an http(s) URL, or the environment variable named by ``secret_env`` is not
        set or empty (the message names the variable, never a value).
    """

    name = "webhook"

    def __init__(self, settings: Any, *, workspace_dir: Path | None = None, channel: str = "webhook") -> None:
        self.cfg = cfg = settings.webhook
        self.channel = channel
        if not cfg.url:
            raise ConfigError("[reach.webhook] url is not set")
        try:
            url = httpx.URL(cfg.url)
        except (httpx.InvalidURL, TypeError, ValueError):
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host:
            raise ConfigError("[reach.webhook] url: not an http:// or https:// URL with a host")
        secret = os.environ.get(cfg.secret_env)
        if not secret:
            raise ConfigError(f"[reach.webhook] secret_env: environment variable {cfg.secret_env} is not set or empty")
        self.url = url
        self._secret = secret.encode("utf-8")
        self._policy = retrying(cfg.retries, cfg.backoff_s)
        self._down = False
        limits = httpx.Limits(max_connections=cfg.concurrency, max_keepalive_connections=cfg.concurrency)
        self._transport = httpx.HTTPTransport(limits=limits)
        self._timeout = httpx.Timeout(cfg.timeout_s).as_dict()

    def send(self, batch: list[OutMessage]) -> list[list[Attempt]]:
        """POST every message of ``batch`` (``concurrency`` at a time); each message's attempts, in order."""
        if not batch:
            return []
        self._down = False
        workers = min(self.cfg.concurrency, len(batch))
        with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="siyu-webhook") as pool:
            return list(pool.map(self._deliver, batch))

    def close(self) -> None:
        """Close the keep-alive connections."""
        self._transport.close()

    def _deliver(self, m: OutMessage) -> list[Attempt]:
        body = json.dumps(m.payload(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json", "X-Siyu-Signature": sign(self._secret, body),
                   "Idempotency-Key": m.message_id, "User-Agent": "siyu-reach"}
        attempts: list[Attempt] = []

        def once() -> Attempt | None:
            if self._down and not attempts:
                return None  # the receiver is unreachable: not attempted
            a = self._post(m.message_id, body, headers)
            attempts.append(a)
            return a

        last = Retrying(**self._policy)(once)
        if last is not None and not last.ok and (last.error or "").startswith("connect: "):
            self._down = True
        return attempts

    def _post(self, message_id: str, body: bytes, headers: dict[str, str]) -> Attempt:
        now = dt.datetime.now()
        try:
            r = self._transport.handle_request(httpx.Request("POST", self.url, content=body, headers=headers,
                                                             extensions={"timeout": self._timeout}))
            try:
                r.read()
            finally:
                r.close()
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            return Attempt(message_id, "failed", retryable=True, error=f"connect: {type(e).__name__}", at=now)
        except httpx.TransportError as e:  # read/write/pool timeouts, a dropped connection, a protocol error
            return Attempt(message_id, "failed", retryable=True, error=type(e).__name__, at=now)
        if 200 <= r.status_code < 300:
            return Attempt(message_id, "sent", at=now)
        return Attempt(message_id, "failed", retryable=r.status_code >= 500, error=f"HTTP {r.status_code}", at=now)
