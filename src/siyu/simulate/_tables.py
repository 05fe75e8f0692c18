"""Assembly of the contract tables (docs/data.md) from the simulator's arrays, in contract column order."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from siyu.contract.schema import (
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    EVENT_TYPES,
    KEYWORD_TYPES,
    TABLES,
)
from siyu.simulate._arrow import (
    categorical,
    digits_width,
    fixed_width_ids,
    money,
    nullable_int,
    timestamps,
)
from siyu.simulate._calendar import Calendar
from siyu.simulate._consents import CONSENT_SOURCES, TEXT_VERSIONS, Consents
from siyu.simulate._customers import JOIN_CHANNELS, Population, Spells
from siyu.simulate._orders import TIERS, Orders
from siyu.simulate._reach import CHANNELS as REACH_CHANNELS
from siyu.simulate._reach import STATUSES, Reach
from siyu.simulate._traffic import CHANNELS

__all__ = ["consent_table", "contract_table", "event_table", "follow_table", "id_arrays", "membership_table",
           "order_tables", "reach_table", "user_table"]

CITY_TIERS = ("一线", "新一线", "二线", "三线", "四线及以下")
GENDERS = ("F", "M")
AGE_BANDS = ("18-24", "25-29", "30-34", "35-39", "40-49", "50+")
PHONE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "158", "159", "186", "187", "177", "189", "199")
XHS_TAGS = ("xhs:成分党", "xhs:护肤达人", "xhs:彩妆爱好者", "xhs:精致妈妈", "xhs:学生党", "xhs:敏感肌")
STORE_ID = "flagship"


def contract_table(name: str, columns: dict[str, pa.Array]) -> pa.Table:
    """A table with exactly the contract columns of ``name``, in contract order."""
    return pa.table({c: columns[c] for c in TABLES[name].column_names})


def id_arrays(n_users: int) -> pa.ChunkedArray:
    """``u0000001`` … user ids (index i is user i + 1)."""
    return fixed_width_ids("u", np.arange(1, n_users + 1), digits_width(n_users, 7))


def _pick(rng: np.random.Generator, p: tuple[float, ...] | np.ndarray, n: int, null_share: float) -> np.ndarray:
    p = np.asarray(p, float)
    code = rng.choice(len(p), size=n, p=p / p.sum())
    return np.where(rng.random(n) < null_share, -1, code)


def user_table(rng: np.random.Generator, cal: Calendar, pop: Population, uid: pa.ChunkedArray,
               registered: np.ndarray, xhs_user: np.ndarray, email: pa.Array) -> pa.Table:
    """users: synthetic profile, 88VIP flag, first-seen time and 小红书 backflow tags.

    ``email`` (:func:`siyu.simulate._consents.email_column`) is drawn from its own stream, not from ``rng``."""
    n = pop.n
    city_p = np.where(pop.vip[:, None], [0.26, 0.26, 0.2, 0.16, 0.12], [0.16, 0.21, 0.21, 0.21, 0.21])
    u = rng.random(n)
    city = (u[:, None] >= np.cumsum(city_p, axis=1)).sum(axis=1)
    city = np.where(rng.random(n) < 0.05, -1, np.minimum(city, 4))
    gender = _pick(rng, (0.82, 0.18), n, 0.05)
    age = _pick(rng, (0.22, 0.26, 0.22, 0.14, 0.11, 0.05), n, 0.05)
    # phones: a mainland prefix and 8 random digits; 15 % unknown
    pre = rng.integers(0, len(PHONE_PREFIXES), n)
    num = rng.integers(0, 10**8, n)
    phone_null = rng.random(n) < 0.15
    phones = pa.chunked_array([fixed_width_ids(p, num[pre == k], 8)
                               for k, p in enumerate(PHONE_PREFIXES)])
    order = np.argsort(pre, kind="stable")
    inv = np.empty(n, np.int64)
    inv[order] = np.arange(n)
    phone = phones.take(pa.array(inv, mask=phone_null))
    # tags: users seen on 小红书 get one or two backflow tags (a fixed vocabulary of combinations)
    combos = [t for t in XHS_TAGS] + [f"{a};{b}" for i, a in enumerate(XHS_TAGS) for b in XHS_TAGS[i + 1:]]
    tagged = xhs_user & (rng.random(n) < 0.6)
    code = np.where(rng.random(n) < 0.6, rng.integers(0, len(XHS_TAGS), n),
                    rng.integers(len(XHS_TAGS), len(combos), n))
    cols = {
        "user_id": uid,
        "phone": phone,
        "email": email,
        "city_tier": categorical(city, CITY_TIERS, dictionary=False),
        "gender": categorical(gender, GENDERS, dictionary=False),
        "age_band": categorical(age, AGE_BANDS, dictionary=False),
        "is_88vip": pa.array(pop.vip, type=pa.bool_()),
        "registered_at": timestamps(cal.to_us(registered)),
        "tags": categorical(np.where(tagged, code, -1), combos, dictionary=False),
    }
    return contract_table("users", cols)


def order_tables(cal: Calendar, o: Orders, uid: pa.ChunkedArray) -> tuple[pa.Table, pa.Table, pa.ChunkedArray]:
    """orders and order_items; returns the order id column too."""
    n = len(o.user)
    oid = fixed_width_ids("o", np.arange(1, n + 1), digits_width(n, 9))
    orders = contract_table("orders", {
        "order_id": oid,
        "user_id": uid.take(pa.array(o.user)),
        "paid_at": timestamps(cal.to_us(o.t)),
        "amount": money(o.cents),
        "refund_amount": money(o.refund),
        "channel": categorical(o.channel, CHANNELS),
        "store_id": categorical(np.zeros(n, np.int8), (STORE_ID,)),
    })
    items = contract_table("order_items", {
        "order_id": oid.take(pa.array(o.line_order)),
        "sku": fixed_width_ids("sku", o.line_sku + 1, 4),
        "qty": pa.array(o.line_qty, type=pa.int64()),
        "amount": money(o.line_cents),
    })
    return orders, items, oid


def event_table(cal: Calendar, ev: dict[str, np.ndarray], uid: pa.ChunkedArray) -> pa.Table:
    """events with event ids (time order) and session ids (order of first event)."""
    n = len(ev["user"])
    s = ev["session"]
    has = s >= 0
    sess = fixed_width_ids("s", np.where(has, s + 1, 0), digits_width(int(s.max(initial=0)) + 1, 10))
    sess_idx = pa.array(np.arange(n), mask=~has)
    return contract_table("events", {
        "event_id": fixed_width_ids("e", np.arange(1, n + 1), digits_width(n, 10)),
        "user_id": uid.take(pa.array(ev["user"])),
        "ts": timestamps(cal.to_us(ev["t"])),
        "type": categorical(ev["type"], EVENT_TYPES),
        "sku": fixed_width_ids("sku", np.maximum(ev["sku"], 0) + 1, 4).take(
            pa.array(np.arange(n), mask=ev["sku"] < 0)),
        "channel": categorical(ev["channel"], CHANNELS),
        "keyword_type": categorical(ev["kw"], KEYWORD_TYPES),
        "session_id": sess.take(sess_idx),
        "duration_s": pa.array(np.round(ev["duration"], 1), type=pa.float64(), from_pandas=True),
        "rating": nullable_int(ev["rating"], ev["rating"] == 0),
    })


def follow_table(cal: Calendar, f: Spells, uid: pa.ChunkedArray) -> pa.Table:
    """follows: one row per follow spell."""
    open_ = ~np.isfinite(f.hi)
    return contract_table("follows", {
        "user_id": uid.take(pa.array(f.user)),
        "followed_at": timestamps(cal.to_us(f.lo)),
        "unfollowed_at": timestamps(cal.to_us(np.where(open_, f.lo, f.hi)), null=open_),
    })


def membership_table(cal: Calendar, m: Spells, tier: np.ndarray, uid: pa.ChunkedArray) -> pa.Table:
    """memberships: one row per membership spell, with tier and join channel."""
    open_ = ~np.isfinite(m.hi)
    return contract_table("memberships", {
        "user_id": uid.take(pa.array(m.user)),
        "joined_at": timestamps(cal.to_us(m.lo)),
        "left_at": timestamps(cal.to_us(np.where(open_, m.lo, m.hi)), null=open_),
        "tier": categorical(tier, TIERS, dictionary=False),
        "join_channel": categorical(m.channel, JOIN_CHANNELS, dictionary=False),
    })


def reach_table(cal: Calendar, r: Reach, uid: pa.ChunkedArray) -> pa.Table:
    """reach_log: one row per message (holdout users get none), sorted by time."""
    o = np.lexsort((r.msg_user, r.msg_t))
    n = len(o)
    camp_ids = [c["campaign_id"] for c in r.campaigns]
    return contract_table("reach_log", {
        "message_id": fixed_width_ids("m", np.arange(1, n + 1), digits_width(n, 9)),
        "user_id": uid.take(pa.array(r.msg_user[o])),
        "ts": timestamps(cal.to_us(r.msg_t[o])),
        "channel": categorical(r.msg_channel[o], REACH_CHANNELS),
        "campaign_id": categorical(r.msg_campaign[o], camp_ids),
        "status": categorical(r.msg_status[o], STATUSES),
    })


def consent_table(cal: Calendar, c: Consents, uid: pa.ChunkedArray) -> pa.Table:
    """consents: the ledger of grants and withdrawals, ordered by user then time."""
    return contract_table("consents", {
        "user_id": uid.take(pa.array(c.user)),
        "channel": categorical(c.channel, CONSENT_CHANNELS),
        "purpose": categorical(c.purpose, CONSENT_PURPOSES),
        "status": categorical(c.status, CONSENT_STATUSES),
        "ts": timestamps(cal.to_us(c.t)),
        "source": categorical(c.source, CONSENT_SOURCES),
        "text_version": categorical(c.version, TEXT_VERSIONS),
    })
