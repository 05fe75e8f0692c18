"""The 12 GAIN indicators (天猫快消 × 欧泰谱 2025 CLTV health model), each with numerator and denominator.

Definitions: ``docs/gain.md`` §GAIN (what is published [S14]) and §The 12 indicators (siyu's exact operational rules,
all PROP: the white paper's formulas are not public). SQL: ``sql/gain_indicators.sql`` (one pass for the 12
values) and ``sql/gain_g3_channels.sql`` (G3 by acquisition channel).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from siyu.engine.dates import as_date, default_as_of
from siyu.engine.duckdb import arrow, registered
from siyu.engine.sql import bind, load_model
from siyu.metrics.ratio import ratio

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["DIMENSIONS", "INDICATORS", "Indicator", "g3_by_channel", "indicator_windows", "indicators_at"]


@dataclass(frozen=True)
class Indicator:
    """One GAIN indicator: id, dimension, bilingual name and what it measures."""

    id: str
    dimension: str
    name_zh: str
    name_en: str
    definition: str


#: dimension -> (Chinese, English)
DIMENSIONS = {"G": ("需求驱动力", "Generate demand"), "A": ("人群策略力", "Audience adaptation"),
              "I": ("参与互动力", "Intensify engagement"), "N": ("长期增长力", "Nurture growth")}

INDICATORS: dict[str, Indicator] = {i.id: i for i in (
    Indicator("G1", "G", "品牌心智力", "Brand mindshare",
              "new buyers in W30 who searched the brand or came direct in the 15 days up to their first purchase ÷ new buyers in W30"),
    Indicator("G2", "G", "人群突破力", "Audience breakthrough", "new buyers in W90 ÷ buyers in W90"),
    Indicator("G3", "G", "渠道增长力", "Channel growth",
              "new buyers in W90 ÷ new buyers in the same 90 days a year earlier − 1"),
    Indicator("A1", "A", "高价值人群渗透", "High-value audience penetration",
              "high-value base (spend ≥ P80 in T−454…T−90) who bought in T−89…T ÷ base"),
    Indicator("A2", "A", "主力人群渗透", "Main audience penetration",
              "main base (P20 ≤ spend < P80 in T−454…T−90) who bought in T−89…T ÷ base"),
    Indicator("A3", "A", "潜力人群渗透", "Potential audience penetration",
              "users at AIPL stage I at T−90 who bought in T−89…T ÷ those users"),
    Indicator("I1", "I", "老客入会率", "Old-customer membership rate",
              "old customers (bought in W365, first purchase before T−364) who are members ÷ old customers"),
    Indicator("I2", "I", "会员活跃率", "Active-member rate",
              "members with add-to-cart, favourite, benefit claim or purchase in W30 ÷ members (FAST T)"),
    Indicator("I3", "I", "会员触达力", "Member reach", "members with a delivered message in W30 ÷ members"),
    Indicator("N1", "N", "会员复购率", "Member repurchase rate",
              "purchasing members with ≥ 2 purchase days in W365 ÷ purchasing members"),
    Indicator("N2", "N", "会员跨品率", "Member cross-category rate",
              "purchasing members buying ≥ 2 categories (or brands) in W365 ÷ purchasing members"),
    Indicator("N3", "N", "会员新品力", "Member new-product rate",
              "purchasing members who bought a SKU within 180 days of its launch in W365 ÷ purchasing members"),
)}


def indicators_at(ws: "Workspace", as_of: dt.date | str | None = None) -> dict[str, Any]:
    """The 12 indicators at ``as_of``: ``{"G1": {"value", "numerator", "denominator"}, …, "vip88_buyer_share": {…}}``."""
    from siyu.assets.aipl import aipl

    t = default_as_of(ws, as_of)
    g = ws.config.gain
    stage90 = aipl(ws, t - dt.timedelta(days=90))
    lo, hi = ws.config.model.mid_value_pct
    params = bind(ws, "gain_indicators", as_of=t, mid_low=lo, mid_high=hi, audience_mode=g.audience_mode,
                  crowd_a1=g.platform_crowds["A1"], crowd_a2=g.platform_crowds["A2"], crowd_a3=g.platform_crowds["A3"])
    with ws.session() as conn, registered(conn, _stage90=stage90):
        row = arrow(conn, load_model("gain_indicators").sql, params).to_pylist()[0]
    out: dict[str, Any] = {}
    for k in INDICATORS:
        num, den = row[f"{k.lower()}_num"], row[f"{k.lower()}_den"]
        out[k] = {"value": ratio(num, den, growth=k == "G3"), "numerator": num, "denominator": den}
    out["vip88_buyer_share"] = {"value": ratio(row["vip88_num"], row["vip88_den"]), "numerator": row["vip88_num"],
                                "denominator": row["vip88_den"]}
    return out


def indicator_windows(ws: "Workspace", t: dt.date) -> dict[str, Any]:
    """Per indicator, the look-back windows of the logs its value at ``t`` reads (``sql/gain_indicators.sql``).

    A new buyer's look-back (``new_cust_lookback_days``) extends its window; I1's "first purchase before T−364"
    is read as a year of orders before W365 (siyu); members, follows, products and tags are state (no window).
    Returns ``{"G1": Windows, …}`` for :func:`siyu.metrics.coverage.uncovered`.
    """
    from siyu.assets.fast import stage_windows
    from siyu.metrics.coverage import merge_windows, windows

    m = ws.config.model
    lb = m.new_cust_lookback_days
    internal = ws.config.gain.audience_mode == "internal"
    recent = windows(t, orders=[90])
    base = windows(t, orders=[455, 90]) if internal else recent
    w365 = windows(t, orders=[365])
    return {
        "G1": windows(t, orders=[30 + lb, 30], events=[30 + 14]),
        "G2": windows(t, orders=[90 + lb, 90]),
        "G3": windows(t, orders=[455 + lb, 90]),
        "A1": base, "A2": base,
        "A3": merge_windows(stage_windows(m, t - dt.timedelta(days=90)), recent) if internal else recent,
        "I1": windows(t, orders=[365 + lb, 365]),
        "I2": windows(t, orders=[30], events=[30]),
        "I3": windows(t, reach_log=[m.reach_days]),
        "N1": w365, "N2": w365, "N3": w365,
    }


def g3_by_channel(ws: "Workspace", as_of: dt.date | str | None = None) -> dict[str, Any]:
    """G3 per acquisition channel (the channel of the new buyer's first order) and the channel breadth.

    Returns
    -------
    dict
        ``channels``: rows ``channel, new_buyers, new_buyers_last_year, growth, share``;
        ``breadth`` = 1 − HHI of this year's new-buyer channel shares.
    """
    t = default_as_of(ws, as_of)
    rows = ws.query(load_model("gain_g3_channels").sql, bind(ws, "gain_g3_channels", as_of=as_date(t))).to_pylist()
    total = sum(r["new_buyers"] for r in rows)
    for r in rows:
        r["growth"] = ratio(r["new_buyers"], r["new_buyers_last_year"], growth=True)
        r["share"] = r["new_buyers"] / total if total else None
    breadth = 1 - sum((r["share"] or 0) ** 2 for r in rows) if total else None
    return {"as_of": t, "channels": rows, "breadth": breadth}
