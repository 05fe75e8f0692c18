"""A plain-Python evaluator of canonical audience trees, independent of the SQL compiler.

It reads the raw contract tables (``SELECT *``) and the per-user asset outputs (AIPL, pools, UCMV, RFM), computes
every field and window measure of ``docs/audiences.md`` in Python, and evaluates a tree over them. The tests
compare it with :func:`siyu.audiences.members`, :func:`~siyu.audiences.count` and
:func:`~siyu.audiences.explain`. Nothing here imports :mod:`siyu.audiences.compile` or the profile SQL.

- universe: every user id in users, orders, events, follows, memberships, reach_log;
- a comparison with a null value is false (``is_null`` aside) before ``not`` applies;
- windows W(N) are the N local calendar days ending on T: ``T-N+1 <= date(ts) <= T``.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from collections import Counter, defaultdict
from decimal import Decimal
from typing import Any

__all__ = ["Reference", "reference", "reference_members", "reference_passes", "reference_values"]

UNIVERSE_TABLES = ("users", "orders", "events", "follows", "memberships", "reach_log")
USER_FIELDS = ("city_tier", "gender", "age_band", "is_88vip")
DATE_FIELDS = ("registered_at",)


def _day(x: Any) -> dt.date | None:
    if x is None:
        return None
    return x.date() if isinstance(x, dt.datetime) else x


def _active(start: Any, end: Any, t: dt.date) -> bool:
    """A spell [start, end) holds at T: it began on or before T and did not end on or before T."""
    return _day(start) <= t and (end is None or _day(end) > t)


_SEP = re.compile(r" *; *")


def normalise_tags(tags: str | None) -> str | None:
    """The tags string with the spaces around ';' removed and the whole trimmed (of spaces)."""
    if tags is None:
        return None
    return _SEP.sub(";", tags.strip(" "))


class Reference:
    """Every user's fields at snapshot ``t`` and the data for window conditions, computed in Python."""

    def __init__(self, ws: Any, t: dt.date) -> None:
        from siyu import assets

        self.t = t
        raw = {name: ws.query(f"SELECT * FROM {name}").to_pylist() for name in UNIVERSE_TABLES}
        self.universe: set[str] = {r["user_id"] for rows in raw.values() for r in rows}

        stage = {r["user_id"]: r["stage"] for r in assets.aipl(ws, t).to_pylist()}
        pools = {r["user_id"]: r for r in assets.pools(ws, t).to_pylist()}
        ucmv = {r["user_id"]: r["stage"] for r in assets.ucmv(ws, t).to_pylist()}
        rfm = {r["user_id"]: r["group"] for r in assets.rfm(ws, t).to_pylist()}
        users = {r["user_id"]: r for r in raw["users"]}

        fans = {r["user_id"] for r in raw["follows"] if _active(r["followed_at"], r["unfollowed_at"], t)}
        spells: dict[str, list[dict]] = defaultdict(list)
        for r in raw["memberships"]:
            if _active(r["joined_at"], r["left_at"], t):
                spells[r["user_id"]].append(r)
        tier = {u: max(rows, key=lambda r: r["joined_at"])["tier"] for u, rows in spells.items()}

        # purchases: orders not fully refunded, paid on or before T
        self.purchases: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
        for r in raw["orders"]:
            refund = r["refund_amount"] if r["refund_amount"] is not None else Decimal(0)
            d = _day(r["paid_at"])
            if refund < r["amount"] and d <= t:
                self.purchases[r["user_id"]].append((d, r["amount"] - refund))
        last = {u: max(d for d, _ in rows) for u, rows in self.purchases.items()}

        # events by type: (user, day, channel, sku), on or before T
        self.events: dict[str, list[tuple[str, dt.date, Any, Any]]] = defaultdict(list)
        for r in raw["events"]:
            d = _day(r["ts"])
            if d <= t:
                self.events[r["type"]].append((r["user_id"], d, r["channel"], r["sku"]))

        clv: dict[str, dict] = {}
        has_clv = ws.query("SELECT count(*) AS n FROM information_schema.tables "
                           "WHERE table_name = 'clv_predictions'").column("n")[0].as_py() > 0
        if has_clv:
            clv = {r["customer_id"]: r for r in ws.query("SELECT * FROM clv_predictions").to_pylist()}

        self.fields: dict[str, dict[str, Any]] = {}
        for u in self.universe:
            p = pools.get(u, {})
            us = users.get(u, {})
            c = clv.get(u, {})
            self.fields[u] = {
                "aipl": stage.get(u),
                "fan_pool": p.get("fan_pool"), "member_pool": p.get("member_pool"),
                "customer_pool": p.get("customer_pool"),
                "ucmv": ucmv.get(u), "rfm_group": rfm.get(u),
                "is_fan": u in fans, "is_member": u in spells, "tier": tier.get(u),
                **{k: us.get(k) for k in USER_FIELDS},
                "tags": normalise_tags(us.get("tags")),
                "registered_at": _day(us.get("registered_at")),
                "days_since_purchase": (t - last[u]).days if u in last else None,
                "predicted_clv": c.get("predicted_clv"), "p_alive": c.get("p_alive"),
            }
        self._cache: dict[tuple, dict[str, Any]] = {}

    # -- window measures ------------------------------------------------------------------------
    def event_counts(self, cond: dict[str, Any]) -> dict[str, int]:
        key = ("event", cond["event"], cond["within_days"], cond.get("channel"), cond.get("sku"))
        if key not in self._cache:
            lo = self.t - dt.timedelta(days=cond["within_days"] - 1)
            n: Counter[str] = Counter()
            for u, d, channel, sku in self.events.get(cond["event"], ()):
                if lo <= d and ("channel" not in cond or channel == cond["channel"]) \
                        and ("sku" not in cond or sku == cond["sku"]):
                    n[u] += 1
            self._cache[key] = dict(n)
        return self._cache[key]

    def order_measures(self, days: int) -> dict[str, dict[str, Any]]:
        key = ("orders", days)
        if key not in self._cache:
            lo = self.t - dt.timedelta(days=days - 1)
            out = {}
            for u, rows in self.purchases.items():
                inside = [(d, a) for d, a in rows if lo <= d]
                if inside:
                    out[u] = {"count": len(inside), "amount": float(sum((a for _, a in inside), Decimal(0))),
                              "days": len({d for d, _ in inside})}
            self._cache[key] = out
        return self._cache[key]

    def leaf_values(self, cond: dict[str, Any]) -> dict[str, Any]:
        """user -> the user's own value of condition ``cond``."""
        if "field" in cond:
            return {u: f[cond["field"]] for u, f in self.fields.items()}
        if "event" in cond:
            n = self.event_counts(cond)
            return {u: n.get(u, 0) for u in self.universe}
        m = self.order_measures(cond["within_days"])
        return {u: m[u][cond["orders"]] if u in m else 0 for u in self.universe}


