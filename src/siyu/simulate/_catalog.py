"""Catalogue of a beauty / personal-care FMCG brand store and the choice of order items.

SKUs carry a Zipf-like popularity; new launches get a decaying boost, members put extra weight on new
SKUs and, during the first ``members_first_days`` after a launch, mostly members can buy them (会员尝鲜).
Order items are drawn by popularity with a light price fit to the order's Gamma-Gamma spend.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from siyu.simulate._arrow import categorical, fixed_width_ids, money
from siyu.simulate._calendar import Calendar
from siyu.simulate._config import SimulationConfig

__all__ = ["BRANDS", "CATEGORIES", "Catalog", "build_catalog", "pick_items"]

#: (category_l1, category_leaf, typical list price in CNY, share of SKUs)
CATEGORIES: tuple[tuple[str, str, float, float], ...] = (
    ("护肤", "面霜", 320.0, 0.10), ("护肤", "精华", 420.0, 0.12), ("护肤", "面膜", 129.0, 0.10),
    ("护肤", "洁面", 99.0, 0.08),
    ("彩妆", "口红", 229.0, 0.12), ("彩妆", "粉底", 359.0, 0.08), ("彩妆", "眼影", 279.0, 0.06),
    ("身体护理", "沐浴露", 69.0, 0.08), ("身体护理", "身体乳", 99.0, 0.08),
    ("洗护", "洗发水", 79.0, 0.10), ("洗护", "护发素", 79.0, 0.08),
)
#: The store's own brand and the group's second brand.
BRANDS = ("露米 LUMI", "花娜 HANA")
NEW_DAYS = 180  # a SKU is "new" this many days after launch (docs/customer-assets.md §GROW)
BOOST_DAYS = 45.0  # time constant of the launch boost
PAID_TO_LIST = 0.8  # typical paid / list value of a basket (coupons, 满减)
LINE_MIN_CNY = 60  # a basket has at most one line per this much spend


@dataclass
class Catalog:
    """The SKUs, their launch day (days since the simulator origin, may be negative) and popularity."""

    leaf: np.ndarray
    brand: np.ndarray
    launch: np.ndarray
    price_cents: np.ndarray
    popularity: np.ndarray
    table: pa.Table
    new_in_window: int

    @property
    def n(self) -> int:
        return len(self.leaf)

    def weights(self, day: int, member: bool, cfg: SimulationConfig) -> np.ndarray:
        """Choice weights of every SKU on simulated ``day`` for a member or a non-member."""
        age = day - self.launch
        w = np.where(age >= 0, self.popularity, 0.0)
        w = w * (1.0 + cfg.new_product_boost * np.exp(-np.maximum(age, 0) / BOOST_DAYS))
        new = (age >= 0) & (age < NEW_DAYS)
        first = (age >= 0) & (age < cfg.members_first_days)
        if member:
            w = w * np.where(new, 1.0 + cfg.member_new_affinity, 1.0)
        else:
            w = w * np.where(first, 0.05, 1.0)
        return w

    def static_pick(self, rng: np.random.Generator, t: np.ndarray) -> np.ndarray:
        """A SKU per time ``t`` by popularity among SKUs launched by then (for browsing events)."""
        cdf = np.cumsum(self.popularity)
        sku = np.searchsorted(cdf, rng.random(len(t)) * cdf[-1], side="right")
        sku = np.minimum(sku, self.n - 1)
        early = self.launch[sku] > np.floor(t)
        if early.any():  # not launched yet: fall back to an old SKU
            old = np.flatnonzero(self.launch <= 0)
            if len(old) == 0:
                old = np.array([int(np.argmin(self.launch))])
            sku[early] = old[rng.integers(0, len(old), early.sum())]
        return sku


def build_catalog(cfg: SimulationConfig, cal: Calendar, rng: np.random.Generator) -> Catalog:
    """Draw the catalogue: categories, brands, prices, launch dates (most before the window)."""
    n = cfg.n_skus
    shares = np.array([c[3] for c in CATEGORIES])
    extra = rng.choice(len(CATEGORIES), size=n - len(CATEGORIES), p=shares / shares.sum())
    leaf = np.sort(np.concatenate([np.arange(len(CATEGORIES)), extra]))  # every leaf present
    base = np.array([c[2] for c in CATEGORIES])[leaf]
    price = np.maximum(19.0, base * rng.lognormal(0.0, 0.35, n))
    price_cents = (np.maximum(np.round(price / 10.0) * 10.0 - 1.0, 19.0) * 100).astype(np.int64)  # 299.00-style
    brand = (rng.random(n) < cfg.second_brand_share).astype(np.int8)
    n_new = int(min(round(cfg.new_launches_per_quarter * cfg.days / 91.3125), 0.4 * n))
    launch = cal.prehistory - rng.integers(30, 4 * 365, n)  # before the window (and mostly before the origin)
    new_idx = rng.choice(n, size=n_new, replace=False)
    slots = cal.prehistory + np.linspace(5, cfg.days - 10, n_new) + rng.integers(-4, 5, n_new)
    launch[new_idx] = np.clip(np.round(slots), cal.prehistory, cal.n_days - 1).astype(np.int64)
    popularity = rng.lognormal(0.0, 1.1, n)
    popularity[new_idx] *= 1.5
    l1_names = [c[0] for c in CATEGORIES]
    leaf_names = [c[1] for c in CATEGORIES]
    number = np.arange(1, n + 1)
    names = [f"{BRANDS[b].split()[0]} {leaf_names[k]} No.{i:03d}" for b, k, i in zip(brand, leaf, number, strict=True)]
    launch_date = (cal.dates[0] + launch).astype("datetime64[D]")
    table = pa.table({
        "sku": fixed_width_ids("sku", number, 4),
        "name": pa.array(names, type=pa.string()),
        "brand": categorical(brand, BRANDS, dictionary=False),
        "category_l1": categorical(leaf, l1_names, dictionary=False),
        "category_leaf": categorical(leaf, leaf_names, dictionary=False),
        "launch_date": pa.array(launch_date, type=pa.date32()),
        "list_price": money(price_cents),
    })
    return Catalog(leaf, brand, launch.astype(np.int64), price_cents, popularity, table, n_new)


def pick_items(
    cfg: SimulationConfig, cat: Catalog, rng: np.random.Generator,
    day: np.ndarray, member: np.ndarray, amount_cents: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Order lines for orders with simulated ``day``, member flag and paid ``amount_cents``.

    1–3 distinct SKUs per order (one per ``LINE_MIN_CNY`` of spend at most), each chosen among 4
    popularity draws as the one whose list price is closest to the order's spend per line at a
    typical ``PAID_TO_LIST`` ratio; quantities grow when the spend exceeds the list total
    (stocking up at festivals). Line amounts split the paid amount pro rata to list value, in exact
    cents, so they sum to the order amount.

    Returns
    -------
    order, sku, qty, line_cents : numpy.ndarray
        One row per order line, sorted by order then SKU.
    """
    n = len(day)
    k = 1 + np.searchsorted(np.array([0.6, 0.88]), rng.random(n), side="right")
    k = np.minimum(k, np.clip(amount_cents // (LINE_MIN_CNY * 100), 1, 3))  # small baskets have one line
    order = np.repeat(np.arange(n), k)
    n_lines = len(order)
    n_cand = 4
    u = rng.random((n_lines, n_cand))
    cand = np.zeros((n_lines, n_cand), dtype=np.int64)
    line_day, line_mem = day[order], member[order]
    key = line_day * 2 + line_mem.astype(np.int64)
    srt = np.argsort(key, kind="stable")
    bounds = np.searchsorted(key[srt], np.arange(0, 2 * _max_day(day) + 3))
    for g in range(len(bounds) - 1):
        lo, hi = bounds[g], bounds[g + 1]
        if lo == hi:
            continue
        w = cat.weights(g // 2, bool(g % 2), cfg)
        cdf = np.cumsum(w)
        rows = srt[lo:hi]
        cand[rows] = np.minimum(np.searchsorted(cdf, u[rows] * cdf[-1], side="right"), cat.n - 1)
    target = amount_cents[order] / (k[order] * PAID_TO_LIST)
    dist = np.abs(np.log(cat.price_cents[cand]) - np.log(np.maximum(target, 100))[:, None])
    sku = cand[np.arange(n_lines), np.argmin(dist, axis=1)]
    # merge duplicate SKUs within an order
    uniq, inv = np.unique(order * cat.n + sku, return_inverse=True)
    order, sku = uniq // cat.n, uniq % cat.n
    qty = np.bincount(inv, minlength=len(uniq)).astype(np.int64)
    qty += (rng.random(len(uniq)) < 0.12).astype(np.int64)  # a second unit now and then
    list_value = cat.price_cents[sku] * qty
    order_list = np.bincount(order, weights=list_value, minlength=n)
    factor = np.ceil(amount_cents / np.maximum(order_list, 1) - 1e-9)  # >= 1 when spend exceeds the list total
    qty = qty * np.maximum(factor[order], 1).astype(np.int64)
    list_value = cat.price_cents[sku] * qty
    order_list = np.bincount(order, weights=list_value, minlength=n)
    share = list_value / order_list[order]
    line = np.floor(amount_cents[order] * share).astype(np.int64)
    remainder = amount_cents - np.bincount(order, weights=line, minlength=n).astype(np.int64)
    first = np.r_[0, np.flatnonzero(np.diff(order)) + 1]
    line[first] += remainder[order[first]]
    return order, sku, qty, line


def _max_day(day: np.ndarray) -> int:
    """Largest simulated day index among ``day`` (0 when empty)."""
    return int(day.max()) if len(day) else 0
