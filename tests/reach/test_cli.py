"""The reach commands as a merchant runs them: the real executable on a real workspace."""

from __future__ import annotations

import csv
import io
import json

from conftest import run_cli

from tests.reach.conftest import NO_GC, grant, make_store

CAMPAIGN = """id = "spring-recall"
audience = '{"any": [{"field": "is_member", "op": "=", "value": true}, {"not": {"field": "is_member", "op": "=", "value": true}}]}'
channels = ["push", "email"]
send_from = "2024-05-10 10:00"
send_until = "2024-05-12 20:00"
priority = 1
holdout = 0.0
[content]
plain = "春季回购礼"
"""


def test_plan_send_outbox_show_and_consent(tmp_path):
    users = ["u1", "u2", "u3"]
    ws = make_store(tmp_path, users, [*grant(["u1", "u2"]), ("u3", "all", "marketing", "withdrawn", "2024-02-01")],
                    emails={"u1": "alice@example.com"}, toml=NO_GC)
    ws.close()
    env = {"SIYU_WORKSPACE": str(ws.path)}
    (tmp_path / "spring.toml").write_text(CAMPAIGN, encoding="utf-8")
    res = run_cli("campaign", "plan", str(tmp_path / "spring.toml"), "--at", "2024-05-10 08:00", "--format", "json",
                  env=env)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert {"campaign", "audience", "planned", "suppressed", "queued_quiet_hours", "by_channel"} <= set(out)
    assert set(out["suppressed"]) == {"global_control", "holdout", "no_consent", "budget", "quiet_hours_dropped"}
    assert (out["campaign"], out["audience"], out["planned"], out["queued_quiet_hours"]) == ("spring-recall", 3, 2, 0)
    assert out["by_channel"] == {"push": 2, "email": 0} and out["suppressed"]["no_consent"] == 1
    res = run_cli("outbox", "--campaign", "spring-recall", "--format", "csv", env=env)
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == ["message_id", "campaign_id", "user_id", "channel", "status", "scheduled_at", "sent_at",
                             "attempts"]
    assert sorted((r["user_id"], r["status"], r["scheduled_at"], r["sent_at"], r["attempts"]) for r in rows) == [
        ("u1", "queued", "2024-05-10 10:00:00", "", "0"), ("u2", "queued", "2024-05-10 10:00:00", "", "0")]
    res = run_cli("campaign", "send", "spring-recall", "--at", "2024-05-10 10:00", "--format", "json", env=env)
    assert res.returncode == 0, res.stderr
    sent = json.loads(res.stdout)
    assert sent["exported"] == 2 and sent["due"] == 2
    res = run_cli("campaign", "show", "spring-recall", "--format", "json", env=env)
    show = json.loads(res.stdout)
    assert (show["audience"], show["planned"], show["sent"], show["no_consent"]) == (3, 2, 2, 1)
    res = run_cli("campaign", "list", "--format", "json", env=env)
    assert [r["campaign_id"] for r in json.loads(res.stdout)] == ["spring-recall"]
    res = run_cli("consent", "u3", "--at", "2024-05-10 10:00", "--format", "json", env=env)
    states = {(r["channel"], r["purpose"]): r["status"] for r in json.loads(res.stdout)}
    assert states[("push", "marketing")] == "withdrawn" and states[("push", "personalisation")] == "none"
    res = run_cli("campaign", "list", env=env)                     # the table form, bilingual title
    assert res.returncode == 0 and "触达漏斗" in res.stdout
    everything = "".join(run_cli(*a, env=env).stdout for a in (("outbox",), ("campaign", "show", "spring-recall")))
    assert "alice@example.com" not in everything


def test_bad_campaign_file_names_the_key_and_exits_78(tmp_path):
    ws = make_store(tmp_path, ["u1"], grant(["u1"]), toml=NO_GC)
    ws.close()
    bad = tmp_path / "bad.toml"
    bad.write_text(CAMPAIGN.replace('["push", "email"]', '["push", "fax"]'), encoding="utf-8")
    res = run_cli("campaign", "plan", str(bad), "--at", "2024-05-10 08:00", env={"SIYU_WORKSPACE": str(ws.path)})
    assert res.returncode == 78
    assert "bad.toml" in res.stderr and "channels: unknown channel 'fax'" in res.stderr
    res = run_cli("campaign", "send", "nope", env={"SIYU_WORKSPACE": str(ws.path)})
    assert res.returncode != 0 and "no planned campaign 'nope'" in res.stderr
    res = run_cli("campaign", "plan", str(tmp_path / "spring.toml"), "--at", "yesterday",
                  env={"SIYU_WORKSPACE": str(ws.path)})
    assert res.returncode == 78
