"""``fixed``: bid ``v / (R·(1+margin))`` — every impression won clears the ROI target on its own.

The textbook truthful bid for an ROI target; it never uses the slack that high-ROI impressions create, so it
under-spends whenever the ROI constraint binds (the LP's marginal impression sits below ``R``).
"""

from __future__ import annotations

import numpy as np

from siyu.autobid.bidders._base import BaseBidder, register_bidder


@register_bidder("fixed")
class FixedBidder(BaseBidder):
    """Bid ``value / aim`` (:attr:`BaseBidder.aim`), no learning."""

    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        return values / self.aim
