"""CLI commands of the health models: gain (GAIN score, indicators, diagnosis) and link (LINK+ funnel)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import AsOf, Fmt, FormatOpt, console, emit, workspace

#: GAIN indicator columns of the table -> bilingual header
GAIN_HEADERS = {"name": "指标 Indicator", "value": "值 Value", "numerator": "分子 Numerator",
                "denominator": "分母 Denominator", "score": "得分 Score", "baseline_score": "基线得分 Baseline score"}
GAIN_KINDS = {"value": "share", "numerator": "count", "denominator": "count", "score": "score",
              "baseline_score": "score"}

commands = typer.Typer()


class ScoreMode(str, Enum):
    target = "target"
    baseline = "baseline"


@commands.command()
def gain(ctx: typer.Context, as_of: AsOf = None,
         mode: Annotated[Optional[ScoreMode], typer.Option(help="Score mode. \\[default: \\[gain].score_mode]")] = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """GAIN CLTV health: score, 4 dimensions, 12 indicators (value = numerator ÷ denominator), trend, diagnosis."""
    from rich.markup import escape

    from siyu.cli._render import bilingual, plural
    from siyu.health.gain import DIMENSIONS, diagnose
    from siyu.health.gain import gain as run_gain

    ws = workspace(ctx)
    if mode is not None:
        ws.config = ws.config.model_copy(update={"gain": ws.config.gain.model_copy(update={"score_mode": mode.value})})
    res = run_gain(ws, as_of)
    res["diagnosis"] = diagnose(ws, res)
    if fmt is Fmt.json:
        return emit(res, fmt)
    columns = ["id", "dimension", "name_zh", "name_en", "value", "numerator", "denominator", "score", "baseline_score"]
    rows = [{"id": k, "dimension": v["dimension"], "name_zh": v["name_zh"], "name_en": v["name_en"],
             "name": bilingual(v["name_zh"], v["name_en"], code=k), "value": v["value"], "numerator": v["numerator"],
             "denominator": v["denominator"], "score": v["score"], "baseline_score": v["baseline_score"]}
            for k, v in res["indicators"].items()]
    if fmt is Fmt.csv:
        return emit(rows, fmt, columns=columns)
    emit(rows, fmt, title=f"GAIN 用户价值健康度 indicators as of {res['as_of']} ({res['mode']} mode)",
         columns=columns, table_columns=["name", "value", "numerator", "denominator", "score", "baseline_score"],
         headers=GAIN_HEADERS, kinds=GAIN_KINDS)
    weakest = res["weakest_dimension"]
    weakest = bilingual(DIMENSIONS[weakest][0], "", code=weakest) if weakest in DIMENSIONS else weakest
    dims = [{"name": bilingual(z, e, code=d), "score": res["dimensions"][d]} for d, (z, e) in DIMENSIONS.items()]
    emit(dims + [{"name": "总分 GAIN score", "score": res["score"]}], fmt,
         title=f"GAIN 维度 dimensions · 最弱 weakest: {weakest}",
         headers={"name": "维度 Dimension", "score": "得分 Score"}, kinds={"score": "score"})
    for d in res["diagnosis"]:
        console.print(f"[bold]{escape(d['indicator'])} {escape(d['name_zh'])} {escape(d['name_en'])}[/] "
                      f"(score {d['score']:.0f}, LINK+ {d['link_step']}): {escape(d['action_zh'])}\n"
                      f"  {escape(d['action_en'])}\n  机会 opportunity: {plural(d['opportunity_users'], 'user')}, "
                      f"¥{d['opportunity_gmv']:,.2f}", highlight=False)


def _flat(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        out[f"{prefix}{k}"] = v["value"] if isinstance(v, dict) and "value" in v else v
    return out


@commands.command()
def link(ctx: typer.Context, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """LINK+ funnel (汇聚 Lead → 连接 Interlock → 激活 Engage → 复购 Keep) for relationship users and the 大盘."""
    from siyu.cli._labels import CHANNEL_GROUP_LABELS
    from siyu.cli._render import bilingual, kind_of
    from siyu.health.linkplus import LINK_LABELS, MULTIPLES, STEP_LABELS
    from siyu.health.linkplus import link_plus as run_link

    res = run_link(workspace(ctx), as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)

    def value(v: Any) -> Any:
        return v["value"] if isinstance(v, dict) else v

    def row(step: str, k: str, rel: Any, allg: Any, mult: Any) -> dict[str, Any]:
        zh, en = LINK_LABELS.get(k, (k, ""))
        return {"step": f"{step} {STEP_LABELS[step][0]}", "metric": k, "label": " ".join((zh, en)),
                "relationship": value(rel), "all": value(allg), "multiple": value(mult),
                "step_label": bilingual(*STEP_LABELS[step], code=step), "name": bilingual(zh, en)}

    rows = []
    for step in ("L", "I"):
        for k, v in res["steps"][step].items():
            rows.append(row(step, k, None, v, None))
    for step in ("N", "K"):
        rel, allg = res["steps"][step]["relationship"], res["steps"][step]["all"]
        for k in rel:
            mult = next((res["multiples"][m] for m, metric in MULTIPLES.items() if metric == k), None)
            rows.append(row(step, k, rel[k], allg[k], mult))
    emit(rows, fmt, title=f"LINK+ 私域链路 as of {res['as_of']} (relationship 关系用户 vs all 大盘)",
         columns=["step", "metric", "label", "relationship", "all", "multiple"],
         table_columns=["step_label", "name", "relationship", "all", "multiple"],
         headers={"step_label": "环节 Step", "name": "指标 Metric", "relationship": "关系用户 Relationship",
                  "all": "大盘 All", "multiple": "倍数 Multiple"},
         kinds={"relationship": lambda r: kind_of(r["metric"]), "all": lambda r: kind_of(r["metric"]),
                "multiple": "ratio"})
    if fmt is Fmt.table:
        emit([{"channel": r["channel"], "group": bilingual(*CHANNEL_GROUP_LABELS.get(r["channel_group"],
                                                                                       (r["channel_group"], ""))),
               "uv": r["uv"], "new_uv": r["new_uv"], "share": value(r["share"])} for r in res["lead_channels"]], fmt,
             title="汇聚 Lead by channel",
             headers={"group": "类别 Group", "uv": "访客 UV", "new_uv": "新访客 New UV", "share": "访客占比 Share of UV"})


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.registered_commands += commands.registered_commands
