"""Console sessions: a random id in an ``HttpOnly; SameSite=Strict`` cookie, mapped in memory to a key and tenant.

The browser never holds the API key: it is checked once at sign-in (:meth:`KeyStore.verify`) and the session keeps
only the key's id, so revoking the key ends its sessions at the next request. Each session has its own CSRF token,
which every POST carries (a hidden form field, or the ``X-CSRF-Token`` header of a ``fetch``). Sessions live in
memory: a restart signs everyone out.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field

__all__ = ["IDLE_SECONDS", "MAX_SECONDS", "MAX_SESSIONS", "Session", "Sessions", "same_token"]

#: a session ends after this long without a request …
IDLE_SECONDS = 8 * 3600
#: … and at the latest this long after sign-in
MAX_SECONDS = 24 * 3600
#: sessions kept at most (memory stays bounded whatever signs in)
MAX_SESSIONS = 10_000


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether ``given`` equals ``expected`` (both non-empty), compared in constant time."""
    return bool(given) and bool(expected) and hmac.compare_digest(str(given).encode(), str(expected).encode())


@dataclass
class Session:
    """One signed-in browser: the key's id and tenant, and the CSRF token of its forms."""

    key_id: str
    tenant: str
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    created: float = field(default_factory=time.time)
    seen: float = field(default_factory=time.time)

    def expired(self, now: float) -> bool:
        return now - self.seen > IDLE_SECONDS or now - self.created > MAX_SECONDS


class Sessions:
    """The console's sessions of one app, in memory."""

    def __init__(self) -> None:
        self._by_id: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, key_id: str, tenant: str) -> tuple[str, Session]:
        """A new session (never a reused id): ``(session id, session)``."""
        sid = secrets.token_urlsafe(32)
        sess = Session(key_id, tenant)
        now = time.time()
        with self._lock:
            for old in [k for k, s in self._by_id.items() if s.expired(now)]:
                del self._by_id[old]
            while len(self._by_id) >= MAX_SESSIONS:  # the oldest sign-in goes first
                del self._by_id[min(self._by_id, key=lambda k: self._by_id[k].created)]
            self._by_id[sid] = sess
        return sid, sess

    def get(self, sid: str | None) -> Session | None:
        """The live session of ``sid`` (its idle clock restarts), or None."""
        if not sid:
            return None
        now = time.time()
        with self._lock:
            sess = self._by_id.get(sid)
            if sess is None:
                return None
            if sess.expired(now):
                del self._by_id[sid]
                return None
            sess.seen = now
            return sess

    def drop(self, sid: str | None) -> None:
        """End session ``sid`` (sign-out, or its key was revoked)."""
        with self._lock:
            self._by_id.pop(sid or "", None)
