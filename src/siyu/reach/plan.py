"""Planning a campaign: who gets which message on which channel when, and who does not and why.

:func:`plan` applies the rules of docs/reach.md in their order — global control group, campaign holdout, consent,
the one contact budget, quiet hours — and writes, in one transaction, the campaign, its queued messages (the
outbox), every suppression as an event with its reason, and every member's arm. Sending
(:mod:`siyu.reach.outbox`) checks consent, budget and quiet hours again at the moment a message goes, so a
withdrawal or a message logged after planning still stops it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from siyu._exceptions import ConfigError
from siyu.engine.duckdb import arrow, one, registered, run, transaction
from siyu.reach.campaign import Campaign, load_campaign, parse_at
from siyu.reach.rules import Quiet, earliest_slot, fits, keyed_fraction_sql
from siyu.reach.store import ensure_tables, now_local, salt

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["REASONS", "plan"]

#: suppression reasons, in the order they apply
REASONS = ("global_control", "holdout", "no_consent", "budget", "quiet_hours_dropped")


def _audience(ws: Workspace, c: Campaign, as_of: dt.date) -> tuple[pa.Table, str | None]:
    """The campaign's members at ``as_of`` (and the snapshot id when the audience is a saved one)."""
    from siyu import audiences

    if c.audience_name is not None:
        snap = audiences.take_snapshot(ws, c.audience_name, as_of, purpose=f"campaign:{c.id}")
        return snap["table"], snap["snapshot_id"]
    try:
        tree = audiences.validate(c.audience)
    except ConfigError as exc:
        raise ConfigError(f"campaign {c.id}: audience: {exc}") from None
    return audiences.members(ws, tree, as_of), None


def _check_replan(ws: Workspace, c: Campaign) -> None:
    n = ws.query("SELECT count(*) AS n FROM outbox WHERE campaign_id = ? AND status IN ('sent', 'exported', 'failed')",
                 [c.id]).column("n")[0].as_py()
    m = ws.query("SELECT count(*) AS n FROM reach_suppressions WHERE campaign_id = ? AND stage = 'send'",
                 [c.id]).column("n")[0].as_py()
    if n or m:
        raise ConfigError(f"campaign {c.id} has already been sent ({n + m} messages processed); plan a new campaign "
                          "id instead of re-planning it")


