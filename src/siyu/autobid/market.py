"""Tier A of the 全站推 simulator: one merchant as a price-taker in exogenous second-price auctions.

A *week* of traffic is generated up front, fully vectorised, from one explicit :class:`numpy.random.Generator`
passed in by the caller (the same generator state gives the same week, whatever bidder later plays it; seeds
become generators only at the entry points — the CLI, the bench workers, the advisor's traffic maker, or the
``seed=`` convenience of :func:`simulate`):

* **impressions** arrive over ``steps_per_day`` steps a day (96 = 15 minutes) along a diurnal curve (a night
  trough, a late-morning and an evening peak), with **traffic surges** (×``surge_factor`` for an hour);
* each has a **channel** — search / feed / live with shares about 0.35 / 0.50 / 0.15 and median pCVR about
  2.0 % / 0.6 % / 1.0 % (docs/autobid.md, tier A) scaled by the merchant profile — a true conversion probability
  ``pcvr`` (log-normal around the channel median) and an order value (log-normal around the merchant's AOV); its
  **value** is the expected GMV ``v = pcvr × order_value``;
* the **price** (the highest competing bid; the winner pays it) is the impression's value *to a normal merchant*
  divided by the market ROI, times ``exp(competition)``, log-normal noise, a channel factor and an hour-of-day
  factor (so hot products win more and new ones less at the same target), with **price shocks** (×``shock_factor`` for ``shock_steps`` steps,
  ``shocks_per_day`` a day);
* the bidder sees **predictions** ``pcvr · exp(bias_c + σ ε) × order_value`` (pCVR miscalibration: a per-channel
  bias within ±``max_bias`` and per-impression log-normal noise σ, the realistic 0.25–0.6 of docs/autobid.md);
* whether an impression would **convert** if won is drawn once (common random numbers): every bidder facing the
  week meets the same buyers.

The merchant's profile (:data:`PROFILES`) sets pCVR and order volume (``hot`` / ``normal`` / ``new``), the target
ROI relative to the market (``low`` / ``mid`` / ``high``) and whether the budget or the ROI target binds (the
budget is a fraction or a multiple of the spend of the hindsight LP without a budget). Scenarios
(:data:`SCENARIOS`) switch the non-stationary parts on or off: ``default`` (miscalibration, 2 shocks a day,
surges) and ``stationary`` (calibrated predictions, no shocks, surges or hour-of-day prices), on which the LP is
attainable.

References: Aggarwal, Badanidiyuru & Mehta (2019), "Autobidding with Constraints", WINE; Balseiro, Lu & Mirrokni
(2020), "Dual Mirror Descent for Online Allocation Problems", ICML; docs/autobid.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from siyu._exceptions import ConfigError

__all__ = ["CHANNELS", "PROFILES", "SCENARIOS", "MarketConfig", "Profile", "Traffic", "parse_profile", "profile_grid",
           "simulate"]

#: channel codes of the ``channels`` arrays: 0 search (搜索), 1 feed (猜你喜欢 recommendation), 2 live (直播/短视频)
CHANNELS: tuple[str, ...] = ("search", "feed", "live")


class MarketConfig(BaseModel):
    """Knobs of tier A (defaults: tier A of docs/autobid.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: int = Field(7, ge=1, description="days in the run (the compensation window is 7)")
    steps_per_day: int = Field(96, ge=4, description="bidding steps a day (96 = 15 minutes)")
    impressions_per_day: int = Field(60_000, ge=100, description="mean auctions a day the merchant could enter")
    channel_share: tuple[float, float, float] = (0.35, 0.50, 0.15)
    channel_pcvr: tuple[float, float, float] = (0.020, 0.006, 0.010)
    pcvr_sigma: float = Field(0.7, ge=0, description="log-normal spread of the true pCVR within a channel")
    aov: float = Field(150.0, gt=0, description="mean order value (yuan)")
    aov_sigma: float = Field(0.3, ge=0, description="log-normal spread of the order value")
    market_roi: float = Field(3.0, gt=0, description="ROI at which competitors bid (price ∝ market value / market_roi)")
    competition: float = Field(0.4, description="log of how far the best competing bid sits above market value / "
                                                 "market_roi (the more competitors, the higher)")
    price_sigma: float = Field(0.5, ge=0, description="log-normal noise of prices around their median")
    channel_price: tuple[float, float, float] = (1.0, 0.9, 1.1)
    hourly_prices: bool = Field(True, description="prices rise with the diurnal demand (peak hours cost more)")
    shocks_per_day: int = Field(2, ge=0)
    shock_factor: float = Field(1.3, gt=0, description="price multiplier during a shock (+30 %)")
    shock_steps: int = Field(8, ge=1, description="length of a shock (8 steps = 2 hours)")
    surges_per_day: float = Field(0.5, ge=0, description="mean traffic surges a day")
    surge_factor: float = Field(2.0, ge=1)
    surge_steps: int = Field(4, ge=1)
    max_bias: float = Field(0.2, ge=0, description="per-channel pCVR bias drawn in ±max_bias (log scale)")
    noise_sigma: tuple[float, float] = Field((0.25, 0.6), description="range of the per-impression log noise σ")


#: scenario name -> MarketConfig overrides
SCENARIOS: dict[str, dict] = {
    "default": {},
    "stationary": {"hourly_prices": False, "shocks_per_day": 0, "surges_per_day": 0.0, "max_bias": 0.0,
                   "noise_sigma": (0.0, 0.0)},
}


class Profile(BaseModel):
    """A merchant: demand strength, target ROI relative to the market, and which constraint binds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strength: Literal["hot", "normal", "new"] = "normal"
    target: Literal["low", "mid", "high"] = "mid"
    binding: Literal["budget", "roi"] = "roi"

    @property
    def name(self) -> str:
        return f"{self.strength}/{self.target}/{self.binding}"


#: strength -> (pCVR multiplier, traffic multiplier, extra log-sd of the pCVR): hot products convert and draw
#: more; new ones convert less and less predictably (docs/autobid.md, tier A profiles)
PROFILES: dict[str, tuple[float, float, float]] = {"hot": (2.0, 1.5, 0.0), "normal": (1.0, 1.0, 0.0),
                                                    "new": (0.5, 0.5, 0.3)}
#: target -> target ROI ÷ market ROI
#: how much of a merchant's conversion edge its competitors lack (0: none, 1: all); with 0.5 and the defaults an LP
#: run at the market's ROI takes ~2,000 orders a day for a hot merchant, ~350 for a normal one, ~30 for a new one
#: (the volumes of docs/autobid.md §The noise floor); a stiffer market (competition 0.8) leaves a new merchant almost nothing a
#: single threshold on noisy predictions can buy at its target
_G = 0.5
TARGETS: dict[str, float] = {"low": 0.8, "mid": 1.0, "high": 1.3}
#: binding -> budget ÷ the spend of the hindsight LP without a budget
BUDGET_RATIO: dict[str, float] = {"budget": 0.5, "roi": 3.0}


def profile_grid() -> list[Profile]:
    """All 18 profiles: strength × target × binding."""
    return [Profile(strength=s, target=t, binding=b) for s in PROFILES for t in TARGETS for b in BUDGET_RATIO]


@dataclass(frozen=True)
class Traffic:
    """One simulated run (a merchant-week) of tier A; arrays have one entry per impression, ordered by step.

    Attributes
    ----------
    step : numpy.ndarray of int64
        Bidding step (0 … ``n_steps − 1``); ``day = step // steps_per_day``.
    channel : numpy.ndarray of int8
        Channel code (:data:`CHANNELS`).
    value : numpy.ndarray of float64
        True expected GMV ``pcvr × order_value``.
    predicted : numpy.ndarray of float64
        What the bidder is told (miscalibrated, noisy).
    price : numpy.ndarray of float64
        Highest competing bid (second price paid on a win).
    order_value : numpy.ndarray of float64
    converts : numpy.ndarray of bool
        Whether the impression turns into an order if won (drawn with probability ``pcvr``).
    target_roi, budget : float
        The merchant's settings for the run.
    bias : numpy.ndarray
        Per-channel log bias of the predictions; ``debiased = predicted · exp(−bias[channel])``.
    seed : int or None
        The seed the run was made from when :func:`simulate` got ``seed=``; ``None`` when it got a generator.
    """

    step: np.ndarray
    channel: np.ndarray
    value: np.ndarray
    predicted: np.ndarray
    price: np.ndarray
    order_value: np.ndarray
    converts: np.ndarray
    target_roi: float
    budget: float
    n_steps: int
    steps_per_day: int
    bias: np.ndarray
    noise_sigma: float
    profile: Profile
    seed: int | None
    scenario: str = "default"
    bounds: np.ndarray = field(repr=False, default=None)  # step s holds rows bounds[s]:bounds[s+1]

    def __len__(self) -> int:
        return len(self.value)

    @property
    def realized_gmv(self) -> np.ndarray:
        """GMV an impression brings if won: its order value when it converts, else 0."""
        return np.where(self.converts, self.order_value, 0.0)

    @property
    def debiased(self) -> np.ndarray:
        """Predictions with the channel bias removed (the attainable ceiling's ranking)."""
        return self.predicted * np.exp(-self.bias[self.channel])

    def rows(self, step: int) -> slice:
        """The rows of one step."""
        return slice(int(self.bounds[step]), int(self.bounds[step + 1]))


def parse_profile(profile: Profile | str, *, strength_alone: bool = False) -> Profile:
    """A :class:`Profile` from itself or from ``"strength/target/binding"`` (e.g. ``"hot/low/budget"``); with
    ``strength_alone`` a bare strength (``"hot"``) means a mid target and a binding ROI."""
    if isinstance(profile, Profile):
        return profile
    if not isinstance(profile, str):
        raise ConfigError(f"profile must be a name or a Profile, got {type(profile).__name__}")
    parts = profile.split("/")
    if strength_alone and len(parts) == 1:
        parts = [parts[0], "mid", "roi"]
    if len(parts) != 3:
        alone = " (or a strength alone: hot, normal, new)" if strength_alone else ""
        raise ConfigError(f"profile {profile!r}: write strength/target/binding, e.g. 'hot/low/budget'{alone}")
    try:
        return Profile(strength=parts[0], target=parts[1], binding=parts[2])
    except Exception as exc:  # pydantic's message lists the allowed values
        raise ConfigError(f"profile {profile!r}: {exc}") from None


def diurnal(steps_per_day: int) -> np.ndarray:
    """Relative traffic per step of a day (mean 1): a trough around 4:00, peaks around 11:00 and 21:00."""
    h = (np.arange(steps_per_day) + 0.5) * 24.0 / steps_per_day
    curve = (0.15 + 0.8 * np.exp(-0.5 * ((h - 11.0) / 2.5) ** 2) + 1.0 * np.exp(-0.5 * ((h - 21.0) / 2.0) ** 2)
             + 0.35 * np.exp(-0.5 * ((h - 15.5) / 3.0) ** 2))
    return curve / curve.mean()


def _windows(rng: np.random.Generator, n_steps: int, spd: int, per_day: float, length: int) -> np.ndarray:
    """Boolean mask over steps covered by random windows (``per_day`` a day on average, Poisson if fractional)."""
    mask = np.zeros(n_steps, bool)
    days = n_steps // spd
    counts = (np.full(days, int(per_day)) if float(per_day).is_integer() else rng.poisson(per_day, days))
    for d, k in enumerate(counts):
        # starts between 7:00 and the end of the day, so that shocks and surges hit traffic that matters
        for s in rng.integers(int(spd * 7 / 24), max(int(spd * 7 / 24) + 1, spd - length), size=int(k)):
            mask[d * spd + s: d * spd + s + length] = True
    return mask


def _generator(rng: np.random.Generator | None, seed: int | None, where: str
               ) -> tuple[np.random.Generator, int | None]:
    """The run's generator: ``rng`` itself, or — the ``seed=`` convenience, converted here once — a fresh
    ``numpy.random.default_rng(seed)`` (seed 0 when neither is given). Returns it and the seed (``None`` for
    ``rng``).

    Raises
    ------
    TypeError
        ``rng`` is not a :class:`numpy.random.Generator` (an int, a ``RandomState``, …), or both are given.
    """
    if rng is not None:
        if not isinstance(rng, np.random.Generator):
            hint = f"seed={rng!r}" if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) else "seed=…"
            raise TypeError(f"{where}: rng must be a numpy.random.Generator, got {type(rng).__name__} {rng!r}; "
                            f"pass numpy.random.default_rng(seed), or {hint}")
        if seed is not None:
            raise TypeError(f"{where}: give rng or seed, not both")
        return rng, None
    seed = 0 if seed is None else seed
    return np.random.default_rng(seed), seed


def simulate(profile: Profile | str = "normal/mid/roi", rng: np.random.Generator | None = None,
             config: MarketConfig | None = None, *, seed: int | None = None, scenario: str = "default",
             impressions_per_day: int | None = None, days: int | None = None, target_roi: float | None = None,
             budget: float | None = None) -> Traffic:
    """Generate one merchant-week (or ``days`` days) of tier-A traffic.

    Parameters
    ----------
    profile : Profile or str
        The merchant (``"strength/target/binding"``, e.g. ``"hot/low/budget"``).
    rng : numpy.random.Generator, optional
        Source of every draw (advanced by the call); the same generator state gives the same run. An int here is
        a ``TypeError``: pass ``numpy.random.default_rng(seed)`` or ``seed=``.
    config : MarketConfig, optional
        Base knobs; ``scenario`` overrides are applied on top.
    scenario : {"default", "stationary"}
    impressions_per_day, days : int, optional
        Shortcuts overriding the config.
    target_roi, budget : float, optional
        Override the profile's target ROI and budget (the advisor sweeps them).
    seed : int, optional
        Convenience for callers holding a seed: the run uses ``numpy.random.default_rng(seed)`` (the same draws
        as ``rng=numpy.random.default_rng(seed)``) and records it in :attr:`Traffic.seed`. Give ``rng`` or
        ``seed``, not both; with neither the seed is 0.

    Raises
    ------
    TypeError
        ``rng`` is not a :class:`numpy.random.Generator`, or both ``rng`` and ``seed`` are given.
    ConfigError
        Unknown profile or scenario, or an invalid config.
    """
    rng, seed = _generator(rng, seed, "simulate")
    profile = parse_profile(profile)
    if scenario not in SCENARIOS:
        raise ConfigError(f"scenario {scenario!r}: use one of {', '.join(SCENARIOS)}")
    base = (config or MarketConfig()).model_dump()
    base.update(SCENARIOS[scenario])
    if impressions_per_day is not None:
        base["impressions_per_day"] = impressions_per_day
    if days is not None:
        base["days"] = days
    cfg = MarketConfig(**base)
    spd, n_steps = cfg.steps_per_day, cfg.days * cfg.steps_per_day
    cvr_mult, traffic_mult, extra_sd = PROFILES[profile.strength]

    # arrivals: diurnal curve x day-to-day level x surges
    curve = np.tile(diurnal(spd), cfg.days) * np.repeat(rng.lognormal(0.0, 0.1, cfg.days), spd)
    surge = _windows(rng, n_steps, spd, cfg.surges_per_day, cfg.surge_steps)
    curve = curve * np.where(surge, cfg.surge_factor, 1.0)
    lam = cfg.impressions_per_day * traffic_mult * curve / spd
    counts = rng.poisson(lam)
    n = int(counts.sum())
    step = np.repeat(np.arange(n_steps, dtype=np.int64), counts)
    bounds = np.concatenate([[0], np.cumsum(counts)])

    channel = rng.choice(3, size=n, p=np.asarray(cfg.channel_share) / sum(cfg.channel_share)).astype(np.int8)
    med = np.asarray(cfg.channel_pcvr)[channel] * cvr_mult
    pcvr = np.minimum(med * np.exp(rng.normal(0.0, np.hypot(cfg.pcvr_sigma, extra_sd), n)), 0.5)
    order_value = cfg.aov * np.exp(rng.normal(-0.5 * cfg.aov_sigma ** 2, cfg.aov_sigma, n))
    value = pcvr * order_value

    # prices: competitors value the impression like us, up to noise, and bid value / market ROI
    hour_factor = np.ones(n_steps)
    if cfg.hourly_prices:
        hour_factor = 0.85 + 0.15 * curve / curve.mean()
    shock = _windows(rng, n_steps, spd, cfg.shocks_per_day, cfg.shock_steps)
    step_factor = hour_factor * np.where(shock, cfg.shock_factor, 1.0)
    market_value = value / cvr_mult ** _G  # competitors convert like a normal merchant: hot products win more cheaply
    price = (market_value / cfg.market_roi * np.asarray(cfg.channel_price)[channel] * step_factor[step]
             * np.exp(cfg.competition + rng.normal(0.0, cfg.price_sigma, n)))

    # what the bidder sees: pCVR miscalibrated per channel and noisy per impression
    bias = rng.uniform(-cfg.max_bias, cfg.max_bias, 3) if cfg.max_bias > 0 else np.zeros(3)
    lo, hi = cfg.noise_sigma
    sigma = float(rng.uniform(lo, hi)) if hi > lo else float(lo)
    noise = rng.normal(0.0, 1.0, n) * sigma if sigma > 0 else np.zeros(n)
    predicted = np.minimum(pcvr * np.exp(bias[channel] + noise), 1.0) * order_value
    converts = rng.random(n) < pcvr

    roi = cfg.market_roi * TARGETS[profile.target] if target_roi is None else float(target_roi)
    if budget is None:
        from siyu.autobid.lp import hindsight_lp

        unconstrained = hindsight_lp(value, price, budget=np.inf, target_roi=roi)
        budget = BUDGET_RATIO[profile.binding] * unconstrained.spend
    return Traffic(step=step, channel=channel, value=value, predicted=predicted, price=price,
                   order_value=order_value, converts=converts, target_roi=roi, budget=float(budget),
                   n_steps=n_steps, steps_per_day=spd, bias=bias, noise_sigma=sigma, profile=profile, seed=seed,
                   scenario=scenario, bounds=bounds)
