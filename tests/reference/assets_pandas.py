"""Independent pandas/numpy reference implementation of siyu's customer-asset rules.

Spec: ``docs/customer-assets.md`` (§Conventions, §AIPL, §FAST, §Relationship pools, §UCMV) and ``docs/data.md`` §Purchases.
Written without looking at the production SQL; used by tests to check the production per-user outputs
and as the "pandas" competitor of the speed benchmark. Everything is vectorised: the tables are turned
once into integer arrays (user code, local day number, event-type code, money in cents) by
:func:`prepare` (cached for the last ``t`` seen), and every rule is a window slice + ``np.bincount`` /
boolean scatter over the user codes.

Conventions implemented (see the module-level comments marked AMBIGUITY for readings we had to pick):

* day numbers = days since 1970-01-01 of the naive local timestamp (``datetime64[D]``, i.e. floor);
  ``W(N)`` at T = days ``T-N+1 .. T``; nothing dated after T is used.
* purchase = order with ``refund_amount < amount`` (missing refund = 0); spend = Σ(amount − refund) in
  exact integer cents, shown as float yuan (cents / 100).
* percentiles: ``np.quantile(values_in_yuan, q, method="linear")`` over the named population, ``>=``.
  (This equals DuckDB ``quantile_cont`` on DOUBLE. On DECIMAL input DuckDB 1.x/2.0 returns a DECIMAL that is
  truncated, not interpolated -- e.g. P95 of 1.00, 1.10, 5.00 is 4.60 instead of 4.61 -- so a SQL version must
  cast spend to DOUBLE before ``quantile_cont`` to agree with this reference.)

AMBIGUITY -- readings picked where the rules can be read two ways (most literal reading):

1. Universe = every user id in users/orders/events/follows/memberships/reach_log, whatever the row dates
   (also rows dated after T; such users are ``none`` / no pool). "Universe at t1" in transitions is the same set.
2. I-rule "a follow with followed_at in the window" / "a membership with joined_at in the window" count by the
   start date alone, even if that spell has already ended by T.
3. The windows written as fixed numbers in docs/customer-assets.md are literal: pools use W365 (purchases), W30 (fan active,
   new buyers), W15 (high intent), T-729..T-365 (lapsed); UCMV uses W365 -- not l_days/i_days/etc.
4. top_tier: tiers not in ``tier_order`` (or missing) are ignored; a member holding several active spells
   qualifies if any of them has the top tier; nobody qualifies when no member at T has a listed tier.
5. RFM recency ties (e.g. everyone bought on T) share the lowest rank, so all of them get R = 1.
6. FAST ratios with a zero denominator are ``None``.
7. Event types outside the contract (code -1) would count as A and as activity (cannot occur after validation).

``prepare(t)`` caches on the identity of ``t`` and of its frames: mutate a frame in place -> pass a new dict.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from siyu.contract.schema import EVENT_TYPES, TABLES

__all__ = [
    "STAGES",
    "aipl",
    "aipl_transitions",
    "fast",
    "load_tables",
    "pools",
    "prepare",
    "rfm",
    "ucmv",
]

STAGES = ("none", "A", "I", "P", "L")  # stage code = position; the order is also the depth order
UNIVERSE_TABLES = ("users", "orders", "events", "follows", "memberships", "reach_log")
FAN_POOLS = (None, "silent", "opportunity", "active", "ordinary")
MEMBER_POOLS = (None, "quality", "silent", "potential")
CUSTOMER_POOLS = (None, "new", "old", "lapsed", "prospect")
UCMV_STAGES = (None, "U", "C", "M", "V")

_ET = {name: i for i, name in enumerate(EVENT_TYPES)}
_I_EVENT_TYPES = ("add_cart", "favorite", "coupon_claim", "trial_claim", "benefit_claim", "content_interaction",
                  "share", "link_click")
_FAR = np.int64(1) << 40  # a day number far in the future ("never")


def _type_table(names) -> np.ndarray:
    """Boolean lookup indexed by event-type code; the last slot (code -1 = unknown type) is False."""
    tab = np.zeros(len(EVENT_TYPES) + 1, bool)
    for nm in names:
        tab[_ET[nm]] = True
    return tab


_IS_I = _type_table(_I_EVENT_TYPES)
_IS_IMPRESSION = _type_table(("impression",))
_IS_CART_FAV = _type_table(("add_cart", "favorite"))
_IS_MEMBER_ACTIVE = _type_table(("add_cart", "favorite", "benefit_claim"))

# R x F -> group (docs/customer-assets.md, RFM table); index [r-1, f-1]
_RFM_GROUPS = np.array([
    # F=1             F=2                   F=3                   F=4                F=5
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"],                         # R=1
    ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose_them"],                         # R=2
    ["about_to_sleep", "about_to_sleep", "need_attention", "loyal_customers", "loyal_customers"],    # R=3
    ["promising", "potential_loyalists", "potential_loyalists", "loyal_customers", "loyal_customers"],  # R=4
    ["new_customers", "potential_loyalists", "potential_loyalists", "champions", "champions"],      # R=5
], dtype=object)


# ----------------------------------------------------------------------------------------------------------
# loading
# ----------------------------------------------------------------------------------------------------------

def _arrow_type(kind: str) -> pa.DataType:
    return {"string": pa.string(), "enum": pa.string(), "timestamp": pa.timestamp("us"), "date": pa.date32(),
            "money": pa.float64(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}[kind]


def _to_frame(tbl: pa.Table | None, name: str) -> pd.DataFrame:
    """An Arrow table as a pandas frame: every contract column present (nulls when missing), money as float64,
    dictionary columns as pandas Categoricals, timestamps naive ``datetime64[us]``."""
    spec = TABLES[name]
    have = set(tbl.column_names) if tbl is not None else set()
    n = tbl.num_rows if tbl is not None else 0
    cols, names = [], []
    for c in spec.columns:
        typ = _arrow_type(c.kind)
        if c.name in have:
            arr = tbl.column(c.name)
            if pa.types.is_dictionary(arr.type):
                # kept dictionary-encoded (pandas Categorical): 23M event types need no string decoding
                typ = pa.dictionary(arr.type.index_type, typ)
            if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
                # AMBIGUITY-free by contract (stored timestamps are naive local); keep the wall clock if not.
                arr = arr.cast(pa.timestamp(arr.type.unit))
            if not arr.type.equals(typ):
                arr = arr.cast(typ)
        else:
            arr = pa.nulls(n, typ)
        cols.append(arr)
        names.append(c.name)
    out = pa.table(cols, names=names).to_pandas()
    return out


def load_tables(source) -> dict[str, pd.DataFrame]:
    """The contract tables from a directory of ``<table>.parquet|.csv|.jsonl`` files or a siyu ``Workspace``.

    Missing tables are empty frames with the contract columns. Money columns are float64 (exact 2-decimal
    values; the rules re-derive integer cents). Files are assumed de-duplicated (as the simulator writes them).
    """
    out: dict[str, pd.DataFrame] = {}
    if hasattr(source, "query"):  # a siyu Workspace
        for name in TABLES:
            try:
                tbl = source.query(f"SELECT * FROM {name}")
            except Exception:  # noqa: BLE001 - a missing table is an empty table
                tbl = None
            out[name] = _to_frame(tbl, name)
        return out
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    d = Path(source)
    for name, spec in TABLES.items():
        tbl = None
        if (d / f"{name}.parquet").exists():
            tbl = pq.read_table(d / f"{name}.parquet")
        elif (d / f"{name}.csv").exists():
            types = {c.name: _arrow_type(c.kind) for c in spec.columns}
            tbl = pcsv.read_csv(d / f"{name}.csv", convert_options=pcsv.ConvertOptions(
                column_types=types, strings_can_be_null=True))
        elif (d / f"{name}.jsonl").exists():
            df = pd.read_json(d / f"{name}.jsonl", lines=True, dtype=False)
            tbl = pa.Table.from_pandas(df, preserve_index=False) if len(df.columns) else None
        out[name] = _to_frame(tbl, name)
    return out


# ----------------------------------------------------------------------------------------------------------
# preparation: integer arrays, cached for the last `t`
# ----------------------------------------------------------------------------------------------------------

def _days(col) -> tuple[np.ndarray, np.ndarray]:
    """(local day number int64, is-null mask) of a timestamp/date column."""
    s = col if isinstance(col, pd.Series) else pd.Series(col)
    if not pd.api.types.is_datetime64_any_dtype(s.dtype):
        s = pd.to_datetime(s)
    if getattr(s.dt, "tz", None) is not None:
        s = s.dt.tz_localize(None)
    arr = s.to_numpy()
    na = np.isnat(arr)
    day = arr.astype("datetime64[D]").astype(np.int64)
    return day, na


def _money(col) -> np.ndarray:
    """Money as float64 yuan (NaN for missing); Decimal objects are accepted."""
    return pd.to_numeric(pd.Series(col), errors="raise").astype("float64").to_numpy(na_value=np.nan)


def _as_day(as_of) -> int:
    if isinstance(as_of, (int, np.integer)):
        return int(as_of)
    ts = pd.Timestamp(as_of)
    return int(np.datetime64(ts.date(), "D").astype(np.int64))


def _string_array(col) -> pa.Array:
    """A pandas column (str, object, numbers ...) as one Arrow large_string array."""
    if col.dtype == object or pd.api.types.is_numeric_dtype(col.dtype):
        col = col.astype("str")
    a = pa.array(col, from_pandas=True)
    if isinstance(a, pa.ChunkedArray):
        a = a.combine_chunks()
    if pa.types.is_dictionary(a.type):
        a = a.cast(a.type.value_type)
    return a.cast(pa.large_string())


def _dict_encode(col) -> tuple[np.ndarray, pa.Array]:
    """(codes with -1 for null, values) of an id column; only values that occur are returned."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        codes = col.cat.codes.to_numpy().astype(np.int64)
        cats = col.cat.categories
        used = np.bincount(codes[codes >= 0], minlength=len(cats)) > 0
        if not used.all():  # drop unused categories (a filtered frame must not widen the universe)
            remap = np.cumsum(used) - 1
            codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            cats = cats[used]
        return codes, _string_array(pd.Series(cats, dtype="str"))
    d = pc.dictionary_encode(_string_array(col))
    return pc.fill_null(d.indices, -1).to_numpy().astype(np.int64), d.dictionary


