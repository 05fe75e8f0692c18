"""Running the customer-asset SQL models: parameter binding from the configuration and snapshots."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from siyu._db import arrow, run
from siyu._exceptions import ConfigError, InsufficientDataError
from siyu._sql import load_model

if TYPE_CHECKING:
    import pyarrow as pa

    from siyu.workspace import Workspace

__all__ = ["as_date", "bind", "default_as_of", "model_arrow", "per_user", "snapshot"]


def as_date(value: dt.date | str | None, *, name: str = "date") -> dt.date | None:
    """Parse a ``YYYY-MM-DD`` date (None stays None)."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ConfigError(f"{name}: not a date (YYYY-MM-DD): {value!r}") from None


def default_as_of(ws: Workspace, as_of: dt.date | str | None) -> dt.date:
    """``as_of`` parsed, or the last pay date in the workspace."""
    d = as_date(as_of, name="as_of") or ws.last_date()
    if d is None:
        raise InsufficientDataError("no orders in the workspace and no --as-of given: load orders first")
    return d


def bind(ws: Workspace, name: str, **given: Any) -> dict[str, Any]:
    """Parameters of SQL model ``name``: explicit values first, then same-named settings of ``[model]``."""
    m = ws.config.model
    params: dict[str, Any] = {}
    for p in load_model(name).params:
        if p in given:
            params[p] = given[p]
        elif p == "event_days":
            params[p] = max(365, m.l_days, m.a_days, m.i_days, m.fan_silent_days, m.member_silent_days,
                            m.member_active_days)
        elif p == "short_days":
            params[p] = max(m.a_days, m.i_days, m.member_active_days)
        elif hasattr(m, p):
            v = getattr(m, p)
            params[p] = list(v) if isinstance(v, tuple) else v
        else:
            raise ConfigError(f"model {name} needs parameter {p!r}")
    return params


@contextlib.contextmanager
def snapshot(ws: Workspace, as_of: dt.date) -> Iterator[Any]:
    """Hold the workspace and materialise ``_features`` (user_features at ``as_of``) for the models on top."""
    with ws.session() as conn:
        run(conn, "CREATE OR REPLACE TEMP TABLE _features AS " + load_model("user_features").sql,
            bind(ws, "user_features", as_of=as_of))
        try:
            yield conn
        finally:
            run(conn, "DROP TABLE IF EXISTS _features")


def model_arrow(ws: Workspace, conn: Any, name: str, **given: Any) -> pa.Table:
    """Run model ``name`` on ``conn`` with bound parameters; a :class:`pyarrow.Table`."""
    return arrow(conn, load_model(name).sql, bind(ws, name, **given))


def per_user(ws: "Workspace", name: str, as_of: dt.date | str | None, **given: Any) -> "pa.Table":
    """Model ``name`` on the features snapshot at ``as_of`` (default: the last pay date)."""
    t = default_as_of(ws, as_of)
    with snapshot(ws, t) as conn:
        return model_arrow(ws, conn, name, **{"as_of": t, **given})
