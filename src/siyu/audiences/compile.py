"""Compile a canonical condition tree to one SQL query over the per-user profile at T.

The query is built from fixed templates: identifiers come only from the field registry and the contract
(whitelisted), and every value of the tree — field values, event types, channels, SKUs, window bounds — is a
bound parameter (``$a0``, ``$a0_1``, …), never pasted into the text. So a tree full of quotes, semicolons or SQL
fragments compiles to the same query text as any other tree of its shape (and the engine's prepared-statement
and translation caches see few distinct texts).

Each leaf becomes a *value* expression (the user's own value: a profile column, or a window count that is 0
without rows) and a *pass* expression ``coalesce(value OP param, false)``: every comparison with null is false
before ``not`` applies (``docs/audiences.md`` §Null handling). Windows W(N) are the N local calendar days ending on
T, bounded as ``ts >= T-N+1 00:00 AND ts < T+1 00:00`` so the engine can prune by timestamp.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from siyu.audiences.fields import FIELDS
from siyu.audiences.tree import child_path, leaves

__all__ = ["Compiled", "Leaf", "compile_tree"]

#: the orders measures of a window (purchases only: fully refunded orders are not purchases; amounts are net)
_MEASURES = {"count": "count(*) AS count",
             "amount": "CAST(sum(amount - coalesce(refund_amount, 0)) AS DOUBLE) AS amount",
             "days": "count(DISTINCT CAST(paid_at AS DATE)) AS days"}
_CMP = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass(frozen=True)
class Leaf:
    """One condition of the tree: its ``path``, canonical ``condition`` and SQL ``value`` / ``passed``."""

    path: str
    condition: dict[str, Any]
    value: str
    passed: str


@dataclass
class Compiled:
    """A compiled tree: CTEs and joins to add to ``FROM <profile> p``, the WHERE expression and bound params."""

    ctes: list[str] = field(default_factory=list)
    joins: list[str] = field(default_factory=list)
    where: str = "true"
    leaves: list[Leaf] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)

    def query(self, profile: str, select: str, *, where: str | None = None, tail: str = "") -> str:
        """``SELECT <select> FROM <profile> p <joins> WHERE <where>`` with the CTEs in front."""
        head = f"WITH {', '.join(self.ctes)}\n" if self.ctes else ""
        joins = "\n".join(self.joins)
        return f"{head}SELECT {select}\nFROM {profile} p\n{joins}\nWHERE {where or self.where}\n{tail}"


def _window(t: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    lo = dt.datetime.combine(t - dt.timedelta(days=days - 1), dt.time())
    return lo, dt.datetime.combine(t + dt.timedelta(days=1), dt.time())


def compile_tree(tree: dict[str, Any], as_of: dt.date, *, bind_source: Any = None) -> Compiled:
    """Compile canonical ``tree`` at snapshot ``as_of``.

    Parameters
    ----------
    tree : dict
        A tree in canonical form (:func:`siyu.audiences.tree.validate`).
    as_of : datetime.date
        The snapshot date T.
    bind_source : callable, optional
        ``bind_source(source) -> (sql, params)`` for fields whose source is not the profile (a named per-user
        model or a callable, :class:`~siyu.audiences.fields.AudienceField`).
    """
    c = Compiled()
    events: dict[tuple, str] = {}
    orders: dict[int, str] = {}
    sources: dict[str, str] = {}
    passed: dict[str, str] = {}
    measures: dict[int, set[str]] = {}
    for _, cond in leaves(tree):
        if "orders" in cond:
            measures.setdefault(cond["within_days"], set()).add(cond["orders"])
    for i, (path, cond) in enumerate(leaves(tree)):
        a = f"a{i}"
        if "field" in cond:
            f = FIELDS[cond["field"]]
            col = f.column or f.name
            if f.source == "profile":
                value = f'p."{col}"'
            else:
                alias = sources.get(f.source)
                if alias is None:
                    alias = sources[f.source] = f"s{len(sources)}"
                    if bind_source is None:
                        raise ValueError(f"field {f.name} needs model {f.source}: pass bind_source")
                    sql, params = bind_source(f.source)
                    c.params.update(params)
                    c.ctes.append(f"{alias} AS ({sql}\n)")
                    c.joins.append(f"LEFT JOIN {alias} ON {alias}.user_id = p.user_id")
                value = f'{alias}."{col}"'
            kind = f.kind
        elif "event" in cond:
            key = (cond["event"], cond["within_days"], cond.get("channel"), cond.get("sku"))
            alias = events.get(key)
            if alias is None:
                alias = events[key] = f"e{len(events)}"
                lo, hi = _window(as_of, cond["within_days"])
                c.params.update({f"{alias}_type": cond["event"], f"{alias}_lo": lo, f"{alias}_hi": hi})
                extra = ""
                for k in ("channel", "sku"):
                    if k in cond:
                        c.params[f"{alias}_{k}"] = cond[k]
                        extra += f" AND {k} = ${alias}_{k}"
                c.ctes.append(f"{alias} AS (SELECT user_id, count(*) AS v FROM events WHERE type = ${alias}_type "
                              f"AND ts >= ${alias}_lo AND ts < ${alias}_hi{extra} GROUP BY user_id)")
                c.joins.append(f"LEFT JOIN {alias} ON {alias}.user_id = p.user_id")
            value, kind = f"coalesce({alias}.v, 0)", "number"
        else:
            days = cond["within_days"]
            alias = orders.get(days)
            if alias is None:
                alias = orders[days] = f"o{len(orders)}"
                lo, hi = _window(as_of, days)
                c.params.update({f"{alias}_lo": lo, f"{alias}_hi": hi})
                cols = ", ".join(_MEASURES[m] for m in _MEASURES if m in measures[days])  # only those asked
                c.ctes.append(
                    f"{alias} AS (SELECT user_id, {cols} FROM orders "
                    f"WHERE coalesce(refund_amount, 0) < amount AND paid_at >= ${alias}_lo AND paid_at < ${alias}_hi "
                    "GROUP BY user_id)")
                c.joins.append(f"LEFT JOIN {alias} ON {alias}.user_id = p.user_id")
            value, kind = f'coalesce({alias}."{cond["orders"]}", 0)', "number"
        test = _test(value, cond["op"], cond.get("value"), a, kind, c.params)
        passed[path] = f"coalesce({test}, false)"
        c.leaves.append(Leaf(path, cond, value, passed[path]))
    c.where = _expr(tree, passed, "")
    return c


def _param(v: Any, kind: str) -> Any:
    return dt.date.fromisoformat(v) if kind == "date" else v


def _test(value: str, op: str, v: Any, a: str, kind: str, params: dict[str, Any]) -> str:
    if op == "is_null":
        return f"({value}) IS NULL"
    if op == "not_null":
        return f"({value}) IS NOT NULL"
    if op in ("in", "not_in"):
        names = []
        for j, x in enumerate(v):
            params[f"{a}_{j}"] = _param(x, kind)
            names.append(f"${a}_{j}")
        return f"({value}) {'NOT IN' if op == 'not_in' else 'IN'} ({', '.join(names)})"
    params[a] = _param(v, kind)
    if op == "contains":  # one of the ';'-separated tags (the profile drops spaces around the separators)
        return f"list_contains(string_split({value}, ';'), ${a})"
    return f"({value}) {_CMP[op]} ${a}"


def _expr(node: dict[str, Any], passed: dict[str, str], path: str) -> str:
    for group, word in (("all", " AND "), ("any", " OR ")):
        if group in node:
            kids = [_expr(k, passed, child_path(child_path(path, group), i)) for i, k in enumerate(node[group])]
            return "(" + word.join(kids) + ")"
    if "not" in node:
        return f"(NOT {_expr(node['not'], passed, child_path(path, 'not'))})"
    return passed[path]
