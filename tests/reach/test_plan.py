"""Planning a campaign: every rule of docs/reach.md at its edges, on hand-made stores."""

from __future__ import annotations

import datetime as dt

import pytest

from siyu._exceptions import ConfigError
from siyu.reach import plan, send
from tests.reach.conftest import NO_GC, campaign, grant, make_store

D = dt.datetime


def _outbox(ws, cid="c1"):
    return {r["user_id"]: r for r in ws.query("SELECT * FROM outbox WHERE campaign_id = ?", [cid]).to_pylist()}


def _reasons(ws, cid="c1"):
    return {r["user_id"]: r["reason"] for r in ws.query(
        "SELECT user_id, reason FROM reach_suppressions WHERE campaign_id = ?", [cid]).to_pylist()}


def test_consent_decides_channel_and_variant(tmp_path, at):
    users = ["u1", "u2", "u3", "u4", "u5", "u6"]
    cons = [*grant(["u1", "u2", "u3", "u5"]),                       # marketing on every channel
            *grant(["u1"], purpose="personalisation"),              # u1 may get the personalised variant
            *grant(["u2"], channel="sms", purpose="third_party"),   # u2 may get sms (a third-party channel)
            ("u4", "push", "marketing", "granted", D(2024, 1, 1)),  # u4: push only, for marketing
            ("u5", "all", "marketing", "withdrawn", D(2024, 5, 1))]  # u5 withdrew everything
    ws = make_store(tmp_path, users, cons, emails={"u3": "carol@example.com"}, toml=NO_GC)
    res = plan(ws, campaign(channels=["sms", "email", "push"],
                            content={"personalised": "{{ user.city_tier }} 你好", "plain": "你好"}), at)
    out = _outbox(ws)
    assert {u: (r["channel"], r["variant"]) for u, r in out.items()} == {
        "u1": ("push", "personalised"),  # sms needs third_party, email an address: push, personalised
        "u2": ("sms", "plain"),          # the first channel it can be reached on
        "u3": ("email", "plain"),        # no third_party for sms; has an address
        "u4": ("push", "plain")}
    assert _reasons(ws) == {"u5": "no_consent", "u6": "no_consent"}  # withdrawn, and no record at all
    assert res["audience"] == 6 and res["planned"] == 4
    assert res["planned"] + sum(res["suppressed"].values()) == res["audience"]
    assert res["by_channel"] == {"sms": 1, "email": 1, "push": 2}
    assert res["by_variant"] == {"personalised": 1, "plain": 3}


def test_personalised_only_content_needs_personalisation_consent(tmp_path, at):
    ws = make_store(tmp_path, ["u1", "u2"], [*grant(["u1", "u2"]), *grant(["u1"], purpose="personalisation")],
                    toml=NO_GC)
    res = plan(ws, campaign(content={"personalised": "{{ user.user_id }}"}), at)
    assert set(_outbox(ws)) == {"u1"} and _reasons(ws) == {"u2": "no_consent"}
    assert res["suppressed"]["no_consent"] == 1


def test_control_groups_are_keyed_stable_and_per_campaign(tmp_path, at):
    users = [f"u{i:03d}" for i in range(400)]
    ws = make_store(tmp_path, users, grant(users), toml="[reach]\nglobal_control = 0.2\n")
    a = plan(ws, campaign(id="a", holdout=0.25), at)
    plan(ws, campaign(id="b", holdout=0.25, priority=1), at)
    arms = {cid: {r["user_id"]: r["arm"] for r in ws.query(
        "SELECT user_id, arm FROM campaign_assignments WHERE campaign_id = ?", [cid]).to_pylist()} for cid in "ab"}
    gc_a = {u for u, arm in arms["a"].items() if arm == "global_control"}
    gc_b = {u for u, arm in arms["b"].items() if arm == "global_control"}
    assert gc_a == gc_b and 40 <= len(gc_a) <= 120               # the same users in every campaign, ~20 %
    hold_a = {u for u, arm in arms["a"].items() if arm == "holdout"}
    hold_b = {u for u, arm in arms["b"].items() if arm == "holdout"}
    assert hold_a != hold_b and 40 <= len(hold_a) <= 120          # keyed by the campaign id; ~25 % of the rest
    assert a["suppressed"]["global_control"] == len(gc_a) and a["suppressed"]["holdout"] == len(hold_a)
    assert not (set(_outbox(ws, "a")) & (gc_a | hold_a))
    plan(ws, campaign(id="a", holdout=0.25), at)                   # re-planning holds out the same users
    again = {r["user_id"] for r in ws.query("SELECT user_id FROM campaign_assignments WHERE campaign_id = 'a' "
                                            "AND arm = 'holdout'").to_pylist()}
    assert again == hold_a


