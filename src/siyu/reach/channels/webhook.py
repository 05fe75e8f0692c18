"""The webhook adapter: an HTTP POST of each message as signed JSON (``[reach.webhook]``).

The body is ``OutMessage.payload()`` as compact UTF-8 JSON; the headers are ``Content-Type: application/json``,
``X-Siyu-Signature`` (hex HMAC-SHA256 of the raw body with the secret from the environment variable named by
``secret_env``) and ``Idempotency-Key`` (the message id: a receiver that saw it already must not act twice).

Requests go out from a pool of ``concurrency`` threads, kept between batches until :meth:`WebhookChannel.close`;
each thread has one keep-alive :class:`http.client.HTTPConnection` (``HTTPSConnection`` for ``https://``,
certificates verified) of its own, which writes each request in one piece. A connection the receiver closed while idle is noticed before it is reused (or,
when the request fails on it before any answer, right after) and opened again without spending an attempt; proxy
environment variables are not read. ``timeout_s`` bounds the connect and every read or write on the socket.

Outcomes: 2xx → ``sent``; 5xx, timeouts and connection errors → ``failed`` and retryable, tried again in the same
call up to ``retries`` attempts, waiting ``backoff_s``, 2 × ``backoff_s``, ... (:func:`~siyu.reach.channels.base.
retrying`); any other status (4xx; 1xx and 3xx: redirects are not followed) → ``failed``, not retryable, no retry.
Error texts are ``HTTP <status>`` or the exception class (``TimeoutError``, ``RemoteDisconnected``, ...; with
``connect:`` before it when no connection could be made), never the body.

When the receiver cannot be connected to on every attempt of a message, messages not yet started are not
attempted: their attempt list is empty, which the outbox reads as "retry later, no attempt spent".
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import select
import ssl
import threading
import urllib.parse
from pathlib import Path
from typing import Any

from tenacity import Retrying

from siyu._exceptions import ConfigError
from siyu.reach.channels.base import Attempt, OutMessage, retrying

__all__ = ["WebhookChannel", "sign"]

_PRINTABLE_ASCII = "".join(map(chr, range(0x21, 0x7F)))

#: failures of a reused keep-alive connection before any answer: the receiver closed it while it was idle
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError, ConnectionAbortedError)


class _OneWrite:
    """A connection that writes a request's head and body in one ``send`` (``http.client`` writes them apart: the
    second small write costs both ends a system call and the receiver a second wake-up, about a fifth of the
    throughput on loopback). Only the public ``request``/``send`` are relied on: should ``http.client`` ever write
    the head and body together, the held head is written at once."""

    _hold = False
    _head: bytes | None = None

    def send(self, data: Any) -> None:
        if self._hold:  # the first write of request(): its head
            self._hold, self._head = False, bytes(data)
            return
        if self._head is not None:
            data, self._head = self._head + bytes(data), None
        super().send(data)  # type: ignore[misc]

    def post(self, target: str, body: bytes, headers: dict[str, str]) -> None:
        self._hold, self._head = True, None
        try:
            self.request("POST", target, body, headers)  # type: ignore[attr-defined]
        finally:
            self._hold = False
            head, self._head = self._head, None
        if head is not None:
            super().send(head)  # type: ignore[misc]


class _HTTP(_OneWrite, http.client.HTTPConnection):
    pass


class _HTTPS(_OneWrite, http.client.HTTPSConnection):
    pass


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
        If ``url`` is not set or not an http(s) URL with a host, or the environment variable named by
        ``secret_env`` is not set or empty (the message names the variable, never a value).
    """

    name = "webhook"

    def __init__(self, settings: Any, *, workspace_dir: Path | None = None, channel: str = "webhook") -> None:
        self.cfg = cfg = settings.webhook
        self.channel = channel
        if not cfg.url:
            raise ConfigError("[reach.webhook] url is not set")
        try:
            url = urllib.parse.urlsplit(cfg.url)
            host, port = url.hostname, url.port  # .port raises ValueError when it is not a number in 0-65535
        except (TypeError, ValueError):
            url, host, port = None, None, None
        if url is None or url.scheme not in ("http", "https") or not host \
                or any(c <= " " or c == "\x7f" for c in cfg.url):
            raise ConfigError("[reach.webhook] url: not an http:// or https:// URL with a host")
        secret = os.environ.get(cfg.secret_env)
        if not secret:
            raise ConfigError(f"[reach.webhook] secret_env: environment variable {cfg.secret_env} is not set or empty")
        self.url = cfg.url
        self._host, self._port = host, port
        target = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._target = urllib.parse.quote(target, safe=_PRINTABLE_ASCII)  # a non-ASCII path percent-encoded
        self._tls = ssl.create_default_context() if url.scheme == "https" else None
        self._secret = secret.encode("utf-8")
        self._policy = retrying(cfg.retries, cfg.backoff_s)
        self._down = False
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._local = threading.local()  # .conn: the worker thread's connection
        self._conns: list[_HTTP | _HTTPS] = []  # every connection made, for close()
        self._lock = threading.Lock()

    def send(self, batch: list[OutMessage]) -> list[list[Attempt]]:
        """POST every message of ``batch`` (``concurrency`` at a time); each message's attempts, in order."""
        if not batch:
            return []
        self._down = False
        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="siyu-webhook")
        return list(self._pool.map(self._deliver, batch))

    def close(self) -> None:
        """Stop the worker threads and close their keep-alive connections."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            conn.close()

    def _deliver(self, m: OutMessage) -> list[Attempt]:
        if not (m.message_id.isascii() and m.message_id.isprintable()):  # it is a header value
            return [Attempt(m.message_id, "failed", retryable=False, error="message id not usable as a header",
                            at=dt.datetime.now())]
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

    def _connection(self, *, new: bool = False) -> _HTTP | _HTTPS:
        """The calling thread's connection; with ``new``, its old one is closed and replaced (after a failure the
        old object may hold half a request)."""
        conn = getattr(self._local, "conn", None)
        if new and conn is not None:
            conn.close()
            with self._lock:
                self._conns.remove(conn)
            conn = None
        if conn is None:
            if self._tls is not None:
                conn = _HTTPS(self._host, self._port, timeout=self.cfg.timeout_s, context=self._tls)
            else:
                conn = _HTTP(self._host, self._port, timeout=self.cfg.timeout_s)
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def _post(self, message_id: str, body: bytes, headers: dict[str, str]) -> Attempt:
        def failed(error: str, retryable: bool = True) -> Attempt:
            return Attempt(message_id, "failed", retryable=retryable, error=error, at=now)

        now = dt.datetime.now()
        conn = self._connection()
        if conn.sock is not None and _closed_by_peer(conn.sock):
            conn.close()
        while True:
            reused = conn.sock is not None
            if not reused:
                try:
                    conn.connect()
                except OSError as e:  # refused, unreachable, no such host, connect timeout, TLS handshake
                    conn.close()
                    return failed(f"connect: {type(e).__name__}")
            try:
                conn.post(self._target, body, headers)
                r = conn.getresponse()
                r.read()
            except (OSError, http.client.HTTPException) as e:  # timeouts, a dropped connection, a bad answer
                conn = self._connection(new=True)
                if reused and isinstance(e, _STALE):
                    continue  # closed by the receiver while idle: once more on a new connection
                return failed(type(e).__name__)
            break
        if 200 <= r.status < 300:
            return Attempt(message_id, "sent", at=now)
        return failed(f"HTTP {r.status}", r.status >= 500)


def _closed_by_peer(sock: Any) -> bool:
    """Whether an idle keep-alive socket became readable: the receiver closed it (or sent what nobody asked for)."""
    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([sock], [], [], 0)[0])
    p = select.poll()
    p.register(sock, select.POLLIN)
    return bool(p.poll(0))
