"""Sending what is due: the outbox delivers at least once, and checks every rule again at the moment of sending.

:func:`send` takes the queued messages due at ``at`` in rank order (priority, plan order, time), in batches of
``[reach] batch_size``. For each batch it re-checks quiet hours, the global control group, consent (at the send
moment: a withdrawal after planning stops the message; a withdrawn personalisation consent falls back to the plain
variant when the campaign has one) and the contact budget (counting what is already sent, this run included);
renders the content; hands each channel's messages to its adapter; and then, in **one transaction**, records each
message's outcome in the outbox and every attempt in ``reach_log``. A crash before that commit leaves the batch
queued, so the next run sends it again with the same message id — the idempotency key a receiver dedupes on. A
message that fails temporarily stays queued, retried after an exponential backoff (1 min, 2, 4 … at most 1 h) until
``[reach] max_attempts``; a permanent failure (HTTP 4xx, SMTP 5xx, no address) is ``failed`` at once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from siyu._exceptions import WorkspaceError
from siyu.engine.duckdb import arrow, registered, run, transaction
from siyu.reach.campaign import Campaign, parse_at
from siyu.reach.channels.base import Attempt, Channel, OutMessage, open_adapter
from siyu.reach.rules import Quiet, earliest_slot, fits, keyed_fraction_sql
from siyu.reach.store import ensure_tables, now_local, salt

if TYPE_CHECKING:
    from siyu.config import ReachSettings
    from siyu.workspace import Workspace

__all__ = ["render", "send"]

_COUNTED = ("sent", "delivered", "opened", "clicked", "exported")


def _env():
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True,
                                finalize=lambda v: "" if v is None else v)


def render(template: str, context: dict[str, Any]) -> str:
    """Render a content template in Jinja2's sandbox (``user`` and ``campaign`` as the campaign docs say)."""
    return _env().from_string(template).render(**context)


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def send(ws: Workspace, campaign: str | None = None, at: dt.datetime | str | None = None, *,
         settings: ReachSettings | None = None, progress: Callable[[str, float], None] | None = None
         ) -> dict[str, Any]:
    """Send the outbox messages due at ``at`` (default: now, re-read per batch) of ``campaign`` (default: all).

    Parameters
    ----------
    settings : ReachSettings, optional
        Reach settings to use instead of ``[reach]`` of the workspace (the demo points the webhook at its own
        receiver this way).

    Returns
    -------
    dict
        ``due`` (messages considered), ``sent``, ``exported``, ``failed``, ``retrying`` (temporary failures left
        queued), ``rescheduled`` (moved by quiet hours or the budget), ``suppressed`` (per reason) and ``attempts``.

    Raises
    ------
    WorkspaceError
        When ``campaign`` was never planned.
    ConfigError
        When a channel's adapter is not configured (a webhook without url or secret, ...): nothing is sent.
    """
    cfg = settings or ws.config.reach
    fixed_at = parse_at(at)
    ensure_tables(ws)
    if campaign is not None and not ws.query("SELECT 1 FROM campaigns WHERE campaign_id = ?", [campaign]).num_rows:
        raise WorkspaceError(f"no planned campaign {campaign!r}; plan it with `siyu campaign plan FILE`")
    step = progress or (lambda name, frac: None)
    total_due = ws.query("SELECT count(*) AS n FROM outbox WHERE status = 'queued' AND scheduled_at <= ? "
                         "AND (? IS NULL OR campaign_id = ?)",
                         [fixed_at or now_local(ws), campaign, campaign]).column("n")[0].as_py()
    totals: dict[str, Any] = {"due": total_due, "sent": 0, "exported": 0, "failed": 0, "retrying": 0,
                              "rescheduled": 0, "attempts": 0,
                              "suppressed": {"global_control": 0, "no_consent": 0, "budget": 0,
                                             "quiet_hours_dropped": 0}}
    adapters: dict[str, Channel] = {}
    campaigns: dict[str, Campaign] = {}
    done = 0
    try:
        while True:
            now = fixed_at or now_local(ws)
            batch = ws.query("""
                SELECT o.message_id, o.campaign_id, o.user_id, o.channel, o.variant, o.scheduled_at, o.attempts,
                       k.send_until, k.on_budget
                FROM outbox o JOIN campaigns k USING (campaign_id)
                WHERE o.status = 'queued' AND o.scheduled_at <= ? AND (? IS NULL OR o.campaign_id = ?)
                ORDER BY o.priority, o.plan_seq, o.scheduled_at, o.message_id LIMIT ?""",
                             [now, campaign, campaign, cfg.batch_size]).to_pylist()
            if not batch:
                break
            for cid in {m["campaign_id"] for m in batch} - set(campaigns):
                import json

                d = ws.query("SELECT definition FROM campaigns WHERE campaign_id = ?", [cid]).column(0)[0].as_py()
                campaigns[cid] = Campaign.model_validate(json.loads(d))
            for ch in {m["channel"] for m in batch} - set(adapters):
                adapters[ch] = open_adapter(ch, cfg, workspace_dir=ws.path)
            _send_batch(ws, cfg, now, batch, campaigns, adapters, totals)
            done += len(batch)
            step("send", min(done / max(total_due, 1), 1.0))
    finally:
        for a in adapters.values():
            a.close()
    return totals


