"""The export adapter: audience packages (人群包) for a platform tool (智能短信, 群聊, push, 客服).

Platform channels cannot be reached from outside the platform: the merchant uploads a list of user ids to the
platform's own tool, which sends. :class:`ExportChannel` writes that list. A batch is grouped by
``(campaign_id, variant)``; each group becomes one package under the workspace::

    <export_dir>/<campaign>/<channel>-<variant>-<YYYYmmddTHHMMSS>-<hash8>.txt            one user id a line
    <export_dir>/<campaign>/<channel>-<variant>-<YYYYmmddTHHMMSS>-<hash8>.manifest.json  what the package is

``hash8`` is the first 8 hex digits of the SHA-256 of the group's message ids (sorted, joined by ``\\n``), so
two packages of one second never collide and the same messages always give the same name. The manifest holds
``campaign``, ``channel``, ``variant``, ``content_id``, ``count``, ``created_at``, ``file`` (the package's file
name), ``sha256`` (of the package's bytes) and ``message_ids``; it is written after the package, so a manifest
always describes a complete package. Both are written atomically (temporary file, fsync, rename).

Every message of a written package gets one ``exported`` attempt. A group whose files cannot be written (a full
disk, a read-only directory) gets a retryable ``failed`` attempt per message naming the exception class; a user id
with a line break (it would split into two lines of the package) is ``failed``, not retryable.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from siyu._exceptions import ConfigError
from siyu.engine.io import atomic_path
from siyu.reach.channels.base import Attempt, OutMessage

__all__ = ["ExportChannel", "safe_name"]

_KEEP = "_.-"
_MAX_NAME = 80


def safe_name(text: str) -> str:
    """``text`` as one safe path component: letters of any script, digits and ``_.-`` kept, anything else ``_``.

    A name that had to change (or be shortened to 80 characters) gets ``-`` and 8 hex digits of the SHA-256 of
    ``text`` appended, so two ids never share a directory; a leading dot becomes ``_`` (no hidden files, no
    ``.``/``..``); the empty text is ``_``.
    """
    out = "".join(c if c.isalnum() or c in _KEEP else "_" for c in text)
    if out.startswith("."):
        out = "_" + out[1:]
    if out != text or len(out) > _MAX_NAME:
        out = f"{out[:_MAX_NAME]}-{hashlib.sha256(text.encode('utf-8')).hexdigest()[:8]}"
    return out or "_"


class ExportChannel:
    """Writes each ``(campaign, variant)`` group of a batch as an audience package (see the module docstring).

    Parameters
    ----------
    settings : siyu.config.ReachSettings
        Reads ``export_dir`` (relative to the workspace).
    workspace_dir : pathlib.Path
        The workspace directory.
    channel : str
        The reach channel served (``sms``, ``group_chat``, ...); the first part of each package name.
    """

    name = "export"

    def __init__(self, settings: Any, *, workspace_dir: Path, channel: str) -> None:
        self.root = Path(workspace_dir) / settings.export_dir
        self.channel = channel

    def send(self, batch: list[OutMessage]) -> list[list[Attempt]]:
        """Write one package per ``(campaign_id, variant)`` of ``batch``; one attempt per message, in order."""
        now = dt.datetime.now().replace(microsecond=0)
        groups: dict[tuple[str, str], list[int]] = {}
        out: list[list[Attempt]] = [[] for _ in batch]
        for i, m in enumerate(batch):
            if "\n" in m.user_id or "\r" in m.user_id:
                out[i] = [Attempt(m.message_id, "failed", retryable=False, error="user id has a line break",
                                  at=now)]
                continue
            groups.setdefault((m.campaign_id, m.variant), []).append(i)
        for (campaign, variant), idx in groups.items():
            msgs = [batch[i] for i in idx]
            try:
                self._write_package(campaign, variant, msgs, now)
                attempt = {"status": "exported"}
            except OSError as e:
                attempt = {"status": "failed", "retryable": True, "error": f"export failed: {type(e).__name__}"}
            for i in idx:
                out[i] = [Attempt(batch[i].message_id, at=now, **attempt)]
        return out

    def close(self) -> None:
        """Nothing to release."""

    def package_dir(self, campaign_id: str) -> Path:
        """The directory of ``campaign_id``'s packages (always inside the export directory).

        Raises
        ------
        ConfigError
            If the directory would lie outside the export directory (cannot happen with :func:`safe_name`; the
            check guards against a symlink planted in the export directory).
        """
        root = self.root.resolve()
        where = root / safe_name(campaign_id)
        if where.resolve().parent != root:
            raise ConfigError(f"[reach] export_dir: the package directory of a campaign escapes {root}")
        return where

    def _write_package(self, campaign: str, variant: str, msgs: list[OutMessage], now: dt.datetime) -> None:
        ids = [m.message_id for m in msgs]
        digest = hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()[:8]
        stem = f"{safe_name(self.channel)}-{safe_name(variant)}-{now:%Y%m%dT%H%M%S}-{digest}"
        where = self.package_dir(campaign)
        data = "".join(f"{u}\n" for u in sorted({m.user_id for m in msgs})).encode("utf-8")
        package = where / f"{stem}.txt"
        manifest = {"campaign": campaign, "channel": self.channel, "variant": variant,
                    "content_id": msgs[0].content_id, "count": data.count(b"\n"),
                    "created_at": now.isoformat(sep=" "), "file": package.name,
                    "sha256": hashlib.sha256(data).hexdigest(), "message_ids": ids}
        _write_atomic(package, data)
        try:
            _write_atomic(where / f"{stem}.manifest.json",
                          json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
        except OSError:
            package.unlink(missing_ok=True)
            raise


def _write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``: a temporary file beside it, flushed to disk, renamed over it."""
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    try:  # the rename itself reaches the disk with the directory (POSIX; not possible on Windows)
        fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
