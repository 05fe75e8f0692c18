"""The snapshot: every result a report, the demo or the console shows, computed once at one date.

:func:`compute_snapshot` walks the capability registry (:mod:`siyu.registry`) and asks each capability
with a ``snapshot`` hook for its part, in registry order (a later part may read an earlier one). The report
(:mod:`siyu.report`) only renders a snapshot: it fits nothing and runs no SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import default_as_of

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["compute_snapshot"]

Progress = Callable[[str, float], None]


def compute_snapshot(ws: Workspace, as_of: dt.date | str | None = None, *,
                     progress: Progress | None = None) -> dict[str, Any]:
    """Every capability's snapshot part at ``as_of`` (default: the last pay date).

    Returns
    -------
    dict
        ``as_of``, ``workspace`` (the directory name) and the parts: ``summary`` (store KPIs and series),
        ``aipl``, ``aipl_flow``, ``fast``, ``pools``, ``pool_flows``, ``grow``, ``gain``, ``diagnosis``,
        ``link``, ``clv_predictions``, ``clv_validation`` (see each capability's ``snapshot_part``).
    """
    from siyu.registry import capabilities, load

    t = default_as_of(ws, as_of)
    snap: dict[str, Any] = {"as_of": t, "workspace": ws.path.name}
    parts = [c for c in capabilities() if c.snapshot]
    for i, cap in enumerate(parts):
        if progress:
            progress(f"snapshot: {cap.name}", i / len(parts))
        snap.update(load(cap.snapshot)(ws, t, snap))
    if progress:
        progress("snapshot: done", 1.0)
    return snap
