"""Personal data: masking for display, deterministic encryption at rest.

Phone numbers and email addresses are stored as a masked display form (``138****1234``, ``a***@example.com``) and an
AES-SIV ciphertext (RFC 5297, deterministic authenticated encryption, so that
loading the same file twice stores the same bytes). The key lives in the
workspace file ``siyu.key`` (mode 0600) or in ``SIYU_SECRET_KEY`` (base64).
Personal data is never logged or printed unmasked.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

__all__ = ["decrypt", "encrypt_many", "load_or_create_key", "mask", "mask_email", "mask_email_sql", "mask_phone",
           "mask_phone_sql", "mask_sql"]

_AD = [b"siyu:pii:v1"]


def mask_phone(phone: str | None) -> str | None:
    """Mask a phone number for display: keep the first 3 and last 4 characters."""
    if phone is None:
        return None
    p = str(phone)
    if len(p) < 8:
        return "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]


def mask_phone_sql(expr: str) -> str:
    """SQL twin of :func:`mask_phone`."""
    return (f"CASE WHEN {expr} IS NULL THEN NULL WHEN length({expr}) < 8 THEN repeat('*', length({expr})) "
            f"ELSE left({expr}, 3) || repeat('*', length({expr}) - 7) || right({expr}, 4) END")


def mask_email(email: str | None) -> str | None:
    """Mask an email address for display: the first character of the local part, then ``***@`` and the domain.

    A value without ``@`` is masked entirely (it is shown as many ``*`` as it has characters)."""
    if email is None:
        return None
    e = str(email)
    local, at, domain = e.rpartition("@")
    if not at or not local:
        return "*" * len(e)
    return local[0] + "***@" + domain


def mask_email_sql(expr: str) -> str:
    """SQL twin of :func:`mask_email`."""
    return (f"CASE WHEN {expr} IS NULL THEN NULL WHEN strpos({expr}, '@') <= 1 THEN repeat('*', length({expr})) "
            f"ELSE left({expr}, 1) || '***@' || regexp_extract({expr}, '@([^@]*)$', 1) END")


#: how each kind of personal data is masked: (Python, SQL)
_MASKS = {"phone": (mask_phone, mask_phone_sql), "email": (mask_email, mask_email_sql)}


def mask(kind: str, value: str | None) -> str | None:
    """Mask ``value`` as personal data of ``kind`` (``phone`` or ``email``, a column's ``mask``)."""
    return _MASKS[kind][0](value)


def mask_sql(kind: str, expr: str) -> str:
    """SQL twin of :func:`mask`."""
    return _MASKS[kind][1](expr)


def load_or_create_key(workspace_dir: Path, *, create: bool = False) -> bytes:
    """The workspace's 64-byte AES-SIV key (env ``SIYU_SECRET_KEY`` wins over ``siyu.key``)."""
    env = os.environ.get("SIYU_SECRET_KEY")
    if env:
        return base64.b64decode(env)
    path = workspace_dir / "siyu.key"
    if path.exists():
        return base64.b64decode(path.read_bytes())
    if not create:
        from siyu._exceptions import WorkspaceError

        raise WorkspaceError(f"{path} is missing: personal data cannot be protected without the workspace key")
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    key = AESSIV.generate_key(512)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(base64.b64encode(key))
    return key


def encrypt_many(key: bytes, values: list[str]) -> list[bytes]:
    """Encrypt each value (deterministic AES-SIV)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    siv = AESSIV(key)
    return [siv.encrypt(v.encode("utf-8"), _AD) for v in values]


def decrypt(key: bytes, token: bytes) -> str:
    """Decrypt one value encrypted by :func:`encrypt_many`."""
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    return AESSIV(key).decrypt(token, _AD).decode("utf-8")
