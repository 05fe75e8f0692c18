"""Traffic sources: the channel list, channel mixes by context and the touchpoints before a visit.

Channel names are those the data contract recognises (docs/data.md §Channels): on-site free, on-site paid, off-site online (小红书 = xhs),
off-site offline and private-domain reach (the last only for visits and orders after a message).
"""

from __future__ import annotations

import numpy as np

__all__ = ["CHANNELS", "ENTRY", "ENTRY_P", "KEYWORD_MIX", "MIX", "PRE_SEARCH", "channel_code", "draw_channel",
           "draw_keyword"]

CHANNELS = (
    "search", "recommend", "live", "short_video", "direct",
    "ads_search", "ads_feed", "ads_live", "quanzhantui",
    "xhs", "douyin", "weibo", "zhihu", "wechat", "bilibili",
    "offline_store", "offline_event",
    "sms", "group_chat", "push", "customer_service",
)
_PUBLIC = 17  # the first 17 channels are not private reach

#: Channel mixes over the first 17 channels, by context.
MIX: dict[str, tuple[float, ...]] = {
    # first purchase: search and paid / off-site seeding acquire new buyers
    "acquire": (0.26, 0.12, 0.09, 0.05, 0.02, 0.08, 0.06, 0.03, 0.08,
                0.08, 0.05, 0.015, 0.01, 0.01, 0.01, 0.01, 0.005),
    # repeat purchase: direct entry (followed store, favourites, cart) grows
    "repeat": (0.28, 0.10, 0.08, 0.03, 0.20, 0.05, 0.04, 0.02, 0.05,
               0.04, 0.03, 0.01, 0.005, 0.015, 0.005, 0.01, 0.005),
    # browsing sessions
    "browse": (0.25, 0.22, 0.08, 0.06, 0.08, 0.05, 0.07, 0.02, 0.05,
               0.05, 0.03, 0.01, 0.01, 0.005, 0.005, 0.005, 0.005),
    # members' own sessions: mostly direct (member centre, followed store)
    "member": (0.15, 0.10, 0.08, 0.02, 0.45, 0.02, 0.02, 0.01, 0.02,
               0.04, 0.02, 0.005, 0.005, 0.02, 0.005, 0.02, 0.01),
}

#: Touchpoints before a visit, per channel: P(impression), P(ad_click), P(live_view),
#: P(content_interaction), P(link_click), P(search) (the search happens before the visit for the
#: search channels and inside the store otherwise).
ENTRY: dict[str, tuple[float, float, float, float, float, float]] = {
    "search": (0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    "recommend": (0.6, 0.0, 0.0, 0.0, 0.0, 0.1),
    "live": (0.0, 0.0, 1.0, 0.0, 0.0, 0.05),
    "short_video": (0.0, 0.0, 0.0, 0.5, 0.0, 0.05),
    "direct": (0.0, 0.0, 0.0, 0.0, 0.0, 0.15),
    "ads_search": (1.0, 1.0, 0.0, 0.0, 0.0, 1.0),
    "ads_feed": (1.0, 1.0, 0.0, 0.0, 0.0, 0.05),
    "ads_live": (1.0, 1.0, 1.0, 0.0, 0.0, 0.05),
    "quanzhantui": (1.0, 1.0, 0.0, 0.0, 0.0, 0.3),
    "xhs": (0.0, 0.0, 0.0, 0.6, 1.0, 0.2),
    "douyin": (0.0, 0.0, 0.3, 0.5, 1.0, 0.2),
    "weibo": (0.0, 0.0, 0.0, 0.4, 1.0, 0.1),
    "zhihu": (0.0, 0.0, 0.0, 0.4, 1.0, 0.1),
    "wechat": (0.0, 0.0, 0.0, 0.3, 1.0, 0.05),
    "bilibili": (0.0, 0.0, 0.0, 0.5, 1.0, 0.1),
    "offline_store": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "offline_event": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "sms": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "group_chat": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "push": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
    "customer_service": (0.0, 0.0, 0.0, 0.0, 0.0, 0.05),
}
ENTRY_P = np.array([ENTRY[c] for c in CHANNELS])  # (channels, 6)
PRE_SEARCH = np.array([c in ("search", "ads_search") for c in CHANNELS])

#: Keyword type mix (brand, category, other) of searches, by context.
KEYWORD_MIX: dict[str, tuple[float, float, float]] = {
    "acquire": (0.35, 0.55, 0.10),
    "repeat": (0.62, 0.31, 0.07),
    "browse": (0.30, 0.55, 0.15),
    "member": (0.60, 0.32, 0.08),
    "touch": (0.0, 1.0, 0.0),
}


def channel_code(name: str) -> int:
    """Index of a channel name in :data:`CHANNELS`."""
    return CHANNELS.index(name)


def draw_channel(rng: np.random.Generator, context: str, n: int) -> np.ndarray:
    """``n`` channel codes drawn from the mix of ``context``."""
    p = np.array(MIX[context])
    return rng.choice(_PUBLIC, size=n, p=p / p.sum()).astype(np.int8)


def draw_keyword(rng: np.random.Generator, context: np.ndarray, contexts: tuple[str, ...]) -> np.ndarray:
    """Keyword type codes (0 brand, 1 category, 2 other) for rows whose context index is ``context``."""
    cdf = np.cumsum(np.array([KEYWORD_MIX[c] for c in contexts]), axis=1)
    u = rng.random(len(context))
    return np.minimum((u[:, None] >= cdf[context]).sum(axis=1), 2).astype(np.int8)
