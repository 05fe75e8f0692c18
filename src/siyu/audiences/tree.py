"""The audience condition tree: validation into the canonical form that is stored and exchanged.

::

    node      := {"all": [node, ...]} | {"any": [node, ...]} | {"not": node} | condition
    condition := {"field": F, "op": OP, "value": V}
               | {"event": TYPE, "within_days": N, "op": OP, "value": K}    # optional "channel": C, "sku": S
               | {"orders": "count" | "amount" | "days", "within_days": N, "op": OP, "value": V}

:func:`validate` checks a tree against the field registry (:mod:`siyu.audiences.fields`) and returns it in
canonical form (keys in a fixed order, enum labels such as ``老客`` replaced by their codes). Anything unknown or
ill-typed is a :class:`~siyu.ConfigError` naming the path in the tree (``all[2].op``, counting from 0) and what
is allowed. Rules: ``docs/audiences.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from typing import Any

from siyu._exceptions import ConfigError
from siyu.audiences.fields import FIELDS, OPS, field_labels

__all__ = ["MAX_DAYS", "ORDER_MEASURES", "WINDOW_OPS", "child_path", "holds", "leaves", "load_tree", "validate"]

#: operators of the window conditions (a count or an amount is never null)
WINDOW_OPS = ("=", "!=", "<", "<=", ">", ">=", "in", "not_in")
ORDER_MEASURES = ("count", "amount", "days")
#: the longest window (100 years)
MAX_DAYS = 36500
#: the largest magnitude of a number value
MAX_NUMBER = 1e15
#: the longest string value
MAX_TEXT = 1000
NO_VALUE = ("is_null", "not_null")


def _err(path: str, message: str) -> ConfigError:
    return ConfigError(f"audience tree at {path or 'the root'}: {message}")


def child_path(path: str, key: str | int) -> str:
    """The path of child ``key`` (a list index or an object key) under ``path``: ``all[2].op``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _is_number(v: Any) -> bool:
    # an int too large for a float is a number here (refused by the range check, not by an OverflowError)
    return not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, float) and math.isfinite(v)))


