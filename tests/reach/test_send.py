"""Sending: the outbox re-checks every rule at the send moment, records every attempt, and forget erases payloads."""

from __future__ import annotations

import datetime as dt
import json

from siyu.reach import funnel, outbox, plan, send
from tests.reach.conftest import NO_GC, campaign, grant, make_store, write_csv

D = dt.datetime


def _status(ws, cid="c1"):
    return {r["user_id"]: r["status"] for r in outbox(ws, cid).to_pylist()}


def test_export_sends_due_messages_and_logs_every_attempt(tmp_path, at):
    users = ["u1", "u2", "u3"]
    ws = make_store(tmp_path, users, [*grant(users), *grant(["u1"], purpose="personalisation")], toml=NO_GC)
    plan(ws, campaign(content={"personalised": "{{ user.city_tier }}的{{ user.user_id }}", "plain": "你好"}), at)
    early = send(ws, "c1", at - dt.timedelta(minutes=1))          # nothing is due before its time
    assert early["due"] == 0 and set(_status(ws).values()) == {"queued"}
    res = send(ws, "c1", at)
    assert res["exported"] == 3 and res["due"] == 3 and res["attempts"] == 3
    rows = {r["user_id"]: r for r in ws.query("SELECT * FROM outbox").to_pylist()}
    assert rows["u1"]["content"] == "一线的u1" and rows["u2"]["content"] == "你好"
    assert {r["sent_at"] for r in rows.values()} == {at}
    log = ws.query("SELECT message_id, user_id, ts, channel, campaign_id, status FROM reach_log ORDER BY user_id"
                   ).to_pylist()
    assert [(r["message_id"], r["status"], r["ts"]) for r in log] == [
        (rows[u]["message_id"], "exported", at) for u in users]
    manifests = list((ws.path / "exports" / "c1").glob("*.manifest.json"))
    packages = {m["variant"]: m for m in (json.loads(p.read_text(encoding="utf-8")) for p in manifests)}
    assert packages["personalised"]["count"] == 1 and packages["plain"]["count"] == 2
    txt = (ws.path / "exports" / "c1" / packages["plain"]["file"]).read_text(encoding="utf-8").split()
    assert txt == ["u2", "u3"]
    again = send(ws, "c1", at + dt.timedelta(hours=1))             # sent once: nothing more is due
    assert again["due"] == 0 and ws.query("SELECT count(*) AS n FROM reach_log").column("n")[0].as_py() == 3
    f = funnel(ws, "c1")[0]
    assert (f["audience"], f["planned"], f["sent"], f["queued"]) == (3, 3, 3, 0)


def test_consent_withdrawn_after_planning_stops_the_message(tmp_path, at):
    users = ["u1", "u2", "u3"]
    ws = make_store(tmp_path, users, [*grant(users), *grant(users, purpose="personalisation")], toml=NO_GC)
    plan(ws, campaign(content={"personalised": "{{ user.user_id }}", "plain": "你好"}), at)
    ws.ingest("consents", write_csv(tmp_path / "later.csv", ["user_id", "channel", "purpose", "status", "ts"], [
        ("u1", "push", "marketing", "withdrawn", "2024-05-10 09:30"),        # before sending: stops it
        ("u2", "all", "personalisation", "withdrawn", "2024-05-10 09:30"),   # falls back to the plain variant
        ("u3", "all", "marketing", "withdrawn", "2024-05-10 10:30")]))       # after the send moment: goes
    res = send(ws, "c1", at)
    assert _status(ws) == {"u1": "suppressed", "u2": "exported", "u3": "exported"}
    assert res["suppressed"]["no_consent"] == 1
    rows = {r["user_id"]: r for r in ws.query("SELECT user_id, variant, content FROM outbox").to_pylist()}
    assert (rows["u2"]["variant"], rows["u2"]["content"]) == ("plain", "你好")
    assert (rows["u3"]["variant"], rows["u3"]["content"]) == ("personalised", "u3")
    sup = ws.query("SELECT user_id, reason, stage FROM reach_suppressions").to_pylist()
    assert sup == [{"user_id": "u1", "reason": "no_consent", "stage": "send"}]


