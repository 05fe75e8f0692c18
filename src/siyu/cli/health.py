"""CLI commands of the health models: gain (GAIN score, indicators, diagnosis) and link (LINK+ funnel)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import AsOf, Fmt, FormatOpt, console, emit, workspace

commands = typer.Typer()


class ScoreMode(str, Enum):
    target = "target"
    baseline = "baseline"


@commands.command()
def gain(ctx: typer.Context, as_of: AsOf = None,
         mode: Annotated[Optional[ScoreMode], typer.Option(help="Score mode [default: [gain].score_mode].")] = None,
         fmt: FormatOpt = Fmt.table) -> None:
    """GAIN CLTV health: score, 4 dimensions, 12 indicators (value = numerator ÷ denominator), trend, diagnosis."""
    from siyu.health.gain import DIMENSIONS, diagnose
    from siyu.health.gain import gain as run_gain

    ws = workspace(ctx)
    if mode is not None:
        ws.config = ws.config.model_copy(update={"gain": ws.config.gain.model_copy(update={"score_mode": mode.value})})
    res = run_gain(ws, as_of)
    res["diagnosis"] = diagnose(ws, res)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = [{"id": k, "dimension": v["dimension"], "name_zh": v["name_zh"], "name_en": v["name_en"],
             "value": v["value"], "numerator": v["numerator"], "denominator": v["denominator"], "score": v["score"],
             "baseline_score": v["baseline_score"]} for k, v in res["indicators"].items()]
    if fmt is Fmt.csv:
        return emit(rows, fmt)
    emit(rows, fmt, title=f"GAIN 用户价值健康度 indicators as of {res['as_of']} ({res['mode']} mode)")
    dims = [{"dimension": d, "name": f"{z} {e}", "score": res["dimensions"][d]} for d, (z, e) in DIMENSIONS.items()]
    emit(dims + [{"dimension": "GAIN", "name": "总分 GAIN score", "score": res["score"]}], fmt,
          title=f"最弱维度 weakest dimension: {res['weakest_dimension']}")
    for d in res["diagnosis"]:
        console.print(f"[bold]{d['indicator']} {d['name_zh']} {d['name_en']}[/] (score {d['score']:.0f}, LINK+ "
                      f"{d['link_step']}): {d['action_zh']}\n  {d['action_en']}\n  机会 opportunity: "
                      f"{d['opportunity_users']:,} users, ¥{d['opportunity_gmv']:,.0f}", highlight=False)


def _flat(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        out[f"{prefix}{k}"] = v["value"] if isinstance(v, dict) and "value" in v else v
    return out


@commands.command()
def link(ctx: typer.Context, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """LINK+ funnel (汇聚 Lead → 连接 Interlock → 激活 Engage → 复购 Keep) for relationship users and the 大盘."""
    from siyu.health.linkplus import LINK_LABELS, MULTIPLES, STEP_LABELS
    from siyu.health.linkplus import link_plus as run_link

    res = run_link(workspace(ctx), as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = []
    for step in ("L", "I"):
        for k, v in res["steps"][step].items():
            rows.append({"step": f"{step} {STEP_LABELS[step][0]}", "metric": k, "label": " ".join(LINK_LABELS.get(k, (k, ""))),
                         "relationship": None, "all": v["value"] if isinstance(v, dict) else v, "multiple": None})
    for step in ("N", "K"):
        rel, allg = res["steps"][step]["relationship"], res["steps"][step]["all"]
        for k in rel:
            mult = next((res["multiples"][m] for m, metric in MULTIPLES.items() if metric == k), None)
            rows.append({"step": f"{step} {STEP_LABELS[step][0]}", "metric": k, "label": " ".join(LINK_LABELS.get(k, (k, ""))),
                         "relationship": rel[k]["value"] if isinstance(rel[k], dict) else rel[k],
                         "all": allg[k]["value"] if isinstance(allg[k], dict) else allg[k],
                         "multiple": mult["value"] if isinstance(mult, dict) else mult})
    emit(rows, fmt, title=f"LINK+ 私域链路 as of {res['as_of']} (relationship 关系用户 vs all 大盘)")
    if fmt is Fmt.table:
        emit([{"channel": r["channel"], "group": r["channel_group"], "uv": r["uv"], "new_uv": r["new_uv"],
                "share": r["share"]["value"] if isinstance(r["share"], dict) else r["share"]}
               for r in res["lead_channels"]], fmt, title="汇聚 Lead by channel")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.registered_commands += commands.registered_commands
