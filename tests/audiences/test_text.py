"""The text form of audience trees: parse, to_text, their round trip, and the errors (siyu.audiences.text)."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siyu import ConfigError
from siyu.audiences.fields import FIELDS, field_labels
from siyu.audiences.text import parse, to_text
from siyu.audiences.tree import (
    MAX_DAYS,
    MAX_NUMBER,
    ORDER_MEASURES,
    WINDOW_OPS,
    validate,
)
from siyu.contract.schema import EVENT_TYPES

FAN = {"field": "is_fan", "op": "=", "value": True}
MEMBER = {"field": "is_member", "op": "=", "value": True}
TIER = {"field": "tier", "op": "=", "value": "gold"}


def test_the_documented_example():
    text = "aipl in (I, P) and orders.count(365d) >= 2 and event.add_cart(30d) >= 1 and not is_member"
    assert parse(text) == {"all": [
        {"field": "aipl", "op": "in", "value": ["I", "P"]},
        {"orders": "count", "within_days": 365, "op": ">=", "value": 2},
        {"event": "add_cart", "within_days": 30, "op": ">=", "value": 1},
        {"not": {"field": "is_member", "op": "=", "value": True}},
    ]}
    assert to_text(parse(text)) == text


def test_and_binds_tighter_than_or_and_chains_are_flat():
    assert parse("is_fan or is_member and tier = gold") == {"any": [FAN, {"all": [MEMBER, TIER]}]}
    assert parse("is_fan and is_member or tier = gold") == {"any": [{"all": [FAN, MEMBER]}, TIER]}
    assert parse("is_fan and is_member and tier = gold") == {"all": [FAN, MEMBER, TIER]}
    assert parse("is_fan or is_member or tier = gold") == {"any": [FAN, MEMBER, TIER]}
    assert parse("not is_fan and is_member") == {"all": [{"not": FAN}, MEMBER]}
    assert parse("not not is_fan") == {"not": {"not": FAN}}


def test_a_group_is_its_own_node():
    assert parse("(is_fan and is_member) and tier = gold") == {"all": [{"all": [FAN, MEMBER]}, TIER]}
    assert parse("is_fan and (is_member or tier = gold)") == {"all": [FAN, {"any": [MEMBER, TIER]}]}
    assert parse("not (is_fan or is_member)") == {"not": {"any": [FAN, MEMBER]}}
    assert parse("((is_fan))") == FAN
    assert parse("(is_fan) and (is_member)") == {"all": [FAN, MEMBER]}


def test_functional_forms_and_how_to_text_prints_groups():
    assert parse("all(is_fan)") == {"all": [FAN]}
    assert parse("any(is_fan, is_member and tier = gold)") == {"any": [FAN, {"all": [MEMBER, TIER]}]}
    assert parse("ALL(all(is_fan))") == {"all": [{"all": [FAN]}]}
    assert to_text({"all": [FAN]}) == "all(is_fan)"
    assert to_text({"all": [{"all": [FAN, MEMBER]}, TIER]}) == "(is_fan and is_member) and tier = gold"
    assert to_text({"any": [FAN, {"all": [MEMBER, TIER]}]}) == "is_fan or (is_member and tier = gold)"
    assert to_text({"not": {"any": [FAN, MEMBER]}}) == "not (is_fan or is_member)"
    assert to_text({"not": {"not": FAN}}) == "not not is_fan"
    assert to_text({"all": [{"any": [FAN]}, MEMBER]}) == "any(is_fan) and is_member"


def test_keywords_are_case_insensitive_and_comments_are_ignored():
    assert parse("NOT is_fan AND tier IN (a) Or tier IS NOT NULL -- note\n or is_88vip = TRUE") == {"any": [
        {"all": [{"not": FAN}, {"field": "tier", "op": "in", "value": ["a"]}]},
        {"field": "tier", "op": "not_null"}, {"field": "is_88vip", "op": "=", "value": True}]}
    assert parse("is_fan AnD is_member") == {"all": [FAN, MEMBER]}
    with pytest.raises(ConfigError, match="unknown field \"orbit\""):
        parse("orbit = 1")  # a name that starts with a keyword is a name
    with pytest.raises(ConfigError, match="unexpected 'orb'"):
        parse("is_fan orb")  # and a keyword needs a word boundary


@pytest.mark.parametrize(("text", "op", "value"), [
    ("p_alive = 0.5", "=", 0.5), ("p_alive == 0.5", "=", 0.5), ("p_alive != 1", "!=", 1),
    ("p_alive <> 1", "!=", 1), ("p_alive < 1", "<", 1), ("p_alive <= 1", "<=", 1), ("p_alive > -3.5", ">", -3.5),
    ("p_alive>=1e3", ">=", 1000.0), ("p_alive in (1, 2.5)", "in", [1, 2.5]),
    ("p_alive not in (0)", "not_in", [0]), ("p_alive is null", "is_null", None),
    ("p_alive is not null", "not_null", None), ("tags contains vip", "contains", "vip"),
    ('tags contains "a b"', "contains", "a b"),
])
def test_every_operator(text, op, value):
    name = text.split()[0].split(">")[0]
    want = {"field": name, "op": op} if value is None else {"field": name, "op": op, "value": value}
    got = parse(text)
    assert got == want and json.dumps(got) == json.dumps(want)  # int stays int, float stays float
    assert parse(to_text(got)) == got


def test_values_take_the_kind_of_their_field():
    assert parse("city_tier = 1")["value"] == "1"  # string: the exact source text
    assert parse("city_tier in (1.50, 1线, V1, 88vip, -2)")["value"] == ["1.50", "1线", "V1", "88vip", "-2"]
    assert parse("tier = 'it\\'s'")["value"] == "it's"
    assert parse('tier = "a \\"b\\" \\u00e9\\n"')["value"] == 'a "b" é\n'
    assert parse("tags contains 88vip")["value"] == "88vip"
    assert parse("registered_at >= 2024-01-01")["value"] == "2024-01-01"
    assert parse("registered_at < '2024-02-29'")["value"] == "2024-02-29"
    assert parse("days_since_purchase <= 30")["value"] == 30
    assert json.dumps(parse("predicted_clv > 30.0")["value"]) == "30.0"
    assert parse("is_member = false") == {"field": "is_member", "op": "=", "value": False}
    assert to_text(parse("is_member = false")) == "is_member = false"
    assert to_text(parse("is_member = TRUE")) == "is_member"
    assert parse("not is_member") == {"not": MEMBER}


def test_event_and_orders_conditions():
    assert parse('event.add_cart(30d, channel=sms, sku="S 1") >= 1') == {
        "event": "add_cart", "within_days": 30, "channel": "sms", "sku": "S 1", "op": ">=", "value": 1}
    assert parse("event.visit(7) in (0, 1)") == {"event": "visit", "within_days": 7, "op": "in", "value": [0, 1]}
    assert parse("orders.amount(90d) > 199.5") == {"orders": "amount", "within_days": 90, "op": ">", "value": 199.5}
    assert parse("orders.days(30D) = 0") == {"orders": "days", "within_days": 30, "op": "=", "value": 0}
    assert to_text(parse("event.add_cart(30, sku='S 1', channel=sms) >= 1")) == \
        'event.add_cart(30d, channel=sms, sku="S 1") >= 1'


def test_labels_become_codes_and_to_text_prints_codes():
    assert parse("customer_pool = 老客") == {"field": "customer_pool", "op": "=", "value": "old"}
    assert parse("aipl in (兴趣, 购买)") == {"field": "aipl", "op": "in", "value": ["I", "P"]}
    assert parse("rfm_group = \"Can't lose them\"")["value"] == "cant_lose_them"
    assert to_text(parse("aipl in (兴趣, 购买)")) == "aipl in (I, P)"


@pytest.mark.parametrize(("text", "message"), [
    ("is_fan and tier = a xx", (r"^audience query: unexpected 'xx' at line 1, column 21; expected one of: and, or, "
                               r"end of input$")),
    ("is_fan and is_member xx", (r"unexpected 'xx' at line 1, column 22; expected one of: an operator \(= != < <= > "
                                r">=\), in, not, is, contains, and, or, end of input$")),
    ("(is_fan and\n tier = a xx)", r"unexpected 'xx' at line 2, column 11; expected one of: and, or, \)$"),
    ("is_fan and", r"unexpected end of input at line 1, column 11; expected one of: not, \(, a name"),
    ("tier = a #", r"unexpected '#' at line 1, column 10; expected one of: and, or, end of input$"),
    ("tier", r"^audience tree at value: tier takes text, not true$"),
    ("tier ~ a", r"unexpected '~' at line 1, column 6; expected one of: .*an operator"),
    ("tier in ()", r"unexpected '\)' at line 1, column 10; expected one of: a value$"),
    ("event.visit(x) > 1", r"unexpected 'x' at line 1, column 13; expected one of: days \(30d\)$"),
    ("event.visit(7d, op=1) > 1", r"unknown event option 'op' at line 1, column 17; the options are channel, sku"),
    ("event.visit(7d, sku=a, sku=b) > 1", r"repeated event option 'sku'"),
    ("tier = null", r"null is not a value \(at line 1, column 8\); write FIELD is null"),
    ('tier = "\\q"', r"bad string at line 1, column 8"),
    ("   ", r"the query is empty"),
    ("p_alive > 1" + "0" * 5000, r"the number at line 1, column 11 is too long"),
])
def test_syntax_errors_say_where_and_what_was_expected(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text)


@pytest.mark.parametrize(("text", "message"), [
    ("is_fan and tier = a and p_alive = 'x'", r"^audience tree at all\[2\]\.value: a number is needed here"),
    ("is_fan and aipl = X", r"^audience tree at all\[1\]\.value: 'X' is not a value of aipl; allowed: A \(认知\)"),
    ("is_fan or (tier = a and tags > x)", r"at any\[1\]\.all\[1\]\.op: `>` does not apply to tags"),
    ("registered_at = 2024-13-01", r"at value: a date YYYY-MM-DD is needed here"),
    ("nope = 1", r"at field: unknown field \"nope\""),
    ("event.nope(7d) > 1", r"at event: unknown event type \"nope\""),
    ("orders.sum(7d) > 1", r"at orders: \"sum\" is not an orders measure"),
    ("event.visit(0d) > 1", r"at within_days: a whole number of days from 1"),
    ("event.visit(7d) is null", r"at op: \"is_null\" is not an operator here"),
    ("is_member = 1", r"at value: is_member takes true or false, not 1"),
    ("tags contains 'a;b'", r"at value: `contains` asks for one tag"),
])
def test_type_errors_name_the_path(text, message):
    with pytest.raises(ConfigError, match=message):
        parse(text)


def test_to_text_validates_and_quotes_what_would_not_read_back():
    with pytest.raises(ConfigError, match="unknown field"):
        to_text({"field": "nope", "op": "=", "value": 1})
    for s in ("and", "OR", "null", "True", "", "a b", 'say "hi"', "a\\b", "a;b", "--x", "(", "全 角"):
        text = to_text({"field": "tier", "op": "=", "value": s})
        assert text.startswith('tier = "') and parse(text)["value"] == s
    assert to_text({"field": "tier", "op": "=", "value": "1e3"}) == "tier = 1e3"


def _texts(**kw):
    alphabet = st.one_of(st.characters(codec="utf-8"), st.sampled_from(list("\"'\\;-.,()=<> \n\t老客1eE+")))
    return st.text(alphabet, **kw)


def _cond(name):
    f = FIELDS[name]
    kind = f.kind
    if kind == "enum":
        one = st.sampled_from(list(field_labels(f)))
    elif kind == "string":
        one = _texts(max_size=12)
    elif kind == "tags":
        one = _texts(min_size=1, max_size=12).filter(lambda s: ";" not in s and s.strip())
    elif kind == "boolean":
        one = st.booleans()
    elif kind == "number":
        one = _numbers()
    else:
        one = st.dates().map(lambda d: d.isoformat())
    return st.sampled_from(f.ops).flatmap(lambda op: _with_value({"field": name, "op": op}, op, one))


def _numbers():
    return st.one_of(st.integers(-int(MAX_NUMBER), int(MAX_NUMBER)), st.integers(-5, 5),
                     st.floats(-MAX_NUMBER, MAX_NUMBER, allow_nan=False, allow_infinity=False))


def _with_value(node, op, one):
    if op in ("is_null", "not_null"):
        return st.just(node)
    values = st.lists(one, min_size=1, max_size=3) if op in ("in", "not_in") else one
    return values.map(lambda v: {**node, "value": v})


def _window():
    events = st.builds(lambda e, d, c, s: {"event": e, "within_days": d, **c, **s},
                       st.sampled_from(EVENT_TYPES), st.integers(1, MAX_DAYS),
                       st.one_of(st.just({}), _texts(max_size=8).map(lambda c: {"channel": c})),
                       st.one_of(st.just({}), _texts(max_size=8).map(lambda s: {"sku": s})))
    orders = st.builds(lambda m, d: {"orders": m, "within_days": d},
                       st.sampled_from(ORDER_MEASURES), st.integers(1, MAX_DAYS))
    return st.tuples(st.one_of(events, orders), st.sampled_from(WINDOW_OPS)).flatmap(
        lambda t: _with_value({**t[0], "op": t[1]}, t[1], _numbers()))


LEAVES = st.one_of(*[_cond(name) for name in FIELDS], _window())
TREES = st.recursive(LEAVES, lambda kids: st.one_of(
    st.lists(kids, min_size=1, max_size=4).map(lambda k: {"all": k}),
    st.lists(kids, min_size=1, max_size=4).map(lambda k: {"any": k}),
    kids.map(lambda k: {"not": k})), max_leaves=12)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_round_trip(tree):
    tree = validate(tree)
    text = to_text(tree)
    back = parse(text)
    assert back == tree, text
    assert json.dumps(back) == json.dumps(tree), text  # the same types (int / float / bool) too


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), _texts(max_size=40),
                 st.lists(st.sampled_from(["and", "or", "not", "(", ")", ",", "all(", "any(", "is_fan", "tier",
                                           "=", "in", "is", "null", "event.visit(", "7d", "orders.count(", "'x",
                                           '"y"', "1e999", "-", "contains", "--", "\n", ".", "老客", "p_alive"]))
                 .map(" ".join)))
def test_only_config_errors_escape_parse(text):
    try:
        tree = parse(text)
    except ConfigError:
        return
    assert validate(tree) == tree


def test_deep_or_odd_input_is_a_config_error():
    assert parse("(" * 5000 + "is_fan" + ")" * 5000) == FAN  # groups of one condition are that condition
    for text in ("not " * 5000 + "is_fan", "all(" * 5000 + "is_fan" + ")" * 5000, "(" * 5000):
        with pytest.raises(ConfigError, match="nested more than 64 levels|unexpected end of input"):
            parse(text)
    with pytest.raises(ConfigError, match="text is needed"):
        parse(None)  # type: ignore[arg-type]
