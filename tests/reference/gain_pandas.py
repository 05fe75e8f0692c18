"""Independent pandas/numpy reference implementation of siyu's 12 GAIN indicators.

Spec: ``docs/gain.md`` §The 12 indicators (siyu's exact rules for the 12 values at snapshot T), with the conventions of
docs/data.md (§Dates, §Purchases) and members as in docs/customer-assets.md. Written without looking at the production GAIN code; tests compare the production
(numerator, denominator, value) of every indicator with :func:`gain_indicators`.

Plain pandas on purpose (merges, groupbys and sets -- a different route from a SQL engine and from the array tricks
of ``assets_pandas``). The only thing borrowed is ``assets_pandas.aipl`` for the A3 base (AIPL stage at T-90).

Conventions
-----------
* Local day = calendar date of the naive local timestamp (``datetime64[D]``, i.e. floor). ``W(N)`` at T = T-N+1 .. T.
  Nothing dated after T is used (except that the AIPL reference decides what it decides at T-90).
* Purchase = order with user_id and paid_at and ``refund_amount < amount`` (missing refund = 0), compared in exact
  integer cents; spend = Σ(amount - refund) in cents, compared and ranked as float yuan (cents / 100).
* Members at T = users with a membership row with ``joined_at`` date <= T and (``left_at`` missing or its date > T).
* New buyer in window [lo, hi] = user whose earliest purchase date d0 in the window has no purchase dated
  d0-L .. d0-1 (L = ``new_cust_lookback_days``).
* Percentiles ``np.quantile(yuan, q, method="linear")`` over the buyers of the base window; ``>=`` qualifies.
* Every value is numerator / denominator (G3: numerator / denominator - 1), ``None`` when the denominator is 0.

AMBIGUITY -- readings picked where the brief/spec leaves room (flag these when results disagree):

1. G3 per channel: "first order in the window" = first *purchase* (fully refunded orders are not purchases, so they
   are skipped), earliest ``paid_at`` timestamp, ties by the smallest ``order_id`` (string order). A missing or empty
   (after stripping whitespace) channel is "unknown"; other channel strings are used as-is (case-sensitive).
2. G3 per channel: the channels reported are the union of the channels of this year's and last year's new buyers;
   a channel with no new buyer last year has value None; ``_breadth`` is None when there is no new buyer this year.
3. G1: the lookback is by local date, so an event on d0 counts even if it is later that day than the purchase.
   ``keyword_type`` must equal "brand" and ``type`` "search"; ``channel`` must equal "direct" exactly.
4. Platform mode: ``users.tags`` is split on ";", every token is stripped of surrounding whitespace and compared
   exactly with the crowd tag ("高价值人群x" is not "高价值人群"). Only rows of ``users`` carry crowds. Platform mode
   changes A1-A3 only; ``vip88_buyer_share`` is a separate function (the 12-key dict stays 12 keys). A missing
   ``is_88vip`` (or a buyer absent from ``users``) counts as not 88VIP.
5. N2: categories / brands that are missing (null) on the product are not a distinct value (SQL COUNT DISTINCT);
   order_items of orders that are not purchases, of orders outside W365 and of skus not in ``products`` are ignored.
6. N3: a missing ``launch_date`` is never new; the age is (local purchase date - launch_date) in days.
7. A1/A2: a user in the base who also bought in T-89..T counts whatever the spend; the thresholds are computed once
   over all buyers in B (the mid band uses ``mid_value_pct[0]`` <= spend < ``mid_value_pct[1]`` percentiles).
8. A3 (internal): the AIPL stage at T-90 comes from ``assets_pandas.aipl`` with its defaults (whose universe is every
   user id of users/orders/events/follows/memberships/reach_log).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

# the other engineer's reference, for the AIPL stage at T-90 (A3)
from .assets_pandas import aipl

__all__ = ["INDICATORS", "PLATFORM_CROWDS", "g3_by_channel", "gain_indicators", "gain_sets", "vip88_buyer_share"]

INDICATORS = ("G1", "G2", "G3", "A1", "A2", "A3", "I1", "I2", "I3", "N1", "N2", "N3")
PLATFORM_CROWDS = {"A1": "高价值人群", "A2": "主力人群", "A3": "潜力人群"}
_I2_TYPES = frozenset({"add_cart", "favorite", "benefit_claim"})
_I3_STATUSES = frozenset({"delivered", "opened", "clicked"})


# --------------------------------------------------------------------------------------------------------------
# small helpers
# --------------------------------------------------------------------------------------------------------------

def _t_day(as_of) -> int:
    """Day number (days since 1970-01-01) of the snapshot date."""
    if isinstance(as_of, (int, np.integer)):
        return int(as_of)
    if isinstance(as_of, dt.datetime):
        as_of = as_of.date()
    elif not isinstance(as_of, dt.date):
        as_of = pd.Timestamp(as_of).date()
    return (as_of - dt.date(1970, 1, 1)).days


def _col(df: pd.DataFrame, name: str) -> pd.Series:
    if df is not None and name in df.columns:
        return df[name]
    n = 0 if df is None else len(df)
    return pd.Series([None] * n, dtype=object)


def _text(s: pd.Series) -> pd.Series:
    """Strings as an object Series, None for missing (Categoricals, pandas str dtype, numbers ...)."""
    s = pd.Series(s).reset_index(drop=True)
    na = s.isna().to_numpy()
    arr = s.to_numpy(dtype=object)
    return pd.Series(np.array([None if m else str(v) for v, m in zip(arr, na)], dtype=object), dtype=object)


def _day(s: pd.Series) -> pd.Series:
    """Local day number (Int64, <NA> for missing) of a timestamp / date column."""
    s = pd.Series(s).reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s.astype(object), errors="raise")
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)  # keep the local wall clock
    na = s.isna().to_numpy()
    days = s.to_numpy().astype("datetime64[D]").astype(np.int64)
    return pd.Series(pd.array(np.where(na, 0, days), dtype="Int64")).mask(na)


def _cents(s: pd.Series) -> np.ndarray:
    """Money as exact integer cents (float64 holding integers; NaN for missing)."""
    v = pd.to_numeric(pd.Series(s).reset_index(drop=True).astype(object), errors="raise").astype("float64")
    return np.rint(v.to_numpy(dtype="float64", na_value=np.nan) * 100.0)


def _ratio(num: int, den: int) -> dict:
    return {"numerator": int(num), "denominator": int(den), "value": (num / den) if den else None}


# --------------------------------------------------------------------------------------------------------------
# the tables in the shape the rules need
# --------------------------------------------------------------------------------------------------------------

class _Data:
    def __init__(self, t: dict[str, pd.DataFrame]) -> None:
        # purchases (order level): order_id, user_id, ts, day, cents, channel
        o = t.get("orders")
        if o is None:
            o = pd.DataFrame()
        amount = _cents(_col(o, "amount"))
        refund = np.nan_to_num(_cents(_col(o, "refund_amount")), nan=0.0)
        ts = pd.to_datetime(_col(o, "paid_at").reset_index(drop=True).astype(object)) if len(o) else \
            pd.Series([], dtype="datetime64[us]")
        if len(o) and getattr(ts.dt, "tz", None) is not None:
            ts = ts.dt.tz_localize(None)
        orders = pd.DataFrame({
            "order_id": _text(_col(o, "order_id")),
            "user_id": _text(_col(o, "user_id")),
            "ts": ts,
            "day": _day(ts) if len(o) else pd.Series([], dtype="Int64"),
            "cents": amount - refund,
            "is_purchase": refund < amount,
            "channel": _text(_col(o, "channel")),
        })
        keep = orders["user_id"].notna() & orders["day"].notna() & orders["is_purchase"]
        p = orders[keep].drop(columns="is_purchase").reset_index(drop=True)
        p["day"] = p["day"].astype(np.int64)
        self.purchases = p
        # purchase days: one row per (user, day)
        self.pdays = p[["user_id", "day"]].drop_duplicates().reset_index(drop=True)

        # order lines of purchases joined to the catalogue
        it = t.get("order_items")
        items = pd.DataFrame({"order_id": _text(_col(it, "order_id")), "sku": _text(_col(it, "sku"))})
        pr = t.get("products")
        prods = pd.DataFrame({
            "sku": _text(_col(pr, "sku")),
            "category_leaf": _text(_col(pr, "category_leaf")),
            "category_l1": _text(_col(pr, "category_l1")),
            "brand": _text(_col(pr, "brand")),
            "launch_day": _day(_col(pr, "launch_date")) if pr is not None and len(pr) else pd.Series([], dtype="Int64"),
        })
        prods = prods[prods["sku"].notna()]
        lines = items.merge(p[["order_id", "user_id", "day"]], on="order_id", how="inner")
        self.lines = lines.merge(prods, on="sku", how="inner")  # skus missing from products do not count

        # events
        e = t.get("events")
        self.events = pd.DataFrame({
            "user_id": _text(_col(e, "user_id")),
            "day": _day(_col(e, "ts")) if e is not None and len(e) else pd.Series([], dtype="Int64"),
            "type": _text(_col(e, "type")),
            "keyword_type": _text(_col(e, "keyword_type")),
            "channel": _text(_col(e, "channel")),
        })
        self.events = self.events[self.events["user_id"].notna() & self.events["day"].notna()].reset_index(drop=True)

        # reach_log
        r = t.get("reach_log")
        self.reach = pd.DataFrame({
            "user_id": _text(_col(r, "user_id")),
            "day": _day(_col(r, "ts")) if r is not None and len(r) else pd.Series([], dtype="Int64"),
            "status": _text(_col(r, "status")),
        })
        self.reach = self.reach[self.reach["user_id"].notna() & self.reach["day"].notna()].reset_index(drop=True)

        # memberships
        m = t.get("memberships")
        self.memberships = pd.DataFrame({
            "user_id": _text(_col(m, "user_id")),
            "join_day": _day(_col(m, "joined_at")) if m is not None and len(m) else pd.Series([], dtype="Int64"),
            "left_day": _day(_col(m, "left_at")) if m is not None and len(m) else pd.Series([], dtype="Int64"),
        })
        self.memberships = self.memberships[self.memberships["user_id"].notna()
                                            & self.memberships["join_day"].notna()].reset_index(drop=True)

        # users
        u = t.get("users")
        vip = _col(u, "is_88vip").reset_index(drop=True)
        self.users = pd.DataFrame({
            "user_id": _text(_col(u, "user_id")),
            "tags": _text(_col(u, "tags")),
            "is_88vip": vip.map(lambda v: bool(v) if not pd.isna(v) else False).astype(bool) if len(vip)
            else pd.Series([], dtype=bool),
        })
        self.users = self.users[self.users["user_id"].notna()].reset_index(drop=True)

    # --- building blocks --------------------------------------------------------------------------------------
    def buyers(self, lo: int, hi: int) -> set:
        d = self.pdays
        return set(d.loc[(d["day"] >= lo) & (d["day"] <= hi), "user_id"])

    def new_buyers(self, lo: int, hi: int, lookback: int) -> pd.Series:
        """user_id -> d0 of the new buyers of the window [lo, hi]."""
        d = self.pdays
        w = d[(d["day"] >= lo) & (d["day"] <= hi)]
        d0 = w.groupby("user_id")["day"].min().rename("d0")
        prior = d[d["day"] < hi].merge(d0, left_on="user_id", right_index=True, how="inner")
        blocked = set(prior.loc[(prior["day"] >= prior["d0"] - lookback) & (prior["day"] <= prior["d0"] - 1),
                                "user_id"])
        return d0[~d0.index.isin(blocked)]

    def members(self, T: int) -> set:
        m = self.memberships
        active = (m["join_day"] <= T) & (m["left_day"].isna() | (m["left_day"] > T))
        return set(m.loc[active.fillna(False).astype(bool), "user_id"])

    def first_purchase_day(self, T: int) -> pd.Series:
        d = self.pdays
        return d[d["day"] <= T].groupby("user_id")["day"].min()

    def first_order_channel(self, users: pd.Index, lo: int, hi: int) -> pd.Series:
        """user_id -> channel of the user's first purchase in [lo, hi] (earliest paid_at, ties by order_id)."""
        p = self.purchases
        w = p[(p["day"] >= lo) & (p["day"] <= hi) & p["user_id"].isin(users)]
        w = w.sort_values(["user_id", "ts", "order_id"], kind="mergesort")
        first = w.drop_duplicates("user_id", keep="first").set_index("user_id")["channel"]
        return pd.Series([c if isinstance(c, str) and c.strip() != "" else "unknown" for c in first],
                         index=first.index, dtype=object)

    def crowd(self, tag: str) -> set:
        u = self.users
        has = [isinstance(s, str) and tag in [x.strip() for x in s.split(";")] for s in u["tags"]]
        return set(u.loc[np.array(has, dtype=bool), "user_id"])


