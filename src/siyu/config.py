"""Typed configuration of a siyu workspace.

One :class:`SiyuConfig` holds every window and threshold of the domain spec
(``docs/customer-assets.md`` §Settings) as a named default. A workspace's ``siyu.toml``
overrides them; unknown keys are rejected so that a typo is never silently
ignored (sqlmesh-style ``extra="forbid"``).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from siyu._exceptions import ConfigError

__all__ = ["GAIN_IDS", "EngineSettings", "GainConfig", "ModelConfig", "ReachSettings", "SiyuConfig", "SparkSettings", "WorkspaceSettings", "config_template", "dump_config", "iter_settings",
           "load_config"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class WorkspaceSettings(_Strict):
    """Settings of the workspace itself (docs/data.md)."""

    tz: str = Field("Asia/Shanghai", description="Workspace time zone; timestamps without a zone are read in it.")
    currency: str = Field("CNY", description="Workspace currency (ISO 4217); money has two decimals. Reserved: reports print ¥ today.")

    @field_validator("tz")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {v!r}") from exc
        return v


class ModelConfig(_Strict):
    """Windows and thresholds of the customer-asset models (docs/customer-assets.md §Settings, PROP unless noted)."""

    # AIPL (Data Bank defaults, SEC) -- docs/customer-assets.md §AIPL
    a_days: int = Field(15, ge=1, description="AIPL A window in days (Data Bank, SEC).")
    i_days: int = Field(15, ge=1, description="AIPL I window in days (Data Bank, SEC).")
    p_days: int = Field(913, ge=1, description="AIPL P window in days: 2.5 years (Data Bank, SEC).")
    l_days: int = Field(365, ge=1, description="AIPL L window in days (Data Bank, SEC).")
    l_min_purchase_days: int = Field(2, ge=1, description="Purchase days in the L window for L; 3 = literal '大于2天'.")
    l_include_positive_review: bool = Field(False, description="Count a rating >= 4 by a purchaser in the L window as L.")
    ad_click_stage: Literal["A", "I"] = Field("A", description="Stage of an ad click: 'A' (Data Bank) or 'I' (Quick Audience).")
    # FAST -- docs/customer-assets.md §FAST
    advancing_period_days: int = Field(7, ge=1, description="FAST A period p in days ('关系周加深率').")
    member_active_days: int = Field(30, ge=1, description="FAST T window in days for member activity (SEC).")
    # GAIN / pools -- docs/gain.md, docs/customer-assets.md §Relationship pools
    new_cust_lookback_days: int = Field(365, ge=1, description="A new buyer has no purchase this many days before the first.")
    new_product_days: int = Field(180, ge=1, description="A SKU is new within this many days of its launch.")
    category_level: Literal["leaf", "l1"] = Field("leaf", description="Category level for cross-buying (N2).")
    crossbuy_dimension: Literal["category", "brand"] = Field("category", description="N2 '跨品' dimension.")
    high_value_pct: float = Field(0.80, gt=0, lt=1, description="Spend percentile from which a buyer is high value (A1).")
    mid_value_pct: tuple[float, float] = Field((0.20, 0.80), description="Spend percentile band of the main audience (A2).")
    reach_days: int = Field(30, ge=1, description="Window for member reach (I3) in days.")
    fan_silent_days: int = Field(60, ge=1, description="A fan with no activity in this many days is silent.")
    member_silent_days: int = Field(180, ge=1, description="A member with no activity in this many days is silent.")
    vip_top_pct: float = Field(0.05, gt=0, lt=1, description="Top share of buyers by spend that is UCMV V.")
    attribution_days_xhs: int = Field(15, ge=1, description="小红书 seeding-to-purchase attribution window in days. Reserved for traffic attribution.")
    # siyu choices where the public record is silent (docs/customer-assets.md)
    fast_period_days: int = Field(30, ge=1, description="Period for FAST period-over-period change (siyu).")
    pool_transition_step_days: int = Field(7, ge=1, description="Days between pool evaluations for transition events (siyu).")
    rfm_days: int = Field(365, ge=1, description="RFM window in days (siyu).")
    tier_order: tuple[str, ...] = Field(("V1", "V2", "V3", "V4", "V5"),
                                        description="Membership tiers from lowest to highest (UCMV top_tier rule).")
    vip_rule: tuple[Literal["top_spend", "top_tier", "88vip"], ...] = Field(
        ("top_spend", "top_tier", "88vip"), description="UCMV V rules; a buyer satisfying any of them is V.")
    grow_days: int = Field(90, ge=1, description="GROW period length in days (siyu).")
    grow_frequency: Literal["orders", "purchase_days"] = Field(
        "orders", description="GROW frequency F: orders or purchase days per buyer.")
    # CLV (siyu; docs/clv.md)
    clv_min_repeat_buyers: int = Field(100, ge=1, description="Fewer repeat buyers than this: CLV models refuse to fit.")
    clv_min_history_days: int = Field(90, ge=1, description="Less order history than this (days): CLV models refuse to fit.")
    clv_margin: float = Field(0.3, gt=0, le=1, description="Gross margin applied to predicted spend for CLV in money.")
    clv_discount_rate: float = Field(0.10, ge=0, description="Annual discount rate of predicted CLV.")
    gain_weights: tuple[float, float, float, float] = Field(
        (0.25, 0.25, 0.25, 0.25), description="Weights of the GAIN dimensions G, A, I, N (sum to 1).")

    @field_validator("mid_value_pct")
    @classmethod
    def _band(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not 0 <= v[0] < v[1] <= 1:
            raise ValueError("mid_value_pct must be (low, high) with 0 <= low < high <= 1")
        return v

    @field_validator("gain_weights")
    @classmethod
    def _weights(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(w < 0 for w in v) or abs(sum(v) - 1.0) > 1e-9:
            raise ValueError("gain_weights must be four non-negative numbers summing to 1")
        return v


GAIN_IDS = ("G1", "G2", "G3", "A1", "A2", "A3", "I1", "I2", "I3", "N1", "N2", "N3")
#: siyu's reference (floor, target) per GAIN indicator (PROP: no benchmark is published, docs/gain.md §GAIN);
#: anchored where docs/gain.md §Reference figures offers a number (repeat ≈ half of buyers for strong brands, I→P 15 % example)
REFERENCE_TARGETS: dict[str, tuple[float, float]] = {
    "G1": (0.10, 0.50), "G2": (0.30, 0.70), "G3": (-0.20, 0.30),
    "A1": (0.15, 0.50), "A2": (0.05, 0.30), "A3": (0.05, 0.25),
    "I1": (0.10, 0.50), "I2": (0.20, 0.60), "I3": (0.20, 0.80),
    "N1": (0.20, 0.50), "N2": (0.20, 0.60), "N3": (0.15, 0.50),
}


class GainConfig(_Strict):
    """GAIN scoring and audiences (docs/gain.md §The 12 indicators, §Scores, PROP; weights are ``[model].gain_weights``)."""

    score_mode: Literal["baseline", "target"] = Field(
        "target", description="target: linear from floor (0) to target (100), comparable across stores; baseline: "
                              "percentile within the brand's own trailing monthly values (both are always reported).")
    baseline_months: int = Field(12, ge=3, le=36, description="Trailing monthly values a baseline score compares with.")
    targets: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: dict(REFERENCE_TARGETS),
        description="Per indicator (G1…N3) the (floor, target) of target mode; defaults are siyu's reference points.")
    audience_mode: Literal["internal", "platform"] = Field(
        "internal", description="A1–A3 audiences from the brand's own orders, or platform crowds tagged in users.tags.")
    platform_crowds: dict[str, str] = Field(
        default_factory=lambda: {"A1": "高价值人群", "A2": "主力人群", "A3": "潜力人群"},
        description="Platform mode: the users.tags tag of the crowd of A1, A2 and A3.")
    weak_score: float = Field(40.0, ge=0, le=100, description="An indicator scoring below this is weak and diagnosed.")

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for k, (floor, target) in v.items():
            if k not in GAIN_IDS:
                raise ValueError(f"unknown GAIN indicator {k!r}; use {', '.join(GAIN_IDS)}")
            if floor == target:
                raise ValueError(f"{k}: floor and target must differ")
        return v

    @field_validator("platform_crowds")
    @classmethod
    def _crowds(cls, v: dict[str, str]) -> dict[str, str]:
        if set(v) != {"A1", "A2", "A3"}:
            raise ValueError("platform_crowds needs exactly the keys A1, A2, A3")
        return v


class SparkSettings(_Strict):
    """The Spark engine (docs/spark.md): where it runs and where the contract tables are."""

    master: str = Field("local[*]", description="Spark master: local[N], spark://host:7077, yarn, or sc://host:15002 "
                                                "(Spark Connect); SIYU_SPARK_MASTER overrides it.")
    conf: dict[str, str] = Field(default_factory=dict, description="Extra Spark settings (spark.executor.memory, "
                                                                   "lake credentials, ...), added to siyu's.")
    data: str | None = Field(None, description="Directory or lake URI of the contract tables as Parquet "
                                               "(<table>.parquet or <table>/); --data and SIYU_DATA override it.")


class EngineSettings(_Strict):
    """Which engine runs the models (docs/spark.md)."""

    name: Literal["duckdb", "spark"] = Field("duckdb", description="Engine: duckdb (the workspace file, default) or "
                                                                  "spark (Parquet tables); --engine and SIYU_ENGINE "
                                                                  "override it.")
    spark: SparkSettings = Field(default_factory=SparkSettings)


class ServerSettings(_Strict):
    """The HTTP API and console (docs/server.md); read from the tenant root's ``siyu.toml`` when it has one."""

    rate_limit: str = Field("1000/minute", description="Requests per API key, e.g. '1000/minute' or '20/second'; "
                                                       "more are refused with 429 and Retry-After.")

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, v: str) -> str:
        from limits import parse

        try:
            parse(v)
        except ValueError:
            raise ValueError(f"not a rate limit like '1000/minute': {v!r}") from None
        return v


_HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


class ReachEmailSettings(_Strict):
    """The email channel: a real SMTP server (docs/reach.md §Channels)."""

    host: str = Field("127.0.0.1", description="SMTP server host.")
    port: int = Field(25, ge=1, le=65535, description="SMTP server port.")
    sender: str = Field("siyu@localhost", description="From address of the messages.")
    starttls: bool = Field(False, description="Upgrade the connection with STARTTLS before sending.")
    username: str | None = Field(None, description="SMTP login name (no login when not set).")
    password_env: str | None = Field(None, description="Name of the environment variable holding the SMTP password "
                                                       "(never the password itself).")
    subject: str = Field("{{ campaign.id }}", description="Subject template (Jinja2) when a campaign gives none.")
    timeout_s: float = Field(10.0, gt=0, description="Seconds before a connection or command times out.")
    retries: int = Field(3, ge=1, le=10, description="Attempts per message in one send run (temporary failures).")
    backoff_s: float = Field(0.5, ge=0, description="First wait between attempts; doubled after each.")


class ReachWebhookSettings(_Strict):
    """The webhook channel: HTTP POST of a signed JSON message (docs/reach.md §Channels)."""

    url: str | None = Field(None, description="Receiver URL (http or https).")
    secret_env: str = Field("SIYU_WEBHOOK_SECRET", description="Name of the environment variable holding the HMAC "
                                                             "secret that signs each body (X-Siyu-Signature).")
    timeout_s: float = Field(5.0, gt=0, description="Seconds before a request times out (then retried).")
    retries: int = Field(3, ge=1, le=10, description="Attempts per message in one send run (5xx and timeouts).")
    backoff_s: float = Field(0.2, ge=0, description="First wait between attempts; doubled after each.")
    concurrency: int = Field(8, ge=1, le=256, description="Requests in flight at once.")


