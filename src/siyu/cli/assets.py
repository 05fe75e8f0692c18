"""CLI commands of the customer-asset models: aipl, fast, pools, ucmv, rfm, grow (thin: parse, call, print)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import (
    AsOf,
    Fmt,
    FormatOpt,
    From,
    Out,
    PerUser,
    console,
    counts_rows,
    emit,
    per_user_rows,
    workspace,
    write_per_user,
)

commands = typer.Typer()

@commands.command()
def aipl(ctx: typer.Context, as_of: AsOf = None, from_: From = None, per_user: PerUser = False, out: Out = None,
         path: Annotated[str, typer.Option(help="Flow path SOURCE:TARGET for channel coverage / flow rates.")] = "I:P",
         fmt: FormatOpt = Fmt.table) -> None:
    """AIPL stages (认知/兴趣/购买/忠诚): counts and mix; with --from, transitions and channel flows."""
    from siyu import assets
    from siyu.cli._labels import stage_labels
    from siyu.cli._render import bilingual

    ws = workspace(ctx)
    stages = stage_labels()
    if out is not None:
        return write_per_user(ws, "aipl", as_of, out, ["user_id", "stage"])
    if per_user:
        return per_user_rows(assets.aipl(ws, as_of), fmt, ["user_id", "stage"], labels={"stage": stages})
    summary = assets.aipl_summary(ws, as_of)
    out: dict[str, Any] = {**summary}
    if from_:
        src, _, dst = path.partition(":")
        out["transitions"] = assets.aipl_transitions(ws, from_, summary["as_of"])
        out["flow"] = {"path": f"{src}→{dst}", "channels": assets.aipl_channel_flow(ws, from_, summary["as_of"],
                                                                                   source=src, target=dst)}
    if fmt is Fmt.json:
        return emit(out, fmt)

    def stage(code: str) -> str:
        return bilingual(*stages[code], code=None if code == "none" else code)

    rows = [r | {"stage": stage(r["label"])} for r in counts_rows(summary["counts"], assets.STAGE_LABELS,
                                                                   summary["total"])]
    emit([r for r in rows if r["label"] != "none"] + [r | {"share": None} for r in rows if r["label"] == "none"], fmt,
         title=f"AIPL 人群资产 as of {summary['as_of']} (total F = {summary['total']:,})",
         columns=["label", "label_zh", "label_en", "count", "share"], table_columns=["stage", "count", "share"],
         headers={"share": "占比 Mix (of F)"})
    if from_ and fmt is Fmt.table:
        tr = out["transitions"]
        m = [{"from": stage(a), **{b: tr["matrix"][a][b] for b in assets.STAGES}} for a in assets.STAGES]
        emit(m, fmt, title=f"AIPL 流转 transitions {tr['from']} → {tr['to']} (rows 行: from 从, columns 列: to 到)",
             headers={"from": "从 \\ 到 from \\ to", **{b: stage(b) for b in assets.STAGES}})
        emit([{"stage": stage(k), **v} for k, v in tr["accounting"].items()], fmt,
             title="stayed / moved / churned 留存/流转/流失",
             headers={"start": "期初 Start", "stayed": "留存 Stayed", "moved": "流转 Moved", "deepened": "加深 Deepened",
                      "regressed": "回落 Regressed", "churned": "流失 Churned", "churn_rate": "流失率 Churn rate"})
        emit([c | {"channel": "全部 all channels" if c["channel"] == "*" else c["channel"]}
              for c in out["flow"]["channels"]], fmt,
             title=f"渠道覆盖率与流转率 channel coverage & flow rate {out['flow']['path']}",
             headers={"starters": "起点人数 Starters", "touched": "触达 Touched", "coverage": "覆盖率 Coverage",
                      "flowed": "流转 Flowed", "flow_rate": "流转率 Flow rate"})


@commands.command()
def fast(ctx: typer.Context, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """FAST: F (AIPL total), A (deepening rate, both denominators), S (members), T (active-member rate), PoP and YoY."""
    from siyu import assets

    res = assets.fast(workspace(ctx), as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)
    from siyu.cli._render import bilingual

    rows = [{"metric": k, "指标 label": f"{z} {e}", "value": res["current"][k], "previous": res["previous"][k],
             "PoP 环比": res["change"][k]["pop"]["rel"], "year ago": res["year_ago"][k],
             "YoY 同比": res["change"][k]["yoy"]["rel"], "name": bilingual(z, e, code=k if len(k) == 1 else None)}
            for k, (z, e) in assets.FAST_LABELS.items()]
    counts = ("F", "S")  # the totals; the other FAST values are rates

    def kind(r: dict) -> str:
        return "count" if r["metric"] in counts else "share"

    emit(rows, fmt, title=f"FAST as of {res['as_of']}",
         columns=["metric", "指标 label", "value", "previous", "PoP 环比", "year ago", "YoY 同比"],
         table_columns=["name", "value", "previous", "PoP 环比", "year ago", "YoY 同比"],
         headers={"name": "指标 Metric", "value": "当前 Now", "previous": "上期 Previous", "year ago": "去年同期 Year ago",
                  "PoP 环比": "环比 PoP", "YoY 同比": "同比 YoY"},
         kinds={"value": kind, "previous": kind, "year ago": kind, "PoP 环比": "change", "YoY 同比": "change"})
    if fmt is Fmt.table:
        from siyu.cli._common import note

        for line in fast_notes(res):
            note(line)


def fast_notes(res: dict[str, Any]) -> list[str]:
    """One line per FAST change shown as – because its periods are not comparable, with the reason."""
    from rich.markup import escape

    from siyu.assets import FAST_LABELS

    names = {"pop": "环比 PoP", "yoy": "同比 YoY"}

    def label(k: str) -> str:
        zh, en = FAST_LABELS.get(k, (k, ""))
        return f"{k} {zh}" if len(k) == 1 else f"{zh} {en}"

    return [f"– {label(k)} {names[kind]}: 无可比数据 not comparable: {escape(c['reason'])}"
            for k, changes in res["change"].items() for kind, c in changes.items()
            if c.get("comparable") is False and c.get("reason")]


@commands.command()
def pools(ctx: typer.Context, as_of: AsOf = None, from_: From = None, per_user: PerUser = False, out: Out = None,
          step: Annotated[Optional[int], typer.Option(help="Days between evaluations for --from transitions.")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """Relationship pools: fans (活跃/普通/机会/沉默), members (优质/潜力/沉默), customers (新客/老客/潜客/流失老客)."""
    from siyu import assets
    from siyu.cli._labels import POOL_TYPE_LABELS
    from siyu.cli._render import bilingual

    ws = workspace(ctx)
    if out is not None:
        return write_per_user(ws, "pools", as_of, out, ["user_id", "fan_pool", "member_pool", "customer_pool"])
    if per_user:
        return per_user_rows(assets.pools(ws, as_of), fmt, ["user_id", "fan_pool", "member_pool", "customer_pool"],
                             labels={f"{k}_pool": assets.POOL_LABELS[k] for k in assets.POOL_TYPES})
    summary = assets.pool_summary(ws, as_of)
    out: dict[str, Any] = dict(summary)
    if from_:
        ev = assets.pool_transitions(ws, from_, summary["as_of"], step_days=step)
        counts: dict[tuple, int] = {}
        for r in ev.select(["pool_type", "from_pool", "to_pool"]).to_pylist():
            key = (r["pool_type"], r["from_pool"], r["to_pool"])
            counts[key] = counts.get(key, 0) + 1
        out["transitions"] = [{"pool_type": k[0], "from_pool": k[1], "to_pool": k[2], "users": n}
                              for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], *(x or "" for x in kv[0])))]
    if fmt is Fmt.json:
        return emit(out, fmt)

    def pool(kind: str) -> str:
        return bilingual(*POOL_TYPE_LABELS.get(kind, (kind, "")))

    def segment(kind: str, code: Any) -> str:
        return "–" if code is None else bilingual(*assets.POOL_LABELS[kind].get(code, (code, "")))

    rows = []
    for kind in assets.POOL_TYPES:
        rows += [{"pool": kind, **r, "pool_name": pool(kind), "segment": segment(kind, r["label"])}
                 for r in counts_rows(summary[kind], assets.POOL_LABELS[kind])]
    emit(rows, fmt, title=f"关系池 relationship pools as of {summary['as_of']}",
         columns=["pool", "label", "label_zh", "label_en", "count", "share"],
         table_columns=["pool_name", "segment", "count", "share"],
         headers={"pool_name": "池 Pool", "segment": "分层 Segment", "share": "池内占比 Share of pool"})
    if from_:
        heads = {"pool_type": "池 Pool", "from_pool": "从 From", "to_pool": "到 To", "users": "人次 Moves"}
        emit([t | {"pool_type": pool(t["pool_type"]), "from_pool": segment(t["pool_type"], t["from_pool"]),
                   "to_pool": segment(t["pool_type"], t["to_pool"])} if fmt is Fmt.table else t
              for t in out["transitions"]], fmt,
             title="pool transitions 关系池流转 (stored in table pool_transitions)", headers=heads)


@commands.command()
def ucmv(ctx: typer.Context, as_of: AsOf = None, per_user: PerUser = False, out: Out = None, fmt: FormatOpt = Fmt.table) -> None:
    """UCMV stages (User → Consumer → Mature → VIP/88VIP) with counts and GMV share."""
    from siyu import assets
    from siyu.cli._render import bilingual

    ws = workspace(ctx)
    if out is not None:
        return write_per_user(ws, "ucmv", as_of, out, ["user_id", "stage"])
    if per_user:
        return per_user_rows(assets.ucmv(ws, as_of), fmt, ["user_id", "stage"], labels={"stage": assets.UCMV_LABELS})
    s = assets.ucmv_summary(ws, as_of)
    if fmt is Fmt.json:
        return emit(s, fmt)
    emit([r | {"gmv": s["gmv"][r["label"]], "gmv_share": s["gmv_share"][r["label"]],
               "stage": bilingual(r["label_zh"], r["label_en"], code=r["label"])}
          for r in counts_rows(s["counts"], assets.UCMV_LABELS)], fmt, title=f"UCMV as of {s['as_of']}",
         columns=["label", "label_zh", "label_en", "count", "share", "gmv", "gmv_share"],
         table_columns=["stage", "count", "share", "gmv", "gmv_share"])


@commands.command()
def rfm(ctx: typer.Context, as_of: AsOf = None, per_user: PerUser = False, out: Out = None, fmt: FormatOpt = Fmt.table) -> None:
    """RFM scores (1–5) and named groups (champions, loyal, at risk, hibernating, …) of the year's buyers."""
    from siyu import assets
    from siyu.cli._render import bilingual, plural

    ws = workspace(ctx)
    if out is not None:
        return write_per_user(ws, "rfm", as_of, out, ["user_id", "r", "f", "m", "group"])
    if per_user:
        return per_user_rows(assets.rfm(ws, as_of), fmt, ["user_id", "r", "f", "m", "group"],
                             labels={"group": assets.RFM_GROUPS})
    s = assets.rfm_summary(ws, as_of)
    if fmt is Fmt.json:
        return emit(s, fmt)
    stats = list(next(iter(s["groups"].values()), {}))  # users, monetary, mean_recency, mean_frequency
    rows = [{"group": g, "label_zh": assets.RFM_GROUPS[g][0], "label_en": assets.RFM_GROUPS[g][1], **v,
             "name": bilingual(*assets.RFM_GROUPS[g])} for g, v in s["groups"].items()]
    emit(rows, fmt, title=f"RFM as of {s['as_of']} ({plural(s['buyers'], 'buyer')})",
         columns=["group", "label_zh", "label_en", *stats], table_columns=["name", *stats],
         headers={"name": "分组 Group", "mean_recency": "平均距今天数 Mean recency (days)",
                  "mean_frequency": "平均购买次数 Mean frequency"})


