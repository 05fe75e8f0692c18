"""The readable text form of an audience condition tree: :func:`parse` (text -> canonical tree) and
:func:`to_text` (canonical tree -> text), with ``parse(to_text(t)) == t`` for every canonical tree.

Grammar (keywords are case-insensitive; whitespace and newlines are free; ``--`` starts a comment to the end of
the line)::

    query     := or_expr
    or_expr   := and_expr ("or" and_expr)*              -- two or more: {"any": [...]}
    and_expr  := not_expr ("and" not_expr)*             -- two or more: {"all": [...]}; binds tighter than or
    not_expr  := "not" not_expr | atom                  -- {"not": ...}
    atom      := "(" or_expr ")"                        -- a group is its own node, never merged into its parent
               | "all" "(" or_expr ("," or_expr)* ")"   -- {"all": [...]}, also with one child
               | "any" "(" or_expr ("," or_expr)* ")"   -- {"any": [...]}
               | FIELD                                  -- boolean F is true: {"field": F, "op": "=", "value": true}
               | FIELD test
               | "event" "." TYPE "(" DAYS ("," ("channel" | "sku") "=" value)* ")" test
               | "orders" "." ("count" | "amount" | "days") "(" DAYS ")" test
    test      := ("=" | "==" | "!=" | "<>" | "<" | "<=" | ">" | ">=") value
               | "in" "(" value ("," value)* ")"  |  "not" "in" "(" value ("," value)* ")"
               | "is" "null"  |  "is" "not" "null"  |  "contains" value
    DAYS      := digits, optionally followed by "d"  (30d or 30)
    value     := "double-quoted"  (JSON escapes: \\" \\\\ \\n \\u00e9 ...)  |  'single-quoted'  (\\' for ')
               | bare word: letters (CJK too), digits, _ . / + - :  e.g. vip xhs:学生党 V1 1线 老客 -3.5 2024-01-01
               | true | false

A value takes the type of its field (:data:`~siyu.audiences.fields.FIELDS`): for enum, string, tags and date
fields a bare word is its exact text (``city_tier = 1`` is ``"1"``); for number fields, event and orders
conditions a bare number is an int (``2``) or a float (``2.0``, ``1e3``). A quoted value is always text; bare
``true``/``false`` are booleans and bare ``null`` is refused (write ``F is null``). Enum labels such as ``老客``
become their codes (``old``); :func:`to_text` prints codes and quotes any text that would not read back as the
same bare word. Examples::

    aipl in (I, P) and orders.count(365d) >= 2 and event.add_cart(30d) >= 1 and not is_member
    customer_pool = 老客 or (rfm_group in (champions, "Can't lose them") and predicted_clv > 199.5)
    event.add_cart(30d, channel=sms, sku="S 1") >= 1 and tags contains vip and registered_at >= 2024-01-01
    all(is_fan) or tier is not null

Rules: ``docs/audiences.md``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from lark import Lark, Token, Transformer
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedInput,
    UnexpectedToken,
)

from siyu._exceptions import ConfigError
from siyu.audiences.fields import FIELDS
from siyu.audiences.tree import NO_VALUE, validate

__all__ = ["parse", "to_text"]

_GRAMMAR = r"""
?start: or_expr
?or_expr: and_expr (_OR and_expr)*
?and_expr: not_expr (_AND not_expr)*
?not_expr: negation | atom
negation: NOT not_expr
?atom: "(" or_expr ")" | all_call | any_call | flag | field | event | orders
all_call: _ALL "(" or_expr ("," or_expr)* ")"
any_call: _ANY "(" or_expr ("," or_expr)* ")"
flag: NAME
field: NAME test
event: _EVENT "." NAME "(" DAYS ("," option)* ")" test
orders: _ORDERS "." NAME "(" DAYS ")" test
option: NAME "=" value
test: OP value | IN values | NOT IN values | IS NULL | IS NOT NULL | CONTAINS value
values: "(" value ("," value)* ")"
?value: BARE | STRING

