"""The 全站推 product screen: which products to push, which to test first, which will not deliver.

Merchants' experience of 全站推 (docs/autobid-advisor.md §Advisor): hot products do better; new products with a thin sales base
(fewer than about 10–20 sales), a target ROI far above the category's market ROI, a low CTR (worse placements),
a high price or a long decision cycle need careful testing. :func:`screen_products` classifies each product as
hot / normal / test-first from its sales base, reviews, CTR, pCVR and price and flags the ones that will not
deliver, with reasons in Chinese and English; thresholds live in :class:`ScreenRule`.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu._exceptions import ConfigError, ValidationError
from siyu.autobid.compensation import _records


# -- the product screen --------------------------------------------------------------------------------------------
class ScreenRule(BaseModel):
    """Thresholds of :func:`screen_products` (merchants' lore about 全站推, made explicit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_sales: int = Field(15, ge=0, description="fewer 30-day sales than this: a new product, will not deliver")
    hot_sales: int = Field(300, ge=0, description="30-day sales of a hot product (爆品)")
    hot_pcvr: float = Field(0.02, ge=0, le=1, description="pCVR of a hot product")
    min_ctr: float = Field(0.01, ge=0, le=1, description="CTR below this gets worse placements")
    low_ctr_ratio: float = Field(0.7, gt=0, description="CTR below this × category_ctr (when given) is low")
    max_target_ratio: float = Field(1.3, gt=0, description="target ROI above this × market ROI will not deliver")
    high_price_ratio: float = Field(3.0, gt=0, description="price above this × the median price is high")
    high_price: float | None = Field(None, gt=0, description="absolute high price (overrides the ratio)")
    long_cycle_days: float = Field(7.0, gt=0, description="decision_days above this is a long decision cycle")
    min_reviews: int = Field(10, ge=0, description="fewer reviews: weak social proof")
    min_rating: float = Field(4.5, ge=0, description="lower rating: weak social proof")


TIERS: dict[str, tuple[str, str]] = {"hot": ("爆品", "hot"), "normal": ("常规", "normal"),
                                     "test_first": ("先测试", "test-first")}
REQUIRED = ("product_id", "sales_30d", "ctr", "pcvr", "price")
OPTIONAL = ("reviews", "rating", "category_market_roi", "category_ctr", "decision_days", "target_roi")


@dataclass(frozen=True)
class ProductVerdict:
    """One product of the screen: its tier, whether it can deliver the target, and why."""

    product_id: str
    tier: str
    will_deliver: bool
    flags: tuple[str, ...]
    reasons_zh: tuple[str, ...]
    reasons_en: tuple[str, ...]
    target_roi: float
    market_roi: float

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.update(tier_zh=TIERS[self.tier][0], flags=list(self.flags), reasons_zh=list(self.reasons_zh),
                 reasons_en=list(self.reasons_en))
        return d


def _pfail(file: str | None, rule: str, *, row: int | None = None, column: str | None = None,
           value: Any = None) -> None:
    if file is not None:
        raise ValidationError(file, rule, row=row, column=column, value=value)
    where = ", ".join(x for x in (f"row {row}" if row else "", f"column {column!r}" if column else "") if x)
    raise ConfigError(f"products{', ' + where if where else ''}: {rule}" + (f" (got {value!r})" if value is not None
                                                                             else ""))


def _pnum(r: Mapping[str, Any], col: str, file: str | None, row: int, *, rate: bool = False) -> float | None:
    v = r.get(col)
    if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v)):
        if col in REQUIRED:
            _pfail(file, "value is missing", row=row, column=col)
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        _pfail(file, "must be a number", row=row, column=col, value=v)
    if not math.isfinite(x) or x < 0 or (rate and x > 1):
        _pfail(file, "must be a rate in [0, 1]" if rate else "must be a finite number ≥ 0", row=row, column=col,
               value=v)
    return x


