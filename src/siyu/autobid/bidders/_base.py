"""The bidder protocol, the registry of bidders, and what every bidder shares.

External harnesses drive bidders through exactly this interface (issue 6)::

    bidder = siyu.autobid.make_bidder(name, target_roi=R, budget=B, n_steps=T, **options)
    for step in range(T):
        bids = bidder.bid(step, values, channels)        # one bid per impression of the step
        ...                                              # the auction: won where bid >= price, pay the price
        bidder.observe(step, won, cost, realized_gmv)    # arrays over the same impressions

``values`` is the predicted GMV of each impression (pCVR × order value, possibly miscalibrated), ``channels``
integer channel codes (0 search, 1 feed, 2 live in siyu's simulator; any small non-negative integers work);
``won`` is boolean, ``cost`` what was paid (0 where lost), ``realized_gmv`` the GMV realised (0 where lost or not
converted). Bids are non-negative and finite. ``observe`` may be skipped for a step, and ``bid`` may be called
with no impressions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import numpy as np

from siyu._exceptions import ConfigError

__all__ = ["BIDDERS", "BaseBidder", "Bidder", "check_non_negative", "check_whole", "make_bidder", "register_bidder"]


@runtime_checkable
class Bidder(Protocol):
    """What a harness calls (see the module docstring)."""

    def bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray: ...

    def observe(self, step: int, won: np.ndarray, cost: np.ndarray, realized_gmv: np.ndarray) -> None: ...


#: registered bidders: name -> factory ``(target_roi=, budget=, n_steps=, **options) -> Bidder``
BIDDERS: dict[str, Callable[..., Bidder]] = {}


def register_bidder(name: str) -> Callable[[type], type]:
    """Class decorator adding a bidder to :data:`BIDDERS` under ``name``."""
    def deco(cls: type) -> type:
        if name in BIDDERS:
            raise ConfigError(f"bidder {name!r} is registered twice")
        BIDDERS[name] = cls
        cls.name = name
        return cls
    return deco


def make_bidder(name: str, *, target_roi: float, budget: float, n_steps: int, **options: Any) -> Bidder:
    """A new bidder of the registered kind ``name`` (:data:`BIDDERS`).

    Parameters
    ----------
    name : str
        ``fixed``, ``pacing``, ``pid``, ``onlinelp``, ``dual``, ``oracle``, ``siyu``, …
    target_roi : float
        ``R`` > 0: GMV ÷ spend the merchant asks for.
    budget : float
        Spend cap over the ``n_steps`` steps (> 0; ``inf`` for none).
    n_steps : int
        Steps in the episode (96 a day at 15 minutes).
    **options
        Bidder-specific knobs (each bidder's docstring), e.g. ``margin`` (the risk knob: aim at
        ``R·(1+margin)``) for every bidder but the oracle.
    """
    import siyu.autobid.bidders  # noqa: F401  (registers the built-in bidders)

    if name not in BIDDERS:
        raise ConfigError(f"unknown bidder {name!r}; registered: {', '.join(sorted(BIDDERS))}")
    if not (isinstance(target_roi, (int, float)) and np.isfinite(target_roi) and target_roi > 0):
        raise ConfigError(f"target_roi must be a finite number > 0, got {target_roi!r}")
    if not (isinstance(budget, (int, float)) and budget > 0):
        raise ConfigError(f"budget must be > 0 (inf for no cap), got {budget!r}")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ConfigError(f"n_steps must be a positive whole number, got {n_steps!r}")
    try:
        return BIDDERS[name](target_roi=float(target_roi), budget=float(budget), n_steps=int(n_steps), **options)
    except TypeError as exc:  # an option the bidder does not take
        raise ConfigError(f"bidder {name!r}: {exc}") from None


def check_non_negative(**options: Any) -> None:
    """Raise ConfigError unless every option is a finite number >= 0 (a bidder's gains, priors, rates)."""
    for name, x in options.items():
        if isinstance(x, bool) or not isinstance(x, (int, float, np.number)) or not np.isfinite(x) or x < 0:
            raise ConfigError(f"{name} must be a finite number >= 0, got {x!r}")


def check_whole(name: str, value: Any, low: int) -> None:
    """Raise ConfigError unless ``value`` is a whole number >= ``low`` (windows, periods, sizes)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ConfigError(f"{name} must be a whole number >= {low}, got {value!r}")


class BaseBidder:
    """Bookkeeping every built-in bidder shares: spend, GMV and orders so far, the last step's inputs.

    Subclasses implement :meth:`_bid` (values, channels → bids) and may extend :meth:`_update` (called by
    :meth:`observe` after the totals are updated, with the step's arrays and the values/channels it bid on).

    Parameters
    ----------
    target_roi, budget, n_steps
        As in :func:`make_bidder`.
    margin : float, default 0.0
        Risk knob: the bidder aims at ``R·(1+margin)`` (a higher margin trades GMV for fewer ROI misses).
    """

    name = "base"

    def __init__(self, *, target_roi: float, budget: float, n_steps: int, margin: float = 0.0) -> None:
        if not (np.isfinite(margin) and margin > -1):
            raise ConfigError(f"margin must be a number > -1, got {margin!r}")
        self.target_roi = target_roi
        self.budget = budget
        self.n_steps = n_steps
        self.margin = float(margin)
        self.spent = 0.0
        self.gmv = 0.0
        self.orders = 0
        self._values = np.zeros(0)
        self._channels = np.zeros(0, np.int64)
        self._step = -1

    @property
    def aim(self) -> float:
        """The ROI the bidder steers to: ``R·(1+margin)``."""
        return self.target_roi * (1.0 + self.margin)

    @property
    def remaining(self) -> float:
        return max(self.budget - self.spent, 0.0)

    def bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64).reshape(-1)
        channels = np.asarray(channels, dtype=np.int64).reshape(-1)
        if channels.shape != values.shape:
            raise ConfigError(f"step {step}: {values.size} values but {channels.size} channels")
        self._values, self._channels, self._step = values, channels, int(step)
        if values.size == 0:
            return np.zeros(0)
        if self.remaining <= 0:
            return np.zeros(values.size)
        bids = np.asarray(self._bid(int(step), np.maximum(np.nan_to_num(values, nan=0.0, posinf=0.0), 0.0),
                                    channels), dtype=np.float64)
        return np.clip(np.nan_to_num(bids, nan=0.0, posinf=0.0, neginf=0.0), 0.0, None)

    def observe(self, step: int, won: np.ndarray, cost: np.ndarray, realized_gmv: np.ndarray) -> None:
        won = np.asarray(won, dtype=bool).reshape(-1)
        cost = np.asarray(cost, dtype=np.float64).reshape(-1)
        gmv = np.asarray(realized_gmv, dtype=np.float64).reshape(-1)
        self.spent += float(cost.sum())
        self.gmv += float(gmv.sum())
        self.orders += int((gmv > 0).sum())
        values, channels = (self._values, self._channels) if step == self._step and len(self._values) == len(won) \
            else (np.zeros(len(won)), np.zeros(len(won), np.int64))
        self._update(int(step), won, cost, gmv, values, channels)

    # -- to be provided -----------------------------------------------------------------------------------------
    def _bid(self, step: int, values: np.ndarray, channels: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _update(self, step: int, won: np.ndarray, cost: np.ndarray, gmv: np.ndarray, values: np.ndarray,
                channels: np.ndarray) -> None:
        """Learn from one step (default: nothing beyond the totals)."""
