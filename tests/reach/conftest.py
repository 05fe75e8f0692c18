"""A hand-made store for the reach tests: users with and without emails, one order each, and consents as given."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import write_csv

from siyu.workspace import Workspace

#: everyone: members and non-members
EVERYONE = {"any": [{"field": "is_member", "op": "=", "value": True},
                    {"not": {"field": "is_member", "op": "=", "value": True}}]}




def make_store(root: Path, users: list[str], consents: list[tuple], *, emails: dict[str, str] | None = None,
               reach_log: list[tuple] = (), toml: str = "") -> Workspace:
    """A workspace with ``users`` (one order each on 2024-05-01), their ``consents`` rows
    (user, channel, purpose, status, ts) and optional ``reach_log`` rows (message_id, user, ts, channel, status)."""
    ws = Workspace.init(root / "ws")
    if toml:
        (root / "ws" / "siyu.toml").write_text(toml, encoding="utf-8")
        ws = Workspace(root / "ws")
    emails = emails or {}
    ws.ingest("users", write_csv(root / "users.csv", ["user_id", "email", "city_tier"],
                                 [(u, emails.get(u, ""), "一线") for u in users]))
    ws.ingest("orders", write_csv(root / "orders.csv", ["order_id", "user_id", "paid_at", "amount"],
                                  [(f"o{u}", u, "2024-05-01 10:00", 10) for u in users]))
    if consents:
        ws.ingest("consents", write_csv(root / "consents.csv",
                                        ["user_id", "channel", "purpose", "status", "ts", "source", "text_version"],
                                        [(*c, "register", "v1") for c in consents]))
    if reach_log:
        ws.ingest("reach_log", write_csv(root / "reach_log.csv",
                                         ["message_id", "user_id", "ts", "channel", "status"], list(reach_log)))
    return ws


def campaign(**kw) -> dict:
    """A campaign mapping with test defaults (everyone, push, 2024-05-10 10:00 – 2024-05-12 20:00, no holdout)."""
    base = {"id": "c1", "audience": EVERYONE, "channels": ["push"], "send_from": "2024-05-10 10:00",
            "send_until": "2024-05-12 20:00", "content": {"plain": "春季回购礼 {{ campaign.id }}"}}
    return {**base, **kw}


def grant(users, channel="all", purpose="marketing", ts="2024-01-01 10:00"):
    return [(u, channel, purpose, "granted", ts) for u in users]


NO_GC = "[reach]\nglobal_control = 0.0\n"


@pytest.fixture
def at():
    return dt.datetime(2024, 5, 10, 10, 0)