def test_nothing_goes_in_quiet_hours_and_the_budget_holds_at_sending(tmp_path, at):
    ws = make_store(tmp_path, ["u1", "u2"], grant(["u1", "u2"]), toml=NO_GC)
    plan(ws, campaign(send_until="2024-05-20 20:00"), at)
    # two contacts logged after planning (customer service included) use u1's budget with one already held
    ws.ingest("reach_log", write_csv(tmp_path / "cs.csv", ["message_id", "user_id", "ts", "channel", "status"], [
        ("x1", "u1", "2024-05-09 23:00", "customer_service", "sent"),
        ("x2", "u1", "2024-05-10 08:00", "customer_service", "sent"),
        ("x3", "u1", "2024-05-08 08:00", "sms", "delivered")]))
    night = send(ws, "c1", D(2024, 5, 10, 22, 0))                 # a run in quiet hours sends nothing
    assert night["rescheduled"] == 2 and set(_status(ws).values()) == {"queued"}
    assert {r["scheduled_at"] for r in outbox(ws).to_pylist()} == {D(2024, 5, 11, 9, 0)}
    res = send(ws, "c1", D(2024, 5, 11, 9, 0))
    assert _status(ws) == {"u1": "queued", "u2": "exported"} and res["rescheduled"] == 1
    u1 = {r["user_id"]: r["scheduled_at"] for r in outbox(ws).to_pylist()}["u1"]
    assert u1 == D(2024, 5, 15, 9, 0)  # 05-08 08:00 leaves the window at 05-15 08:00, inside quiet hours: 09:00
    send(ws, "c1", u1)
    assert _status(ws)["u1"] == "exported"


def test_global_control_gets_nothing_even_if_queued(tmp_path, at):
    users = [f"u{i:02d}" for i in range(60)]
    ws = make_store(tmp_path, users, grant(users), toml=NO_GC)
    plan(ws, campaign(), at)                                       # planned with no global control group
    (ws.path / "siyu.toml").write_text("[reach]\nglobal_control = 0.5\n", encoding="utf-8")
    from siyu.workspace import Workspace

    ws2 = Workspace(ws.path)
    ws.close()
    res = send(ws2, "c1", at)
    st = _status(ws2)
    held = {u for u, s in st.items() if s == "suppressed"}
    assert res["suppressed"]["global_control"] == len(held) and 15 <= len(held) <= 45
    other = plan(ws2, campaign(id="c2"), at)                       # the same users are the control group again
    gc = {r["user_id"] for r in ws2.query("SELECT user_id FROM campaign_assignments WHERE campaign_id = 'c2' AND "
                                          "arm = 'global_control'").to_pylist()}
    assert gc == held and other["suppressed"]["global_control"] == len(held)


def test_forget_anonymises_reach_and_erases_message_content(tmp_path, at):
    ws = make_store(tmp_path, ["u1", "u2"], grant(["u1", "u2"]), toml=NO_GC)
    plan(ws, campaign(), at)
    send(ws, "c1", at)
    ws.forget("u1")
    for table in ("outbox", "reach_suppressions", "campaign_assignments", "reach_log"):
        assert ws.query(f"SELECT count(*) AS n FROM {table} WHERE user_id = 'u1'").column("n")[0].as_py() == 0
    rows = ws.query("SELECT user_id, content FROM outbox ORDER BY user_id").to_pylist()
    anon = [r for r in rows if r["user_id"].startswith("anon:")]
    assert len(anon) == 1 and anon[0]["content"] is None
    assert [r["content"] for r in rows if r["user_id"] == "u2"] == ["春季回购礼 c1"]
