"""CLI commands of reach (触达): ``siyu campaign plan|send|list|show``, ``siyu outbox`` and ``siyu consent``
(thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import Fmt, FormatOpt, console, emit, note, progress, workspace

campaign_app = typer.Typer(help="Campaigns 营销活动: plan who gets which message when (consent, one contact budget, "
                                "quiet hours, control groups) and send what is due.", no_args_is_help=True)

At = Annotated[Optional[str], typer.Option(
    "--at", help="Local moment \"YYYY-MM-DD HH:MM\" to plan or send at (default: now); replays a given moment.")]

_REASONS = {"global_control": "全局对照组 global control", "holdout": "活动对照组 holdout",
            "no_consent": "未授权 no consent", "budget": "触达预算 contact budget",
            "quiet_hours_dropped": "免打扰时段 quiet hours"}


@campaign_app.command("plan")
def plan_cmd(ctx: typer.Context,
             file: Annotated[Path, typer.Argument(help="The campaign file (TOML).")],
             at: At = None, fmt: FormatOpt = Fmt.table) -> None:
    """Plan a campaign: queue its messages in the outbox and record every suppression with its reason."""
    from siyu.reach import plan

    res = plan(workspace(ctx), file, at)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = [{"step": "人群 audience", "count": res["audience"]},
            *({"step": f"  − {_REASONS[k]}", "count": v} for k, v in res["suppressed"].items()),
            {"step": "计划发送 planned", "count": res["planned"]},
            *({"step": f"  · {ch}", "count": n} for ch, n in res["by_channel"].items())]
    if fmt is Fmt.csv:
        return emit([{"campaign": res["campaign"], "audience": res["audience"], "planned": res["planned"],
                      **res["suppressed"], "queued_quiet_hours": res["queued_quiet_hours"],
                      "queued_budget": res["queued_budget"]}], fmt)
    emit(rows, fmt, title=f"活动 Campaign {res['campaign']} planned at {res['at']}",
         headers={"step": "步骤 Step", "count": "人数 Users"})
    note(f"{res['queued_quiet_hours']:,} wait for the end of quiet hours, {res['queued_budget']:,} for the contact "
         f"budget; {res['bumped']:,} queued messages of lower-priority campaigns were moved or dropped. "
         f"Send with: siyu campaign send {res['campaign']}")


@campaign_app.command("send")
def send_cmd(ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="The campaign id.")],
             at: At = None, fmt: FormatOpt = Fmt.table) -> None:
    """Send the campaign's messages that are due (consent, budget and quiet hours are checked again)."""
    from siyu.reach import send

    ws = workspace(ctx)
    with progress() as step:
        res = send(ws, campaign, at, progress=step)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [{k: v for k, v in res.items() if k != "suppressed"}
                                                 | res["suppressed"]], fmt)
    rows = [{"outcome": k, "count": res[k]} for k in ("due", "sent", "exported", "failed", "retrying", "rescheduled")]
    rows += [{"outcome": f"suppressed: {k}", "count": v} for k, v in res["suppressed"].items()]
    emit(rows, fmt, title=f"活动 Campaign {campaign}: sent", headers={"outcome": "结果 Outcome", "count": "条数 Messages"})


@campaign_app.command("list")
def list_cmd(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """Every planned campaign with its reach funnel (planned → suppressed → sent → delivered → opened → clicked)."""
    from siyu.reach import funnel

    emit(funnel(workspace(ctx)), fmt, title="活动 Campaigns (reach funnel 触达漏斗)",
         table_columns=["campaign_id", "priority", "audience", "planned", "queued", "sent", "failed", "delivered",
                        "opened", "clicked"])


@campaign_app.command("show")
def show_cmd(ctx: typer.Context, campaign: Annotated[str, typer.Argument(help="The campaign id.")],
             fmt: FormatOpt = Fmt.table) -> None:
    """One campaign's reach funnel, suppressions by reason included."""
    from siyu._exceptions import WorkspaceError
    from siyu.reach import funnel

    rows = funnel(workspace(ctx), campaign)
    if not rows:
        raise WorkspaceError(f"no planned campaign {campaign!r}; `siyu campaign list` shows the planned ones")
    r = rows[0]
    if fmt is not Fmt.table:
        return emit(r if fmt is Fmt.json else rows, fmt)
    emit([{"step": k, "count": r[k]} for k in ("audience", "global_control", "holdout", "no_consent", "budget",
                                               "quiet_hours_dropped", "planned", "queued", "sent", "failed",
                                               "delivered", "opened", "clicked")], fmt,
         title=f"活动 Campaign {campaign}: reach funnel 触达漏斗", headers={"step": "步骤 Step", "count": "条数 Count"})


def outbox_cmd(ctx: typer.Context,
               campaign: Annotated[Optional[str], typer.Option("--campaign", help="Only this campaign.")] = None,
               fmt: FormatOpt = Fmt.table) -> None:
    """The outbox: every message with its status, schedule, send time and attempts."""
    from siyu.cli._common import per_user_rows
    from siyu.reach import outbox

    per_user_rows(outbox(workspace(ctx), campaign), fmt,
                  ["message_id", "campaign_id", "user_id", "channel", "status", "scheduled_at", "sent_at", "attempts"])


def consent_cmd(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user.")],
                at: At = None, fmt: FormatOpt = Fmt.table) -> None:
    """A user's consent per channel and purpose at a moment, with the record each state comes from."""
    from siyu.reach import consent_state

    rows: list[dict[str, Any]] = consent_state(workspace(ctx), user_id, at)
    emit(rows, fmt, title=f"授权 Consent of {user_id}")


def register(app: typer.Typer) -> None:
    """Add ``campaign``, ``outbox`` and ``consent`` to the root app."""
    app.add_typer(campaign_app, name="campaign")
    app.command("outbox")(outbox_cmd)
    app.command("consent")(consent_cmd)


__all__ = ["console", "register"]
