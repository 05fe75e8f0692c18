"""CLI commands of loyalty (会员): ``siyu loyalty run|members|changes|adjust|points`` (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli._common import AsOf, Fmt, FormatOpt, emit, note, workspace

loyalty_app = typer.Typer(help="Tier programs 会员等级 and points 积分: tier history with real-time upgrades and "
                               "reviewed downgrades (保级), and the points ledger.", no_args_is_help=True)

ProgramOpt = Annotated[Path, typer.Option("--program", help="The tier program (TOML).")]

_REASON = {"upgrade": "升级 upgrade", "review": "定级降级 review", "left": "退会 left"}


@loyalty_app.command("run")
def run_cmd(ctx: typer.Context, program: ProgramOpt, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """Compute the tier history and post points up to --as-of into the workspace (replaces the last run's tiers)."""
    from siyu.loyalty import run

    res = run(workspace(ctx), program, as_of)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [
            {"program": res["program"], "as_of": res["as_of"], "members": res["members"],
             **{f"tier:{k or '-'}": v for k, v in res["by_tier"].items()},
             **{f"changes:{k}": v for k, v in res["changes"].items()}}], fmt)
    rows = [{"item": f"会员 members at {res['as_of']}", "count": res["members"]},
            *({"item": f"  · {k or '无等级 no tier'}", "count": v} for k, v in res["by_tier"].items()),
            *({"item": f"变更 changes: {_REASON[k]}", "count": v} for k, v in res["changes"].items())]
    emit(rows, fmt, title=f"会员计划 Program {res['program']}", headers={"item": "项目 Item", "count": "人数 Count"})
    pts = res.get("points") or {}
    if pts:
        note("积分 points posted: " + ", ".join(f"{k} {v:,}" for k, v in pts.items()))


@loyalty_app.command("members")
def members_cmd(ctx: typer.Context, program: ProgramOpt, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """Every member at --as-of with their tier (empty below the first threshold) and qualifying spend."""
    from siyu.loyalty import members

    t = members(workspace(ctx), program, as_of)
    emit(t.to_pylist(), fmt, title="会员等级 Members and tiers",
         headers={"user_id": "用户 User", "tier": "等级 Tier", "qualifying_spend": "定级消费 Qualifying"})


@loyalty_app.command("changes")
def changes_cmd(ctx: typer.Context,
                date_from: Annotated[Optional[str], typer.Option("--from", help="First date YYYY-MM-DD.")] = None,
                date_to: Annotated[Optional[str], typer.Option("--to", help="Last date YYYY-MM-DD.")] = None,
                user: Annotated[Optional[str], typer.Option("--user", help="Only this user's changes.")] = None,
                fmt: FormatOpt = Fmt.table) -> None:
    """The tier changes of the last run between --from and --to (both included), with their reasons."""
    from siyu.loyalty import changes

    rows = changes(workspace(ctx), date_from, date_to, user).to_pylist()
    emit(rows, fmt, title="等级变更 Tier changes",
         headers={"user_id": "用户 User", "date": "日期 Date", "from_tier": "原等级 From", "to_tier": "新等级 To",
                  "reason": "原因 Reason"})


def register(app: typer.Typer) -> None:
    """Add ``loyalty`` to the root app."""
    app.add_typer(loyalty_app, name="loyalty")


__all__ = ["loyalty_app", "register"]
