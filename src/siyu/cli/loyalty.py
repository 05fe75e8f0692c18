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


@loyalty_app.command("adjust")
def adjust_cmd(ctx: typer.Context,
               file: Annotated[Path, typer.Argument(help="Adjustments file (.csv, .jsonl, .parquet): adjustment_id, "
                                                         "user_id, date, kind (redeem|adjust), points, reason.")],
               fmt: FormatOpt = Fmt.table) -> None:
    """Record redemptions 兑换 and manual adjustments 人工调整 in the points ledger (all rows or none)."""
    from siyu.loyalty.adjustments import load_adjustments

    res = load_adjustments(workspace(ctx), file)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [res], fmt)
    emit([{"item": "读取 rows read", "count": res["rows"]}, {"item": "新增 added", "count": res["added"]},
          {"item": "已记录 already recorded", "count": res["unchanged"]},
          {"item": "积分变动 points", "count": res["points"]}], fmt,
         title=f"积分调整 Adjustments {res['file']}", headers={"item": "项目 Item", "count": "数量 Count"})


@loyalty_app.command("points")
def points_cmd(ctx: typer.Context, user: Annotated[str, typer.Argument(help="The user id.")],
               as_of: Annotated[Optional[str], typer.Option(
                   "--as-of", help="Balance at this date YYYY-MM-DD. \\[default: every entry]")] = None,
               fmt: FormatOpt = Fmt.table) -> None:
    """A user's points balance 积分余额 and their ledger entries (with the running balance)."""
    from siyu.cli._render import bilingual
    from siyu.loyalty.points import KINDS, REASONS, balance

    res = balance(workspace(ctx), user, as_of)
    cols = ["date", "kind", "points", "balance", "qualifying", "reason", "source_id", "expires_on", "entry_id"]
    if fmt is Fmt.json:
        return emit(res, fmt)
    if fmt is Fmt.csv:
        return emit([{"user_id": res["user_id"], **{c: e[c] for c in cols}} for e in res["entries"]], fmt,
                    columns=["user_id", *cols])
    rows = [{**e, "kind": bilingual(*KINDS.get(e["kind"], (e["kind"], ""))),
             "reason": bilingual(*REASONS[e["reason"]]) if e["reason"] in REASONS else e["reason"]}
            for e in res["entries"]]
    at = res["as_of"].isoformat() if res["as_of"] else "所有记录 every entry"
    emit(rows, fmt, title=f"积分 Points of {user} ({at})", columns=cols,
         headers={"date": "日期 Date", "kind": "类型 Kind", "points": "积分 Points", "balance": "余额 Balance",
                  "qualifying": "定级积分 Qualifying", "reason": "原因 Reason", "source_id": "来源 Source",
                  "expires_on": "过期日 Expires on", "entry_id": "记录 Entry"})
    note(f"可用积分 Spendable balance: {res['points']:,}; 定级积分 qualifying points: {res['qualifying']:,}")


def register(app: typer.Typer) -> None:
    """Add ``loyalty`` to the root app."""
    app.add_typer(loyalty_app, name="loyalty")


__all__ = ["loyalty_app", "register"]
