"""Consent (PIPL): the state of a user's consent per channel and purpose at a moment.

Rules (docs/reach.md §Consent): the state of (user, channel, purpose) at time t is the latest ``consents`` record
at or before t for that channel or for ``all`` — the later of the two wins, and at the same moment a withdrawal wins
(the more restrictive). No record means no consent. A marketing message on channel c needs marketing = granted
(Art. 13); a personalised one also personalisation = granted (Art. 24); a channel that hands data to another handler
(``[reach] third_party_channels``) also third_party = granted (Art. 23).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from siyu.reach.campaign import parse_at
from siyu.reach.store import now_local

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["consent_state", "may_send"]


def consent_state(ws: Workspace, user_id: str, at: dt.datetime | str | None = None) -> list[dict[str, Any]]:
    """Every (channel, purpose) of ``user_id`` at ``at`` (default: now): ``status`` (granted, withdrawn or none),
    ``since`` and the evidence of the deciding record (``record_channel``, ``source``, ``text_version``)."""
    t = parse_at(at) or now_local(ws)
    return ws.model("reach_consent_user", user_id=user_id, at=t).to_pylist()


def may_send(ws: Workspace, user_id: str, channel: str, *, personalised: bool, at: dt.datetime | str | None = None
             ) -> bool:
    """Whether a marketing message (``personalised`` or not) may go to ``user_id`` on ``channel`` at ``at``."""
    state = {(r["channel"], r["purpose"]): r["status"] for r in consent_state(ws, user_id, at)}
    ok = state[(channel, "marketing")] == "granted"
    if personalised:
        ok = ok and state[(channel, "personalisation")] == "granted"
    if channel in ws.config.reach.third_party_channels:
        ok = ok and state[(channel, "third_party")] == "granted"
    return ok