def _keys(node: dict, path: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> None:
    for k in node:
        if k not in allowed:
            raise _err(child_path(path, str(k)), f"unknown key {k!r}; a condition of this kind has: {', '.join(allowed)}")
    for k in required:
        if k not in node:
            raise _err(child_path(path, k), f"missing; a condition of this kind has: {', '.join(allowed)}")


def _scalar(kind: str, v: Any, path: str, field: Any = None) -> Any:
    """Check one value of ``kind`` (and map enum labels to codes)."""
    if kind == "enum":
        labels = field_labels(field)
        if isinstance(v, str):
            if v in labels:
                return v
            for code, (zh, en) in labels.items():
                if v == zh or v.casefold() == en.casefold():
                    return code
        allowed = ", ".join(f"{c} ({zh})" for c, (zh, _) in labels.items())
        raise _err(path, f"{v!r} is not a value of {field.name}; allowed: {allowed}")
    if kind in ("string", "tags"):
        if not isinstance(v, str):
            raise _err(path, f"{field.name if field else 'this value'} takes text, not {json.dumps(v)}")
        if len(v) > MAX_TEXT:
            raise _err(path, f"a value is at most {MAX_TEXT} characters")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise _err(path, "a value must be valid Unicode text (it holds an unpaired surrogate)") from None
        if kind == "tags":
            if ";" in v or not v.strip():
                raise _err(path, "`contains` asks for one tag: non-empty, without ';'")
            return v.strip()  # tags are compared without surrounding spaces
        return v
    if kind == "boolean":
        if not isinstance(v, bool):
            raise _err(path, f"{field.name} takes true or false, not {json.dumps(v)}")
        return v
    if kind == "number":
        if not _is_number(v):
            raise _err(path, f"a number is needed here, not {json.dumps(v)}")
        if abs(v) > MAX_NUMBER:
            raise _err(path, f"a number from -{MAX_NUMBER:.0e} to {MAX_NUMBER:.0e} is needed here, not {v}")
        return v
    if kind == "date":
        ok = isinstance(v, str) and len(v) == 10
        if ok:
            try:
                dt.date.fromisoformat(v)
            except ValueError:
                ok = False
        if not ok:
            raise _err(path, f"a date YYYY-MM-DD is needed here, not {json.dumps(v)}")
        return v
    raise AssertionError(kind)  # pragma: no cover - kinds are checked at registration


def _value(kind: str, op: str, node: dict, path: str, field: Any = None) -> Any:
    vpath = child_path(path, "value")
    if op in NO_VALUE:
        if "value" in node:
            raise _err(vpath, f"`{op}` takes no value")
        return None
    if "value" not in node:
        raise _err(vpath, f"missing; `{op}` compares with a value")
    v = node["value"]
    if op in ("in", "not_in"):
        if not isinstance(v, list) or not v:
            raise _err(vpath, f"`{op}` takes a non-empty list of values")
        return [_scalar(kind, x, child_path(vpath, i), field) for i, x in enumerate(v)]
    return _scalar(kind, v, vpath, field)


def _op(node: dict, path: str, allowed: tuple[str, ...]) -> str:
    op = node.get("op")
    if op not in allowed:
        raise _err(child_path(path, "op"), f"{json.dumps(op)} is not an operator here; allowed: {' '.join(allowed)}")
    return op


def _days(node: dict, path: str) -> int:
    n = node.get("within_days")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= MAX_DAYS:
        raise _err(child_path(path, "within_days"), f"a whole number of days from 1 to {MAX_DAYS} is needed, "
                                               f"not {json.dumps(n)}")
    return n


def _node(node: Any, path: str, depth: int) -> dict[str, Any]:
    from siyu.contract.schema import EVENT_TYPES

    if depth > 64:
        raise _err(path, "the tree is nested more than 64 levels deep")
    if not isinstance(node, dict):
        raise _err(path, f"a node is a JSON object (all / any / not / a condition), not {json.dumps(node)[:60]}")
    for group in ("all", "any"):
        if group in node:
            if len(node) != 1:
                raise _err(path, f"an `{group}` node has the one key {group!r}")
            kids = node[group]
            if not isinstance(kids, list) or not kids:
                raise _err(child_path(path, group), f"`{group}` takes a non-empty list of nodes")
            return {group: [_node(k, child_path(child_path(path, group), i), depth + 1) for i, k in enumerate(kids)]}
    if "not" in node:
        if len(node) != 1:
            raise _err(path, "a `not` node has the one key 'not'")
        return {"not": _node(node["not"], child_path(path, "not"), depth + 1)}
    if "field" in node:
        f = FIELDS.get(node["field"]) if isinstance(node["field"], str) else None
        if f is None:
            raise _err(child_path(path, "field"), f"unknown field {json.dumps(node['field'])}; the fields are: "
                                                  f"{', '.join(FIELDS)}")
        _keys(node, path, ("field", "op", "value"), ("field", "op"))
        op = node.get("op")
        if op in OPS and op not in f.ops:
            raise _err(child_path(path, "op"), f"`{op}` does not apply to {f.name} ({f.kind}); allowed: {' '.join(f.ops)}")
        op = _op(node, path, f.ops)
        out: dict[str, Any] = {"field": f.name, "op": op}
        v = _value(f.kind, op, node, path, f)
        return out if op in NO_VALUE else {**out, "value": v}
    if "event" in node:
        _keys(node, path, ("event", "within_days", "op", "value", "channel", "sku"),
              ("event", "within_days", "op", "value"))
        if node["event"] not in EVENT_TYPES:
            raise _err(child_path(path, "event"), f"unknown event type {json.dumps(node['event'])}; the types are: "
                                             f"{', '.join(EVENT_TYPES)}")
        out = {"event": node["event"], "within_days": _days(node, path)}
        for k in ("channel", "sku"):
            if k in node:
                out[k] = _scalar("string", node[k], child_path(path, k))
        op = _op(node, path, WINDOW_OPS)
        return {**out, "op": op, "value": _value("number", op, node, path)}
    if "orders" in node:
        _keys(node, path, ("orders", "within_days", "op", "value"), ("orders", "within_days", "op", "value"))
        if node["orders"] not in ORDER_MEASURES:
            raise _err(child_path(path, "orders"), f"{json.dumps(node['orders'])} is not an orders measure; allowed: "
                                              f"{', '.join(ORDER_MEASURES)}")
        out = {"orders": node["orders"], "within_days": _days(node, path)}
        op = _op(node, path, WINDOW_OPS)
        return {**out, "op": op, "value": _value("number", op, node, path)}
    keys = ", ".join(map(str, node)) or "no keys"
    raise _err(path, f"not a node ({keys}); a node has one of: all, any, not, field, event, orders")


def validate(tree: Any) -> dict[str, Any]:
    """The canonical form of ``tree`` (a dict, or its JSON text).

    Raises
    ------
    ConfigError
        Naming the path of the first unknown or ill-typed part and what is allowed (exit 78).
    """
    return _node(load_tree(tree), "", 0)


def load_tree(tree: Any) -> Any:
    """``tree`` as Python objects: JSON text is parsed (an error says where it breaks)."""
    if isinstance(tree, (str, bytes)):
        try:
            return json.loads(tree)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"audience tree is not valid JSON: {exc.msg} at line {exc.lineno} column "
                              f"{exc.colno}") from None
        except RecursionError:
            raise ConfigError("audience tree is nested too deeply (at most 64 levels)") from None
    return tree


def leaves(tree: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """(path, condition) of every leaf of a canonical tree, in document order."""
    for group in ("all", "any"):
        if group in tree:
            for i, kid in enumerate(tree[group]):
                yield from leaves(kid, child_path(child_path(path, group), i))
            return
    if "not" in tree:
        yield from leaves(tree["not"], child_path(path, "not"))
        return
    yield path, tree


def holds(tree: dict[str, Any], passed: dict[str, bool], path: str = "") -> bool:
    """Whether a canonical tree holds, given whether each leaf (by path) held: ``all``/``any``/``not`` over the
    leaves' two-valued results (a comparison with null is false before ``not`` applies)."""
    if "all" in tree:
        return all(holds(k, passed, child_path(child_path(path, "all"), i)) for i, k in enumerate(tree["all"]))
    if "any" in tree:
        return any(holds(k, passed, child_path(child_path(path, "any"), i)) for i, k in enumerate(tree["any"]))
    if "not" in tree:
        return not holds(tree["not"], passed, child_path(path, "not"))
    return passed[path]
