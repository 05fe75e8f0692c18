"""Golden data tests of the reach SQL models: consent state, the budget's counted messages, the outbox listing, the
profile and addresses used at sending, and the reach funnel. Each expected row follows from docs/reach.md."""

from __future__ import annotations

import datetime as dt

import pytest
from golden import contract_db, run_model

from siyu.reach.store import DDL

D = dt.datetime


@pytest.fixture
def conn():
    yield from contract_db(*DDL)


def _consents(c, rows):
    c.executemany("INSERT INTO consents VALUES (?, ?, ?, ?, ?, ?, ?)", [(*r, "register", "v1") for r in rows])


def test_reach_consent_latest_of_channel_and_all_wins_and_withdrawal_wins_ties(conn):
    c = conn
    _consents(c, [
        ("u1", "all", "marketing", "granted", D(2024, 1, 1)),
        ("u1", "sms", "marketing", "withdrawn", D(2024, 2, 1)),       # later, channel-specific: sms stops
        ("u1", "all", "personalisation", "granted", D(2024, 1, 1)),
        ("u2", "sms", "marketing", "granted", D(2024, 3, 1)),
        ("u2", "all", "marketing", "withdrawn", D(2024, 3, 1)),       # same moment: withdrawn wins
        ("u2", "sms", "third_party", "granted", D(2024, 1, 1)),
        ("u3", "push", "marketing", "granted", D(2024, 6, 1)),        # after $at: not yet
        ("u4", "all", "marketing", "withdrawn", D(2024, 1, 1)),
        ("u4", "push", "marketing", "granted", D(2024, 1, 2)),        # a later grant for push wins over all
    ])
    c.execute("CREATE TEMP TABLE _reach_targets AS SELECT * FROM (VALUES ('u1', 'sms'), ('u1', 'push'), "
              "('u2', 'sms'), ('u3', 'push'), ('u4', 'push'), ('u4', 'sms'), ('u5', 'email')) t(user_id, channel)")
    rows = {(r["user_id"], r["channel"]): r for r in run_model(c, "reach_consent", at=D(2024, 5, 1))}
    assert len(rows) == 7
    assert rows[("u1", "sms")] == {"user_id": "u1", "channel": "sms", "marketing": False, "personalisation": True,
                                   "third_party": False}
    assert rows[("u1", "push")]["marketing"] is True and rows[("u1", "push")]["personalisation"] is True
    assert rows[("u2", "sms")] == {"user_id": "u2", "channel": "sms", "marketing": False, "personalisation": False,
                                   "third_party": True}
    assert rows[("u3", "push")]["marketing"] is False
    assert rows[("u4", "push")]["marketing"] is True and rows[("u4", "sms")]["marketing"] is False
    assert rows[("u5", "email")] == {"user_id": "u5", "channel": "email", "marketing": False,
                                     "personalisation": False, "third_party": False}  # no record: no consent


def test_reach_consent_user_lists_every_channel_and_purpose_with_evidence(conn):
    c = conn
    _consents(c, [("u1", "all", "marketing", "granted", D(2024, 1, 1)),
                  ("u1", "email", "marketing", "withdrawn", D(2024, 2, 1))])
    rows = run_model(c, "reach_consent_user", user_id="u1", at=D(2024, 3, 1))
    assert len(rows) == 18
    by = {(r["channel"], r["purpose"]): r for r in rows}
    assert by[("sms", "marketing")] == {"channel": "sms", "purpose": "marketing", "status": "granted",
                                        "since": D(2024, 1, 1), "record_channel": "all", "source": "register",
                                        "text_version": "v1"}
    assert by[("email", "marketing")]["status"] == "withdrawn" and by[("email", "marketing")]["record_channel"] == "email"
    assert by[("sms", "third_party")]["status"] == "none" and by[("sms", "third_party")]["since"] is None
    assert [r["channel"] for r in rows[:3]] == ["sms"] * 3


def test_reach_window_counts_sent_statuses_and_outranking_queued_messages(conn):
    c = conn
    c.executemany("INSERT INTO reach_log VALUES (?, ?, ?, ?, ?, ?)", [
        ("m1", "u1", D(2024, 5, 1, 10), "sms", "a", "sent"),
        ("m2", "u1", D(2024, 5, 2, 10), "customer_service", None, "delivered"),
        ("m3", "u1", D(2024, 5, 3, 10), "push", "a", "failed"),        # failed: not counted
        ("m4", "u1", D(2024, 5, 3, 11), "push", "a", "suppressed"),    # suppressed: not counted
        ("m5", "u1", D(2024, 5, 4, 10), "sms", "a", "exported"),
        ("m6", "u1", D(2024, 4, 1, 10), "sms", "a", "clicked"),        # before lo
        ("m7", "u2", D(2024, 5, 1, 10), "sms", "a", "opened"),         # not a user asked about
    ])
    q = ("INSERT INTO outbox VALUES (?, ?, ?, 'email', 'plain', ?, ?, NULL, 0, ?, ?, NULL, NULL)")
    c.executemany(q, [("o1", "hi", "u1", "queued", D(2024, 5, 5, 10), 1, 1),    # outranks (priority 1 < 3)
                      ("o2", "lo", "u1", "queued", D(2024, 5, 5, 11), 9, 2),    # outranked: ignored
                      ("o3", "eq", "u1", "queued", D(2024, 5, 5, 12), 3, 3),    # same priority, planned earlier
                      ("o4", "eq2", "u1", "queued", D(2024, 5, 5, 13), 3, 9),   # same priority, planned later
                      ("o5", "me", "u1", "queued", D(2024, 5, 5, 14), 1, 1),    # the campaign itself
                      ("o6", "hi", "u1", "sent", D(2024, 5, 5, 15), 1, 1)])     # sent: in reach_log already
    c.execute("CREATE TEMP TABLE _reach_users AS SELECT 'u1' AS user_id")
    rows = run_model(c, "reach_window", lo=D(2024, 4, 28), hi=D(2024, 5, 12), campaign="me", priority=3, plan_seq=5)
    assert [(r["ts"], r["channel"]) for r in rows] == [
        (D(2024, 5, 1, 10), "sms"), (D(2024, 5, 2, 10), "customer_service"), (D(2024, 5, 4, 10), "sms"),
        (D(2024, 5, 5, 10), "email"), (D(2024, 5, 5, 12), "email")]