def plan(ws: Workspace, campaign: Campaign | str | Path | dict[str, Any], at: dt.datetime | str | None = None
         ) -> dict[str, Any]:
    """Plan ``campaign`` at local moment ``at`` (default: now) and store the plan.

    Re-planning a campaign that has not sent anything replaces its plan; one that has sent is refused.

    Returns
    -------
    dict
        ``campaign``, ``audience`` (members), ``planned`` (messages queued in the outbox), ``suppressed`` (per reason:
        ``global_control, holdout, no_consent, budget, quiet_hours_dropped``), ``queued_quiet_hours`` (planned for
        the end of quiet hours), ``queued_budget`` (planned later, when the budget allows), ``by_channel``,
        ``by_variant``, ``bumped`` (queued messages of lower-priority campaigns moved or dropped to make room),
        ``at``, ``as_of`` and ``snapshot_id``; ``planned + sum(suppressed) == audience``.

    Raises
    ------
    ConfigError
        A bad campaign (naming the key), a send window already over, or re-planning a sent campaign.
    """
    c = campaign if isinstance(campaign, Campaign) else load_campaign(campaign)
    at = parse_at(at) or now_local(ws)
    cfg = ws.config.reach
    ensure_tables(ws)
    if at > c.send_until:
        raise ConfigError(f"campaign {c.id}: its send window ended at {c.send_until:%Y-%m-%d %H:%M}; planning at "
                          f"{at:%Y-%m-%d %H:%M} could send nothing")
    _check_replan(ws, c)
    last = ws.last_date()
    as_of = min(at.date(), last) if last is not None else at.date()
    members, snapshot_id = _audience(ws, c, as_of)
    quiet = Quiet(cfg.quiet_start, cfg.quiet_end)
    window = dt.timedelta(days=cfg.window_days)
    s0 = max(at, c.send_from)
    s1 = quiet.shift(s0)
    plan_seq = (ws.query("SELECT coalesce(max(plan_seq), 0) + 1 AS s FROM campaigns").column("s")[0].as_py())
    channels = pa.table({"channel": list(c.channels), "rank": list(range(len(c.channels)))})
    from siyu.engine.sql import load_model

    def build(conn: Any) -> int:
        """The plan as session tables: _arms (every member's arm), _plan (the queued messages) and _supp (the
        suppressions); returns how many lower-priority messages were moved or dropped to make room."""
        k = keyed_fraction_sql
        run(conn, f"""CREATE OR REPLACE TEMP TABLE _arms AS
            SELECT user_id, CASE WHEN {k('$salt', "'gc'", 'user_id')} < $gc THEN 'global_control'
                                 WHEN {k('$salt', "'holdout'", '$campaign', 'user_id')} < $holdout THEN 'holdout'
                                 ELSE 'treatment' END AS arm
            FROM (SELECT DISTINCT user_id FROM _members)""",
            {"salt": salt(ws), "gc": cfg.global_control, "campaign": c.id, "holdout": c.holdout})
        run(conn, "CREATE OR REPLACE TEMP TABLE _reach_targets AS SELECT a.user_id, ch.channel FROM _arms a, _chans ch "
                  "WHERE a.arm = 'treatment'")
        run(conn, "CREATE OR REPLACE TEMP TABLE _consent AS " + load_model("reach_consent").sql, {"at": s0})
        # the first channel the user can be reached on: consent for the channel (and third_party where the channel
        # hands data on), a variant the consents allow, and an address for email
        run(conn, """CREATE OR REPLACE TEMP TABLE _chosen AS
            SELECT user_id, arg_min(channel, rank) AS channel, arg_min(variant, rank) AS variant FROM (
                SELECT k.user_id, k.channel, ch.rank,
                       CASE WHEN $has_p AND k.personalisation THEN 'personalised' ELSE 'plain' END AS variant,
                       k.marketing AND (NOT list_contains($third, k.channel) OR k.third_party)
                         AND (($has_p AND k.personalisation) OR $has_plain)
                         AND (k.channel <> 'email' OR u.email_enc IS NOT NULL) AS ok
                FROM _consent k JOIN _chans ch USING (channel) LEFT JOIN users u USING (user_id)
            ) WHERE ok GROUP BY user_id""",
            {"has_p": c.content.personalised is not None, "has_plain": c.content.plain is not None,
             "third": list(cfg.third_party_channels)})
        run(conn, "CREATE OR REPLACE TEMP TABLE _reach_users AS SELECT user_id FROM _chosen")
        run(conn, "CREATE OR REPLACE TEMP TABLE _counted AS " + load_model("reach_window").sql,
            {"lo": s1 - window, "hi": max(s1, c.send_until) + window, "campaign": c.id, "priority": c.priority,
             "plan_seq": plan_seq})
        # a user with fewer counted messages than the limit within one window of s1 (and under the channel's cap)
        # fits at s1 whatever their order; the others are searched one by one (rules.earliest_slot)
        caps = pa.table({"channel": list(cfg.channel_caps) or [""], "cap": list(cfg.channel_caps.values()) or [None]},
                        schema=pa.schema([("channel", pa.string()), ("cap", pa.int64())]))
        with registered(conn, _caps=caps):
            run(conn, """CREATE OR REPLACE TEMP TABLE _near AS
                SELECT h.user_id, h.channel, count(k.ts) AS n, count(k.ts) FILTER (WHERE k.channel = h.channel) AS n_ch,
                       any_value(cp.cap) AS cap
                FROM _chosen h LEFT JOIN _counted k ON k.user_id = h.user_id AND k.ts > $s - $w AND k.ts < $s + $w
                LEFT JOIN _caps cp ON cp.channel = h.channel
                GROUP BY h.user_id, h.channel""", {"s": s1, "w": window})
        slow_users = arrow(conn, "SELECT n.user_id, n.channel, n.cap FROM _near n WHERE n.n >= $max "
                                 "OR (n.cap IS NOT NULL AND n.n_ch >= n.cap) ORDER BY n.user_id",
                           {"max": cfg.max_messages}).to_pylist() if s1 <= c.send_until else []
        slow_rows: list[tuple[str, dt.datetime | None]] = []
        if slow_users:
            times: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
            for r in arrow(conn, "SELECT user_id, ts, channel FROM _counted WHERE user_id IN "
                                 "(SELECT user_id FROM _near WHERE n >= $max OR (cap IS NOT NULL AND n_ch >= cap)) "
                                 "ORDER BY user_id, ts", {"max": cfg.max_messages}).to_pylist():
                times[r["user_id"]].append((r["ts"], r["channel"]))
            for r in slow_users:
                mine = times[r["user_id"]]
                all_t, ch_t = [t for t, _ in mine], [t for t, x in mine if x == r["channel"]]
                when: dt.datetime | None = s1
                if not (fits(all_t, s1, window, cfg.max_messages)
                        and (r["cap"] is None or fits(ch_t, s1, window, r["cap"]))):
                    when = (earliest_slot(all_t, s1, c.send_until, window, cfg.max_messages, quiet, ch_t, r["cap"])
                            if c.on_budget == "queue" else None)
                slow_rows.append((r["user_id"], when))
        slow = pa.table({"user_id": pa.array([u for u, _ in slow_rows], pa.string()),
                         "scheduled_at": pa.array([w for _, w in slow_rows], pa.timestamp("us"))})
        with registered(conn, _slow=slow):
            run(conn, "CREATE OR REPLACE TEMP TABLE _slow_t AS SELECT * FROM _slow")
        quiet_drop = s1 > c.send_until
        run(conn, """CREATE OR REPLACE TEMP TABLE _plan AS
            SELECT h.user_id, h.channel, h.variant, coalesce(sl.scheduled_at, $s) AS scheduled_at,
                   sl.user_id IS NOT NULL AND sl.scheduled_at <> $s AS by_budget
            FROM _chosen h LEFT JOIN _slow_t sl USING (user_id)
            WHERE NOT $quiet_drop AND (sl.user_id IS NULL OR sl.scheduled_at IS NOT NULL)""",
            {"s": s1, "quiet_drop": quiet_drop})
        run(conn, """CREATE OR REPLACE TEMP TABLE _supp AS
            SELECT a.user_id, CASE WHEN a.arm <> 'treatment' THEN a.arm WHEN h.user_id IS NULL THEN 'no_consent'
                                   WHEN $quiet_drop THEN 'quiet_hours_dropped' ELSE 'budget' END AS reason,
                   h.channel
            FROM _arms a LEFT JOIN _chosen h USING (user_id) LEFT JOIN _slow_t sl USING (user_id)
            WHERE a.arm <> 'treatment' OR h.user_id IS NULL OR $quiet_drop
               OR (sl.user_id IS NOT NULL AND sl.scheduled_at IS NULL)""", {"quiet_drop": quiet_drop})
        return _write(ws, conn, c, at, as_of, snapshot_id, plan_seq, members.num_rows)

    with ws.session() as conn, registered(conn, _members=members.select(["user_id"]), _chans=channels):
        try:
            bumped = ws.write(build)
            stats = {r["k"]: r for r in arrow(conn, """
                SELECT 'reason:' || reason AS k, count(*) AS n FROM _supp GROUP BY ALL
                UNION ALL SELECT 'channel:' || channel, count(*) FROM _plan GROUP BY ALL
                UNION ALL SELECT 'variant:' || variant, count(*) FROM _plan GROUP BY ALL
                UNION ALL SELECT 'planned', count(*) FROM _plan
                UNION ALL SELECT 'budget_queued', count(*) FILTER (WHERE by_budget) FROM _plan
                UNION ALL SELECT 'audience', count(*) FROM _arms""").to_pylist()}
        finally:
            for temp in ("_arms", "_reach_targets", "_consent", "_chosen", "_reach_users", "_counted", "_near",
                         "_slow_t", "_plan", "_supp"):
                run(conn, f"DROP TABLE IF EXISTS {temp}")

    def n(key: str) -> int:
        return int(stats[key]["n"]) if key in stats else 0

    planned = n("planned")
    queued_budget = n("budget_queued")
    return {"campaign": c.id, "audience": n("audience"), "planned": planned,
            "suppressed": {r: n(f"reason:{r}") for r in REASONS},
            "queued_quiet_hours": planned - queued_budget if s1 > s0 else 0, "queued_budget": queued_budget,
            "by_channel": {ch: n(f"channel:{ch}") for ch in c.channels},
            "by_variant": {v: n(f"variant:{v}") for v in ("personalised", "plain") if n(f"variant:{v}")},
            "bumped": bumped, "at": at.isoformat(sep=" "), "as_of": as_of.isoformat(), "snapshot_id": snapshot_id}


