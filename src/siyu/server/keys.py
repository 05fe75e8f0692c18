"""API keys: created once and shown once, stored as SHA-256 hashes, scoped to one tenant.

A key reads ``sk_<id>_<secret>``: ``id`` (8 hex digits) names it in lists and logs, ``secret`` is 32 random bytes
(URL-safe base64). Only ``sha256(key)`` is stored, in ``<root>/siyu-keys.json`` (mode 0600, replaced atomically
under a lock), so a leaked file does not leak keys. A random 256-bit secret needs no slow password hash: the hash
only has to be one-way (OWASP API2, broken authentication). Scopes: ``read`` (every read route), ``write``
(ingest, save an audience), ``send`` (send messages, export audiences), ``unmask`` (personal data unmasked in
responses).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from siyu._exceptions import ConfigError, WorkspaceError

__all__ = ["KEYS_FILE", "SCOPES", "ApiKey", "KeyStore"]

KEYS_FILE = "siyu-keys.json"
SCOPES = ("read", "write", "send", "unmask")
_LOCK = threading.Lock()


@dataclass(frozen=True)
class ApiKey:
    """A stored key: never the key itself, only its hash."""

    id: str
    name: str
    tenant: str
    scopes: tuple[str, ...]
    created_at: str
    revoked_at: str | None
    sha256: str

    def public(self) -> dict[str, Any]:
        """What ``siyu keys list`` shows: everything but the hash."""
        return {k: v for k, v in asdict(self).items() if k != "sha256"} | {"scopes": list(self.scopes)}


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_scopes(text: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"read,write"`` -> ``("read", "write")``, refusing unknown scopes."""
    items = [s.strip() for s in (text.split(",") if isinstance(text, str) else text) if s.strip()]
    bad = [s for s in items if s not in SCOPES]
    if bad or not items:
        raise ConfigError(f"scopes {', '.join(bad) or '(none)'}: choose from {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in items)


class KeyStore:
    """The keys of one tenant root (``<root>/siyu-keys.json``)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)
        self.path = self.root / KEYS_FILE
        self._cache: tuple[float, dict[str, ApiKey]] | None = None

    def _load(self) -> dict[str, ApiKey]:
        try:
            mtime = self.path.stat().st_mtime
        except FileNotFoundError:
            return {}
        if self._cache and self._cache[0] == mtime:
            return self._cache[1]
        try:
            rows = json.loads(self.path.read_text(encoding="utf-8"))["keys"]
            keys = {r["id"]: ApiKey(**{**r, "scopes": tuple(r["scopes"])}) for r in rows}
        except (ValueError, KeyError, TypeError) as exc:
            raise WorkspaceError(f"{self.path}: not a siyu key file ({exc})") from None
        self._cache = (mtime, keys)
        return keys

    def _save(self, keys: dict[str, ApiKey]) -> None:
        from siyu.engine.io import atomic_path

        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps({"keys": [asdict(k) for k in keys.values()]}, indent=1), encoding="utf-8")
            os.chmod(tmp, 0o600)
        self._cache = None

    def create(self, tenant: str, scopes: str | list[str], name: str = "") -> tuple[str, ApiKey]:
        """A new key for ``tenant``: ``(key, record)``; the key is returned this once and never stored."""
        scopes_t = parse_scopes(scopes)
        with _LOCK:
            keys = self._load()
            kid = secrets.token_hex(4)
            while kid in keys:
                kid = secrets.token_hex(4)
            key = f"sk_{kid}_{secrets.token_urlsafe(32)}"
            rec = ApiKey(kid, name or f"key-{kid}", tenant, scopes_t,
                         dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), None, _digest(key))
            self._save({**keys, kid: rec})
        return key, rec

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included, oldest first."""
        return sorted(self._load().values(), key=lambda k: (k.created_at, k.id))

    def revoke(self, kid: str) -> ApiKey:
        """Revoke key ``kid`` (it stays listed, marked revoked).

        Raises
        ------
        WorkspaceError
            When there is no such key.
        """
        with _LOCK:
            keys = self._load()
            if kid not in keys:
                raise WorkspaceError(f"no API key {kid!r} in {self.path}")
            rec = keys[kid]
            if rec.revoked_at is None:
                rec = ApiKey(**{**asdict(rec), "revoked_at": dt.datetime.now(dt.UTC).isoformat(
                    timespec="seconds")})
                self._save({**keys, kid: rec})
        return rec

    def verify(self, key: str) -> ApiKey | None:
        """The live record of ``key``, or None (unknown, malformed or revoked); constant-time comparison."""
        parts = key.split("_", 2) if isinstance(key, str) else []
        if len(parts) != 3 or parts[0] != "sk":
            return None
        rec = self._load().get(parts[1])
        if rec is None or rec.revoked_at is not None:
            return None
        return rec if hmac.compare_digest(rec.sha256, _digest(key)) else None
