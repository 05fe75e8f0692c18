"""The quote (报价): what one user pays for one sku at one moment, and why, rule by rule.

Order of application (``docs/offers.md`` §The quote):

1. member price (会员价): a member of tier k pays ``min(price list k, list price × discount k)`` per unit;
2. coupons (优惠券): the best non-stackable one plus every stackable one, each measured on the line after step 1;
3. the follower discount (关注立减) for fans at the moment;
4. the floor: the line never goes below ``floor_ratio × list price × qty``.

Speed: a quote reads nothing per call. What it needs is read once per engine generation
(``ws.engine.generation`` moves on every write) and kept in Python: the loaded offers, the stored tier program and
saved audiences' trees; lookups by sku (``quote_products``) and by user (tier history ``quote_tiers``, follow spells
``quote_fans``, first purchase ``quote_first_purchase``, coupon uses ``quote_uses``), each built the first time a
rule needs it; and an audience's members per (coupon, date), as a set. A point query in DuckDB costs 0.5–2 ms
(planning, and scanning a compressed user-id column), several of them more than the 5 ms a quote may take.
"""

from __future__ import annotations

import bisect
import datetime as dt
import threading
import weakref
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError, SiyuError

if TYPE_CHECKING:
    from siyu.loyalty.program import Program
    from siyu.offers.model import Coupon, Offers
    from siyu.workspace import Workspace

__all__ = ["COUPON_REASONS", "MEMBER_REASONS", "money", "quote"]

CENT = Decimal("0.01")
#: why a coupon was not applied, in the order they are checked
COUPON_REASONS = ("not_started", "expired", "out_of_scope", "below_threshold", "not_in_audience",
                  "not_first_purchase", "limit_reached", "not_best")
#: why a price-list row (rule ``member_price``) or the tier discount was not applied
MEMBER_REASONS = ("no_program", "unknown_tier", "not_in_tier", "not_best")
#: the largest quantity of one quote
MAX_QTY = 1_000_000


def money(v: Decimal) -> Decimal:
    """``v`` rounded half up to the fen (0.01)."""
    return v.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass
class _Context:
    """What quotes read once per engine generation; the lookups are built when a rule first needs them."""

    generation: int
    offers: Offers
    program: Program | None
    #: (tier, sku) -> price
    prices: dict[tuple[str, str], Decimal]
    #: sku -> the tiers with a price for it, in file order
    by_sku: dict[str, list[str]]
    has_uses: bool
    lock: threading.Lock = field(default_factory=threading.Lock)
    lookups: dict[str, Any] = field(default_factory=dict)
    #: saved audience name -> tree
    trees: dict[str, Any] = field(default_factory=dict)
    #: (coupon id, date) -> members
    members: dict[tuple[str, dt.date], frozenset[str]] = field(default_factory=dict)


_CACHE: weakref.WeakKeyDictionary[Any, _Context] = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def _context(ws: Workspace) -> _Context:
    from siyu.loyalty import stored_program
    from siyu.offers.model import Offers
    from siyu.offers.store import stored_offers

    engine = ws.engine
    gen = getattr(engine, "generation", 0)
    hit = _CACHE.get(engine)
    if hit is not None and hit.generation == gen:
        return hit
    got = stored_offers(ws)
    offers = got[0] if got else Offers()
    stored = stored_program(ws)
    by_sku: dict[str, list[str]] = {}
    for p in offers.price_lists:
        by_sku.setdefault(p.sku, []).append(p.tier)
    ctx = _Context(gen, offers, stored[0] if stored else None, {(p.tier, p.sku): p.price for p in offers.price_lists},
                   by_sku, got is not None)
    with _GUARD:
        _CACHE[engine] = ctx
    return ctx


def _columns(ws: Workspace, model: str) -> list[list[Any]]:
    t = ws.model(model)
    return [t.column(i).to_pylist() for i in range(t.num_columns)]


def _build(ws: Workspace, kind: str) -> Any:
    """One lookup of the generation (see the module docstring)."""
    if kind == "products":
        sku, price, leaf, l1 = _columns(ws, "quote_products")
        return {s: (p, lf, c) for s, p, lf, c in zip(sku, price, leaf, l1)}
    if kind == "last_date":
        return ws.last_date()
    if kind == "first_purchase":
        return dict(zip(*_columns(ws, "quote_first_purchase")))
    by_user: dict[str, Any] = {}
    if kind == "tiers":  # user -> ([date, ...], [to_tier, ...]) in order
        for u, d, tier in zip(*_columns(ws, "quote_tiers")):
            days, tiers = by_user.setdefault(u, ([], []))
            days.append(d)
            tiers.append(tier)
    elif kind == "fans":  # user -> [(followed_at, unfollowed_at), ...]
        for u, f, uf in zip(*_columns(ws, "quote_fans")):
            by_user.setdefault(u, []).append((f, uf))
    elif kind == "uses":  # user -> [(coupon_id, used_at), ...]
        for u, c, t in zip(*_columns(ws, "quote_uses")):
            by_user.setdefault(u, []).append((c, t))
    return by_user