def test_quiet_hours_move_to_their_end_or_drop(tmp_path):
    ws = make_store(tmp_path, ["u1"], grant(["u1"]), toml=NO_GC)
    res = plan(ws, campaign(send_from="2024-05-10 21:30"), D(2024, 5, 10, 20, 0))
    assert _outbox(ws)["u1"]["scheduled_at"] == D(2024, 5, 11, 9, 0) and res["queued_quiet_hours"] == 1
    res = plan(ws, campaign(send_from="2024-05-10 21:30", send_until="2024-05-11 08:59"), D(2024, 5, 10, 20, 0))
    assert res["planned"] == 0 and res["suppressed"]["quiet_hours_dropped"] == 1
    res = plan(ws, campaign(), D(2024, 5, 10, 8, 59, 59))        # 09:00 itself is outside quiet hours
    assert _outbox(ws)["u1"]["scheduled_at"] == D(2024, 5, 10, 10, 0) and res["queued_quiet_hours"] == 0


def test_budget_counts_every_channel_and_queues_or_drops(tmp_path, at):
    log = [("m1", "u1", "2024-05-04 10:00", "customer_service", "sent"),   # human contacts count too
           ("m2", "u1", "2024-05-05 10:00", "sms", "delivered"),
           ("m3", "u1", "2024-05-06 10:00", "push", "clicked"),
           ("m4", "u2", "2024-05-04 10:00", "sms", "failed"),              # failed and suppressed do not count
           ("m5", "u2", "2024-05-05 10:00", "sms", "suppressed"),
           ("m6", "u2", "2024-05-06 10:00", "sms", "sent"),
           ("m7", "u3", "2024-05-03 10:00", "sms", "sent"),                 # 7 × 24 h before at: out of the window
           ("m8", "u3", "2024-05-05 10:00", "sms", "sent"),
           ("m9", "u3", "2024-05-06 10:00", "sms", "exported")]
    ws = make_store(tmp_path, ["u1", "u2", "u3"], grant(["u1", "u2", "u3"]), reach_log=log, toml=NO_GC)
    res = plan(ws, campaign(), at)
    out = _outbox(ws)
    assert out["u1"]["scheduled_at"] == D(2024, 5, 11, 10, 0)  # when the 2024-05-04 10:00 contact leaves the window
    assert out["u2"]["scheduled_at"] == out["u3"]["scheduled_at"] == at
    assert res["queued_budget"] == 1 and res["planned"] == 3
    res = plan(ws, campaign(send_until="2024-05-11 09:59"), at)    # the slot is after the window: dropped
    assert _reasons(ws) == {"u1": "budget"} and res["suppressed"]["budget"] == 1
    res = plan(ws, campaign(on_budget="drop"), at)
    assert _reasons(ws) == {"u1": "budget"} and res["queued_budget"] == 0


def test_channel_caps_sit_beneath_the_budget(tmp_path, at):
    log = [("m1", "u1", "2024-05-09 10:00", "push", "sent"), ("m2", "u2", "2024-05-09 10:00", "sms", "sent")]
    ws = make_store(tmp_path, ["u1", "u2"], grant(["u1", "u2"]), reach_log=log,
                    toml=NO_GC + "channel_caps = {push = 1}\n")
    res = plan(ws, campaign(), at)
    assert _reasons(ws) == {"u1": "budget"} and res["suppressed"]["budget"] == 1  # next push slot: 05-16 10:00
    assert _outbox(ws)["u2"]["scheduled_at"] == at                                 # an sms does not use the cap
    plan(ws, campaign(send_until="2024-05-20 20:00"), at)
    assert _outbox(ws)["u1"]["scheduled_at"] == D(2024, 5, 16, 10, 0)


