"""Report section of loyalty (会员等级): the members by tier, the tier changes by month and the points liability, from
what the last ``siyu loyalty run`` stored (the snapshot's ``loyalty``, see
:func:`siyu.loyalty.report_data.loyalty_snapshot`)."""

from __future__ import annotations

import html
from typing import Any

from siyu.report import charts
from siyu.report.page import Section, figure_html, register_section

#: the points liability's rows: key of the snapshot's ``points`` -> bilingual label
POINT_ROWS: tuple[tuple[str, str], ...] = (
    ("outstanding", "未兑付积分 Outstanding points"),
    ("users_with_balance", "有积分余额的用户 Users with a positive balance"),
    ("expiring", "90 天内到期积分 Points expiring within 90 days"),
    ("users_expiring", "有积分将到期的用户 Users with points expiring"),
)
def _e(v: Any) -> str:
    return html.escape(str(v), quote=True)


def _tiers_table(snap: dict[str, Any]) -> str:
    total = snap["members"]
    rows = "".join(
        f"<tr data-tier='{_e(t)}'><td>{_e(charts.tier_label(t))}</td><td>{charts.count(n)}</td>"
        f"<td>{(n / total if total else 0):.1%}</td></tr>" for t, n in snap["by_tier"].items())
    return ("<table class='grid' id='table-loyalty-tiers'><thead><tr><th>等级 Tier</th><th>会员 Members</th>"
            f"<th>占比 Share</th></tr></thead><tbody>{rows}<tr class='total'><th>合计 Total</th>"
            f"<th>{charts.count(total)}</th><th>{1 if total else 0:.0%}</th></tr></tbody></table>")


def _kind(kind: str) -> str:
    from siyu.loyalty.points import KINDS

    zh, en = KINDS.get(kind, ("", kind))
    return f"{zh} {en}".strip()


def _points_table(points: dict[str, Any]) -> str:
    rows = "".join(f"<tr data-key='{k}'><td>{label}</td><td>{charts.count(points[k])}</td></tr>"
                   for k, label in POINT_ROWS)
    kinds = "".join(
        f"<tr data-kind='{_e(k)}'><td>{_e(_kind(k))}</td><td>{charts.count(v['entries'])}</td>"
        f"<td>{charts.count(v['users'])}</td><td>{charts.count(v['points'])}</td></tr>"
        for k, v in points["by_kind"].items())
    by_kind = ("<table class='grid' id='table-loyalty-points-kinds'><thead><tr><th>积分流水 Ledger entries</th>"
               "<th>笔数 Entries</th><th>用户 Users</th><th>积分 Points</th></tr></thead>"
               f"<tbody>{kinds}</tbody></table>") if kinds else (
        "<p class='note' id='loyalty-points-none'>积分流水为空 · The points ledger is empty.</p>")
    return (f"<h3>积分负债 Points liability</h3><table class='grid' id='table-loyalty-points'><tbody>{rows}</tbody>"
            f"</table>{by_kind}")


@register_section("loyalty", 48)
def loyalty_section(snap: dict[str, Any]) -> Section:
    """The members by tier at the snapshot date (chart and table), upgrades, review downgrades and tiers ended by
    leaving by month over twelve months (chart), and the points liability (outstanding points, users with a balance,
    points expiring within 90 days, the ledger by kind); a note on how to run a program while none has run."""
    lo = snap.get("loyalty") or {}
    if not lo.get("program"):
        note = ("<p class='note' id='loyalty-none'>还没有运行会员等级计划：<code>siyu loyalty run --program FILE</code> · "
                "No loyalty program has run yet: <code>siyu loyalty run --program FILE</code> (docs/loyalty.md)</p>")
        return Section(id="loyalty", title_zh="会员等级", title_en="Loyalty", html=note)
    head = (f"<p class='note' id='loyalty-program'>会员计划 Program <b>{_e(lo['program'])}</b> · "
            f"{lo['as_of']} 的会员 members at {lo['as_of']}: <b>{charts.count(lo['members'])}</b> · "
            f"等级记录截至 tier history to {lo['history_to']}</p>")
    stale = (f"<p class='note' id='loyalty-stale'>等级记录只到 {lo['history_to']}（上次 siyu loyalty run）；之后加入的会员"
             f"暂按无等级计，请重新运行。The stored tier history ends on {lo['history_to']} (the last siyu loyalty run): "
             "members who joined since count without a tier until it runs again.</p>") if lo.get("stale") else ""
    ch = lo["changes"]
    changes = (f"<p class='note'>近 12 个月 last 12 months: 升级 upgrades {charts.count(ch['upgrade'])} · 定级降级 "
               f"review downgrades {charts.count(ch['review'])} · 退会 left with a tier {charts.count(ch['left'])}</p>")
    p = lo["points"]
    defs = (f"<p class='note'>余额 = 截至 {lo['as_of']} 的积分流水之和；未兑付积分为正余额之和；到期积分为 "
            f"{p['expiring_by']} 前（含）到期的积分批次在 {lo['as_of']} 仍剩余的积分（兑换先用最早到期的积分）。"
            f"A balance is the sum of a user's ledger entries up to {lo['as_of']}; outstanding points sum the positive "
            f"balances; expiring points are what the lots expiring by {p['expiring_by']} still hold on {lo['as_of']} "
            "(redemptions use the first-expiring points first; docs/loyalty-points.md §Liability).</p>")
    return Section(id="loyalty", title_zh="会员等级", title_en="Loyalty", html=(
        head + stale + figure_html(charts.loyalty_tiers(lo), "chart-loyalty-tiers") + _tiers_table(lo)
        + figure_html(charts.loyalty_changes(lo), "chart-loyalty-changes") + changes + _points_table(p) + defs))
