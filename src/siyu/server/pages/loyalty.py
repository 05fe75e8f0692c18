"""The console's loyalty page (会员): the program's members by tier, the tier changes by month and the points liability
at the last run's as-of date, with the report's charts (:func:`siyu.report.charts.loyalty_tiers`,
:func:`~siyu.report.charts.loyalty_changes`). Read live from what ``siyu loyalty run`` stored (a run moves the
workspace's generation, so the page is never older than it); no personal data."""

from __future__ import annotations

from typing import Any

from siyu.server.pages import Page

__all__ = ["PAGE", "TEXT", "context"]

#: this page's words, key -> (Chinese, English); added to the console's table (:mod:`siyu.server.console.i18n`)
TEXT: dict[str, tuple[str, str]] = {
    "nav.loyalty": ("会员", "Loyalty"),
    "loyalty.none": ("还没有运行会员等级计划：用 siyu loyalty run --program FILE 运行一次后，这里显示会员等级、等级变更和积分负债。",
                     ("No loyalty program has run yet: after siyu loyalty run --program FILE, this page shows the "
                      "members by tier, the tier changes and the points liability.")),
    "loyalty.program": ("会员计划", "Program"),
    "loyalty.as_of": ("截至 {as_of}（上次运行的日期）", "as of {as_of} (the date of the last run)"),
    "loyalty.members": ("会员数", "Members"),
    "loyalty.outstanding": ("未兑付积分", "Outstanding points"),
    "loyalty.users_with_balance": ("有积分余额的用户", "Users with a positive balance"),
    "loyalty.expiring": ("{days} 天内到期积分", "Points expiring within {days} days"),
    "loyalty.users_expiring": ("有积分将到期的用户", "Users with points expiring"),
    "loyalty.tiers": ("会员等级分布", "Members by tier"),
    "loyalty.tier": ("等级", "Tier"),
    "loyalty.no_tier": ("无等级", "No tier"),
    "loyalty.share": ("占比", "Share"),
    "loyalty.total": ("合计", "Total"),
    "loyalty.changes": ("等级变更（近 12 个月）", "Tier changes (last 12 months)"),
    "loyalty.changes_help": (("升级实时发生；定级降级发生在定级日（每个定级周期的第一天）；退会结束会员的等级。"
                              "GET /api/v1/{tenant}/loyalty/changes 列出每一次变更。"),
                             ("Upgrades happen in real time; review downgrades on review days (the first day of each "
                              "review period); leaving the membership ends a tier. "
                              "GET /api/v1/{tenant}/loyalty/changes lists every change.")),
    "loyalty.month": ("月份", "Month"),
    "loyalty.reason.upgrade": ("升级", "Upgrades"),
    "loyalty.reason.review": ("定级降级", "Review downgrades"),
    "loyalty.reason.left": ("退会", "Left with a tier"),
    "loyalty.points": ("积分负债", "Points liability"),
    "loyalty.points_help": (("余额是截至 {as_of} 的积分流水之和，未兑付积分为正余额之和；到期积分是 {until} 前（含）"
                             "到期的积分批次在 {as_of} 仍剩余的积分（兑换先用最早到期的积分）。"
                             "GET /api/v1/{tenant}/loyalty/points/USER 给出一位用户的余额和流水。"),
                            ("A balance is the sum of a user's ledger entries up to {as_of}, and the outstanding "
                             "points sum the positive balances; expiring points are what the lots expiring by {until} "
                             "still hold on {as_of} (redemptions use the first-expiring points first). "
                             "GET /api/v1/{tenant}/loyalty/points/USER gives one user's balance and entries.")),
    "loyalty.ledger": ("积分流水", "Ledger entries"),
    "loyalty.kind": ("类型", "Kind"),
    "loyalty.entries": ("笔数", "Entries"),
    "loyalty.users": ("用户", "Users"),
    "loyalty.points_col": ("积分", "Points"),
    "loyalty.ledger_empty": ("积分流水为空。", "The points ledger is empty."),
}


def context(gate: Any, t: Any, lang: str) -> dict[str, Any]:
    """The loyalty page's figures at the last run's as-of date: the snapshot of
    :func:`siyu.loyalty.report_data.loyalty_snapshot`, its two charts' HTML and the rows of its tables."""
    from siyu.loyalty.points import KINDS
    from siyu.loyalty.report_data import REASON_ORDER, loyalty_snapshot
    from siyu.report import charts
    from siyu.report.page import figure_html

    lo = loyalty_snapshot(gate.ws)
    if not lo.get("program"):
        return {"loyalty": None}
    total = lo["members"]
    tiers = [{"key": k, "label": k or t("loyalty.no_tier"), "members": charts.count(n),
              "share": f"{(n / total if total else 0):.1%}"} for k, n in lo["by_tier"].items()]
    pts = lo["points"]
    i = 0 if lang == "zh" else 1
    kinds = [{"key": k, "label": KINDS[k][i] if k in KINDS else k,
              "entries": charts.count(v["entries"]), "users": charts.count(v["users"]),
              "points": charts.count(v["points"])} for k, v in pts["by_kind"].items()]
    return {"loyalty": {
        "program": lo["program"], "as_of": lo["as_of"], "members": charts.count(total), "tiers": tiers,
        "tiers_total_share": f"{1 if total else 0:.0%}", "reasons": REASON_ORDER,
        "months": [{"month": r["month"], **{k: charts.count(r[k]) for k in REASON_ORDER}}
                   for r in lo["changes_by_month"]],
        "changes": {k: charts.count(v) for k, v in lo["changes"].items()},
        "points": {k: charts.count(pts[k]) for k in ("outstanding", "users_with_balance", "expiring",
                                                     "users_expiring")},
        "expiring_days": pts["expiring_days"], "expiring_by": pts["expiring_by"], "kinds": kinds,
        "chart_tiers": figure_html(charts.loyalty_tiers(lo), "chart-loyalty-tiers"),
        "chart_changes": figure_html(charts.loyalty_changes(lo), "chart-loyalty-changes")}}


#: the page, registered through the capability registry (``pages`` of ``loyalty``)
PAGE = Page("loyalty", "loyalty", template="loyalty.html.j2", context=context)


def _add_words() -> None:
    """Add this page's words to the console's table (keys the console already has are kept). Run after ``PAGE`` is
    bound: importing the console imports this module for its page (:func:`siyu.server.pages.capability_pages`)."""
    from siyu.server.console import i18n

    for key, pair in TEXT.items():
        i18n.TEXT.setdefault(key, pair)


_add_words()