def _lookup(ws: Workspace, ctx: _Context, kind: str) -> Any:
    hit = ctx.lookups.get(kind)
    if hit is None:
        with ctx.lock:
            hit = ctx.lookups.get(kind)
            if hit is None:
                hit = ctx.lookups[kind] = _build(ws, kind)
    return hit


def _members(ws: Workspace, ctx: _Context, c: Coupon, at: dt.datetime) -> frozenset[str]:
    """The coupon's audience members on the quote's date (the last pay date when that is earlier, as reach plans),
    cached per (coupon, date) for the generation."""
    from siyu import audiences

    last = _lookup(ws, ctx, "last_date")
    d = min(at.date(), last) if last is not None else at.date()
    key = (c.id, d)
    hit = ctx.members.get(key)
    if hit is not None:
        return hit
    if c.audience_name is not None:
        tree = ctx.trees.get(c.audience_name)
        if tree is None:
            try:
                tree = ctx.trees[c.audience_name] = audiences.load(ws, c.audience_name)["definition"]
            except SiyuError as exc:  # deleted since the offers were loaded
                raise ConfigError(f"coupon {c.id!r}: {exc}; save the audience again or reload the offers") from None
    else:
        tree = c.audience
    out = frozenset(audiences.members(ws, tree, d).column("user_id").to_pylist())
    ctx.members[key] = out
    return out


def _tier(ws: Workspace, ctx: _Context, user: str, d: dt.date) -> str | None:
    """The user's tier on day ``d``: the to_tier of the last stored change dated on or before ``d``."""
    got = _lookup(ws, ctx, "tiers").get(user)
    if got is None:
        return None
    i = bisect.bisect_right(got[0], d)
    return got[1][i - 1] if i else None


def _is_fan(ws: Workspace, ctx: _Context, user: str, t: dt.datetime) -> bool:
    return any(f <= t and (uf is None or uf > t) for f, uf in _lookup(ws, ctx, "fans").get(user, ()))


def _bought_before(ws: Workspace, ctx: _Context, user: str, t: dt.datetime) -> bool:
    first = _lookup(ws, ctx, "first_purchase").get(user)
    return first is not None and first < t


def _uses(ws: Workspace, ctx: _Context, user: str, t: dt.datetime) -> dict[str, int]:
    out: dict[str, int] = {}
    for c, used_at in _lookup(ws, ctx, "uses").get(user, ()) if ctx.has_uses else ():
        if used_at <= t:
            out[c] = out.get(c, 0) + 1
    return out


