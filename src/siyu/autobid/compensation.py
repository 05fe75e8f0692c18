"""The 赔付 (compensation) rule of 全站推: when a merchant-window misses its target ROI, the platform pays back.

Alimama says only that it compensates "under reasonable conditions" (ROI target within a
reasonable range, price not too high, the merchant cooperates with the plan) when the target ROI is missed; the
thresholds are not public. docs/autobid-advisor.md §Compensation states siyu's default rule, which stays configurable:

* the days are cut into consecutive, non-overlapping **windows** of ``window_days`` (7) days from the first day;
* a window is **eligible** when it is complete, has at least ``min_orders`` (30) orders, no day in it has more
  than ``max_edits_per_day`` (2) target/budget edits, and (optionally) its target is at most ``max_target_roi``;
* it is **triggered** when its realized ROI ``GMV / spend`` is below ``tolerance · R`` (0.9·R);
* the **payment** (ad credit) is the ``shortfall`` ``max(0, spend − GMV / R)`` — the spend that the GMV did not
  earn at the target — or, as Baidu oCPC and Xiaohongshu do it, the ``excess_over_tolerance``
  ``max(0, spend − GMV / (tolerance · R))``: only the cost above the tolerated overrun (Baidu oCPC: cost more than
  20 % above the target within the window, i.e. ``tolerance = 1/1.2``; Xiaohongshu: spend − 120 % × expected in
  the first 7 days). :data:`RULES` holds these as presets; their order minimums are illustrative, not quotes.

**A target edited within a window** is combined as the spend-weighted mean ``R̄ = Σ_d s_d R_d / Σ_d s_d`` of the
daily targets (the plain mean when nothing was spent). Then ``GMV ≥ R̄ · spend`` exactly when the window's GMV
covers what each day's spend promised at that day's target (``Σ_d s_d R_d``), and the shortfall
``spend − GMV / R̄`` is the spend not earned. A day with an intraday edit carries one ``target_roi``: the caller
passes that day's spend-weighted target.

Days are calendar days: a window spans ``window_days`` consecutive dates (or day numbers), a date missing inside it
counts as a day without spend, and the last window is *incomplete* when the data end before it does.

References: docs/autobid-advisor.md §Compensation; docs/autobid.md §Metrics and §Sources (comparable public rules).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from siyu._exceptions import ConfigError, ValidationError

if TYPE_CHECKING:
    from siyu.autobid.harness import RunResult
    from siyu.autobid.market import Traffic

__all__ = ["RULES", "CompensationRule", "Window", "compensate", "compensate_run", "daily_records", "resolve_rule",
           "summarize"]

#: columns of a daily record (``edits`` may be left out: 0)
COLUMNS: tuple[str, ...] = ("date", "spend", "gmv", "orders", "target_roi", "edits")


class CompensationRule(BaseModel):
    """An explicit compensation rule (defaults: docs/autobid-advisor.md §Compensation).

    Parameters
    ----------
    window_days : int, default 7
        Length of a window in days; windows are consecutive and do not overlap.
    tolerance : float, default 0.9
        Pay when the realized ROI is below ``tolerance · R`` (in (0, 1]).
    min_orders : int, default 30
        Fewest orders in a window for it to be judged at all (below that the realized ROI is mostly noise).
    max_edits_per_day : int, default 2
        Most target/budget edits in any one day of the window ("the merchant cooperates with the plan").
    max_target_roi : float, optional
        A target above this is "unreasonable" and never paid (None: no cap; the platform's cap is not public).
    payment : {"shortfall", "excess_over_tolerance"}, default "shortfall"
        ``max(0, spend − GMV/R)`` or ``max(0, spend − GMV/(tolerance·R))``; paid as ad credit.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    window_days: int = Field(7, ge=1, description="days in a compensation window")
    tolerance: float = Field(0.9, gt=0, le=1, description="pay when realized ROI < tolerance × target ROI")
    min_orders: int = Field(30, ge=0, description="fewest orders in a window to be eligible")
    max_edits_per_day: int = Field(2, ge=0, description="most target/budget edits on any day of the window")
    max_target_roi: float | None = Field(None, gt=0, description="targets above this are never paid (None: no cap)")
    payment: Literal["shortfall", "excess_over_tolerance"] = Field(
        "shortfall", description="shortfall: spend − GMV/R; excess_over_tolerance: spend − GMV/(tolerance·R)")


#: named rules: siyu's default and comparable public rules expressed in the same terms (order minimums and
#: windows of the public rules are illustrative; check the platform's current terms)
RULES: dict[str, CompensationRule] = {
    "siyu": CompensationRule(),
    "baidu_ocpc": CompensationRule(tolerance=1 / 1.2, payment="excess_over_tolerance"),
    "xiaohongshu": CompensationRule(tolerance=1 / 1.2, payment="excess_over_tolerance", min_orders=0),
}


@dataclass(frozen=True)
class Window:
    """One judged window.

    Attributes
    ----------
    index : int
        0-based window number.
    start, end : datetime.date or int
        First and last calendar day the window covers (``end`` may lie past the data when incomplete).
    days : int
        Calendar days of the window up to the last day of the data (``window_days`` unless incomplete).
    spend, gmv : float
    orders : int
    target_roi : float
        Spend-weighted target of the window (module docstring).
    realized_roi : float
        ``gmv / spend`` (inf without spend).
    missed : bool
        ``realized_roi < tolerance · target_roi`` (whether or not the window is eligible).
    eligible : bool
    ineligible : tuple of str
        Why not eligible: ``incomplete``, ``too_few_orders``, ``too_many_edits``, ``target_too_high``.
    triggered : bool
        Eligible and missed.
    amount : float
        Compensation owed (ad credit), 0 unless triggered.
    reason_zh, reason_en : str
        The verdict in words.
    """

    index: int
    start: dt.date | int
    end: dt.date | int
    days: int
    spend: float
    gmv: float
    orders: int
    target_roi: float
    realized_roi: float
    missed: bool
    eligible: bool
    ineligible: tuple[str, ...]
    triggered: bool
    amount: float
    reason_zh: str
    reason_en: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready mapping (dates as ISO strings, inf ROI as None)."""
        d = asdict(self)
        d["ineligible"] = list(self.ineligible)
        for k in ("start", "end"):
            if isinstance(d[k], dt.date):
                d[k] = d[k].isoformat()
        if not math.isfinite(d["realized_roi"]):
            d["realized_roi"] = None
        return d


# -- input ---------------------------------------------------------------------------------------------------------
def _records(daily: Any) -> tuple[list[Mapping[str, Any]], str | None]:
    """Rows of ``daily`` as mappings, and the file name when read from a file."""
    if isinstance(daily, (str, Path)):
        path = Path(daily)
        if not path.is_file():
            raise ValidationError(str(path), "file not found")
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
        if not rows:
            raise ValidationError(str(path), "empty file: a CSV needs a header row and at least one data row")
        return rows, str(path)
    if hasattr(daily, "to_pylist"):          # pyarrow.Table
        return daily.to_pylist(), None
    if hasattr(daily, "to_dict") and hasattr(daily, "columns"):  # pandas.DataFrame
        return daily.to_dict("records"), None
    if isinstance(daily, Iterable) and not isinstance(daily, Mapping):
        rows = list(daily)
        if all(isinstance(r, Mapping) for r in rows):
            return rows, None
    raise ConfigError("daily records must be a DataFrame, a pyarrow Table, a list of dicts or a CSV path")


def _fail(file: str | None, rule: str, *, row: int | None = None, column: str | None = None,
          value: Any = None) -> None:
    if file is not None:
        raise ValidationError(file, rule, row=row, column=column, value=value)
    where = ", ".join(p for p in (f"row {row}" if row is not None else "",
                                  f"column {column!r}" if column else "") if p)
    raise ConfigError(f"daily records{', ' + where if where else ''}: {rule}"
                      + (f" (got {value!r})" if value is not None else ""))


def _day(v: Any, file: str | None, row: int) -> dt.date | int:
    if isinstance(v, (bool, np.bool_)):
        _fail(file, "date must be a date (YYYY-MM-DD) or a day number", row=row, column="date", value=v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_pydatetime"):  # pandas.Timestamp
        return v.to_pydatetime().date()
    s = str(v).strip()
    if s.lstrip("-").isdigit():
        return int(s)
    try:
        return dt.date.fromisoformat(s[:10])
    except ValueError:
        _fail(file, "date must be a date (YYYY-MM-DD) or a day number", row=row, column="date", value=v)
    raise AssertionError  # unreachable


def _num(r: Mapping[str, Any], col: str, file: str | None, row: int, *, positive: bool = False,
         whole: bool = False, default: float | None = None) -> float:
    v = r.get(col)
    if v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v)):
        if default is not None:
            return default
        _fail(file, "value is missing", row=row, column=col)
    try:
        x = float(v)
    except (TypeError, ValueError):
        _fail(file, "must be a number", row=row, column=col, value=v)
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        _fail(file, "must be a finite number " + ("> 0" if positive else "≥ 0"), row=row, column=col, value=v)
    if whole and x != int(x):
        _fail(file, "must be a whole number", row=row, column=col, value=v)
    return x


def _parse(daily: Any) -> list[dict[str, Any]]:
    rows, file = _records(daily)
    if not rows:
        _fail(file, "no daily records")
    for col in COLUMNS[:-1]:
        if col not in rows[0]:
            _fail(file, f"required column is missing (need {', '.join(COLUMNS)}; edits may be left out)", column=col)
    out, seen = [], {}
    for i, r in enumerate(rows, start=1):
        day = _day(r.get("date"), file, i)
        if day in seen:
            _fail(file, f"date appears twice (first on row {seen[day]})", row=i, column="date", value=day)
        seen[day] = i
        out.append({"date": day, "spend": _num(r, "spend", file, i), "gmv": _num(r, "gmv", file, i),
                    "orders": int(_num(r, "orders", file, i, whole=True)),
                    "target_roi": _num(r, "target_roi", file, i, positive=True),
                    "edits": int(_num(r, "edits", file, i, whole=True, default=0.0)), "_row": i})
    kinds = {isinstance(r["date"], int) for r in out}
    if len(kinds) > 1:
        _fail(file, "mixes calendar dates and day numbers", column="date")
    return sorted(out, key=lambda r: r["date"] if isinstance(r["date"], int) else r["date"].toordinal())


# -- the rule ------------------------------------------------------------------------------------------------------
def _ordinal(d: dt.date | int) -> int:
    return d if isinstance(d, int) else d.toordinal()


def _label(d: dt.date | int) -> str:
    return f"day {d}" if isinstance(d, int) else d.isoformat()


def _judge(index: int, start: dt.date | int, end: dt.date | int, n_days: int, recs: list[dict[str, Any]],
           rule: CompensationRule) -> Window:
    spend = float(sum(r["spend"] for r in recs))
    gmv = float(sum(r["gmv"] for r in recs))
    orders = int(sum(r["orders"] for r in recs))
    if not recs:
        target = float("nan")
    elif len({r["target_roi"] for r in recs}) == 1:
        target = float(recs[0]["target_roi"])
    elif spend > 0:
        target = float(sum(r["spend"] * r["target_roi"] for r in recs) / spend)
    else:
        target = float(np.mean([r["target_roi"] for r in recs]))
    realized = gmv / spend if spend > 0 else float("inf")
    missed = bool(spend > 0 and realized < rule.tolerance * target)

    why, zh, en = [], [], []
    if n_days < rule.window_days:
        why.append("incomplete")
        zh.append(f"窗口不完整（{n_days}/{rule.window_days} 天）")
        en.append(f"incomplete window ({n_days} of {rule.window_days} days)")
    if orders < rule.min_orders:
        why.append("too_few_orders")
        zh.append(f"订单不足（{orders} < {rule.min_orders}）")
        en.append(f"too few orders ({orders} < {rule.min_orders})")
    busy = [r for r in recs if r["edits"] > rule.max_edits_per_day]
    if busy:
        why.append("too_many_edits")
        zh.append("调整过于频繁：" + "、".join(f"{_label(r['date'])} 改了 {r['edits']} 次" for r in busy)
                  + f"（每天最多 {rule.max_edits_per_day} 次）")
        en.append("too many edits: " + ", ".join(f"{r['edits']} on {_label(r['date'])}" for r in busy)
                  + f" (at most {rule.max_edits_per_day} a day)")
    if rule.max_target_roi is not None and recs and target > rule.max_target_roi:
        why.append("target_too_high")
        zh.append(f"目标 ROI {target:.2f} 超出合理范围（> {rule.max_target_roi:g}）")
        en.append(f"target ROI {target:.2f} above the reasonable range (> {rule.max_target_roi:g})")
    eligible = not why
    triggered = eligible and missed
    amount = 0.0
    if triggered:
        promised = target if rule.payment == "shortfall" else rule.tolerance * target
        amount = max(0.0, spend - gmv / promised)

    roi_txt = "–" if not math.isfinite(realized) else f"{realized:.2f}"
    line = f"{roi_txt} vs {rule.tolerance:g}×{target:.2f} = {rule.tolerance * target:.2f}" if recs else ""
    if triggered:
        zh_txt, en_txt = (f"赔付 ¥{amount:,.2f}：实际 ROI {line}，未达标",
                          f"pay ¥{amount:,.2f} ad credit: realized ROI {line} missed")
    elif not eligible:
        zh_txt = "不符合赔付条件：" + "；".join(zh) + ("（ROI 未达标）" if missed else "")
        en_txt = "not eligible: " + "; ".join(en) + (" (ROI missed)" if missed else "")
    elif spend <= 0:
        zh_txt, en_txt = "无消耗，无需赔付", "no spend, nothing to pay"
    else:
        zh_txt, en_txt = f"ROI 达标（{line}），无需赔付", f"ROI met ({line}), nothing to pay"
    return Window(index=index, start=start, end=end, days=n_days, spend=spend, gmv=gmv, orders=orders,
                  target_roi=target, realized_roi=realized, missed=missed, eligible=eligible,
                  ineligible=tuple(why), triggered=triggered, amount=float(amount), reason_zh=zh_txt,
                  reason_en=en_txt)


def resolve_rule(rule: CompensationRule | str | None) -> CompensationRule:
    """``rule`` itself, the preset of :data:`RULES` it names, or the default rule for None."""
    if rule is None:
        return CompensationRule()
    if isinstance(rule, str):
        if rule not in RULES:
            raise ConfigError(f"unknown compensation rule {rule!r}; use one of {', '.join(RULES)}")
        return RULES[rule]
    return rule


def compensate(daily: Any, rule: CompensationRule | str | None = None) -> list[Window]:
    """Judge every window of a merchant's daily history under ``rule``.

    Parameters
    ----------
    daily : pandas.DataFrame, pyarrow.Table, list of dict, or path of a CSV file
        One record per day with ``date`` (a date, ``YYYY-MM-DD`` or a day number), ``spend``, ``gmv``,
        ``orders``, ``target_roi`` and optionally ``edits`` (target/budget edits that day; default 0).
    rule : CompensationRule or str, optional
        The rule (default: :class:`CompensationRule` ()), or a name in :data:`RULES`.

    Returns
    -------
    list of Window
        Consecutive non-overlapping windows of ``rule.window_days`` calendar days from the first day.

    Raises
    ------
    ValidationError
        A CSV file breaks the record format (names the row and column).
    ConfigError
        In-memory records break it, or the rule name is unknown.
    """
    rule = resolve_rule(rule)
    recs = _parse(daily)
    first, last = recs[0]["date"], recs[-1]["date"]
    o0, o_last = _ordinal(first), _ordinal(last)
    out = []
    for k, lo in enumerate(range(o0, o_last + 1, rule.window_days)):
        hi = lo + rule.window_days - 1
        inside = [r for r in recs if lo <= _ordinal(r["date"]) <= hi]
        n_days = min(hi, o_last) - lo + 1
        conv = (lambda o: o) if isinstance(first, int) else dt.date.fromordinal
        out.append(_judge(k, conv(lo), conv(hi), n_days, inside, rule))
    return out


def summarize(windows: list[Window]) -> dict[str, float | int]:
    """Totals over windows: spend, GMV, orders, amount owed, its share of spend, windows judged/eligible/paid."""
    spend = sum(w.spend for w in windows)
    amount = sum(w.amount for w in windows)
    return {"windows": len(windows), "eligible": sum(w.eligible for w in windows),
            "triggered": sum(w.triggered for w in windows), "missed": sum(w.missed for w in windows),
            "spend": float(spend), "gmv": float(sum(w.gmv for w in windows)),
            "orders": int(sum(w.orders for w in windows)), "amount": float(amount),
            "amount_share_of_spend": float(amount / spend) if spend > 0 else 0.0}


def daily_records(run: RunResult, traffic: Traffic | None = None, *,
                  start: dt.date | int = 0) -> list[dict[str, Any]]:
    """Daily records of a simulated run (no edits), ready for :func:`compensate`.

    Parameters
    ----------
    run : RunResult
        A replayed run (:func:`siyu.autobid.harness.replay`).
    traffic : Traffic, optional
        The run's traffic; its ``target_roi`` is used when given (else the run's).
    start : datetime.date or int, default 0
        Date (or day number) of the first day.
    """
    target = float(traffic.target_roi if traffic is not None else run.target_roi)
    spend, gmv, orders = run.daily("spend"), run.daily("gmv"), run.daily("orders")
    days = [(start + dt.timedelta(days=d)) if isinstance(start, dt.date) else int(start) + d
            for d in range(len(spend))]
    return [{"date": days[d], "spend": float(spend[d]), "gmv": float(gmv[d]), "orders": int(orders[d]),
             "target_roi": target, "edits": 0} for d in range(len(spend))]


def compensate_run(run: RunResult, traffic: Traffic | None = None,
                   rule: CompensationRule | str | None = None) -> float:
    """Total compensation owed for a simulated run under ``rule`` (its days from :func:`daily_records`)."""
    return float(sum(w.amount for w in compensate(daily_records(run, traffic), rule)))