def test_reach_profile_and_addresses_hold_no_personal_data_but_the_encrypted_address(conn):
    c = conn
    c.execute("INSERT INTO users (user_id, phone_masked, phone_enc, email_masked, email_enc, city_tier) VALUES "
              "('u1', '138****1111', 'x'::BLOB, 'a***@example.com', 'enc'::BLOB, '一线'), "
              "('u2', NULL, NULL, NULL, NULL, '二线'), ('u3', NULL, NULL, NULL, NULL, NULL)")
    c.execute("CREATE TEMP TABLE _reach_users AS SELECT * FROM (VALUES ('u1'), ('u2'), ('u9')) t(user_id)")
    prof = run_model(c, "reach_profile")
    assert [r["user_id"] for r in prof] == ["u1", "u2"]
    assert prof[0]["city_tier"] == "一线" and "phone_masked" not in prof[0] and "email_enc" not in prof[0]
    assert run_model(c, "reach_addresses") == [{"user_id": "u1", "email_enc": b"enc"}]


def test_outbox_list_and_reach_funnel(conn):
    c = conn
    for cid, seq in (("a", 1), ("b", 2)):
        c.execute("INSERT INTO campaigns VALUES (?, '{}', 'x', NULL, 10, DATE '2024-05-01', 5, 'queue', "
                  "TIMESTAMP '2024-05-01 10:00', TIMESTAMP '2024-05-02 10:00', TIMESTAMP '2024-05-01 09:00', ?, "
                  "TIMESTAMP '2024-05-01 09:00')", [cid, seq])
    q = "INSERT INTO outbox VALUES (?, ?, ?, 'push', 'plain', ?, ?, ?, ?, 5, 1, NULL, NULL)"
    c.executemany(q, [("m1", "a", "u1", "sent", D(2024, 5, 1, 10), D(2024, 5, 1, 10), 1),
                      ("m2", "a", "u2", "exported", D(2024, 5, 1, 10), D(2024, 5, 1, 10), 1),
                      ("m3", "a", "u3", "queued", D(2024, 5, 1, 11), None, 0),
                      ("m4", "a", "u4", "failed", D(2024, 5, 1, 10), None, 2),
                      ("m5", "a", "u5", "suppressed", D(2024, 5, 1, 10), None, 0),
                      ("m6", "b", "u1", "queued", D(2024, 5, 1, 9), None, 0)])
    c.executemany("INSERT INTO reach_suppressions VALUES ('a', ?, ?, NULL, ?, TIMESTAMP '2024-05-01 09:00')",
                  [("u6", "global_control", "plan"), ("u7", "holdout", "plan"), ("u8", "no_consent", "plan"),
                   ("u9", "budget", "plan"), ("u5", "no_consent", "send")])
    c.executemany("INSERT INTO reach_log VALUES (?, ?, TIMESTAMP '2024-05-01 12:00', 'push', 'a', ?)",
                  [("m1", "u1", "clicked"), ("m2", "u2", "delivered"), ("m4#1", "u4", "failed")])
    rows = run_model(c, "outbox_list", campaign="a")
    assert [r["message_id"] for r in rows] == ["m1", "m2", "m4", "m5", "m3"]  # by schedule, then id
    assert len(run_model(c, "outbox_list", campaign=None)) == 6
    f = run_model(c, "reach_funnel", campaign=None)
    assert [r["campaign_id"] for r in f] == ["b", "a"]  # newest plan first
    a = f[1]
    assert {k: a[k] for k in ("audience", "planned", "global_control", "holdout", "no_consent", "budget",
                              "quiet_hours_dropped", "queued", "sent", "failed", "delivered", "opened", "clicked")} == {
        "audience": 10, "planned": 5, "global_control": 1, "holdout": 1, "no_consent": 2, "budget": 1,
        "quiet_hours_dropped": 0, "queued": 1, "sent": 2, "failed": 1, "delivered": 2, "opened": 1, "clicked": 1}
    assert run_model(c, "reach_funnel", campaign="b")[0]["planned"] == 1