def _index_in(a, values: pa.Array) -> np.ndarray:
    """Position of every element of ``a`` in ``values`` (-1 for null or absent)."""
    idx = pc.index_in(a, value_set=values)
    return pc.fill_null(idx, -1).to_numpy().astype(np.int64)


def _codes(col, categories) -> np.ndarray:
    """Position of each value in ``categories`` (-1 when missing or unknown), via factorize + a small lookup."""
    codes, uniq = pd.factorize(col, use_na_sentinel=True)
    lut = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(np.asarray(uniq, dtype=object)))
    lut = np.append(lut, -1)  # codes -1 (missing) -> -1
    return lut[codes]


class Prepared:
    """The tables as integer arrays over user codes ``0..n-1`` (``user_id`` sorted)."""

    def __init__(self, t: dict[str, pd.DataFrame]) -> None:
        frames = {k: (t.get(k) if t.get(k) is not None else _to_frame(None, k)) for k in TABLES}
        # --- universe and user codes: each id column is dictionary-encoded once (Arrow hashing), then only the
        # small dictionaries are matched against the sorted universe ----------------------------------------
        enc = {k: _dict_encode(frames[k]["user_id"]) for k in UNIVERSE_TABLES
               if "user_id" in frames[k].columns and len(frames[k])}
        allu = pc.unique(pa.chunked_array([v for _, v in enc.values()], type=pa.large_string())).drop_null()
        allu = allu.take(pc.sort_indices(allu))  # user codes follow the sorted user_id
        self.uid = pd.Index(allu.to_pandas(), dtype="str")
        self.n = n = len(self.uid)
        self.user_codes = {k: np.zeros(0, np.int64) for k in UNIVERSE_TABLES}
        for k, (codes, values) in enc.items():
            lut = np.append(_index_in(values, allu), -1)  # code -1 (null id) -> -1
            self.user_codes[k] = lut[codes]

        # --- users ---------------------------------------------------------------------------------------
        u = frames["users"]
        self.is88 = np.zeros(n, bool)
        if len(u):
            flag = u["is_88vip"].astype("boolean").fillna(False).to_numpy(bool) if "is_88vip" in u else 0
            cu = self.user_codes["users"]
            self.is88[cu[(cu >= 0) & flag]] = True

        # --- purchases, one row per (user, local day), sorted by day ----------------------------------------
        o = frames["orders"]
        cu = self.user_codes["orders"]
        if len(o):
            day, na = _days(o["paid_at"])
            amount = np.rint(_money(o["amount"]) * 100)  # exact integer cents
            refund = o["refund_amount"] if "refund_amount" in o else pd.Series(np.zeros(len(o)))
            refund = np.rint(np.nan_to_num(_money(refund), nan=0.0) * 100)  # missing refund = 0
            keep = (cu >= 0) & ~na & (refund < amount)  # a fully refunded order is not a purchase
            pu, pd_, net = cu[keep], day[keep], (amount - refund)[keep].astype(np.int64)
        else:
            pu = pd_ = net = np.zeros(0, np.int64)
        if len(pu):
            d0 = pd_.min()
            span = pd_.max() - d0 + 1
            key = pu * span + (pd_ - d0)
            uk, inv = np.unique(key, return_inverse=True)
            cents = np.bincount(inv, weights=net).astype(np.int64) if len(uk) else np.zeros(0, np.int64)
            # (sums of integer cents stay exact in float64 below 2**53)
            pu2, pd2 = uk // span, uk % span + d0
            order = np.argsort(pd2, kind="stable")
            self.pu, self.pday, self.pcents = pu2[order], pd2[order], cents[order]
        else:
            self.pu = self.pday = self.pcents = np.zeros(0, np.int64)

        # --- events, sorted by day -------------------------------------------------------------------------
        e = frames["events"]
        cu = self.user_codes["events"]
        if len(e):
            day, na = _days(e["ts"])
            codes = _codes(e["type"], EVENT_TYPES).astype(np.int8)
            kwb = _codes(e["keyword_type"], ("brand",)) == 0 if "keyword_type" in e else np.zeros(len(e), bool)
            rating = pd.to_numeric(e["rating"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan) \
                if "rating" in e else np.full(len(e), np.nan)
            keep = (cu >= 0) & ~na
            eu, ed, et = cu[keep].astype(np.int32), day[keep], codes[keep]
            kwb, rating = kwb[keep], rating[keep]
            if len(ed) and not (np.diff(ed) >= 0).all():
                order = np.argsort(ed, kind="stable")
                eu, ed, et, kwb, rating = eu[order], ed[order], et[order], kwb[order], rating[order]
            self.eu, self.eday, self.etype = eu, ed, et
            self.e_brand_search = kwb & (et == _ET["search"])
            self.e_pos_review = (et == _ET["review"]) & (rating >= 4)
        else:
            self.eu = np.zeros(0, np.int32)
            self.eday = np.zeros(0, np.int64)
            self.etype = np.zeros(0, np.int8)
            self.e_brand_search = self.e_pos_review = np.zeros(0, bool)

        # --- follows / memberships (spells) ------------------------------------------------------------------
        f = frames["follows"]
        cu = self.user_codes["follows"]
        if len(f):
            fd, fna = _days(f["followed_at"])
            ud, una = _days(f["unfollowed_at"])
            keep = (cu >= 0) & ~fna
            self.fu, self.fstart, self.fend = cu[keep], fd[keep], np.where(una, _FAR, ud)[keep]
        else:
            self.fu = self.fstart = self.fend = np.zeros(0, np.int64)
        m = frames["memberships"]
        cu = self.user_codes["memberships"]
        if len(m):
            jd, jna = _days(m["joined_at"])
            ld, lna = _days(m["left_at"])
            keep = (cu >= 0) & ~jna
            self.mu, self.mstart, self.mend = cu[keep], jd[keep], np.where(lna, _FAR, ld)[keep]
            self.mtier = m["tier"].astype("object").to_numpy()[keep]
        else:
            self.mu = self.mstart = self.mend = np.zeros(0, np.int64)
            self.mtier = np.zeros(0, object)

    # --- window helpers ---------------------------------------------------------------------------------------
    def ev(self, T: int, N: int) -> slice:
        """Events dated in W(N) at T."""
        return slice(int(np.searchsorted(self.eday, T - N + 1, "left")), int(np.searchsorted(self.eday, T, "right")))

    def pw(self, T: int, N: int) -> slice:
        """Purchase days in W(N) at T."""
        return slice(int(np.searchsorted(self.pday, T - N + 1, "left")), int(np.searchsorted(self.pday, T, "right")))

    def flag(self, users) -> np.ndarray:
        out = np.zeros(self.n, bool)
        out[users] = True
        return out

    def count(self, users) -> np.ndarray:
        return np.bincount(users, minlength=self.n)

    def purchase_days(self, T: int, N: int) -> np.ndarray:
        return self.count(self.pu[self.pw(T, N)])

    def spend_cents(self, T: int, N: int) -> np.ndarray:
        s = self.pw(T, N)
        return np.rint(np.bincount(self.pu[s], weights=self.pcents[s], minlength=self.n)).astype(np.int64)

    def any_event(self, T: int, N: int) -> np.ndarray:
        return self.flag(self.eu[self.ev(T, N)])

    def activity(self, T: int, N: int) -> np.ndarray:
        """Any event other than an impression, or a purchase, in W(N)."""
        s = self.ev(T, N)
        out = self.flag(self.eu[s][~_IS_IMPRESSION[self.etype[s]]])
        out[self.pu[self.pw(T, N)]] = True
        return out

    def fans(self, T: int) -> np.ndarray:
        # active follow: followed on or before T, and not unfollowed or unfollowed after T (an unfollow dated T ends it)
        return self.flag(self.fu[(self.fstart <= T) & (self.fend > T)])

    def member_rows(self, T: int) -> np.ndarray:
        return (self.mstart <= T) & (self.mend > T)

    def members(self, T: int) -> np.ndarray:
        return self.flag(self.mu[self.member_rows(T)])


_CACHE: list = []


def prepare(t) -> Prepared:
    """The :class:`Prepared` arrays of ``t``; cached for the last dict of frames seen (by identity)."""
    if isinstance(t, Prepared):
        return t
    items = tuple((k, v) for k, v in t.items())
    if _CACHE:
        ct, citems, cp = _CACHE[0]
        if ct is t and len(citems) == len(items) and all(
                a[0] == b[0] and a[1] is b[1] and len(a[1]) == b[2] for a, b in zip(items, citems)):
            return cp
    p = Prepared(t)
    _CACHE[:] = [(t, tuple((k, v, len(v)) for k, v in items), p)]
    return p


def _quantile(values_cents: np.ndarray, q: float) -> float | None:
    """Linear-interpolation percentile of yuan amounts (numpy == DuckDB quantile_cont on DOUBLE)."""
    if len(values_cents) == 0:
        return None
    return float(np.quantile(values_cents / 100.0, q, method="linear"))


def _labels(codes: np.ndarray, names) -> np.ndarray:
    return np.array(names, dtype=object)[codes]


# ----------------------------------------------------------------------------------------------------------
# AIPL
# ----------------------------------------------------------------------------------------------------------

def _aipl_codes(P: Prepared, T: int, *, a_days=15, i_days=15, p_days=913, l_days=365, l_min_purchase_days=2,
                l_include_positive_review=False, ad_click_stage="A") -> np.ndarray:
    if ad_click_stage not in ("A", "I"):
        raise ValueError(f"ad_click_stage must be 'A' or 'I', not {ad_click_stage!r}")
    n = P.n
    # L: purchase days in W(l_days) >= l_min; or (option) a purchase and a rating>=4 review both in W(l_days)
    pdl = P.purchase_days(T, l_days)
    is_l = pdl >= l_min_purchase_days
    if l_include_positive_review:
        s = P.ev(T, l_days)
        is_l |= (pdl >= 1) & P.flag(P.eu[s][P.e_pos_review[s]])
    # P: a purchase in W(p_days)
    is_p = P.purchase_days(T, p_days) >= 1
    # I: within W(i_days)
    s = P.ev(T, i_days)
    u, ty = P.eu[s], P.etype[s]
    imask = _IS_I[ty] | P.e_brand_search[s]
    if ad_click_stage == "I":
        imask |= ty == _ET["ad_click"]
    is_i = P.flag(u[imask])
    is_i |= P.count(u[ty == _ET["pdp_view"]]) >= 2  # >= 2 pdp_view events (not days)
    vis = ty == _ET["visit"]
    lo = T - i_days + 1
    vkey = np.unique(u[vis].astype(np.int64) * i_days + (P.eday[s][vis] - lo))  # distinct (user, day)
    is_i |= P.count(vkey // i_days) >= 2
    # AMBIGUITY: a follow / membership counts by its start date alone, even if already ended by T.
    is_i[P.fu[(P.fstart >= lo) & (P.fstart <= T)]] = True
    is_i[P.mu[(P.mstart >= lo) & (P.mstart <= T)]] = True
    # A: any event of any type in W(a_days)
    is_a = P.any_event(T, a_days)
    codes = np.zeros(n, np.int8)
    codes[is_a] = 1
    codes[is_i] = 2
    codes[is_p] = 3
    codes[is_l] = 4
    return codes


def aipl(t, as_of, *, a_days=15, i_days=15, p_days=913, l_days=365, l_min_purchase_days=2,
         l_include_positive_review=False, ad_click_stage="A") -> pd.DataFrame:
    """One AIPL stage (``L, P, I, A, none``) per universe user at ``as_of``."""
    P = prepare(t)
    codes = _aipl_codes(P, _as_day(as_of), a_days=a_days, i_days=i_days, p_days=p_days, l_days=l_days,
                        l_min_purchase_days=l_min_purchase_days,
                        l_include_positive_review=l_include_positive_review, ad_click_stage=ad_click_stage)
    return pd.DataFrame({"user_id": P.uid.array, "stage": _labels(codes, STAGES)}).astype({"stage": "str"})


def aipl_transitions(t, t0, t1, **aipl_kw) -> pd.DataFrame:
    """5x5 counts over the universe: rows = stage at t0, columns = stage at t1 (order none, A, I, P, L)."""
    P = prepare(t)
    c0 = _aipl_codes(P, _as_day(t0), **aipl_kw).astype(np.int64)
    c1 = _aipl_codes(P, _as_day(t1), **aipl_kw).astype(np.int64)
    m = np.bincount(c0 * 5 + c1, minlength=25).reshape(5, 5)
    return pd.DataFrame(m, index=pd.Index(STAGES, name="t0"), columns=pd.Index(STAGES, name="t1"))


# ----------------------------------------------------------------------------------------------------------
# relationship pools
# ----------------------------------------------------------------------------------------------------------

def _new_buyers(P: Prepared, T: int, window: int, lookback: int) -> np.ndarray:
    """New buyer in W(window): the earliest purchase day d0 in the window has no purchase in d0-lookback..d0-1."""
    s = P.pw(T, window)
    u, d = P.pu[s], P.pday[s]
    first_u, first_i = np.unique(u, return_index=True)  # rows are sorted by day: first index = earliest day
    d0 = d[first_i]
    before = slice(0, s.start)  # every purchase day before the window start (necessarily before d0)
    prev = np.full(P.n, -_FAR, np.int64)
    np.maximum.at(prev, P.pu[before], P.pday[before])
    out = np.zeros(P.n, bool)
    out[first_u] = prev[first_u] < d0 - lookback
    return out


def pools(t, as_of, *, fan_silent_days=60, member_silent_days=180, high_value_pct=0.80, new_cust_lookback_days=365,
          p_days=913, **aipl_kw) -> pd.DataFrame:
    """Fan, member and customer pool (None where not applicable) and the high-intent flag per universe user.

    AMBIGUITY: the fixed windows of docs/customer-assets.md (W365 purchases, W30 activity, W15 add_cart/favorite for fans;
    W365 for members; W30 new buyers, T-729..T-365 lapsed, W365 old for customers) are literal 365/30/15 days,
    not l_days / i_days / member_active_days. ``p_days`` is also passed to the AIPL call of the prospect rule.
    """
    P = prepare(t)
    T = _as_day(as_of)
    n = P.n
    buy365 = P.purchase_days(T, 365) >= 1
    # fans
    fan = P.fans(T)
    act_fan = P.activity(T, fan_silent_days)
    act30 = P.activity(T, 30)
    fc = np.zeros(n, np.int8)
    fc[fan] = 4                                   # ordinary: everything else
    fc[fan & buy365 & act30] = 3                  # active
    fc[fan & ~buy365] = 2                         # opportunity
    fc[fan & ~act_fan] = 1                        # silent (evaluated first, so written last)
    s = P.ev(T, 15)
    cart_fav = P.flag(P.eu[s][_IS_CART_FAV[P.etype[s]]])
    high_intent = (fc == 2) & cart_fav
    # members
    mem = P.members(T)
    pd365 = P.purchase_days(T, 365)
    sp365 = P.spend_cents(T, 365)
    pop = mem & (pd365 >= 1)
    thr = _quantile(sp365[pop], high_value_pct)
    quality = mem & (pd365 >= 2)
    if thr is not None:
        quality |= pop & (sp365 / 100.0 >= thr)
    mc = np.zeros(n, np.int8)
    mc[mem] = 3                                              # potential
    mc[mem & ~P.activity(T, member_silent_days)] = 2         # silent
    mc[quality] = 1                                          # quality (first)
    # customers
    new = _new_buyers(P, T, 30, new_cust_lookback_days)
    lapsed = (P.purchase_days(T, 730) - pd365 >= 1) & ~buy365   # a purchase in T-729 .. T-365
    stage = _aipl_codes(P, T, p_days=p_days, **aipl_kw)
    prospect = (P.purchase_days(T, p_days) == 0) & ((stage == 1) | (stage == 2))
    cc = np.zeros(n, np.int8)
    cc[prospect] = 4
    cc[lapsed] = 3
    cc[buy365] = 2
    cc[new] = 1
    return pd.DataFrame({
        "user_id": P.uid.array,
        "fan_pool": pd.Series(_labels(fc, FAN_POOLS), dtype=object),
        "member_pool": pd.Series(_labels(mc, MEMBER_POOLS), dtype=object),
        "customer_pool": pd.Series(_labels(cc, CUSTOMER_POOLS), dtype=object),
        "high_intent": high_intent,
    })


# ----------------------------------------------------------------------------------------------------------
# UCMV
# ----------------------------------------------------------------------------------------------------------

def _top_tier_members(P: Prepared, T: int, tier_order) -> np.ndarray:
    """Members at T holding (in an active spell) the highest tier of ``tier_order`` held by any member at T.

    AMBIGUITY: tiers not listed in tier_order (or missing) are ignored; if no member at T holds a listed tier,
    nobody qualifies.
    """
    rows = P.member_rows(T)
    rank = pd.Series(P.mtier[rows], dtype=object).map({t: i for i, t in enumerate(tier_order)})
    rank = rank.to_numpy(dtype="float64", na_value=np.nan)
    if len(rank) == 0 or np.isnan(rank).all():
        return np.zeros(P.n, bool)
    return P.flag(P.mu[rows][rank == np.nanmax(rank)])


def ucmv(t, as_of, *, vip_top_pct=0.05, vip_rule=("top_spend", "top_tier", "88vip"),
         tier_order=("V1", "V2", "V3", "V4", "V5")) -> pd.DataFrame:
    """UCMV stage (V, M, C, U or None) per universe user over W365 at ``as_of``."""
    bad = set(vip_rule) - {"top_spend", "top_tier", "88vip"}
    if bad:
        raise ValueError(f"unknown vip_rule: {sorted(bad)}")
    P = prepare(t)
    T = _as_day(as_of)
    pdays = P.purchase_days(T, 365)
    spend = P.spend_cents(T, 365)
    buyer = pdays >= 1
    sp = spend / 100.0
    vip = np.zeros(P.n, bool)
    if "top_spend" in vip_rule:
        thr = _quantile(spend[buyer], 1 - vip_top_pct)
        if thr is not None:
            vip |= sp >= thr
    if "top_tier" in vip_rule:
        vip |= _top_tier_members(P, T, tier_order)
    if "88vip" in vip_rule:
        vip |= P.is88
    p50 = _quantile(spend[buyer], 0.5)
    mature = (pdays >= 3) | ((pdays >= 2) & (sp >= p50 if p50 is not None else False))
    u_state = ~buyer & (P.any_event(T, 365) | P.fans(T) | P.members(T))
    code = np.zeros(P.n, np.int8)
    code[u_state] = 1
    code[buyer] = 2
    code[buyer & mature] = 3
    code[buyer & vip] = 4  # V requires a purchase in W365
    return pd.DataFrame({"user_id": P.uid.array, "stage": pd.Series(_labels(code, UCMV_STAGES), dtype=object)})


# ----------------------------------------------------------------------------------------------------------
# RFM
# ----------------------------------------------------------------------------------------------------------

def rfm(t, as_of, *, rfm_days=365) -> pd.DataFrame:
    """Recency/frequency/monetary, 1-5 scores and segment of every buyer in W(rfm_days)."""
    P = prepare(t)
    T = _as_day(as_of)
    s = P.pw(T, rfm_days)
    u, d = P.pu[s], P.pday[s]
    freq = P.count(u)
    spend = np.rint(np.bincount(u, weights=P.pcents[s], minlength=P.n)).astype(np.int64)
    last = np.full(P.n, -_FAR, np.int64)
    np.maximum.at(last, u, d)
    buyers = np.flatnonzero(freq >= 1)
    nb = len(buyers)
    df = pd.DataFrame({
        "user_id": P.uid[buyers].array,
        "recency": (T - last[buyers]).astype(np.int64),
        "frequency": freq[buyers].astype(np.int64),
        "monetary": spend[buyers] / 100.0,
    })
    if nb == 0:
        for c in ("r", "f", "m"):
            df[c] = pd.Series([], dtype=np.int64)
        df["group"] = pd.Series([], dtype=object)
        return df

    def score(rank: pd.Series) -> np.ndarray:
        r = rank.to_numpy().astype(np.int64)
        return 1 + (5 * (r - 1)) // nb

    df["r"] = score(df["recency"].rank(method="min", ascending=False))  # most recent = latest rank = 5
    df["f"] = score(df["frequency"].rank(method="min"))
    df["m"] = score(pd.Series(spend[buyers]).rank(method="min"))      # ties by exact cents
    df["group"] = _RFM_GROUPS[df["r"].to_numpy() - 1, df["f"].to_numpy() - 1]
    return df


# ----------------------------------------------------------------------------------------------------------
# FAST
# ----------------------------------------------------------------------------------------------------------

def fast(t, as_of, *, advancing_period_days=7, member_active_days=30, **aipl_kw) -> dict:
    """F, A (official, ÷ F), A_could_deepen, ai_to_p_rate, S, T at ``as_of``; ratios are None on a 0 denominator."""
    P = prepare(t)
    T = _as_day(as_of)
    st1 = _aipl_codes(P, T, **aipl_kw)
    st0 = _aipl_codes(P, T - advancing_period_days, **aipl_kw)
    F = int((st1 > 0).sum())
    can = (st0 >= 1) & (st0 <= 3)
    deep = int((can & (st1 > st0)).sum())
    ai = (st0 == 1) | (st0 == 2)
    mem = P.members(T)
    S = int(mem.sum())
    s = P.ev(T, member_active_days)
    active = P.flag(P.eu[s][_IS_MEMBER_ACTIVE[P.etype[s]]])
    active[P.pu[P.pw(T, member_active_days)]] = True
    Tn = int((mem & active).sum())

    def ratio(a, b):
        return a / b if b else None

    return {"F": F, "A": ratio(deep, F), "A_could_deepen": ratio(deep, int(can.sum())),
            "ai_to_p_rate": ratio(int((ai & (st1 >= 3)).sum()), int(ai.sum())), "S": S, "T": ratio(Tn, S)}
