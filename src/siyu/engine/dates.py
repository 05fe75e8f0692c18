"""The one date parser: snapshot dates, window ends and CLI date options all go through :func:`as_date`.

A date is ``YYYY-MM-DD`` (ISO 8601); a ``datetime`` is cut to its date. Windows are counted in local calendar
days of the workspace time zone: ``W(N)`` ending on ``T`` holds the N days ``T − N + 1 … T``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from siyu._exceptions import ConfigError, InsufficientDataError

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["as_date", "default_as_of", "window_start"]


def as_date(value: dt.date | str | None, *, name: str = "date") -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` date; None stays None, a datetime becomes its date.

    Raises
    ------
    ConfigError
        Naming ``name`` and the value when it is not a date.
    """
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if hasattr(value, "to_pydatetime"):  # pandas / numpy timestamps
        return value.to_pydatetime().date()
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).date()  # a timestamp: its date
    except ValueError:
        raise ConfigError(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def default_as_of(ws: Workspace, as_of: dt.date | str | None) -> dt.date:
    """``as_of`` parsed, or the last pay date in the workspace (the default snapshot date)."""
    d = as_date(as_of, name="as_of") or ws.last_date()
    if d is None:
        raise InsufficientDataError("no orders in the workspace and no --as-of given: load orders first "
                                    "(siyu ingest orders FILE)")
    return d


def window_start(end: dt.date, days: int) -> dt.date:
    """First day of ``W(days)`` ending on ``end`` (the window holds ``days`` calendar days)."""
    return end - dt.timedelta(days=days - 1)