# --------------------------------------------------------------------------------------------------------------
# the indicators
# --------------------------------------------------------------------------------------------------------------

def _check_options(audience_mode, category_level, crossbuy_dimension, new_product_days, high_value_pct,
                   mid_value_pct, new_cust_lookback_days) -> None:
    if audience_mode not in ("internal", "platform"):
        raise ValueError(f"audience_mode must be 'internal' or 'platform', not {audience_mode!r}")
    if category_level not in ("leaf", "l1"):
        raise ValueError(f"category_level must be 'leaf' or 'l1', not {category_level!r}")
    if crossbuy_dimension not in ("category", "brand"):
        raise ValueError(f"crossbuy_dimension must be 'category' or 'brand', not {crossbuy_dimension!r}")
    if int(new_product_days) < 1 or int(new_cust_lookback_days) < 1:
        raise ValueError("new_product_days and new_cust_lookback_days must be >= 1")
    lo, hi = mid_value_pct
    if not (0 <= lo < hi <= 1) or not (0 <= high_value_pct <= 1):
        raise ValueError("percentiles must be within [0, 1] and mid_value_pct (low, high) with low < high")


def gain_sets(t: dict[str, pd.DataFrame], as_of, *, audience_mode="internal", category_level="leaf",
              crossbuy_dimension="category", new_product_days=180, high_value_pct=0.8, mid_value_pct=(0.2, 0.8),
              new_cust_lookback_days=365) -> dict[str, tuple[set, set]]:
    """Per indicator, the (numerator users, denominator users) sets; for debugging disagreements.

    Every numerator set is a subset of its denominator set, except G3 (this year's vs last year's new buyers).
    """
    _check_options(audience_mode, category_level, crossbuy_dimension, new_product_days, high_value_pct,
                   mid_value_pct, new_cust_lookback_days)
    D = _Data(t)
    T = _t_day(as_of)
    L = int(new_cust_lookback_days)
    out: dict[str, tuple[set, set]] = {}

    # ---- G -----------------------------------------------------------------------------------------------------
    nb30 = D.new_buyers(T - 29, T, L)
    e = D.events
    hit = e[((e["type"] == "search") & (e["keyword_type"] == "brand")) | (e["channel"] == "direct")]
    hit = hit[["user_id", "day"]].merge(nb30, left_on="user_id", right_index=True, how="inner")
    g1 = set(hit.loc[(hit["day"] >= hit["d0"] - 14) & (hit["day"] <= hit["d0"]), "user_id"])
    out["G1"] = (g1, set(nb30.index))

    nb90 = D.new_buyers(T - 89, T, L)
    out["G2"] = (set(nb90.index), D.buyers(T - 89, T))

    nb_ly = D.new_buyers(T - 454, T - 365, L)
    out["G3"] = (set(nb90.index), set(nb_ly.index))

    # ---- A -----------------------------------------------------------------------------------------------------
    recent = D.buyers(T - 89, T)
    if audience_mode == "internal":
        p = D.purchases
        base = p[(p["day"] >= T - 454) & (p["day"] <= T - 90)]
        spend = base.groupby("user_id")["cents"].sum() / 100.0  # yuan per buyer in B
        if len(spend):
            vals = spend.to_numpy(dtype="float64")
            p_hi = float(np.quantile(vals, high_value_pct, method="linear"))
            m_lo = float(np.quantile(vals, mid_value_pct[0], method="linear"))
            m_hi = float(np.quantile(vals, mid_value_pct[1], method="linear"))
            H = set(spend.index[spend >= p_hi])
            M = set(spend.index[(spend >= m_lo) & (spend < m_hi)])
        else:
            H, M = set(), set()
        st = aipl(t, T - 90)
        I_base = set(st.loc[st["stage"] == "I", "user_id"].astype(object))
        bases = {"A1": H, "A2": M, "A3": I_base}
    else:
        bases = {k: D.crowd(tag) for k, tag in PLATFORM_CROWDS.items()}
    for k, b in bases.items():
        out[k] = (b & recent, b)

    # ---- I -----------------------------------------------------------------------------------------------------
    members = D.members(T)
    first = D.first_purchase_day(T)
    old = D.buyers(T - 364, T) & set(first.index[first < T - 364])
    out["I1"] = (old & members, old)

    w30 = e[(e["day"] >= T - 29) & (e["day"] <= T) & e["type"].isin(_I2_TYPES)]
    active = set(w30["user_id"]) | D.buyers(T - 29, T)
    out["I2"] = (members & active, members)

    r = D.reach
    reached = set(r.loc[(r["day"] >= T - 29) & (r["day"] <= T) & r["status"].isin(_I3_STATUSES), "user_id"])
    out["I3"] = (members & reached, members)

    # ---- N -----------------------------------------------------------------------------------------------------
    pd365 = D.pdays[(D.pdays["day"] >= T - 364) & (D.pdays["day"] <= T)]
    ndays = pd365.groupby("user_id").size()
    buying = members & set(ndays.index)
    out["N1"] = (buying & set(ndays.index[ndays >= 2]), buying)

    ln = D.lines[(D.lines["day"] >= T - 364) & (D.lines["day"] <= T) & D.lines["user_id"].isin(buying)]
    dim = "brand" if crossbuy_dimension == "brand" else ("category_leaf" if category_level == "leaf" else "category_l1")
    ncat = ln[ln[dim].notna()].groupby("user_id")[dim].nunique()
    out["N2"] = (set(ncat.index[ncat >= 2]), buying)

    age = ln["day"] - ln["launch_day"]
    is_new = ((age >= 0) & (age <= int(new_product_days) - 1)).fillna(False).astype(bool)
    out["N3"] = (set(ln.loc[is_new, "user_id"]), buying)
    return out