def quote(ws: Workspace, user: str, sku: str, qty: int = 1, at: dt.datetime | str | None = None) -> dict[str, Any]:
    """The price ``user`` pays for ``qty`` of ``sku`` at ``at`` (default: now, local time of the workspace).

    Returns
    -------
    dict
        ``list_price`` (per unit), ``unit_price`` (``price / qty``), ``price`` (the line total), all
        :class:`~decimal.Decimal` rounded half up to 0.01; ``applied``: ``[{"rule", "id", "amount"}]`` (the saving
        on the line; the floor's is negative: what it gives back) and ``rejected``: ``[{"rule", "id", "reason"}]``.

    Raises
    ------
    ConfigError
        An unknown sku (naming it), a sku without a list price, ``qty`` below 1, a bad ``at``, a saved audience
        that cannot be read any more.
    """
    from siyu.reach.campaign import parse_at
    from siyu.reach.store import now_local

    ws._require("write", "quotes (the offers live in the workspace file)")
    if isinstance(qty, bool) or not isinstance(qty, int) or not 1 <= qty <= MAX_QTY:
        raise ConfigError(f"--qty: a whole number from 1 to {MAX_QTY:,}, not {qty!r}")
    if not isinstance(user, str) or not user:
        raise ConfigError("--user: give a user id")
    t = parse_at(at, name="--at") or now_local(ws)
    ctx = _context(ws)
    offers = ctx.offers
    product = _lookup(ws, ctx, "products").get(sku)
    if product is None:
        raise ConfigError(f"unknown sku {sku!r}: not in products (siyu ingest products FILE)")
    list_price, leaf, l1 = product
    if list_price is None:
        raise ConfigError(f"sku {sku!r} has no list_price in products; a quote starts from the list price")
    base = money(Decimal(list_price))
    q = Decimal(qty)
    applied: list[dict[str, Any]] = []
    rejected: list[dict[str, Any]] = []

    # 1. member price: min(price list of the tier, list price × the tier's discount) per unit
    unit = base
    tier = _tier(ws, ctx, user, t.date()) if ctx.program is not None else None
    names = set(ctx.program.tier_names) if ctx.program is not None else set()
    for name in ctx.by_sku.get(sku, ()):
        if ctx.program is None:
            rejected.append({"rule": "member_price", "id": name, "reason": "no_program"})
        elif name not in names:
            rejected.append({"rule": "member_price", "id": name, "reason": "unknown_tier"})
        elif name != tier:
            rejected.append({"rule": "member_price", "id": name, "reason": "not_in_tier"})
    if tier is not None and ctx.program is not None:
        disc = next((tr.discount for tr in ctx.program.tiers if tr.name == tier), 1.0)
        by_discount = money(base * Decimal(str(disc)))
        listed = ctx.prices.get((tier, sku))
        candidates = []
        if listed is not None:
            candidates.append(("member_price", min(listed, base)))
        if by_discount < base:
            candidates.append(("tier_discount", by_discount))
        if candidates:
            # the lower unit price wins; on a tie the price list (listed first)
            best = min(candidates, key=lambda c: c[1])
            for rule, price in candidates:
                if rule == best[0] and price < base:
                    unit = price
                    applied.append({"rule": rule, "id": tier, "amount": money((base - price) * q)})
                else:
                    rejected.append({"rule": rule, "id": tier, "reason": "not_best"})
    line = money(unit * q)

    # 2. coupons: the best non-stackable one and every stackable one, each on the line after step 1
    uses: dict[str, int] | None = None
    ok: list[tuple[Coupon, Decimal]] = []
    verdict: dict[str, str] = {}
    for c in offers.coupons:
        reason = None
        if t < c.valid_from:
            reason = "not_started"
        elif t >= c.valid_to:
            reason = "expired"
        elif not c.in_scope(sku, leaf, l1):
            reason = "out_of_scope"
        elif c.threshold > line:
            reason = "below_threshold"
        elif c.audience is not None and user not in _members(ws, ctx, c, t):
            reason = "not_in_audience"
        elif c.first_purchase and _bought_before(ws, ctx, user, t):
            reason = "not_first_purchase"
        elif c.per_user_limit is not None:
            if uses is None:
                uses = _uses(ws, ctx, user, t)
            if uses.get(c.id, 0) >= c.per_user_limit:
                reason = "limit_reached"
        if reason is not None:
            verdict[c.id] = reason
            continue
        saving = c.amount_off if c.amount_off is not None else money(line * (1 - Decimal(str(c.discount))))
        ok.append((c, min(saving, line)))
    single = [(c, s) for c, s in ok if not c.stackable]
    best_id = min(single, key=lambda cs: (-cs[1], cs[0].id))[0].id if single else None
    saved_by_coupons = Decimal(0)
    for c, s in ok:
        if c.stackable or c.id == best_id:
            verdict[c.id] = "applied"
            applied.append({"rule": "coupon", "id": c.id, "amount": money(s)})
            saved_by_coupons += s
        else:
            verdict[c.id] = "not_best"
    for c in offers.coupons:
        if verdict[c.id] != "applied":
            rejected.append({"rule": "coupon", "id": c.id, "reason": verdict[c.id]})

    # 3. 关注立减 for fans at the moment
    follow = Decimal(0)
    if offers.follow_discount is not None:
        if _is_fan(ws, ctx, user, t):
            follow = offers.follow_discount.amount
            applied.append({"rule": "follow_discount", "id": "follow", "amount": money(follow)})
        else:
            rejected.append({"rule": "follow_discount", "id": "follow", "reason": "not_a_fan"})

    # 4. the floor
    raw = line - saved_by_coupons - follow
    floor = money(Decimal(str(offers.floor_ratio)) * base * q)
    price = raw
    if raw < floor:
        price = floor
        applied.append({"rule": "floor", "id": "floor", "amount": money(raw - floor)})
    price = money(price)
    return {"list_price": base, "unit_price": money(price / q), "price": price, "applied": applied,
            "rejected": rejected}
