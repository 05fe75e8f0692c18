"""全站推 (full-site promotion): ROI-targeted auto-bidding across channels (``docs/autobid.md``).

* :mod:`~siyu.autobid.market` — tier A simulator (price-taker replay; :func:`simulate`);
  :mod:`~siyu.autobid.closed_loop` — tier B (N autobidders, endogenous second prices);
* :mod:`~siyu.autobid.lp` — the hindsight LP (the physical limit) and the attainable ceiling, exact in O(n log n);
* :mod:`~siyu.autobid.bidders` — the bidder protocol (:func:`make_bidder`, :data:`BIDDERS`): ``fixed``,
  ``pacing``, ``pid``, ``onlinelp``, ``dual``, ``oracle`` and ``siyu``;
* :mod:`~siyu.autobid.harness` — drive a bidder through a run (:func:`replay`);
  :mod:`~siyu.autobid.metrics` — GMV efficiency,
  violation rates with Wilson intervals, budget use and speed; :mod:`~siyu.autobid.bench` — the scoreboard and
  the GMV–violation frontier;
* :mod:`~siyu.autobid.compensation` — the 赔付 rule; :mod:`~siyu.autobid.advisor` — volume–ROI curve, target
  ROI and budget advice, product screen.

Names are imported lazily, so ``import siyu.autobid`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "CHANNELS": "market", "SCENARIOS": "market", "MarketConfig": "market", "Profile": "market", "Traffic": "market",
    "profile_grid": "market", "simulate": "market",
    "LPResult": "lp", "attainable_ceiling": "lp", "hindsight_lp": "lp",
    "BIDDERS": "bidders", "BaseBidder": "bidders", "Bidder": "bidders", "make_bidder": "bidders",
    "register_bidder": "bidders",
    "RunResult": "harness", "replay": "harness",
    "evaluate_run": "metrics", "wilson_interval": "metrics",
    "frontier": "bench", "scoreboard": "bench",
    "simulate_market": "closed_loop",
    "CompensationRule": "compensation", "compensate": "compensation",
    "advise": "advisor", "screen_products": "advisor", "volume_roi_curve": "advisor",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"siyu.autobid.{_EXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'siyu.autobid' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
