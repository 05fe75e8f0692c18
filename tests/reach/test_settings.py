"""Every ``[reach]`` setting changes what planning and sending do (docs/reach.md §Settings)."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from siyu._exceptions import ConfigError
from siyu.reach import outbox, plan, send
from tests.reach.conftest import campaign, grant, make_store

D = dt.datetime


def _sched(ws, cid="c1"):
    return {r["user_id"]: r["scheduled_at"] for r in outbox(ws, cid).to_pylist()}


def test_max_messages_and_window_days(tmp_path, at):
    log = [("m1", "u1", "2024-05-09 10:00", "sms", "sent")]
    ws = make_store(tmp_path, ["u1"], grant(["u1"]), reach_log=log,
                    toml="[reach]\nglobal_control = 0.0\nmax_messages = 1\nwindow_days = 2\n")
    plan(ws, campaign(), at)
    assert _sched(ws) == {"u1": D(2024, 5, 11, 10, 0)}  # one message per 48 h: when 05-09 10:00 leaves


def test_quiet_start_and_quiet_end(tmp_path):
    ws = make_store(tmp_path, ["u1"], grant(["u1"]),
                    toml='[reach]\nglobal_control = 0.0\nquiet_start = "12:00"\nquiet_end = "14:00"\n')
    res = plan(ws, campaign(), D(2024, 5, 10, 12, 30))
    assert _sched(ws) == {"u1": D(2024, 5, 10, 14, 0)} and res["queued_quiet_hours"] == 1
    ws2 = make_store(tmp_path / "b", ["u1"], grant(["u1"]),
                     toml='[reach]\nglobal_control = 0.0\nquiet_start = "00:00"\nquiet_end = "00:00"\n')
    plan(ws2, campaign(send_from="2024-05-10 03:00"), D(2024, 5, 10, 3, 0))  # equal ends: no quiet hours
    assert _sched(ws2) == {"u1": D(2024, 5, 10, 3, 0)}


def test_third_party_channels(tmp_path, at):
    ws = make_store(tmp_path, ["u1", "u2"], [*grant(["u1", "u2"]), *grant(["u2"], channel="push",
                                                                             purpose="third_party")],
                    toml='[reach]\nglobal_control = 0.0\nthird_party_channels = ["push"]\n')
    res = plan(ws, campaign(), at)
    assert set(_sched(ws)) == {"u2"} and res["suppressed"]["no_consent"] == 1


def test_adapters_export_dir_and_batch_size(tmp_path, at):
    users = ["u1", "u2", "u3"]
    ws = make_store(tmp_path, users, grant(users),
                    toml="\n".join(['[reach]', 'global_control = 0.0', 'export_dir = "packages"', 'batch_size = 1',
                                     '[reach.adapters]', 'group_chat = "webhook"', '']))
    plan(ws, campaign(), at)
    steps = []
    res = send(ws, "c1", at, progress=lambda name, frac: steps.append(frac))
    assert res["exported"] == 3 and len(steps) == 3                     # three batches of one
    assert len(list((ws.path / "packages" / "c1").glob("*.txt"))) == 3
    plan(ws, campaign(id="c2", channels=["group_chat"]), at)
    with pytest.raises(ConfigError, match=r"\[reach.webhook\] url"):    # group_chat now goes through the webhook
        send(ws, "c2", at)
    assert {r["status"] for r in outbox(ws, "c2").to_pylist()} == {"queued"}  # nothing sent, nothing lost


def test_max_attempts_fails_a_message_after_temporary_failures(tmp_path, at, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on: connection refused, a temporary failure
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("SIYU_WEBHOOK_SECRET", "s3cret")
    ws = make_store(tmp_path, ["u1"], grant(["u1"]),
                    toml=f'[reach]\nglobal_control = 0.0\nmax_attempts = 3\n[reach.webhook]\n'
                         f'url = "http://127.0.0.1:{port}/hook"\nretries = 2\nbackoff_s = 0.0\n')
    plan(ws, campaign(channels=["webhook"]), at)
    first = send(ws, "c1", at)
    row = outbox(ws).to_pylist()[0]
    assert first["retrying"] == 1 and row["status"] == "queued" and row["attempts"] == 2
    assert row["scheduled_at"] == at + dt.timedelta(minutes=2)           # backoff after the second attempt
    second = send(ws, "c1", row["scheduled_at"])
    row = outbox(ws).to_pylist()[0]
    # two more attempts make four, at least max_attempts: failed for good
    assert (second["failed"], row["status"], row["attempts"]) == (1, "failed", 4)
    log = ws.query("SELECT message_id, status FROM reach_log ORDER BY message_id").to_pylist()
    assert {r["status"] for r in log} == {"failed"} and len(log) == row["attempts"]
    assert all(r["message_id"].startswith(row["message_id"] + "#") for r in log)
