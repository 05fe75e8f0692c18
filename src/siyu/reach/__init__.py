"""Reach (触达): consent, campaigns, one contact budget across every channel, quiet hours and an outbox.

>>> from siyu import reach                                                       # doctest: +SKIP
>>> reach.plan(ws, "spring.toml", at="2024-05-01 10:00")["planned"]               # doctest: +SKIP
>>> reach.send(ws, "spring-recall", at="2024-05-01 10:00")["sent"]                # doctest: +SKIP
>>> reach.funnel(ws, "spring-recall")                                            # doctest: +SKIP

Rules: ``docs/reach.md``.
"""

from siyu.reach.campaign import Campaign, load_campaign, parse_at
from siyu.reach.consent import consent_state, may_send
from siyu.reach.outbox import send
from siyu.reach.plan import REASONS, plan
from siyu.reach.store import funnel, list_campaigns, outbox

__all__ = ["REASONS", "Campaign", "consent_state", "funnel", "list_campaigns", "load_campaign", "may_send", "outbox",
           "parse_at", "plan", "send", "snapshot_part"]


def snapshot_part(ws, as_of, snap):
    """The reach funnel of every planned campaign, for the pipeline snapshot (the report's reach section); empty on
    an engine that stores nothing."""
    if "write" not in ws.engine.capabilities:
        return {"reach": []}
    return {"reach": funnel(ws)}
