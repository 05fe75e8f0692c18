"""The audience fields loyalty adds to the field registry (:mod:`siyu.audiences.fields`): ``tier`` and
``points_balance``.

``tier`` is the program's tier at T once ``siyu loyalty run`` has stored a tier history (model
``loyalty_tier_at``), and the tier as loaded in ``memberships`` before that (model ``membership_tier_at``), so an
audience such as ``tier = 金卡`` follows the merchant's own program as soon as there is one. ``points_balance`` is
the spendable balance at T (model ``loyalty_points_at``; users without ledger entries have none, and so match no
comparison). Rules: ``docs/loyalty.md`` §Audiences.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.engine.sql import load_model

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["points_source", "tier_source"]

_NONE = "SELECT CAST(NULL AS VARCHAR) AS user_id, CAST(NULL AS DOUBLE) AS points_balance WHERE false"


def _stored(ws: Workspace) -> bool:
    from siyu.loyalty.store import have_tables

    return "write" in ws.engine.capabilities and have_tables(ws)


def tier_source(ws: Workspace, as_of: dt.date) -> tuple[str, dict[str, Any]]:
    """The query behind the ``tier`` field at ``as_of`` (see the module docstring)."""
    from siyu.loyalty.store import stored_program

    name = "loyalty_tier_at" if _stored(ws) and stored_program(ws) is not None else "membership_tier_at"
    return load_model(name).sql, {"as_of": as_of}


def points_source(ws: Workspace, as_of: dt.date) -> tuple[str, dict[str, Any]]:
    """The query behind the ``points_balance`` field at ``as_of`` (no rows before any points are posted)."""
    if not _stored(ws):
        return _NONE, {}
    return load_model("loyalty_points_at").sql, {"as_of": as_of}
