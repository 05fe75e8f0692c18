"""What the read surfaces of loyalty show (the report's section, the API and the console page), from what the last
``siyu loyalty run`` stored: the tier distribution at a date, the tier changes by month and the points liability.

Nothing here computes tiers: a member's tier on day ``d`` is the ``to_tier`` of their last stored tier change dated
``≤ d`` (on one day: left, then review, then upgrade, the order the tier engine records them), and a member on day
``d`` has a membership row with ``joined_at::DATE ≤ d`` and (``left_at`` empty or ``left_at::DATE > d``). Reads
never create the loyalty tables: before any run (or on an engine that stores nothing) there is nothing to show.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.loyalty.points import EXPIRING_DAYS

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pyarrow as pa

    from siyu.loyalty.program import Program
    from siyu.workspace import Workspace

__all__ = ["EXPIRING_DAYS", "MONTHS", "REASON_ORDER", "loyalty_snapshot", "members_at", "stored", "tier_names"]

#: the tier changes are counted by month over this many calendar months ending with the date's month
MONTHS = 12
#: the reasons of a tier change, in the order the report and the API list them
REASON_ORDER: tuple[str, ...] = ("upgrade", "review", "left")


def stored(ws: Workspace) -> tuple[Program, dt.date] | None:
    """The stored program and the as-of date of the last run, or None (before any run, or on an engine without
    ``write``, which stores nothing)."""
    from siyu.loyalty.store import stored_program

    if "write" not in ws.engine.capabilities:
        return None
    return stored_program(ws)


def _require(ws: Workspace) -> tuple[Program, dt.date]:
    from siyu._exceptions import WorkspaceError

    found = stored(ws)
    if found is None:
        raise WorkspaceError("no tier history yet: run siyu loyalty run --program FILE first")
    return found


def tier_names(program: Program, seen: Iterable[str | None] = ()) -> list[str]:
    """The program's tier names from the lowest up, then any other tier name in ``seen`` (a stored change of a tier
    the program no longer has), sorted."""
    names = list(program.tier_names)
    return names + sorted({s for s in seen if s and s not in names})


def _month_starts(as_of: dt.date, n: int = MONTHS) -> list[dt.date]:
    """The first days of the ``n`` calendar months ending with the month of ``as_of``, oldest first (fewer in the
    first year of the calendar)."""
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        out.append(dt.date(y, m, 1))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
        if y < dt.MINYEAR:
            break
    return out[::-1]


def loyalty_snapshot(ws: Workspace, as_of: dt.date | str | None = None) -> dict[str, Any]:
    """The loyalty program's state at ``as_of`` (default: the as-of date of the last run), JSON-ready.

    Definitions (all from what the last ``siyu loyalty run`` stored):

    * **members** and **by_tier**: the members at ``as_of`` and how many hold each tier (``""``: no tier), the tiers
      from the lowest up; a member's tier is the ``to_tier`` of their last stored tier change dated ``≤ as_of``.
    * **changes_by_month**: for each of the 12 calendar months ending with the month of ``as_of`` (the last one up
      to ``as_of``), the stored tier changes by reason: ``upgrade``, ``review`` (a downgrade at a review) and
      ``left`` (the tier ended with the membership); **changes** sums them over the 12 months.
    * **points**: the points liability at ``as_of``, as :func:`siyu.loyalty.points.liability` computes it
      (docs/loyalty-points.md §Liability): a user's balance is the sum of their ledger entries dated ``≤ as_of``
      (plus the expiries due by then that no run has posted yet); ``outstanding`` sums the positive balances and
      ``users_with_balance`` counts them; ``expiring`` is what the lots expiring in the 90 days after ``as_of``
      (``as_of < expires_on ≤ expiring_by``) still hold at ``as_of`` (first-expiring-first after redemptions), and
      ``users_expiring`` counts the users with some. ``by_kind`` sums the entries dated ``≤ as_of`` by kind. An
      empty ledger gives zeros.

    ``history_to`` is the last run's as-of date: the stored tier history ends there, so at a later ``as_of``
    (``stale``) members who joined since count without a tier until the next run.

    Returns
    -------
    dict
        ``{"program": None}`` before any run or on an engine that stores nothing; else ``program``, ``digest``,
        ``as_of``, ``history_to``, ``stale``, ``tiers``, ``members``, ``by_tier``, ``months``,
        ``changes_by_month`` (rows ``month, upgrade, review, left``), ``changes`` and ``points`` (``outstanding``,
        ``users_with_balance``, ``expiring``, ``users_expiring``, ``expiring_days``, ``expiring_by``, ``by_kind``).

    Raises
    ------
    ConfigError
        When ``as_of`` is not a date (or is within 90 days of 9999-12-31).
    """
    from siyu._exceptions import ConfigError
    from siyu.engine.dates import as_date

    t = as_date(as_of, name="as_of")  # a bad date is refused even before any run
    if t is not None and t > dt.date.max - dt.timedelta(days=EXPIRING_DAYS):
        raise ConfigError(f"as_of: {t} is too late (the liability looks {EXPIRING_DAYS} days ahead)")
    found = stored(ws)
    if found is None:
        return {"program": None}
    program, history_to = found
    t = t or history_to

    tiers = ws.model("loyalty_report_tiers", as_of=t).to_pylist()
    names = tier_names(program, [r["tier"] for r in tiers])
    by_tier = {"": 0, **{n: 0 for n in names}}
    for r in tiers:
        by_tier[r["tier"] or ""] = int(r["members"])

    months = _month_starts(t)
    counts = {(r["month"], r["reason"]): int(r["changes"]) for r in
              ws.model("loyalty_report_changes", date_from=months[0], date_to=t).to_pylist()}
    by_month = [{"month": f"{m.year:04d}-{m.month:02d}", **{k: counts.get((m, k), 0) for k in REASON_ORDER}}
                for m in months]

    return {
        "program": program.name, "digest": program.digest(), "as_of": t.isoformat(),
        "history_to": history_to.isoformat(), "stale": t > history_to, "tiers": names,
        "members": sum(by_tier.values()), "by_tier": by_tier, "months": [r["month"] for r in by_month],
        "changes_by_month": by_month, "changes": {k: sum(r[k] for r in by_month) for k in REASON_ORDER},
        "points": _liability(ws, t),
    }


def _liability(ws: Workspace, as_of: dt.date) -> dict[str, Any]:
    """The points liability at ``as_of`` (see :func:`loyalty_snapshot`)."""
    from siyu.loyalty import points

    due = points.liability(ws, as_of, EXPIRING_DAYS)
    kinds = ws.model("loyalty_report_points_kinds", as_of=as_of).to_pylist()
    return {"outstanding": int(due["points"]), "users_with_balance": int(due["users"]),
            "expiring": int(due["expiring"]), "users_expiring": int(due["users_expiring"]),
            "expiring_days": EXPIRING_DAYS, "expiring_by": (as_of + dt.timedelta(days=EXPIRING_DAYS)).isoformat(),
            "by_kind": {r["kind"]: {"entries": int(r["entries"]), "users": int(r["users"]), "points": int(r["points"])}
                        for r in kinds}}


def members_at(ws: Workspace, as_of: dt.date | str | None = None, tier: str | None = None
               ) -> tuple[dict[str, Any], pa.Table]:
    """The members at ``as_of`` (default: the last run's as-of date) with their tier from the stored tier changes,
    by user: ``user_id, tier, since`` (``tier`` NULL without one; ``since`` the date of the change that gave it).

    ``tier`` keeps the members of one tier (``""``: those without a tier).

    Returns
    -------
    (dict, pyarrow.Table)
        ``program``, ``as_of``, ``history_to`` and ``tier``; and the members.

    Raises
    ------
    WorkspaceError
        Before any ``siyu loyalty run``.
    ConfigError
        When ``as_of`` is not a date, or ``tier`` is not a tier of the stored program.
    """
    from siyu._exceptions import ConfigError
    from siyu.engine.dates import as_date

    t = as_date(as_of, name="as_of")
    program, history_to = _require(ws)
    t = t or history_to
    if tier is not None and tier != "" and tier not in program.tier_names:
        raise ConfigError(f"tier: {tier!r} is not a tier of program {program.name!r} "
                          f"({', '.join(program.tier_names)}; \"\" for members without a tier)")
    table = ws.model("loyalty_report_members", as_of=t, tier=tier)
    return {"program": program.name, "as_of": t, "history_to": history_to, "tier": tier}, table
