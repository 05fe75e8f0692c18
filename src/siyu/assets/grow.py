"""GROW (品类/品牌增长模型): the GMV change between two periods split into G 渗透力, R 复购力, O 价格力, plus W 新品力.

Definitions: ``docs/customer-assets.md`` §GROW (GROW factors [S13a][S13b]; W 新品力 as the 快消 variant, 延展力 kept as
a sub-metric) and the conventions of ``docs/customer-assets.md`` (purchases, local dates, the new-buyer rule).
SQL: ``sql/grow_orders.sql`` (purchases per period, new or existing), ``sql/grow_decomposition.sql``,
``sql/grow_categories.sql``, ``sql/grow_new_products.sql``, ``sql/grow_launch_burst.sql``.

Decomposition. With ``GMV = B × F × V`` (B buyers, F = N / B, V = GMV / N, N = orders or, when
``grow_frequency = "purchase_days"``, purchase days) the change from P0 to P1 is split by the additive LMDI-I
(logarithmic mean Divisia index; Ang, B.W. 2004, "Decomposition analysis for policymaking in energy: which is the
preferred method?", *Energy Policy* 32(9), 1131–1139; the additive LMDI-I):

    L = (GMV1 − GMV0) / (ln GMV1 − ln GMV0)        (L = GMV1 when GMV1 = GMV0)
    G = L·ln(B1/B0),  R = L·ln(F1/F0),  O = L·ln(V1/V0),  G + R + O = GMV1 − GMV0 exactly.

siyu's choices where the public record is silent:

* **Periods** are local dates: P1 = ``as_of − grow_days + 1 … as_of``; P0 = the same length ending ``from_date``
  (default ``as_of − 365``: year over year). ``from_date`` must be before ``as_of``; overlapping periods are allowed
  (a purchase in both counts in both).
* **Zero cases**: a group or category with no buyers (or no GMV) in P0 or in P1 puts its whole change in G
  (entry / exit), R = O = 0; F and V are then None for the empty period.
* **New vs existing**: in each period a buyer is new when its earliest purchase day d0 in the period has no
  purchase in ``d0 − new_cust_lookback_days … d0 − 1``; the two groups are decomposed separately, and
  ΔGMV_new + ΔGMV_existing = ΔGMV (they partition the buyers of each period).
* **By category** (``category_level``; an unknown SKU is category ``unknown``): item GMV = line amount × the
  order's (amount − refund) / amount; B_c = buyers with a line of c, N_c = purchases (or purchase days) with a line
  of c. Categories with no buyers in P0 are *category expansion*; ``g_split`` sums G over the categories with and
  without base buyers. Item GMV need not add up to order GMV (shipping, order-level discounts) and a buyer counts
  in every category it bought, so the category G's describe where penetration happened; they do not add up to
  the total G.
* **W 新品力** over P1. A line is of a new SKU when ``0 ≤ order date − launch_date ≤ new_product_days − 1``.
  ``new_sku_gmv_share`` = new-SKU item GMV ÷ item GMV; ``new_sku_newcust_share`` = new buyers of P1 whose first
  purchase there (by pay time, then order id) has a new-SKU line ÷ new buyers of P1; ``launch_burst`` per SKU
  launched in P1 or the 30 days before it = item GMV in ``launch … launch + 29`` capped at ``as_of``, with the days
  observed; ``launch_agility`` = launches in P1 × 91 / ``grow_days`` (per quarter); ``extension`` (延展力) = P1
  item GMV of the categories with no sales in P0 (= the category-expansion GMV1).
* All per-order work is SQL; the log-mean arithmetic runs in Python (:func:`lmdi`) on the few aggregated rows.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError
from siyu.engine.dates import as_date, default_as_of
from siyu.engine.duckdb import run
from siyu.engine.sql import bind, load_model, model_arrow
from siyu.metrics.ratio import ratio

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["GROW_LABELS", "grow", "lmdi"]

GROW_LABELS = {
    "G": ("渗透力", "Gain: penetration"),
    "R": ("复购力", "Retain: repurchase"),
    "O": ("价格力", "bOOst: price"),
    "W": ("新品力", "Widen: new products"),
}

_QUARTER_DAYS = 91
_COUNTS = ("buyers0", "n0", "gmv0", "buyers1", "n1", "gmv1")  # the columns of a decomposition row


def _log_mean(a: float, b: float) -> float:
    """The logarithmic mean L(a, b) = (a − b) / (ln a − ln b), with L(a, a) = a (a, b > 0)."""
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def lmdi(buyers0: int, n0: int, gmv0: float, buyers1: int, n1: int, gmv1: float) -> dict[str, Any]:
    """Additive LMDI-I decomposition of ``GMV = B × F × V`` from period 0 to period 1 (Ang 2004).

    Parameters
    ----------
    buyers0, n0, gmv0, buyers1, n1, gmv1
        Buyers B, frequency count N (orders or purchase days) and GMV in each period; F = N / B, V = GMV / N.

    Returns
    -------
    dict
        ``gmv0, gmv1, delta, B0, B1, F0, F1, V0, V1, G, R, O`` with ``G + R + O = delta``. When either period has
        no buyers or no GMV the whole change is G (entry / exit) and R = O = 0.
    """
    f0 = n0 / buyers0 if buyers0 else None
    f1 = n1 / buyers1 if buyers1 else None
    v0 = gmv0 / n0 if n0 else None
    v1 = gmv1 / n1 if n1 else None
    delta = gmv1 - gmv0
    if min(buyers0, buyers1, n0, n1) <= 0 or min(gmv0, gmv1) <= 0:
        g, r, o = delta, 0.0, 0.0
    else:
        w = _log_mean(gmv1, gmv0)
        g = w * (math.log(buyers1) - math.log(buyers0))
        r = w * (math.log(f1) - math.log(f0))
        o = w * (math.log(v1) - math.log(v0))
    return {"gmv0": gmv0, "gmv1": gmv1, "delta": delta, "B0": buyers0, "B1": buyers1, "F0": f0, "F1": f1,
            "V0": v0, "V1": v1, "G": g, "R": r, "O": o}


def grow(ws: Workspace, as_of: dt.date | str | None = None, from_date: dt.date | str | None = None) -> dict[str, Any]:
    """GROW between the ``grow_days`` ending ``from_date`` (P0, default ``as_of − 365``) and those ending ``as_of`` (P1).

    Returns
    -------
    dict
        ``as_of``, ``from``, ``period_days``, ``frequency`` (``orders`` or ``purchase_days``), ``periods``
        (first and last date of P0 and P1); ``total``, ``new`` and ``existing`` (each :func:`lmdi`);
        ``categories`` (one :func:`lmdi` per category with ``category`` and ``expansion``); ``g_split``
        (``penetration_existing_categories``, ``category_expansion``); ``w`` (``new_sku_gmv_share``,
        ``new_sku_newcust_share``, ``launch_agility``, ``extension``, ``launches``, ``launch_burst``: a list of
        ``sku, launch_date, gmv_30d, days_observed``). Shares are None when their denominator is 0.

    Raises
    ------
    ConfigError
        If ``from_date`` is not before ``as_of``.
    """
    t = default_as_of(ws, as_of)
    f = as_date(from_date, name="from") or t - dt.timedelta(days=365)
    if f >= t:
        raise ConfigError(f"--from {f} must be before --as-of {t}")
    m = ws.config.model
    days = m.grow_days
    with ws.session() as conn:
        # the named model grow_orders, materialised once (DDL only) for the four models that read _grow_orders
        run(conn, "CREATE OR REPLACE TEMP TABLE _grow_orders AS " + load_model("grow_orders").sql,
            bind(ws, "grow_orders", as_of=t, from_date=f))
        try:
            groups = {r.pop("grp"): r for r in model_arrow(ws, conn, "grow_decomposition").to_pylist()}
            cats = model_arrow(ws, conn, "grow_categories").to_pylist()
            (npd,) = model_arrow(ws, conn, "grow_new_products", as_of=t).to_pylist()
            burst = model_arrow(ws, conn, "grow_launch_burst", as_of=t).to_pylist()
        finally:
            run(conn, "DROP TABLE IF EXISTS _grow_orders")

    total = {k: groups["new"][k] + groups["existing"][k] for k in groups["new"]}
    categories = [{"category": c["category"], **lmdi(**{k: c[k] for k in _COUNTS}), "expansion": c["expansion"]}
                  for c in cats]
    expansion_g = sum(c["G"] for c in categories if c["expansion"])
    return {
        "as_of": t, "from": f, "period_days": days, "frequency": m.grow_frequency,
        "periods": {"P0": (f - dt.timedelta(days=days - 1), f), "P1": (t - dt.timedelta(days=days - 1), t)},
        "total": lmdi(**total), "new": lmdi(**groups["new"]), "existing": lmdi(**groups["existing"]),
        "categories": categories,
        "g_split": {"penetration_existing_categories": sum(c["G"] for c in categories if not c["expansion"]),
                    "category_expansion": expansion_g},
        "w": {
            "new_sku_gmv_share": ratio(npd["new_sku_gmv"], npd["item_gmv"]),
            "new_sku_newcust_share": ratio(npd["new_buyers_new_sku"], npd["new_buyers"]),
            "launch_agility": npd["launches"] * _QUARTER_DAYS / days,
            "extension": sum(c["gmv1"] for c in categories if c["expansion"]),
            "launches": npd["launches"],
            "launch_burst": burst,
        },
    }


