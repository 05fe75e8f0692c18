"""The timing rules of reach, as pure functions: quiet hours and the one contact budget.

Both the planner and the outbox use these (docs/reach.md §Quiet hours, §One contact budget):

- **Quiet hours** ``[quiet_start, quiet_end)`` in local time; an overnight span (21:00–09:00) wraps midnight; equal
  ends mean no quiet hours. A moment inside is moved to the next ``quiet_end``.
- **Budget**: at most ``max_messages`` counted messages per user in any interval of ``window`` (7 × 24 h by
  default) — half-open ``[x, x + window)`` — and at most ``cap`` on the chosen channel when a cap is set. A new
  message at ``s`` fits when, with it added, no such interval holds more than allowed.
- **Queue**: the earliest moment at or after ``s`` outside quiet hours where the message fits, no later than the send
  window's end; a candidate is only ever a moment when an earlier message leaves the window (``t + window``), so the
  search is finite.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence

__all__ = ["Quiet", "earliest_slot", "fits", "keyed_fraction_sql"]


class Quiet:
    """Quiet hours from ``"HH:MM"`` strings (``[reach] quiet_start``, ``quiet_end``)."""

    def __init__(self, start: str, end: str) -> None:
        self.start = dt.time.fromisoformat(start)
        self.end = dt.time.fromisoformat(end)

    def inside(self, t: dt.datetime) -> bool:
        """Whether local moment ``t`` falls in quiet hours."""
        c = t.time()
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= c < self.end
        return c >= self.start or c < self.end

    def shift(self, t: dt.datetime) -> dt.datetime:
        """``t`` itself outside quiet hours, else the next moment quiet hours end."""
        if not self.inside(t):
            return t
        end_today = dt.datetime.combine(t.date(), self.end)
        return end_today if t < end_today else end_today + dt.timedelta(days=1)


def fits(times: Sequence[dt.datetime], s: dt.datetime, window: dt.timedelta, limit: int) -> bool:
    """Whether a message at ``s`` keeps every interval ``[x, x + window)`` at ``limit`` messages or fewer.

    ``times`` are the user's other counted messages, sorted. With ``s`` inserted at position ``i`` of the merged
    list ``m``, an interval holding ``limit + 1`` messages including ``s`` exists exactly when some ``limit + 1``
    consecutive elements ``m[j] .. m[j + limit]`` with ``j <= i <= j + limit`` span less than ``window``.
    """
    if limit <= 0:
        return False
    m = list(times)
    i = bisect.bisect_right(m, s)
    m.insert(i, s)
    for j in range(max(0, i - limit), min(i, len(m) - 1 - limit) + 1):
        if m[j + limit] - m[j] < window:
            return False
    return True


def earliest_slot(times: Sequence[dt.datetime], s: dt.datetime, until: dt.datetime, window: dt.timedelta,
                  limit: int, quiet: Quiet, channel_times: Sequence[dt.datetime] = (),
                  cap: int | None = None) -> dt.datetime | None:
    """The earliest moment ``>= s`` outside quiet hours, ``<= until``, where a message fits the budget (and the
    channel's cap over ``channel_times``); None when there is none."""
    cands = sorted({t + window for t in times} | {t + window for t in channel_times})
    k = 0
    cur = quiet.shift(s)
    while cur <= until:
        if fits(times, cur, window, limit) and (cap is None or fits(channel_times, cur, window, cap)):
            return cur
        while k < len(cands) and cands[k] <= cur:
            k += 1
        if k == len(cands):
            return None
        cur = quiet.shift(cands[k])
    return None


def keyed_fraction_sql(salt_param: str, *parts: str) -> str:
    """SQL for a stable fraction in [0, 1) from SHA-256 of a secret salt and ``parts`` (used for the global control
    group and campaign holdouts: the same user gets the same fraction in every run; without the salt — derived
    from the workspace key — nobody can predict who is held out)."""
    joined = " || chr(31) || ".join((salt_param, *parts))
    return f"(CAST(('0x' || left(sha256({joined}), 15)) AS UBIGINT) / 1152921504606846976.0)"