def _send_batch(ws: Workspace, cfg: ReachSettings, now: dt.datetime, batch: list[dict[str, Any]],
                campaigns: dict[str, Campaign], adapters: dict[str, Channel], totals: dict[str, Any]) -> None:
    """Check, deliver and record one batch (see the module docstring)."""
    from siyu.contract.privacy import decrypt, load_or_create_key
    from siyu.engine.sql import load_model

    quiet = Quiet(cfg.quiet_start, cfg.quiet_end)
    window = dt.timedelta(days=cfg.window_days)
    updates: list[tuple] = []  # (message_id, status, scheduled_at, sent_at, attempts, content, last_error, variant)
    supp: list[tuple[str, str, str, str]] = []  # (campaign, user, reason, channel)
    logs: list[tuple[str, str, dt.datetime, str, str, str]] = []

    def drop(m: dict[str, Any], reason: str) -> None:
        updates.append((m["message_id"], "suppressed", m["scheduled_at"], None, m["attempts"], None, reason,
                        m["variant"]))
        supp.append((m["campaign_id"], m["user_id"], reason, m["channel"]))
        totals["suppressed"][reason] += 1

    def move(m: dict[str, Any], when: dt.datetime) -> None:
        updates.append((m["message_id"], "queued", when, None, m["attempts"], None, None, m["variant"]))
        totals["rescheduled"] += 1

    go: list[dict[str, Any]] = []
    if quiet.inside(now):
        for m in batch:
            when = quiet.shift(now)
            move(m, when) if when <= m["send_until"] else drop(m, "quiet_hours_dropped")
        _commit(ws, updates, supp, logs, now)
        return
    users = pa.table({"user_id": sorted({m["user_id"] for m in batch})})
    targets = pa.table({"user_id": [m["user_id"] for m in batch], "channel": [m["channel"] for m in batch]})
    with ws.session() as conn, registered(conn, _reach_users=users, _reach_targets=targets):
        gc = {r[0] for r in run(conn, f"SELECT user_id FROM _reach_users WHERE "
                                      f"{keyed_fraction_sql('$salt', chr(39) + 'gc' + chr(39), 'user_id')} < $gc",
                                {"salt": salt(ws), "gc": cfg.global_control})}
        consent = {(r["user_id"], r["channel"]): r for r in arrow(conn, load_model("reach_consent").sql,
                                                                  {"at": now}).to_pylist()}
        held = arrow(conn, """SELECT r.user_id, r.ts, r.channel FROM reach_log r SEMI JOIN _reach_users USING (user_id)
                              WHERE r.status IN ('sent', 'delivered', 'opened', 'clicked', 'exported')
                                AND r.ts > $lo AND r.ts < $hi""", {"lo": now - window, "hi": now + window}).to_pylist()
        profiles = {r["user_id"]: r for r in arrow(conn, load_model("reach_profile").sql).to_pylist()}
        emails = ({r["user_id"]: r["email_enc"] for r in arrow(conn, load_model("reach_addresses").sql).to_pylist()}
                  if any(m["channel"] == "email" for m in batch) else {})
    counted: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for h in held:
        counted[h["user_id"]].append((h["ts"], h["channel"]))
    third = set(cfg.third_party_channels)
    for m in batch:
        c = campaigns[m["campaign_id"]]
        u, ch = m["user_id"], m["channel"]
        if u in gc:
            drop(m, "global_control")
            continue
        k = consent.get((u, ch)) or {}
        if not k.get("marketing") or (ch in third and not k.get("third_party")):
            drop(m, "no_consent")
            continue
        if m["variant"] == "personalised" and not k.get("personalisation"):
            if c.content.plain is None:
                drop(m, "no_consent")
                continue
            m = {**m, "variant": "plain"}  # PIPL Art. 24: only the non-personalised variant may go
        mine = sorted(counted[u])
        times, ctimes = [t for t, _ in mine], [t for t, x in mine if x == ch]
        cap = cfg.channel_caps.get(ch)
        if not (fits(times, now, window, cfg.max_messages) and (cap is None or fits(ctimes, now, window, cap))):
            when = (earliest_slot(times, now, m["send_until"], window, cfg.max_messages, quiet, ctimes, cap)
                    if m["on_budget"] == "queue" else None)
            move(m, when) if when is not None else drop(m, "budget")
            continue
        counted[u].append((now, ch))
        go.append(m)

    key = load_or_create_key(ws.path) if emails else None
    by_channel: dict[str, list[OutMessage]] = defaultdict(list)
    env = _env()
    compiled: dict[str, Any] = {}  # template text -> compiled template, once per batch

    def template(text: str) -> Any:
        if text not in compiled:
            compiled[text] = env.from_string(text)
        return compiled[text]

    for m in go:
        c = campaigns[m["campaign_id"]]
        ctx: dict[str, Any] = {"campaign": {"id": c.id, "channel": m["channel"]}}
        if m["variant"] == "personalised":
            ctx["user"] = profiles.get(m["user_id"]) or {"user_id": m["user_id"]}
        text = template(getattr(c.content, m["variant"])).render(**ctx)
        subject = template(c.content.subject or cfg.email.subject).render(campaign=ctx["campaign"])
        enc = emails.get(m["user_id"]) if m["channel"] == "email" else None
        by_channel[m["channel"]].append(OutMessage(
            message_id=m["message_id"], campaign_id=c.id, user_id=m["user_id"], channel=m["channel"],
            variant=m["variant"], content=text, content_id=c.content_id(m["variant"]), scheduled_at=m["scheduled_at"],
            address=decrypt(key, enc) if enc is not None else None, subject=subject))
    meta = {m["message_id"]: m for m in go}
    for ch, msgs in by_channel.items():
        results = adapters[ch].send(msgs)
        for msg, attempts in zip(msgs, results):
            _record(meta[msg.message_id], msg, attempts, now, cfg, updates, logs, totals)
    _commit(ws, updates, supp, logs, now)