class ReachSettings(_Strict):
    """Reach: the one contact budget, quiet hours, control groups and channels (docs/reach.md)."""

    max_messages: int = Field(3, ge=1, description="Marketing messages per user in any rolling window, every channel "
                                                   "together (customer service included).")
    window_days: int = Field(7, ge=1, le=366, description="Length of the budget's rolling window in days (× 24 h).")
    channel_caps: dict[str, int] = Field(default_factory=dict, description="Optional per-channel caps in the same "
                                                                           "window, beneath max_messages.")
    quiet_start: str = Field("21:00", pattern=_HHMM, description="Quiet hours start (local time): nothing is sent.")
    quiet_end: str = Field("09:00", pattern=_HHMM, description="Quiet hours end (local time); equal to quiet_start: "
                                                              "no quiet hours.")
    global_control: float = Field(0.05, ge=0, lt=1, description="Share of users in the persistent global control "
                                                                "group, who receive no marketing at all.")
    third_party_channels: tuple[str, ...] = Field(
        ("sms",), description="Channels that hand personal data to another handler (an SMS provider): they also "
                              "need third_party consent (PIPL Art. 23).")
    adapters: dict[str, str] = Field(
        default_factory=lambda: {"sms": "export", "group_chat": "export", "push": "export",
                                 "customer_service": "export", "email": "email", "webhook": "webhook"},
        description="Adapter of each channel: export (人群包 for a platform tool), email or webhook.")
    export_dir: str = Field("exports", description="Directory of audience packages, relative to the workspace.")
    max_attempts: int = Field(8, ge=1, description="Attempts of a message over all send runs before it is failed.")
    batch_size: int = Field(500, ge=1, le=100_000, description="Messages sent per outbox batch (one transaction).")
    email: ReachEmailSettings = Field(default_factory=ReachEmailSettings)
    webhook: ReachWebhookSettings = Field(default_factory=ReachWebhookSettings)

    @field_validator("channel_caps", "adapters")
    @classmethod
    def _channels(cls, v: dict) -> dict:
        from siyu.contract.schema import REACH_CHANNELS

        for k in v:
            if k not in REACH_CHANNELS:
                raise ValueError(f"unknown channel {k!r}; the reach channels are {', '.join(REACH_CHANNELS)}")
        return v

    @field_validator("adapters")
    @classmethod
    def _adapters(cls, v: dict[str, str]) -> dict[str, str]:
        from siyu.contract.schema import REACH_CHANNELS

        for k, a in v.items():
            if a not in ("export", "email", "webhook"):
                raise ValueError(f"channel {k!r}: unknown adapter {a!r}; use export, email or webhook")
        return {c: v.get(c, "export") for c in REACH_CHANNELS}

    @field_validator("third_party_channels")
    @classmethod
    def _third(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        from siyu.contract.schema import REACH_CHANNELS

        for k in v:
            if k not in REACH_CHANNELS:
                raise ValueError(f"unknown channel {k!r}; the reach channels are {', '.join(REACH_CHANNELS)}")
        return v


class SiyuConfig(_Strict):
    """The whole configuration: ``[workspace]``, ``[model]``, ``[gain]``, ``[engine]``, ``[server]`` and ``[reach]``
    sections of ``siyu.toml``."""

    workspace: WorkspaceSettings = Field(default_factory=WorkspaceSettings)
    model: ModelConfig = Field(default_factory=ModelConfig)
    gain: GainConfig = Field(default_factory=GainConfig)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    reach: ReachSettings = Field(default_factory=ReachSettings)


def iter_settings() -> list[tuple[str, str, object, object]]:
    """Every setting as ``(section, key, field, default)``; a nested section is dotted (``engine.spark``)."""
    out: list[tuple[str, str, object, object]] = []

    def walk(section: str, model: type[BaseModel], defaults: dict) -> None:
        for key, f in model.model_fields.items():
            if isinstance(f.annotation, type) and issubclass(f.annotation, BaseModel):
                walk(f"{section}.{key}", f.annotation, defaults[key])
            else:
                out.append((section, key, f, defaults[key]))

    defaults = SiyuConfig().model_dump(mode="json")  # default factories called; tuples as lists
    for name, field in SiyuConfig.model_fields.items():
        walk(name, field.annotation, defaults[name])
    return out


def load_config(path: str | Path) -> SiyuConfig:
    """Read a ``siyu.toml``; a missing file gives the defaults.

    Raises
    ------
    ConfigError
        If the file is not valid TOML, has an unknown key or a bad value.
    """
    path = Path(path)
    if not path.exists():
        return SiyuConfig()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return SiyuConfig.model_validate(data)
    except PydanticValidationError as exc:
        msgs = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: {msgs}") from exc


def dump_config(config: SiyuConfig) -> str:
    """Render a configuration as TOML text (every setting, defaults included; a setting not set is left out)."""
    import tomli_w

    return tomli_w.dumps(config.model_dump(mode="json", exclude_none=True))


def _toml_value(v: object) -> str:
    """A TOML value on one line (inline tables for mappings)."""
    import json
    import re

    if isinstance(v, dict):
        keys = [k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else json.dumps(k, ensure_ascii=False) for k in v]
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in zip(keys, v.values())) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def config_template(config: SiyuConfig | None = None) -> str:
    """The ``siyu.toml`` written by ``siyu init``: every setting shown, commented out (so defaults stay live),
    except the values of ``config`` that differ from the defaults."""
    default = SiyuConfig().model_dump(mode="json")
    chosen = (config or SiyuConfig()).model_dump(mode="json")
    lines = ["# siyu workspace configuration. Every key is optional; uncomment to change a default.",
             "# Defaults and their sources: docs/customer-assets.md §Settings; `siyu config` prints the effective values.", ""]
    def section(name: str, model: type[BaseModel], values: dict, picked: dict) -> None:
        subs = [k for k, f in model.model_fields.items() if isinstance(f.annotation, type)
                and issubclass(f.annotation, BaseModel)]
        lines.append(f"[{name}]")
        for key, value in values.items():
            if key in subs:
                continue
            if value is None and picked[key] is None:
                lines.append(f"# {key}: not set")
                continue
            text = f"{key} = {_toml_value(picked[key])}"
            lines.append(text if picked[key] != value else "# " + text)
        lines.append("")
        for key in subs:
            section(f"{name}.{key}", model.model_fields[key].annotation, values[key], picked[key])

    for name, field in SiyuConfig.model_fields.items():
        section(name, field.annotation, default[name], chosen[name])
    return "\n".join(lines)