def _write(ws: Workspace, conn: Any, c: Campaign, at: dt.datetime, as_of: dt.date, snapshot_id: str | None,
           plan_seq: int, audience: int) -> int:
    """Write the plan held in _plan, _supp and _arms in one transaction (replacing an unsent earlier plan), then
    make room by priority."""
    with transaction(conn):
        for table in ("outbox", "reach_suppressions", "campaign_assignments", "campaigns"):
            run(conn, f"DELETE FROM {table} WHERE campaign_id = ?", [c.id])
        run(conn, "INSERT INTO campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [c.id, json.dumps(c.definition(), ensure_ascii=False), c.audience_name or json.dumps(
                c.audience, ensure_ascii=False), snapshot_id, audience, as_of, c.priority, c.on_budget,
             c.send_from, c.send_until, at, plan_seq, now_local(ws)])
        # the message id is the idempotency key: the same campaign and user always give the same id
        run(conn, """INSERT INTO outbox SELECT 'm_' || left(sha256($campaign || chr(31) || user_id), 24),
            $campaign, user_id, channel, variant, 'queued', scheduled_at, NULL, 0, $priority, $plan_seq, NULL, NULL
            FROM _plan""", {"campaign": c.id, "priority": c.priority, "plan_seq": plan_seq})
        run(conn, "INSERT INTO reach_suppressions SELECT ?, user_id, reason, channel, 'plan', ? FROM _supp", [c.id, at])
        run(conn, "INSERT INTO campaign_assignments SELECT ?, user_id, arm, ? FROM _arms", [c.id, as_of])
        return _make_room(ws, conn, c, at)


