"""Built-in bidders; importing this package registers them in :data:`siyu.autobid.BIDDERS`."""

from siyu.autobid.bidders import dual, fixed, onlinelp, oracle, pacing, pid, siyu  # noqa: F401
from siyu.autobid.bidders._base import (
    BIDDERS,
    BaseBidder,
    Bidder,
    make_bidder,
    register_bidder,
)

__all__ = ["BIDDERS", "BaseBidder", "Bidder", "make_bidder", "register_bidder"]
