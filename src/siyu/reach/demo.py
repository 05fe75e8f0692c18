"""The demo's campaigns: one exported to platform tools (人群包), one sent by webhook to a local receiver.

:func:`run_demo_reach` plans both the day after the data end, sends them, and loads the delivery reports a
platform would send back (delivered → opened → clicked, drawn at fixed rates with the demo's seed), so the report's
reach funnel has every step. The webhook goes to a :class:`~siyu.reach.receiver.Receiver` on 127.0.0.1 that the demo
starts and stops; its secret is random and lives only for the demo.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from siyu.reach.outbox import send
from siyu.reach.plan import plan
from siyu.reach.receiver import Receiver
from siyu.reach.store import funnel

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["DEMO_CAMPAIGNS", "run_demo_reach"]

#: the demo's campaigns (send window: the day after the data end, 10:00, for two days)
DEMO_CAMPAIGNS: tuple[dict[str, Any], ...] = (
    {"id": "demo-wecom", "audience": "高意向潜客", "channels": ["webhook"], "priority": 1, "holdout": 0.1,
     "content": {"personalised": "{{ user.city_tier }}的你，购物车里的宝贝降价啦", "plain": "购物车里的宝贝降价啦"}},
    {"id": "demo-winback", "audience": "待唤醒老客", "channels": ["group_chat", "sms", "push"], "priority": 2,
     "holdout": 0.1, "content": {"personalised": "{{ user.city_tier }}的老朋友，回购礼已到账",
                                 "plain": "回购礼已到账，进店领取"}},
)
#: what a platform reports back, per message that went: P(delivered), P(opened | delivered), P(clicked | opened)
FEEDBACK = (0.92, 0.35, 0.30)
_SECRET_ENV = "SIYU_DEMO_WEBHOOK_SECRET"


def run_demo_reach(ws: Workspace, last: dt.date, seed: int = 7) -> dict[str, Any]:
    """Plan and send :data:`DEMO_CAMPAIGNS` the day after ``last``; load the delivery reports.

    Returns
    -------
    dict
        ``plans`` (each campaign's plan), ``sends`` (each send's totals) and ``receiver`` (``handled``: distinct
        messages the local receiver handled, ``deliveries``: requests it received).
    """
    at = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(10, 0))
    until = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(20, 0))
    cfg = ws.config.reach
    secret = secrets.token_hex(16)
    old = os.environ.get(_SECRET_ENV)
    os.environ[_SECRET_ENV] = secret
    try:
        with Receiver(secret) as rx:
            settings = cfg.model_copy(update={"webhook": cfg.webhook.model_copy(
                update={"url": rx.url, "secret_env": _SECRET_ENV, "backoff_s": 0.05})})
            # a demo run again on the same workspace keeps the campaigns it already sent (a sent campaign is final)
            todo = [c for c in DEMO_CAMPAIGNS if not any(r["sent"] + r["failed"] for r in funnel(ws, c["id"]))]
            plans = [plan(ws, {**c, "send_from": at, "send_until": until}, at) for c in todo]
            sends = [send(ws, c["id"], at, settings=settings) for c in todo]
            received = {"handled": len(rx.handled), "deliveries": rx.deliveries}
    finally:
        if old is None:
            os.environ.pop(_SECRET_ENV, None)
        else:
            os.environ[_SECRET_ENV] = old
    if plans:
        _feedback(ws, [c["id"] for c in todo], at, seed)
    return {"plans": plans, "sends": sends, "receiver": received}


def _feedback(ws: Workspace, campaigns: list[str], at: dt.datetime, seed: int) -> None:
    """Load the delivery reports of the messages that went, as a platform would return them (reach_log rows with
    the same message id, so they replace the ``sent`` / ``exported`` rows)."""
    went = ws.query("SELECT message_id, user_id, channel, campaign_id FROM outbox WHERE status IN ('sent', 'exported') "
                    "AND campaign_id IN (SELECT unnest(?)) ORDER BY message_id", [campaigns])
    n = went.num_rows
    if not n:
        return
    rng = np.random.default_rng([seed, 150])
    delivered = rng.random(n) < FEEDBACK[0]
    opened = delivered & (rng.random(n) < FEEDBACK[1])
    clicked = opened & (rng.random(n) < FEEDBACK[2])
    status = np.where(clicked, "clicked", np.where(opened, "opened", np.where(delivered, "delivered", "failed")))
    minutes = rng.integers(1, 600, n)
    ts = [at + dt.timedelta(minutes=int(m)) for m in minutes]
    table = pa.table({"message_id": went.column("message_id"), "user_id": went.column("user_id"),
                      "ts": pa.array(ts, pa.timestamp("us")), "channel": went.column("channel"),
                      "campaign_id": went.column("campaign_id"), "status": pa.array(status.tolist(), pa.string())})
    with tempfile.TemporaryDirectory(prefix="siyu-demo-reach-") as tmp:
        path = Path(tmp) / "reach_feedback.parquet"
        pq.write_table(table, path)
        ws.ingest("reach_log", path)