def screen_products(products: Any, *, target_roi: float, market_roi: float = 3.0,
                    rule: ScreenRule | None = None) -> list[ProductVerdict]:
    """Classify products as hot / normal / test-first for 全站推 and flag those that will not deliver.

    Parameters
    ----------
    products : pandas.DataFrame, pyarrow.Table, list of dict, or path of a CSV file
        Columns ``product_id, sales_30d, ctr, pcvr, price`` and optionally ``reviews, rating,
        category_market_roi, category_ctr, decision_days, target_roi`` (a per-product target).
    target_roi : float
        The target ROI the merchant plans to set.
    market_roi : float, default 3.0
        The category's market ROI where a row has no ``category_market_roi``.
    rule : ScreenRule, optional

    Notes
    -----
    * **will not deliver**: fewer than ``min_sales`` 30-day sales (a new product: pCVR unknown, the bidder cannot
      value it), or a target above ``max_target_ratio`` × the market ROI (the bidder can only win the few
      impressions priced far below market);
    * **test-first**: either of those, a low CTR (worse placements), a high price (``high_price``, or
      ``high_price_ratio`` × the table's median price) or a long decision cycle (``decision_days``);
    * **hot**: none of those, ``sales_30d ≥ hot_sales`` and ``pcvr ≥ hot_pcvr``; otherwise **normal**. Few
      reviews or a low rating are noted without changing the tier.
    """
    rule = rule or ScreenRule()
    for name, v in (("target_roi", target_roi), ("market_roi", market_roi)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ConfigError(f"{name} must be a number > 0, got {v!r}")
    parsed = _parse_products(products)
    high = rule.high_price or rule.high_price_ratio * statistics.median(d["price"] for _, d in parsed)
    return [_screen_one(pid, d, rule, high, float(target_roi), float(market_roi)) for pid, d in parsed]


def _parse_products(products: Any) -> list[tuple[str, dict[str, float | None]]]:
    """Validated product rows: ``(product_id, {column: value})`` (errors name the file, row and column)."""
    rows, file = _records(products)
    if not rows:
        _pfail(file, "no products")
    for col in REQUIRED:
        if col not in rows[0]:
            _pfail(file, f"required column is missing (need {', '.join(REQUIRED)})", column=col)
    parsed, seen = [], {}
    for i, r in enumerate(rows, start=1):
        pid = r.get("product_id")
        if pid is None or not str(pid).strip():
            _pfail(file, "value is missing", row=i, column="product_id")
        pid = str(pid).strip()
        if pid in seen:
            _pfail(file, f"product appears twice (first on row {seen[pid]})", row=i, column="product_id", value=pid)
        seen[pid] = i
        d = {c: _pnum(r, c, file, i, rate=c in ("ctr", "pcvr", "category_ctr")) for c in REQUIRED[1:] + OPTIONAL
             if c in r or c in REQUIRED}
        if d.get("target_roi") == 0 or d.get("category_market_roi") == 0:
            _pfail(file, "must be > 0", row=i, column="target_roi" if d.get("target_roi") == 0
                   else "category_market_roi", value=0)
        parsed.append((pid, d))
    return parsed


def _screen_one(pid: str, d: Mapping[str, Any], rule: ScreenRule, high: float, target_roi: float,
                market_roi: float) -> ProductVerdict:
    """The verdict on one validated product (rules: :func:`screen_products`)."""
    flags, zh, en = [], [], []
    tgt = d.get("target_roi") or target_roi
    mkt = d.get("category_market_roi") or market_roi
    if d["sales_30d"] < rule.min_sales:
        flags.append("new_product")
        zh.append(f"新品：近 30 天仅 {d['sales_30d']:g} 笔销量（< {rule.min_sales}），转化率未知，盲投只能碰运气")
        en.append(f"new product: {d['sales_30d']:g} sales in 30 days (< {rule.min_sales}); its pCVR is "
                  f"unknown, so the bidder cannot value it")
    if tgt > rule.max_target_ratio * mkt:
        flags.append("target_above_market")
        zh.append(f"目标 ROI {tgt:g} 远高于类目市场 ROI {mkt:g}（> {rule.max_target_ratio:g}×），跑不出量")
        en.append(f"target ROI {tgt:g} is far above the category's market ROI {mkt:g} "
                  f"(> {rule.max_target_ratio:g}×): it will hardly win any traffic")
    ctr_floor = rule.min_ctr if d.get("category_ctr") is None else rule.low_ctr_ratio * d["category_ctr"]
    if d["ctr"] < ctr_floor:
        flags.append("low_ctr")
        zh.append(f"点击率 {d['ctr']:.2%} 偏低（< {ctr_floor:.2%}），系统会给较差的资源位：先优化主图/短视频")
        en.append(f"CTR {d['ctr']:.2%} is low (< {ctr_floor:.2%}): worse placements; improve the main image or "
                  f"video first")
    if d["price"] > high:
        flags.append("high_price")
        zh.append(f"客单价 ¥{d['price']:,.0f} 偏高（> ¥{high:,.0f}），决策周期长，需小预算测试")
        en.append(f"high price ¥{d['price']:,.0f} (> ¥{high:,.0f}): long decision, test with a small budget")
    if d.get("decision_days") is not None and d["decision_days"] > rule.long_cycle_days:
        flags.append("long_cycle")
        zh.append(f"转化周期 {d['decision_days']:g} 天（> {rule.long_cycle_days:g}），7 天窗口内 ROI 易偏低")
        en.append(f"decision cycle {d['decision_days']:g} days (> {rule.long_cycle_days:g}): the 7-day ROI "
                  f"undercounts")
    notes_zh, notes_en = [], []
    if d.get("reviews") is not None and d["reviews"] < rule.min_reviews:
        notes_zh.append(f"评价仅 {d['reviews']:g} 条，口碑基础弱")
        notes_en.append(f"only {d['reviews']:g} reviews: weak social proof")
    if d.get("rating") is not None and d["rating"] < rule.min_rating:
        notes_zh.append(f"评分 {d['rating']:g} 偏低")
        notes_en.append(f"rating {d['rating']:g} is low")
    will = not ({"new_product", "target_above_market"} & set(flags))
    if flags:
        tier = "test_first"
    elif d["sales_30d"] >= rule.hot_sales and d["pcvr"] >= rule.hot_pcvr:
        tier = "hot"
        zh.append(f"爆品：近 30 天 {d['sales_30d']:g} 笔、转化率 {d['pcvr']:.1%}，全站推优势最大")
        en.append(f"hot: {d['sales_30d']:g} sales in 30 days and pCVR {d['pcvr']:.1%}; 全站推 favours it")
    else:
        tier = "normal"
        zh.append("常规品：可按推荐目标投放")
        en.append("normal: run at the recommended target")
    return ProductVerdict(product_id=pid, tier=tier, will_deliver=will, flags=tuple(flags),
                          reasons_zh=tuple(zh + notes_zh), reasons_en=tuple(en + notes_en),
                          target_roi=tgt, market_roi=mkt)