def gain_indicators(t: dict[str, pd.DataFrame], as_of, *, audience_mode="internal", category_level="leaf",
                    crossbuy_dimension="category", new_product_days=180, high_value_pct=0.8,
                    mid_value_pct=(0.2, 0.8), new_cust_lookback_days=365) -> dict[str, dict]:
    """The 12 GAIN indicators at ``as_of``: ``{"G1": {"numerator", "denominator", "value"}, ...}``.

    value = numerator / denominator (G3: numerator / denominator - 1); None when the denominator is 0.
    """
    sets = gain_sets(t, as_of, audience_mode=audience_mode, category_level=category_level,
                     crossbuy_dimension=crossbuy_dimension, new_product_days=new_product_days,
                     high_value_pct=high_value_pct, mid_value_pct=mid_value_pct,
                     new_cust_lookback_days=new_cust_lookback_days)
    out = {}
    for k in INDICATORS:
        num, den = sets[k]
        out[k] = _ratio(len(num), len(den))
    g3 = out["G3"]
    if g3["value"] is not None:
        g3["value"] = g3["value"] - 1.0
    return out


def g3_by_channel(t: dict[str, pd.DataFrame], as_of, *, new_cust_lookback_days=365) -> dict:
    """G3 per channel of the new buyer's first order in the window, plus ``"_breadth"`` = 1 - Σ share².

    ``{channel: {"numerator": new buyers in W90, "denominator": new buyers in T-454..T-365, "value": n/d - 1 | None},
    ..., "_breadth": float | None}`` (shares over this year's new buyers).
    """
    D = _Data(t)
    T = _t_day(as_of)
    L = int(new_cust_lookback_days)
    now = D.new_buyers(T - 89, T, L)
    ly = D.new_buyers(T - 454, T - 365, L)
    ch_now = D.first_order_channel(now.index, T - 89, T).value_counts()
    ch_ly = D.first_order_channel(ly.index, T - 454, T - 365).value_counts()
    out: dict = {}
    for c in sorted(set(ch_now.index) | set(ch_ly.index)):
        num, den = int(ch_now.get(c, 0)), int(ch_ly.get(c, 0))
        r = _ratio(num, den)
        if r["value"] is not None:
            r["value"] -= 1.0
        out[c] = r
    # 1 - Σ (n_c / N)² computed exactly in integers, then one (correctly rounded) division
    total = int(ch_now.sum())
    sq = sum(int(n) ** 2 for n in ch_now.to_numpy())
    out["_breadth"] = (total * total - sq) / (total * total) if total else None
    return out


def vip88_buyer_share(t: dict[str, pd.DataFrame], as_of) -> dict:
    """Platform-mode extra view: buyers in T-89..T flagged is_88vip ÷ buyers in T-89..T."""
    D = _Data(t)
    T = _t_day(as_of)
    buyers = D.buyers(T - 89, T)
    vip = set(D.users.loc[D.users["is_88vip"], "user_id"])
    return _ratio(len(buyers & vip), len(buyers))