_AND.2: /and\b/i
_OR.2: /or\b/i
NOT.2: /not\b/i
IN.2: /in\b/i
IS.2: /is\b/i
NULL.2: /null\b/i
CONTAINS.2: /contains\b/i
_ALL.2: /all\b/i
_ANY.2: /any\b/i
_EVENT.2: /event\b/i
_ORDERS.2: /orders\b/i
OP: /==|!=|<>|<=|>=|=|<|>/
NAME: /[^\W\d]\w*/
DAYS: /[0-9]+d?/i
BARE: /(?!--)[\w.\/+\-:]+/
STRING: /"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'/
COMMENT: /--[^\n]*/
%ignore /\s+/
%ignore COMMENT
"""

_BARE = re.compile(r"(?!--)[\w./+\-:]+")
_INT = re.compile(r"[+-]?[0-9]+")
_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_KEYWORDS = frozenset(["and", "or", "not", "in", "is", "null", "true", "false", "contains", "all", "any", "event", "orders"])
_TEXT_KINDS = ("enum", "string", "tags", "date")
_TESTS = {"IN": "in", "NOT IN": "not_in", "IS NULL": "is_null", "IS NOT NULL": "not_null", "CONTAINS": "contains"}
_WORDS = ("NOT", "IN", "IS", "NULL", "CONTAINS")
_EXPECTED = {  # terminal -> how an error message names it, in this order
    "OP": "an operator (= != < <= > >=)", "IN": "in", "NOT": "not", "IS": "is", "NULL": "null",
    "CONTAINS": "contains", "_AND": "and", "_OR": "or", "RPAR": ")", "COMMA": ",", "$END": "end of input",
    "LPAR": "(", "NAME": "a name", "_ALL": "all", "_ANY": "any", "_EVENT": "event", "_ORDERS": "orders",
    "DOT": ".", "DAYS": "days (30d)", "EQUAL": "=", "BARE": "a value", "STRING": "a value",
}


def _at(token: Token) -> str:
    return f"at line {token.line}, column {token.column}"


def _number(text: str, token: Token) -> int | float:
    try:
        return int(text) if _INT.fullmatch(text) else float(text)
    except ValueError:  # more digits than int() reads
        raise ConfigError(f"audience query: the number {_at(token)} is too long") from None


def _coerce(kind: str | None, token: Token) -> Any:
    """The value of ``token`` for a field of ``kind`` (None: number-like, as in event and orders conditions)."""
    text = str(token)
    if token.type == "STRING":
        body = text[1:-1]
        if text[0] == "'":  # turn the single-quoted body into a JSON one
            body = re.sub(r'\\(.)|"', lambda m: '\\"' if m[0] == '"' else ("'" if m[1] == "'" else m[0]),
                          body, flags=re.DOTALL)
        try:
            return json.loads(f'"{body}"', strict=False)
        except ValueError as exc:
            raise ConfigError(f"audience query: bad string {_at(token)}: {exc.msg}") from None
    word = text.lower()
    if word in ("true", "false"):
        return word == "true"
    if word == "null":
        raise ConfigError(f"audience query: null is not a value ({_at(token)}); write FIELD is null")
    if kind in _TEXT_KINDS or not _FLOAT.fullmatch(text):
        return text
    return _number(text, token)


def _test(node: dict[str, Any], kind: str | None, test: tuple[str, Any]) -> dict[str, Any]:
    op, raw = test
    if op in NO_VALUE:  # event and orders conditions are never null: keep a value so validate names the op
        return {**node, "op": op, **({"value": None} if kind is None and "field" not in node else {})}
    value = [_coerce(kind, t) for t in raw] if isinstance(raw, list) else _coerce(kind, raw)
    return {**node, "op": op, "value": value}


def _days(token: Token) -> int:
    return int(_number(str(token).rstrip("dD"), token))


class _Build(Transformer):
    """Builds the (not yet validated) tree while the LALR parser reduces (no recursion on deep input)."""

    def or_expr(self, kids: list) -> dict:
        return {"any": kids}

    def and_expr(self, kids: list) -> dict:
        return {"all": kids}

    any_call, all_call = or_expr, and_expr

    def negation(self, kids: list) -> dict:
        return {"not": kids[1]}

    def flag(self, kids: list) -> dict:
        return {"field": str(kids[0]), "op": "=", "value": True}

    def field(self, kids: list) -> dict:
        name, test = str(kids[0]), kids[1]
        f = FIELDS.get(name)
        return _test({"field": name}, f.kind if f else None, test)

    def event(self, kids: list) -> dict:
        name, days, *options, test = kids
        node: dict[str, Any] = {"event": str(name), "within_days": _days(days)}
        for key, raw in options:
            if str(key) not in ("channel", "sku") or str(key) in node:
                raise ConfigError(f"audience query: {'repeated' if str(key) in node else 'unknown'} event option "
                                  f"{str(key)!r} {_at(key)}; the options are channel, sku")
            node[str(key)] = _coerce("string", raw)
        return _test(node, None, test)

    def orders(self, kids: list) -> dict:
        return _test({"orders": str(kids[0]), "within_days": _days(kids[1])}, None, kids[2])

    def option(self, kids: list) -> tuple:
        return kids[0], kids[1]

    def test(self, kids: list) -> tuple:
        """(op, value token or list of them) of ``= v``, ``in (v, ...)``, ``is not null``, ``contains v`` ..."""
        if kids[0].type == "OP":
            return {"==": "=", "<>": "!="}.get(str(kids[0]), str(kids[0])), kids[1]
        words = " ".join(k.type for k in kids if isinstance(k, Token) and k.type in _WORDS)
        return _TESTS[words], kids[-1]

    def values(self, kids: list) -> list:
        return list(kids)


@functools.cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", lexer="contextual", transformer=_Build())


def _syntax_error(text: str, exc: UnexpectedInput) -> ConfigError:
    if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
        what, line, column = "end of input", text.count("\n") + 1, len(text) - text.rfind("\n")
    else:
        if isinstance(exc, UnexpectedToken):
            bad = str(exc.token)
        else:
            rest = text[exc.pos_in_stream:] if isinstance(exc, UnexpectedCharacters) else ""
            bad = (re.match(r"\w+|\S", rest) or [""])[0]
        what = f"'{bad[:30]}'" if bad else "input"
        line, column = exc.line, exc.column
    names = set(getattr(exc, "accepts", None) or getattr(exc, "expected", None) or ())
    if isinstance(exc, UnexpectedCharacters):  # the lexer knows only its terminals: ask the parser what fits
        try:
            cursor = _parser().parse_interactive(text[:exc.pos_in_stream])
            cursor.exhaust_lexer()
            names = cursor.accepts()
        except (LarkError, ConfigError):  # pragma: no cover - the prefix parsed once already
            names = set(exc.allowed or ())
    wanted = list(dict.fromkeys(v for k, v in _EXPECTED.items() if k in names))
    tail = f"; expected one of: {', '.join(wanted)}" if wanted else ""
    return ConfigError(f"audience query: unexpected {what} at line {line}, column {column}{tail}")


def parse(text: str) -> dict[str, Any]:
    """The canonical tree of the audience query ``text`` (grammar: module docstring).

    Raises
    ------
    ConfigError
        On a syntax error (line, column and what was expected) or a tree :func:`~siyu.audiences.tree.validate`
        refuses (its path, e.g. ``all[1].value``).
    """
    if not isinstance(text, str):
        raise ConfigError(f"audience query: text is needed, not {type(text).__name__}")
    if not text.strip():
        raise ConfigError("audience query: the query is empty")
    try:
        tree = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(text, exc) from None
    except LarkError as exc:  # pragma: no cover - lark's other errors are grammar errors
        raise ConfigError(f"audience query: {exc}") from None
    return validate(tree)


def _value_text(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if _BARE.fullmatch(v) and v.lower() not in _KEYWORDS:
        return v
    return json.dumps(v, ensure_ascii=False)


def _test_text(node: dict[str, Any]) -> str:
    op, v = node["op"], node.get("value")
    if op == "is_null":
        return "is null"
    if op == "not_null":
        return "is not null"
    if op in ("in", "not_in"):
        return f"{op.replace('_', ' ')} ({', '.join(map(_value_text, v))})"
    return f"{op} {_value_text(v)}"


def _compound(node: dict[str, Any]) -> bool:
    return any(len(node.get(k, ())) > 1 for k in ("all", "any"))


def _text(node: dict[str, Any]) -> str:
    for group, joiner in (("all", " and "), ("any", " or ")):
        if group in node:
            kids = node[group]
            if len(kids) == 1:
                return f"{group}({_text(kids[0])})"
            return joiner.join(f"({_text(k)})" if _compound(k) else _text(k) for k in kids)
    if "not" in node:
        kid = node["not"]
        return f"not ({_text(kid)})" if _compound(kid) else f"not {_text(kid)}"
    if "field" in node:
        f = FIELDS[node["field"]]
        if f.kind == "boolean" and node["op"] == "=" and node["value"] is True:
            return f.name
        return f"{f.name} {_test_text(node)}"
    if "event" in node:
        opts = "".join(f", {k}={_value_text(node[k])}" for k in ("channel", "sku") if k in node)
        return f"event.{node['event']}({node['within_days']}d{opts}) {_test_text(node)}"
    return f"orders.{node['orders']}({node['within_days']}d) {_test_text(node)}"


def to_text(tree: dict[str, Any] | str) -> str:
    """The text form of ``tree`` (validated first), which :func:`parse` reads back to the same canonical tree.

    Raises
    ------
    ConfigError
        When ``tree`` is not a valid tree.
    """
    return _text(validate(tree))
