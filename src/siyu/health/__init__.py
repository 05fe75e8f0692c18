"""Customer-value health: GAIN (4 dimensions, 12 indicators, trend, diagnosis) and the LINK+ funnel.

:mod:`siyu.health.gain` scores the CLTV health model; :mod:`siyu.health.linkplus` measures
Lead → Interlock → Engage → Keep for relationship users against the whole store. Rules: ``docs/gain.md``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["snapshot_part"]


def snapshot_part(ws: Workspace, as_of: dt.date, snap: dict[str, Any]) -> dict[str, Any]:
    """GAIN with its diagnosis and LINK+ at ``as_of``, for the pipeline snapshot."""
    from siyu.health.gain import diagnose, gain
    from siyu.health.linkplus import link_plus

    g = gain(ws, as_of)
    return {"gain": g, "diagnosis": diagnose(ws, g), "link": link_plus(ws, as_of)}