def compare(op: str, value: Any, v: Any, *, date: bool = False) -> bool:
    """Whether ``value OP v`` holds; any comparison with a null value is false (``is_null`` aside)."""
    if op == "is_null":
        return value is None
    if op == "not_null":
        return value is not None
    if value is None:
        return False
    if date:
        v = [dt.date.fromisoformat(x) for x in v] if isinstance(v, list) else dt.date.fromisoformat(v)
    if op == "contains":
        return v in value.split(";")
    if op == "in":
        return any(value == x for x in v)
    if op == "not_in":
        return all(value != x for x in v)
    return {"=": value == v, "!=": value != v, "<": value < v, "<=": value <= v, ">": value > v,
            ">=": value >= v}[op]


def _leaves(tree: dict[str, Any], path: str = ""):
    from siyu.audiences.tree import leaves

    return leaves(tree, path)


def _combine(node: dict[str, Any], passed: dict[str, bool], path: str) -> bool:
    def kid(group: str, i: int) -> str:
        return f"{path}.{group}[{i}]" if path else f"{group}[{i}]"

    if "all" in node:
        return all(_combine(k, passed, kid("all", i)) for i, k in enumerate(node["all"]))
    if "any" in node:
        return any(_combine(k, passed, kid("any", i)) for i, k in enumerate(node["any"]))
    if "not" in node:
        return not _combine(node["not"], passed, f"{path}.not" if path else "not")
    return passed[path]


_REFS: weakref.WeakKeyDictionary[Any, dict[tuple, Reference]] = weakref.WeakKeyDictionary()


def reference(ws: Any, as_of: dt.date | None = None) -> Reference:
    """The (cached) :class:`Reference` of ``ws`` at ``as_of`` (default: the last pay date)."""
    t = ws.last_date() if as_of is None else as_of
    if isinstance(t, str):
        t = dt.date.fromisoformat(t)
    refs = _REFS.setdefault(ws.engine, {})
    key = (t, getattr(ws.engine, "generation", 0))
    if key not in refs:
        refs[key] = Reference(ws, t)
    return refs[key]


def reference_values(ws: Any, tree: dict[str, Any], as_of: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """user -> {leaf path -> the user's value} for every user of the universe."""
    ref = reference(ws, as_of)
    out: dict[str, dict[str, Any]] = {u: {} for u in ref.universe}
    for path, cond in _leaves(tree):
        for u, v in ref.leaf_values(cond).items():
            out[u][path] = v
    return out


def reference_passes(ws: Any, tree: dict[str, Any], as_of: dt.date | None = None) -> dict[str, dict[str, bool]]:
    """user -> {leaf path -> whether the leaf held} for every user of the universe."""
    from siyu.audiences.fields import FIELDS

    ref = reference(ws, as_of)
    out: dict[str, dict[str, bool]] = {u: {} for u in ref.universe}
    for path, cond in _leaves(tree):
        date = "field" in cond and FIELDS[cond["field"]].kind == "date"
        for u, v in ref.leaf_values(cond).items():
            out[u][path] = compare(cond["op"], v, cond.get("value"), date=date)
    return out


def reference_members(ws: Any, tree: dict[str, Any], as_of: dt.date | None = None) -> set[str]:
    """The users for whom canonical ``tree`` holds at ``as_of``."""
    passes = reference_passes(ws, tree, as_of)
    return {u for u, p in passes.items() if _combine(tree, p, "")}
