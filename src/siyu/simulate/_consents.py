"""Consents (the PIPL ledger, docs/data.md §Consents) and email addresses, drawn from a stream of their own.

Both came with the ``consents`` table and ``users.email`` (contract version 1, reach). They are drawn from
:func:`side_stream`, a generator derived from the main generator's state without drawing from it, so every
table the simulator made before them stays byte-identical for a given seed.

The ledger follows a shop's typical history (shares are of all users unless said otherwise):

- **At registration** (``registered_at``, or the first checkout of a buyer: source ``checkout``) 60 % grant
  ``marketing`` for channel ``all``; 20 % of the others grant it for one or two single channels instead.
- **At the membership join** members without a marketing grant grant it for ``all`` (70 %, ``member_center``).
- With a marketing grant, 50 % also grant ``personalisation`` (for ``all``) and 40 % ``third_party`` for ``sms``
  (the SMS provider is another handler), at the same moment.
- **Withdrawals**: 8 % of the marketing grantors withdraw later: by replying ``TD`` to the last SMS they received
  (channel ``sms``, source ``sms_reply``) when they received one after the grant, else for ``all`` through customer
  service or the member centre; 5 % of the personalisation grantors withdraw it (``member_center``).
- **Grants again**: 25 % of the marketing withdrawals are followed by a new grant for the same channel.

``text_version`` is ``v1`` before the middle of the exported window and ``v2`` from then on (the consent text was
revised). No record is dated before the user's ``registered_at`` or after the window.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from siyu.contract.schema import CONSENT_CHANNELS, CONSENT_PURPOSES, CONSENT_STATUSES
from siyu.simulate._arrow import categorical
from siyu.simulate._calendar import Calendar
from siyu.simulate._customers import MINUTE, Population, Spells
from siyu.simulate._reach import CHANNELS as REACH_CHANNELS
from siyu.simulate._reach import STATUSES as REACH_STATUSES
from siyu.simulate._reach import Reach

__all__ = ["CONSENT_SHARES", "CONSENT_SOURCES", "TEXT_VERSIONS", "Consents", "build_consents", "email_column",
           "side_stream"]

#: key of the consent stream (issue 15, reach) in :func:`side_stream`
CONSENT_STREAM = 15
CONSENT_SOURCES = ("register", "checkout", "member_center", "customer_service", "sms_reply")
TEXT_VERSIONS = ("v1", "v2")
CONSENT_SHARES = {
    "email": 0.70,                  # users with an email address
    "marketing_all": 0.60,          # grant marketing for all channels when they register
    "marketing_some": 0.20,         # of the others: marketing for one or two single channels
    "checkout": 0.30,               # of the buyers' first grants: given at the first checkout
    "member_join": 0.70,            # members without a marketing grant: grant it (all) when they join
    "personalisation": 0.50,        # of the marketing grantors
    "third_party_sms": 0.40,        # of the marketing grantors
    "withdraw": 0.08,               # of the marketing grantors
    "td_reply": 0.75,               # of the withdrawals after an SMS: a TD reply to it
    "grant_again": 0.25,            # of the marketing withdrawals
    "withdraw_personalisation": 0.05,  # of the personalisation grantors
}
#: single channels a user may grant marketing for, and how often each is chosen
_SINGLE = ("sms", "push", "email", "group_chat", "customer_service")
_SINGLE_P = np.array([0.35, 0.25, 0.20, 0.15, 0.05])
#: email addresses: (domain, share, whether the local part is a QQ-style number); reserved example domains only
_DOMAINS = (("qq.example.com", 0.45, True), ("163.example.com", 0.25, False), ("126.example.com", 0.10, False),
            ("example.com", 0.12, False), ("example.net", 0.08, False))
_NAMES = ("xiaomei", "lily", "wang", "zhang", "liu", "chen", "yang", "huang", "zhao", "anna", "coco", "sunny",
          "momo", "tingting", "jing", "yan", "xiaoyu", "lin")

_CH = {c: i for i, c in enumerate(CONSENT_CHANNELS)}
_PU = {p: i for i, p in enumerate(CONSENT_PURPOSES)}
_ST = {s: i for i, s in enumerate(CONSENT_STATUSES)}
_SO = {s: i for i, s in enumerate(CONSENT_SOURCES)}


def side_stream(rng: np.random.Generator, key: int = CONSENT_STREAM) -> np.random.Generator:
    """A generator for ``key`` derived from ``rng``'s current state, without drawing from ``rng``.

    The same state of ``rng`` gives the same stream; ``rng``'s own draws are untouched, so tables drawn from it
    stay byte-identical whatever is drawn from the side stream.
    """
    state = json.dumps(rng.bit_generator.state, sort_keys=True,
                       default=lambda o: o.tolist() if isinstance(o, np.ndarray) else str(o))
    words = np.frombuffer(hashlib.sha256(state.encode("utf-8")).digest(), dtype=np.uint32)
    return np.random.default_rng([*words.tolist(), key])


def email_column(rng: np.random.Generator, n: int) -> tuple[pa.Array, np.ndarray]:
    """``users.email`` for ``n`` users (about 70 % have one) and the mask of who has one.

    Addresses are unique: the digits of the local part are a bijection of the user index (an affine map modulo a
    power of ten), and a local part is letters then digits, so no two users share one. Only reserved example
    domains are used (RFC 2606), so a simulated address can never reach a real mailbox.
    """
    has = rng.random(n) < CONSENT_SHARES["email"]
    share = np.array([d[1] for d in _DOMAINS])
    dom = rng.choice(len(_DOMAINS), size=n, p=share / share.sum())
    width = max(6, len(str(n)) + 1)
    m = 10 ** width
    digits_of = (7_654_321 * np.arange(n, dtype=np.int64) + int(rng.integers(0, m))) % m  # 7654321 is prime to 10
    qq = np.array([d[2] for d in _DOMAINS])[dom]
    word = np.where(qq, 0, 1 + rng.integers(0, len(_NAMES), n))  # a QQ-style number starts with 1
    digits = pc.utf8_lpad(pc.cast(pa.array(digits_of), pa.string()), width, padding="0")
    local = pc.binary_join_element_wise(categorical(word, ("1", *_NAMES), dictionary=False), digits, "")
    email = pc.binary_join_element_wise(local, categorical(dom, [d[0] for d in _DOMAINS], dictionary=False), "@")
    return email.take(pa.array(np.arange(n), mask=~has)), has


@dataclass
class Consents:
    """Consent records: user index, time (days since origin) and codes into the contract's value lists."""

    user: np.ndarray
    t: np.ndarray
    channel: np.ndarray  # into CONSENT_CHANNELS
    purpose: np.ndarray  # into CONSENT_PURPOSES
    status: np.ndarray  # into CONSENT_STATUSES
    source: np.ndarray  # into CONSENT_SOURCES
    version: np.ndarray  # into TEXT_VERSIONS


