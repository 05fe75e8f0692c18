"""Configuration of the store simulator: one strict pydantic model and a registry of named scenarios.

Every knob of the generative story is a named, documented field. The purchase process is the BG/NBD
model of Fader, Hardie & Lee (2005) and spend per order the Gamma-Gamma model of Fader, Hardie & Lee
(2005, "RFM and CLV") after Colombo & Jiang (1999); the remaining knobs shape traffic, membership,
follows, refunds and private-domain messages around that known core.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["SCENARIOS", "SimulationConfig"]


class SimulationConfig(BaseModel):
    """Every parameter of a simulated Tmall brand store (all rates are per day unless stated).

    Build one directly (``SimulationConfig(users=50_000)``) or from a named preset of
    :data:`SCENARIOS` with :meth:`from_scenario`. Unknown keys are rejected.

    Notes
    -----
    Purchases follow BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way",
    *Marketing Science* 24(2)): after a first purchase at the acquisition time, a buyer repurchases as a
    Poisson process with rate ``lambda_i ~ Gamma(r, alpha)`` and drops out with probability
    ``p_i ~ Beta(a, b)`` after every repeat purchase. Time runs in *operational days*: calendar time warped
    by the seasonal intensity with amplitude ``purchase_seasonality`` (0 = exact BG/NBD in calendar days).
    Spend per order is Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value curves",
    *JMR* 42(4); Colombo & Jiang 1999): ``z ~ Gamma(p, nu_i)``, ``nu_i ~ Gamma(q, gamma)``, so the mean
    spend is ``p * gamma / (q - 1)``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # --- size, seed, window -------------------------------------------------------------------
    scenario: str = Field("default", description="Name of the preset this config came from (recorded in truth).")
    users: int = Field(
        20_000, ge=100, le=50_000_000,
        description="Number of users in the store's CRM (buyers and prospects).",
    )
    days: int = Field(365, ge=30, le=3650, description="Length of the exported window in days.")
    seed: int = Field(7, ge=0, description="Seed of the one numpy Generator; the same seed gives identical tables.")
    start: dt.date = Field(
        dt.date(2024, 1, 1),
        description="First day of the exported window (local date, Asia/Shanghai).",
    )
    prehistory_days: int = Field(
        365, ge=0, le=3650,
        description="Days of store history before `start`: buyers acquired then bring old customers, members and fans "
                    "into the window; their orders and events before `start` are not exported.")

    order_history_days: int = Field(
        365, ge=0, le=3650,
        description="Days of prehistory whose orders (and order lines) are exported too, as a merchant's order "
                    "history usually reaches further back than its behaviour logs (capped at prehistory_days).")

    # --- population ----------------------------------------------------------------------------
    buyer_share: float = Field(
        0.45, gt=0, le=1,
        description="Share of users who make a first purchase at some time in prehistory + window; "
                    "the rest are prospects who never buy.",
    )
    share_88vip: float = Field(0.12, ge=0, lt=1, description="Share of users flagged is_88vip.")
    vip_value_selection: float = Field(
        1.0, ge=0,
        description="How strongly 88VIP status selects on spend and frequency (0 = at random).",
    )

    # --- BG/NBD purchase process (Fader, Hardie & Lee 2005) ---------------------------------------
    r: float = Field(
        0.22, gt=0,
        description="BG/NBD shape r of the purchase-rate distribution lambda ~ Gamma(r, alpha).",
    )
    alpha: float = Field(
        45.0, gt=0,
        description="BG/NBD scale alpha in (operational) days; the mean rate is r / alpha per day.",
    )
    a: float = Field(
        2.0, gt=1,
        description="BG/NBD dropout p ~ Beta(a, b), parameter a (> 1 so that E[X(t)] is finite).",
    )
    b: float = Field(5.0, gt=0, description="BG/NBD dropout p ~ Beta(a, b), parameter b.")

    # --- Gamma-Gamma spend (Fader, Hardie & Lee 2005; Colombo & Jiang 1999) ----------------------
    p: float = Field(6.0, gt=0, description="Gamma-Gamma shape p of spend per order z ~ Gamma(p, nu_i) (CNY).")
    q: float = Field(
        4.0, gt=2,
        description="Gamma-Gamma shape q of nu_i ~ Gamma(q, gamma) (> 2 for a finite spend variance).",
    )
    gamma: float = Field(
        90.0, gt=0,
        description="Gamma-Gamma scale gamma (CNY); mean spend per order = p * gamma / (q - 1).",
    )

    # --- seasonality ----------------------------------------------------------------------------
    purchase_seasonality: float = Field(
        1.0, ge=0, le=3,
        description="Amplitude of the seasonal warp of repeat purchases (0 = exact BG/NBD in calendar days).",
    )
    acquisition_seasonality: float = Field(
        1.0, ge=0, le=3,
        description="Amplitude of seasonality in first-purchase (acquisition) times.",
    )
    traffic_seasonality: float = Field(
        0.7, ge=0, le=3,
        description="Amplitude of seasonality in browsing sessions and awareness touches.",
    )

    # --- orders -------------------------------------------------------------------------------
    split_order_prob: float = Field(
        0.04, ge=0, le=1,
        description="Probability that a multi-item purchase is paid as two orders on the same day.",
    )
    refund_full_prob: float = Field(
        0.03, ge=0, le=1,
        description="Probability that an order is fully refunded (then it is not a purchase).",
    )
    refund_partial_prob: float = Field(
        0.04, ge=0, le=1,
        description="Probability that an order is partly refunded (0 < refund < amount).",
    )

    # --- membership -----------------------------------------------------------------------------
    member_join_checkout: float = Field(
        0.05, ge=0, le=1,
        description="Base probability that a non-member joins (0-threshold) at the checkout of a purchase.",
    )
    member_join_other: float = Field(
        0.01, ge=0, le=1,
        description="Probability that a user joins outside checkout "
                    "(follow discount, live, group chat, offline, xhs …).",
    )
    member_value_selection: float = Field(
        1.2, ge=0,
        description="Selection on value: checkout joining odds scale with exp(k * z-score of log expected spend).",
    )
    member_engagement: float = Field(
        1.0, ge=0, le=3,
        description="Engagement of members: scales their benefit claims, favorites, add-to-carts and extra sessions.",
    )
    member_rate_uplift: float = Field(
        0.25, ge=0,
        description="Causal effect of membership on purchase rate: extra purchases at rate "
                    "lambda_i * uplift while a live member.",
    )
    member_spend_uplift: float = Field(
        0.08, ge=0,
        description="Causal effect of membership on spend: orders of members are (1 + uplift) times larger.",
    )
    member_leave_rate: float = Field(
        0.08, ge=0, le=1,
        description="Probability that a member leaves (left_at) some time after joining.",
    )
    member_rejoin_rate: float = Field(
        0.2, ge=0, le=1,
        description="Probability that a member who left joins again (a second membership spell).",
    )
    tier_silver_cny: float = Field(
        500.0, ge=0,
        description="Net spend during the membership spell from which the tier is V2 (银卡 silver).",
    )
    tier_gold_cny: float = Field(
        2000.0, ge=0,
        description="Net spend during the membership spell from which the tier is V3 (金卡 gold).",
    )

    # --- follows -------------------------------------------------------------------------------
    follow_buyer: float = Field(
        0.40, ge=0, le=1,
        description="Probability that a buyer follows the store (scaled by engagement, capped at 0.95).",
    )
    follow_prospect: float = Field(0.06, ge=0, le=1, description="Probability that a prospect follows the store.")
    unfollow_rate: float = Field(0.15, ge=0, le=1, description="Probability that a fan unfollows later.")
    refollow_rate: float = Field(
        0.25, ge=0, le=1,
        description="Probability that an unfollowing fan follows again (two follow rows).",
    )

    # --- traffic and behaviour -----------------------------------------------------------------
    browse_rate: float = Field(
        0.035, ge=0,
        description="Non-buying browsing sessions per active user-day (times engagement).",
    )
    touch_rate: float = Field(
        0.03, ge=0,
        description="Awareness touches (impressions, live views, content) without a visit per active user-day.",
    )
    prospect_active_days: float = Field(40.0, gt=0, description="Mean length in days of a prospect's active period.")
    member_session_rate: float = Field(
        0.015, ge=0,
        description="Extra member sessions per member-day (times member_engagement).",
    )
    review_prob: float = Field(
        0.15, ge=0, le=1,
        description="Probability that a purchase is reviewed (ratings mostly 4-5).",
    )
    share_prob: float = Field(0.03, ge=0, le=1, description="Probability that a purchase is shared.")

    # --- catalogue -----------------------------------------------------------------------------
    skus: int | None = Field(
        None, ge=20, le=5000,
        description="Number of SKUs; None = 100 + 40 * log10(users / 1000), clipped to 100..300.",
    )
    new_launches_per_quarter: float = Field(6.0, ge=0, description="SKUs launched during the window per quarter.")
    new_product_boost: float = Field(
        3.0, ge=0,
        description="Extra popularity of a SKU right after launch, decaying with a 45-day time constant.",
    )
    member_new_affinity: float = Field(
        2.0, ge=0,
        description="Extra weight members put on SKUs launched in the last 180 days.",
    )
    members_first_days: int = Field(
        7, ge=0,
        description="Days after a launch in which mostly members can buy the SKU (会员尝鲜).",
    )
    second_brand_share: float = Field(0.2, ge=0, le=1, description="Share of SKUs under the group's second brand.")

    # --- private-domain reach -------------------------------------------------------------------
    campaign_every_days: int = Field(14, ge=1, description="Days between private-domain campaigns.")
    holdout_share: float = Field(
        0.1, ge=0, lt=1,
        description="Random share of each campaign's target kept as a holdout (no message).",
    )
    reach_member_coverage: float = Field(
        0.75, ge=0, le=1,
        description="Share of active members a members campaign targets.",
    )
    reach_fan_coverage: float = Field(
        0.5, ge=0, le=1,
        description="Share of active non-member fans a fans campaign targets.",
    )
    member_delivery_rate: float = Field(
        1.0, ge=0, le=1,
        description="Multiplier of the delivery probability of messages to members (reachability).",
    )
    message_effect: float = Field(
        0.03, ge=0, le=1,
        description="True effect: probability that a delivered message makes an alive buyer place an extra purchase "
                    "within message_window_days.",
    )
    message_window_days: int = Field(7, ge=1, le=60, description="Window in days of the message effect.")

    @model_validator(mode="after")
    def _check(self) -> SimulationConfig:
        if self.tier_gold_cny < self.tier_silver_cny:
            raise ValueError("tier_gold_cny must be >= tier_silver_cny")
        return self

    @property
    def n_skus(self) -> int:
        """The catalogue size (``skus`` or the default scaled mildly with ``users``)."""
        if self.skus is not None:
            return self.skus
        import math

        return int(min(300, max(100, round(100 + 40 * math.log10(max(self.users, 1000) / 1000)))))

    @property
    def mean_spend(self) -> float:
        """Gamma-Gamma population mean spend per order, ``p * gamma / (q - 1)``."""
        return self.p * self.gamma / (self.q - 1)

    @classmethod
    def from_scenario(cls, name: str = "default", **overrides: Any) -> SimulationConfig:
        """A config from the named preset of :data:`SCENARIOS`, with keyword overrides on top.

        Raises
        ------
        KeyError
            If ``name`` is not in :data:`SCENARIOS`.
        """
        if name not in SCENARIOS:
            raise KeyError(f"unknown scenario {name!r}; known: {', '.join(sorted(SCENARIOS))}")
        return cls(**{"scenario": name, **SCENARIOS[name], **overrides})