def test_higher_priority_wins_the_budget(tmp_path, at):
    log = [("m1", "u1", "2024-05-08 10:00", "sms", "sent"), ("m2", "u1", "2024-05-09 10:00", "sms", "sent")]
    ws = make_store(tmp_path, ["u1", "u2"], grant(["u1", "u2"]), reach_log=log, toml=NO_GC)
    plan(ws, campaign(id="low", priority=5, on_budget="drop"), at)
    plan(ws, campaign(id="low2", priority=5, send_until="2024-05-20 20:00"), at)
    assert set(_outbox(ws, "low")) == {"u1", "u2"}
    assert _outbox(ws, "low2")["u1"]["scheduled_at"] == D(2024, 5, 15, 10, 0)  # low holds the third slot: queued
    res = plan(ws, campaign(id="high", priority=1), at)
    assert res["bumped"] == 1 and set(_outbox(ws, "high")) == {"u1", "u2"}
    low = _outbox(ws, "low")
    assert low["u1"]["status"] == "suppressed" and low["u2"]["status"] == "queued"  # drop: outranked, dropped
    assert _reasons(ws, "low") == {"u1": "budget"}
    # low2's queued slot still fits: 05-08 has left the window by 05-15 10:00, so 05-09, 05-10 (high) and it
    assert _outbox(ws, "low2")["u1"]["scheduled_at"] == D(2024, 5, 15, 10, 0)
    assert _outbox(ws, "low2")["u2"]["scheduled_at"] == at  # u2: high, low and low2 make three
    # a campaign of the same priority planned later does not take budget from one planned earlier
    plan(ws, campaign(id="same", priority=5, on_budget="drop"), at)
    assert _reasons(ws, "same") == {"u1": "budget", "u2": "budget"}


def test_replan_replaces_and_a_sent_campaign_or_a_past_window_is_refused(tmp_path, at):
    ws = make_store(tmp_path, ["u1", "u2"], grant(["u1", "u2"]), toml=NO_GC)
    plan(ws, campaign(), at)
    plan(ws, campaign(channels=["group_chat"]), at)
    assert {r["channel"] for r in _outbox(ws).values()} == {"group_chat"}
    assert ws.query("SELECT count(*) AS n FROM campaigns").column("n")[0].as_py() == 1
    send(ws, "c1", at)
    with pytest.raises(ConfigError, match="already been sent"):
        plan(ws, campaign(), at)
    with pytest.raises(ConfigError, match="send window ended"):
        plan(ws, campaign(id="late"), D(2024, 5, 13, 10, 0))


@pytest.mark.parametrize(("change", "message"), [
    ({"channels": ["sms", "fax"]}, "channels: unknown channel 'fax'"),
    ({"content": {}}, "content: give personalised, plain or both"),
    ({"send_until": "2024-05-01 10:00"}, "send_until must be after send_from"),
    ({"holdout": 1.5}, "holdout: Input should be less than 1"),
    ({"on_budget": "wait"}, "on_budget: Input should be 'queue' or 'drop'"),
    ({"audience": "{not json"}, "audience: not valid JSON"),
    ({"id": "a/b"}, "id: 1–64 letters"),
    ({"colour": "red"}, "colour: Extra inputs are not permitted"),
])
def test_bad_campaigns_name_the_key(change, message):
    from siyu.reach import load_campaign

    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_campaign(campaign(**change))


def test_an_unknown_saved_audience_or_a_bad_tree_is_refused(tmp_path, at):
    ws = make_store(tmp_path, ["u1"], grant(["u1"]), toml=NO_GC)
    with pytest.raises(Exception, match="no saved audience named 'nobody'"):
        plan(ws, campaign(audience="nobody"), at)
    with pytest.raises(ConfigError, match="campaign c1: audience"):
        plan(ws, campaign(audience={"field": "colour", "op": "=", "value": 1}), at)
