"""Data coverage: which dates each log (orders, events, reach_log) covers, and whether look-back windows fit in it.

A log covers the local dates from its first row to its last. A value computed at ``T`` reads look-back windows of
some logs; a comparison between two snapshots is meaningful only when every window of both starts on or after
the first date of its log and no later than its last (``docs/customer-assets.md`` "Comparable periods"). FAST's
changes (:mod:`siyu.assets.fast`) and GAIN's trend (:mod:`siyu.health.gain.scoring`) use these helpers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["COVERAGE_SOURCES", "Windows", "data_coverage", "merge_windows", "uncovered", "windows"]

#: the logs whose first and last local dates bound what a look-back window can see (table -> time column); the
#: state tables (users, products, follows, memberships) date their own spells and need no coverage
COVERAGE_SOURCES = {"orders": "paid_at", "events": "ts", "reach_log": "ts"}

#: log -> (first day of the longest window read from it, first day of the shortest)
Windows = dict[str, tuple[dt.date, dt.date]]


def data_coverage(ws: Workspace) -> dict[str, dict[str, dt.date | None]]:
    """First and last local date of every log of :data:`COVERAGE_SOURCES`: ``{"events": {"from", "to"}, …}``.

    Both are None for an empty log.
    """
    rows = {r["source"]: r for r in ws.model("data_coverage").to_pylist()}
    return {s: {"from": rows[s]["lo"], "to": rows[s]["hi"]} for s in COVERAGE_SOURCES}


def windows(t: dt.date, **days: Iterable[int]) -> Windows:
    """The look-back windows ``W(N)`` ending on ``t`` read from each log: ``windows(t, orders=[913, 365])``."""
    out: Windows = {}
    for source, ns in days.items():
        ns = list(ns)
        if ns:
            out[source] = (t - dt.timedelta(days=max(ns) - 1), t - dt.timedelta(days=min(ns) - 1))
    return out


def merge_windows(*parts: Windows) -> Windows:
    """The windows of several values read together (per log: the earliest and the latest window start)."""
    out: Windows = {}
    for part in parts:
        for source, (lo, hi) in part.items():
            a, b = out.get(source, (lo, hi))
            out[source] = (min(a, lo), max(b, hi))
    return out


def uncovered(coverage: dict[str, dict[str, dt.date | None]], needs: Windows) -> str | None:
    """Why the logs do not cover the windows ``needs`` (None when they do).

    A window must start on or after the first date of its log (before it, no data is not no activity) and no
    later than the log's last date (a window after the end of a log holds no row at all: a quiet period cannot
    be told from a log that ends).
    """
    reasons = []
    for source, (lo, hi) in sorted(needs.items()):
        c = coverage.get(source) or {"from": None, "to": None}
        if c["from"] is None:
            reasons.append(f"no {source} loaded")
        elif lo < c["from"]:
            reasons.append(f"no {source} before {c['from']} (needed from {lo})")
        elif hi > c["to"]:
            reasons.append(f"no {source} after {c['to']} (needed on or after {hi})")
    return "; ".join(reasons) or None
