"""Tenants: each is a siyu workspace directory under the server's root (an agency serves many stores).

A tenant's name is its directory name. The server opens each tenant's workspace once and keeps it: the engine
serialises its reads and writes (one writer per workspace), and its cached audience profiles survive between
requests.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from siyu._exceptions import WorkspaceError

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["RESERVED", "TENANT_RULE", "Tenants"]

#: a tenant name: a directory name of letters, digits, ``_ . -`` (no path separators, no leading dot)
TENANT_RULE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")
#: names the console's own routes use (``/console/login``): a workspace so named is not served
RESERVED = frozenset({"login", "logout", "static", "health"})


class Tenants:
    """The workspaces under ``root`` (or only those named in ``only``)."""

    def __init__(self, root: str | Path, only: list[str] | None = None) -> None:
        self.root = Path(root).resolve()
        self.only = set(only) if only else None
        self._open: dict[str, Workspace] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Tenant names, sorted: directories under the root holding a workspace file."""
        from siyu.workspace import DB_FILE

        if not self.root.is_dir():
            return []
        out = [p.name for p in self.root.iterdir()
               if p.is_dir() and TENANT_RULE.match(p.name) and p.name not in RESERVED and (p / DB_FILE).is_file()]
        return sorted(n for n in out if self.only is None or n in self.only)

    def get(self, name: str) -> Workspace:
        """The open workspace of tenant ``name``.

        Raises
        ------
        WorkspaceError
            When there is no such tenant (404 over HTTP).
        """
        from siyu.workspace import DB_FILE, Workspace

        if not TENANT_RULE.match(name or "") or name in RESERVED or (self.only is not None and name not in self.only) \
                or not (self.root / name / DB_FILE).is_file():
            raise WorkspaceError(f"no tenant {name!r}")
        with self._lock:
            ws = self._open.get(name)
            if ws is None:
                ws = self._open[name] = Workspace(self.root / name, engine="duckdb")
            return ws

    def close(self) -> None:
        with self._lock:
            for ws in self._open.values():
                ws.close()
            self._open.clear()