def _record(m: dict[str, Any], msg: OutMessage, attempts: list[Attempt], now: dt.datetime, cfg: ReachSettings,
            updates: list[tuple], logs: list[tuple], totals: dict[str, Any]) -> None:
    """The outcome of one message's attempts: its outbox update and one reach_log row per attempt."""
    n0 = m["attempts"]
    n = n0 + len(attempts)
    totals["attempts"] += len(attempts)
    for i, a in enumerate(attempts, start=n0 + 1):
        mid = m["message_id"] if a.ok else f"{m['message_id']}#{i}"
        logs.append((mid, m["user_id"], now, m["channel"], m["campaign_id"], a.status if a.ok else "failed"))
    last = attempts[-1] if attempts else Attempt(m["message_id"], "failed", retryable=True, error="no attempt")
    if last.ok:
        updates.append((m["message_id"], last.status, m["scheduled_at"], now, n, msg.content, None, msg.variant))
        totals[last.status] += 1
    elif last.retryable and n < cfg.max_attempts:
        updates.append((m["message_id"], "queued", now + _backoff(n), None, n, None, last.error, msg.variant))
        totals["retrying"] += 1
    else:
        updates.append((m["message_id"], "failed", m["scheduled_at"], None, n, None, last.error, msg.variant))
        totals["failed"] += 1


def _commit(ws: Workspace, updates: list[tuple], supp: list[tuple], logs: list[tuple], now: dt.datetime) -> None:
    """Record a batch's outcomes in one transaction: outbox, suppression events, reach_log attempts."""
    if not (updates or supp or logs):
        return
    upd = pa.table({
        "message_id": pa.array([u[0] for u in updates], pa.string()),
        "status": pa.array([u[1] for u in updates], pa.string()),
        "scheduled_at": pa.array([u[2] for u in updates], pa.timestamp("us")),
        "sent_at": pa.array([u[3] for u in updates], pa.timestamp("us")),
        "attempts": pa.array([u[4] for u in updates], pa.int32()),
        "content": pa.array([u[5] for u in updates], pa.string()),
        "last_error": pa.array([u[6] for u in updates], pa.string()),
        "variant": pa.array([u[7] for u in updates], pa.string()),
    })
    sup = pa.table({"campaign_id": pa.array([s[0] for s in supp], pa.string()),
                    "user_id": pa.array([s[1] for s in supp], pa.string()),
                    "reason": pa.array([s[2] for s in supp], pa.string()),
                    "channel": pa.array([s[3] for s in supp], pa.string())})
    log = pa.table({"message_id": pa.array([x[0] for x in logs], pa.string()),
                    "user_id": pa.array([x[1] for x in logs], pa.string()),
                    "ts": pa.array([x[2] for x in logs], pa.timestamp("us")),
                    "channel": pa.array([x[3] for x in logs], pa.string()),
                    "campaign_id": pa.array([x[4] for x in logs], pa.string()),
                    "status": pa.array([x[5] for x in logs], pa.string())})

    def write(conn: Any) -> None:
        with transaction(conn), registered(conn, _upd=upd, _sup=sup, _log=log):
            run(conn, """UPDATE outbox SET status = u.status, scheduled_at = u.scheduled_at, sent_at = u.sent_at,
                         attempts = u.attempts, content = u.content, last_error = u.last_error, variant = u.variant
                         FROM _upd u WHERE outbox.message_id = u.message_id""")
            run(conn, "INSERT INTO reach_suppressions SELECT campaign_id, user_id, reason, channel, 'send', ? FROM _sup",
                [now])
            run(conn, "DELETE FROM reach_log WHERE message_id IN (SELECT message_id FROM _log)")
            run(conn, "INSERT INTO reach_log (message_id, user_id, ts, channel, campaign_id, status) "
                      "SELECT message_id, user_id, ts, channel, campaign_id, status FROM _log")

    ws.write(write)