#: Named presets (overrides of the :class:`SimulationConfig` defaults).
SCENARIOS: dict[str, dict[str, Any]] = {
    # A healthy FMCG beauty brand: strong membership, regular member messaging.
    "default": {},
    # Membership as a coupon gate: members join at random rather than by value, barely engage,
    # are rarely reachable by messages and get no repurchase uplift -> GAIN 'I' (and 'N') drop.
    "weak_membership": {
        "member_engagement": 0.15,
        "member_value_selection": 0.0,
        "member_join_checkout": 0.03,
        "member_join_other": 0.12,
        "member_rate_uplift": 0.0,
        "member_spend_uplift": 0.0,
        "member_new_affinity": 0.2,
        "reach_member_coverage": 0.25,
        "member_delivery_rate": 0.5,
        "member_leave_rate": 0.2,
    },
    # The purchase process exactly as BG/NBD + Gamma-Gamma in calendar days, for CLV model checks:
    # no seasonal warp, no member or message effects, no split orders and no refunds.
    "exact_btyd": {
        "purchase_seasonality": 0.0,
        "member_rate_uplift": 0.0,
        "member_spend_uplift": 0.0,
        "message_effect": 0.0,
        "split_order_prob": 0.0,
        "refund_full_prob": 0.0,
        "refund_partial_prob": 0.0,
    },
}
