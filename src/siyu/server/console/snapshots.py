"""The console's snapshot cache: one :func:`~siyu.pipeline.snapshot.compute_snapshot` per tenant and date.

A snapshot is computed on the first page that needs it and kept while the tenant's data do not change: the cache
key holds the workspace engine's ``generation``, which every write (an ingest, a saved audience, stored
predictions) bumps. The report's sections render from it (:func:`siyu.report.page.load_sections`), so the
console draws exactly the report's charts and tables; a section's HTML is rendered once per snapshot.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["Entry", "Snapshots"]


@dataclass
class Entry:
    """A computed snapshot and the report sections rendered from it so far."""

    snap: dict[str, Any]
    sections: dict[str, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def section(self, name: str) -> Any:
        """The report section ``name`` (a :class:`~siyu.report.page.Section`, or None when it has nothing to
        show), rendered once."""
        from siyu.report.page import load_sections

        with self.lock:
            if name not in self.sections:
                builders = load_sections()
                self.sections[name] = builders[name][1](self.snap) if name in builders else None
            return self.sections[name]


class Snapshots:
    """Snapshots by ``(tenant, as_of, generation)``, the ``keep`` most recently used.

    Parameters
    ----------
    keep : int
        How many snapshots to keep in memory (a snapshot of a large store holds the CLV predictions' columns).
    """

    def __init__(self, keep: int = 8) -> None:
        self.keep = keep
        self._entries: OrderedDict[tuple[str, dt.date, int], Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}

    def get(self, tenant: str, ws: Workspace, as_of: str | dt.date | None = None) -> Entry:
        """The snapshot of ``tenant`` at ``as_of`` (default: the last pay date), computed when not cached.

        Raises
        ------
        ConfigError
            When ``as_of`` is not a date.
        """
        from siyu.engine.dates import default_as_of
        from siyu.pipeline.snapshot import compute_snapshot

        t = default_as_of(ws, as_of)
        with self._lock:
            gate = self._computing.setdefault(tenant, threading.Lock())
        with gate:  # one computation per tenant at a time: a second page waits for the first's result
            key = (tenant, t, ws.engine.generation)
            with self._lock:
                entry = self._entries.get(key)
                if entry is not None:
                    self._entries.move_to_end(key)
                    return entry
            entry = Entry(compute_snapshot(ws, t))
            with self._lock:
                self._entries[key] = entry
                for old in [k for k in self._entries if k[0] == tenant and k[1] == t and k[2] != key[2]]:
                    del self._entries[old]  # an older generation of the same date is stale
                while len(self._entries) > self.keep:
                    self._entries.popitem(last=False)
            return entry