class _Ledger:
    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, ...]] = []

    def add(self, user, t, channel, purpose: str, status: str, source) -> None:
        n = len(user)
        if n == 0:
            return
        self.parts.append(tuple(np.broadcast_to(np.asarray(x), (n,)).astype(dt) for x, dt in (
            (user, np.int64), (t, float), (channel, np.int8), (_PU[purpose], np.int8), (_ST[status], np.int8),
            (source, np.int8))))

    def cols(self) -> list[np.ndarray]:
        if not self.parts:
            return [np.zeros(0, dt) for dt in (np.int64, float, np.int8, np.int8, np.int8, np.int8)]
        return [np.concatenate(c) for c in zip(*self.parts)]


def _between(rng: np.random.Generator, cal: Calendar, lo: np.ndarray, hi: float) -> np.ndarray:
    """A time in ``(lo, hi)`` per row with the diurnal shape where it keeps the time in range."""
    t = lo + rng.random(len(lo)) * (hi - lo)
    d = cal.with_time_of_day(rng, t)
    return np.where((d > lo) & (d < hi), d, t)


def build_consents(rng: np.random.Generator, cal: Calendar, pop: Population, registered: np.ndarray,
                   members: Spells, reach: Reach, has_email: np.ndarray) -> Consents:
    """The consent ledger of every user (see the module docstring for the rules and shares)."""
    s, n, end = CONSENT_SHARES, pop.n, cal.window_hi - 1e-6
    led = _Ledger()
    # the first marketing grant: at registration (or a buyer's first checkout)
    first = np.full(n, np.inf)
    first_src = np.full(n, _SO["register"], np.int8)
    u = rng.random(n)
    all_ = u < s["marketing_all"]
    some = ~all_ & (rng.random(n) < s["marketing_some"])
    at = np.minimum(registered + rng.uniform(0.2, 5.0, n) * MINUTE, end)
    checkout = pop.buyer & (rng.random(n) < s["checkout"])
    acq = np.nan_to_num(pop.acq, nan=np.inf)
    at_checkout = np.maximum(registered, acq - rng.uniform(0.5, 10.0, n) * MINUTE)
    at = np.where(checkout & (at_checkout < end), at_checkout, at)
    first_src[checkout & (at_checkout < end)] = _SO["checkout"]
    first[all_ | some] = at[all_ | some]
    ch = np.full(n, _CH["all"], np.int8)
    # single channels: one or two distinct ones (email only with an address)
    k1 = rng.choice(len(_SINGLE), size=n, p=_SINGLE_P)
    k2 = rng.choice(len(_SINGLE), size=n, p=_SINGLE_P)
    two = rng.random(n) < 0.3
    single = np.array([_CH[c] for c in _SINGLE], np.int8)
    c1, c2 = single[k1], single[k2]
    no_mail = ~has_email
    c1 = np.where(no_mail & (c1 == _CH["email"]), _CH["sms"], c1)
    c2 = np.where(no_mail & (c2 == _CH["email"]), _CH["push"], c2)
    two &= c2 != c1
    ch[some] = c1[some]
    # members without a grant grant marketing for all when they join
    join = np.full(n, np.inf)
    if len(members.user):
        np.minimum.at(join, members.user, members.lo)
    joined = np.isinf(first) & (join < end) & (rng.random(n) < s["member_join"])
    first[joined] = np.maximum(join[joined], registered[joined])
    first_src[joined] = _SO["member_center"]
    granted = np.flatnonzero(np.isfinite(first))
    g_t, g_src, g_ch = first[granted], first_src[granted], ch[granted]
    led.add(granted, g_t, g_ch, "marketing", "granted", g_src)
    also = granted[two[granted] & some[granted]]
    led.add(also, first[also], c2[also], "marketing", "granted", first_src[also])
    # personalisation and third party (sms) with the first grant, on the same page
    pers = rng.random(len(granted)) < s["personalisation"]
    led.add(granted[pers], g_t[pers], _CH["all"], "personalisation", "granted", g_src[pers])
    third = rng.random(len(granted)) < s["third_party_sms"]
    led.add(granted[third], g_t[third], _CH["sms"], "third_party", "granted", g_src[third])
    # withdrawals of marketing: a TD reply to the last SMS received after the grant, else for all
    sms = REACH_CHANNELS.index("sms")
    ok = np.isin(reach.msg_status, [REACH_STATUSES.index(x) for x in ("delivered", "opened", "clicked")])
    last_sms = np.full(n, -np.inf)
    m = ok & (reach.msg_channel == sms)
    np.maximum.at(last_sms, reach.msg_user[m], reach.msg_t[m])
    wd = rng.random(len(granted)) < s["withdraw"]
    reply = np.minimum(last_sms[granted] + rng.uniform(1.0, 360.0, len(granted)) * MINUTE, end)
    td = wd & (last_sms[granted] > g_t) & (reply > g_t + MINUTE) & (rng.random(len(granted)) < s["td_reply"])
    other = wd & ~td & (g_t + MINUTE < end)
    w_t = np.where(td, reply, _between(rng, cal, g_t + MINUTE, end))
    w_ch = np.where(td, _CH["sms"], _CH["all"]).astype(np.int8)
    w_src = np.where(td, _SO["sms_reply"],
                     np.where(rng.random(len(granted)) < 0.5, _SO["customer_service"], _SO["member_center"]))
    out = td | other
    led.add(granted[out], w_t[out], w_ch[out], "marketing", "withdrawn", w_src[out])
    # some grant again later, for the channel they withdrew
    again = out & (rng.random(len(granted)) < s["grant_again"]) & (w_t + MINUTE < end)
    a_t = _between(rng, cal, w_t + MINUTE, end)
    a_src = np.where(rng.random(len(granted)) < 0.5, _SO["member_center"], _SO["checkout"])
    led.add(granted[again], a_t[again], w_ch[again], "marketing", "granted", a_src[again])
    # withdrawals of personalisation
    pw = pers & (rng.random(len(granted)) < s["withdraw_personalisation"]) & (g_t + MINUTE < end)
    p_t = _between(rng, cal, g_t + MINUTE, end)
    led.add(granted[pw], p_t[pw], _CH["all"], "personalisation", "withdrawn", _SO["member_center"])
    user, t, channel, purpose, status, source = led.cols()
    t = np.maximum(np.minimum(t, end), registered[user])  # inside the calendar, never before the user exists
    # one row per key (user, channel, purpose, microsecond), ordered by user then time
    us = cal.to_us(t)
    o = np.lexsort((purpose, channel, us, user))
    user, t, us, channel, purpose, status, source = (a[o] for a in (user, t, us, channel, purpose, status, source))
    dup = np.zeros(len(user), bool)
    if len(user) > 1:
        dup[1:] = ((user[1:] == user[:-1]) & (us[1:] == us[:-1]) & (channel[1:] == channel[:-1])
                   & (purpose[1:] == purpose[:-1]))
    keep = ~dup
    v2_from = cal.window_lo + cal.days // 2
    version = (t >= v2_from).astype(np.int8)
    return Consents(user[keep], t[keep], channel[keep], purpose[keep], status[keep], source[keep], version[keep])


def text_v2_from(cal: Calendar) -> str:
    """The date from which consent records carry ``text_version`` v2."""
    return str(cal.dates[int(cal.window_lo) + cal.days // 2])
