"""Offers (会员价与优惠券): member price lists, coupons, the follower discount, and the quote.

>>> from siyu import offers                                                      # doctest: +SKIP
>>> offers.load(ws, "offers.toml")["coupons"]                                    # doctest: +SKIP
>>> offers.load_uses(ws, "coupon_uses.csv")["added"]                             # doctest: +SKIP
>>> offers.quote(ws, "u42", "SKU-001", qty=2, at="2024-05-03 20:00")["price"]     # doctest: +SKIP

The offers are one TOML file (:mod:`siyu.offers.model`), loaded as a whole into the workspace
(:mod:`siyu.offers.store`); a quote applies member prices (from the tier program stored by ``siyu loyalty run``),
coupons, 关注立减 and the price floor in that order and says why each rule was applied or not
(:mod:`siyu.offers.quote`). Rules: ``docs/offers.md``.
"""

from siyu.offers.model import (
           Coupon,
           FollowDiscount,
           Offers,
           PriceListEntry,
           load_offers,
)
from siyu.offers.quote import COUPON_REASONS, MEMBER_REASONS, quote
from siyu.offers.store import load, load_uses, show, stored_offers

__all__ = ["COUPON_REASONS", "MEMBER_REASONS", "Coupon", "FollowDiscount", "Offers", "PriceListEntry", "load",
           "load_offers", "load_uses", "quote", "show", "stored_offers"]