def _make_room(ws: Workspace, conn: Any, c: Campaign, at: dt.datetime) -> int:
    """Higher priority wins the budget: re-fit the queued messages of campaigns that ``c`` outranks, for the users
    ``c`` now messages, in rank order; one that no longer fits is moved (``on_budget = "queue"``) or dropped with
    reason ``budget``. Returns how many were moved or dropped."""
    cfg = ws.config.reach
    window = dt.timedelta(days=cfg.window_days)
    quiet = Quiet(cfg.quiet_start, cfg.quiet_end)
    lower = arrow(conn, """
        SELECT o.message_id, o.user_id, o.channel, o.scheduled_at, k.on_budget, k.send_until
        FROM outbox o JOIN campaigns k USING (campaign_id)
        WHERE o.status = 'queued' AND o.campaign_id <> $campaign
          AND (o.priority > $priority OR (o.priority = $priority AND o.plan_seq > $plan_seq))
          AND o.user_id IN (SELECT user_id FROM outbox WHERE campaign_id = $campaign AND status = 'queued')
        ORDER BY o.priority, o.plan_seq, o.scheduled_at, o.message_id""",
                  {"campaign": c.id, "priority": c.priority,
                   "plan_seq": one(conn, "SELECT plan_seq FROM campaigns WHERE campaign_id = ?", [c.id])[0]}).to_pylist()
    if not lower:
        return 0
    users = pa.table({"user_id": sorted({r["user_id"] for r in lower})})
    lo = min(r["scheduled_at"] for r in lower) - window
    hi = max(r["send_until"] for r in lower) + window
    with registered(conn, _lu=users):
        held = arrow(conn, """
            SELECT r.user_id, r.ts, r.channel, NULL AS message_id FROM reach_log r SEMI JOIN _lu USING (user_id)
            WHERE r.status IN ('sent', 'delivered', 'opened', 'clicked', 'exported') AND r.ts >= $lo AND r.ts < $hi
            UNION ALL
            SELECT o.user_id, o.scheduled_at, o.channel, o.message_id FROM outbox o SEMI JOIN _lu USING (user_id)
            WHERE o.status = 'queued' AND o.scheduled_at >= $lo AND o.scheduled_at < $hi""",
                     {"lo": lo, "hi": hi}).to_pylist()
    # a user's messages that stay fixed while lower-ranked ones are re-fitted one by one
    lower_ids = {r["message_id"] for r in lower}
    fixed: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for h in held:
        if h["message_id"] not in lower_ids:
            fixed[h["user_id"]].append((h["ts"], h["channel"]))
    changed = 0
    for r in lower:
        mine = sorted(fixed[r["user_id"]])
        times = [t for t, _ in mine]
        ctimes = [t for t, ch in mine if ch == r["channel"]]
        cap = cfg.channel_caps.get(r["channel"])
        s = r["scheduled_at"]
        if fits(times, s, window, cfg.max_messages) and (cap is None or fits(ctimes, s, window, cap)):
            fixed[r["user_id"]].append((s, r["channel"]))
            continue
        changed += 1
        when = (earliest_slot(times, s, r["send_until"], window, cfg.max_messages, quiet, ctimes, cap)
                if r["on_budget"] == "queue" else None)
        if when is None:
            run(conn, "UPDATE outbox SET status = 'suppressed', last_error = 'budget: outranked by campaign ' || ? "
                      "WHERE message_id = ?", [c.id, r["message_id"]])
            run(conn, "INSERT INTO reach_suppressions SELECT campaign_id, user_id, 'budget', channel, 'plan', ? "
                      "FROM outbox WHERE message_id = ?", [at, r["message_id"]])
        else:
            run(conn, "UPDATE outbox SET scheduled_at = ? WHERE message_id = ?", [when, r["message_id"]])
            fixed[r["user_id"]].append((when, r["channel"]))
    return changed