@commands.command()
def grow(ctx: typer.Context, as_of: AsOf = None, from_: From = None, fmt: FormatOpt = Fmt.table) -> None:
    """GROW: LMDI split of the GMV change into penetration (G), repurchase (R) and price (O), plus new products (W)."""
    from rich.markup import escape

    from siyu.assets.grow import GROW_LABELS
    from siyu.assets.grow import grow as run_grow
    from siyu.cli._labels import GROW_PART_LABELS
    from siyu.cli._render import bilingual, fmt_value, plural

    res = run_grow(workspace(ctx), as_of, from_)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = []
    for part in ("total", "new", "existing"):
        r = res[part]
        rows.append({"customers": part, "gmv0": r["gmv0"], "gmv1": r["gmv1"], "delta": r["delta"],
                     "G": r["G"], "R": r["R"], "O": r["O"], "name": bilingual(*GROW_PART_LABELS[part])})
    money = dict.fromkeys(("gmv0", "gmv1", "delta", "G", "R", "O"), "money")
    heads = {"name": "客群 Buyers", "gmv0": "基期 GMV before", "gmv1": "本期 GMV after", "delta": "ΔGMV",
             **{k: bilingual(*GROW_LABELS[k], code=k) for k in "GRO"}}
    emit(rows, fmt, title=f"GROW {res['from']} → {res['as_of']} ({res['period_days']}-day periods)",
         columns=["customers", "gmv0", "gmv1", "delta", "G", "R", "O"],
         table_columns=["name", "gmv0", "gmv1", "delta", "G", "R", "O"], headers=heads, kinds=money)
    if fmt is Fmt.table:
        emit([{"category": c["category"], "delta": c["delta"], "G": c["G"], "R": c["R"], "O": c["O"],
               "expansion": c["expansion"]} for c in res["categories"]], fmt, title="by category 品类",
             headers={**heads, "expansion": "扩品 Expansion"}, kinds=money)
        w = res["w"]
        console.print(escape(
            f"{GROW_LABELS['W'][0]} {GROW_LABELS['W'][1]}: new-SKU GMV share "
            f"{fmt_value(w['new_sku_gmv_share'], 'share')}, new-SKU share of new buyers "
            f"{fmt_value(w['new_sku_newcust_share'], 'share')}, {plural(w['launches'], 'launch', 'launches')}, "
            f"launch agility {fmt_value(w['launch_agility'], 'score')}/quarter, extension GMV "
            f"{fmt_value(w['extension'], 'money')}"), highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.registered_commands += commands.registered_commands
