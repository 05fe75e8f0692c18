"""CLI commands of the customer-asset models: aipl, fast, pools, ucmv, rfm, grow (thin: parse, call, print)."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import AsOf, Fmt, FormatOpt, From, PerUser, console, counts_rows, emit, per_user_rows, workspace

commands = typer.Typer()

@commands.command()
def aipl(ctx: typer.Context, as_of: AsOf = None, from_: From = None, per_user: PerUser = False,
         path: Annotated[str, typer.Option(help="Flow path SOURCE:TARGET for channel coverage / flow rates.")] = "I:P",
         fmt: FormatOpt = Fmt.table) -> None:
    """AIPL stages (认知/兴趣/购买/忠诚): counts and mix; with --from, transitions and channel flows."""
    from siyu import assets

    ws = workspace(ctx)
    if per_user:
        return per_user_rows(assets.aipl(ws, as_of), fmt, ["user_id", "stage"])
    summary = assets.aipl_summary(ws, as_of)
    out: dict[str, Any] = {**summary}
    if from_:
        src, _, dst = path.partition(":")
        out["transitions"] = assets.aipl_transitions(ws, from_, summary["as_of"])
        out["flow"] = {"path": f"{src}→{dst}", "channels": assets.aipl_channel_flow(ws, from_, summary["as_of"],
                                                                                   source=src, target=dst)}
    if fmt is Fmt.json:
        return emit(out, fmt)
    rows = counts_rows(summary["counts"], assets.STAGE_LABELS, summary["total"])
    emit([r for r in rows if r["label"] != "none"] + [r | {"share": None} for r in rows if r["label"] == "none"], fmt,
          title=f"AIPL 人群资产 as of {summary['as_of']} (total F = {summary['total']:,})")
    if from_ and fmt is Fmt.table:
        tr = out["transitions"]
        m = [{"from \\ to": a, **{b: tr["matrix"][a][b] for b in assets.STAGES}} for a in assets.STAGES]
        emit(m, fmt, title=f"AIPL 流转 transitions {tr['from']} → {tr['to']}")
        emit([{"stage": k, **v} for k, v in tr["accounting"].items()], fmt, title="stayed / moved / churned 留存/流转/流失")
        emit(out["flow"]["channels"], fmt, title=f"渠道覆盖率与流转率 channel coverage & flow rate {out['flow']['path']}")


@commands.command()
def fast(ctx: typer.Context, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """FAST: F (AIPL total), A (deepening rate, both denominators), S (members), T (active-member rate), PoP and YoY."""
    from siyu import assets

    res = assets.fast(workspace(ctx), as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = [{"metric": k, "指标 label": f"{z} {e}", "value": res["current"][k], "previous": res["previous"][k],
             "PoP 环比": res["change"][k]["pop"]["rel"], "year ago": res["year_ago"][k],
             "YoY 同比": res["change"][k]["yoy"]["rel"]} for k, (z, e) in assets.FAST_LABELS.items()]
    emit(rows, fmt, title=f"FAST as of {res['as_of']}")


@commands.command()
def pools(ctx: typer.Context, as_of: AsOf = None, from_: From = None, per_user: PerUser = False,
          step: Annotated[Optional[int], typer.Option(help="Days between evaluations for --from transitions.")] = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """Relationship pools: fans (活跃/普通/机会/沉默), members (优质/潜力/沉默), customers (新客/老客/潜客/流失老客)."""
    from siyu import assets

    ws = workspace(ctx)
    if per_user:
        return per_user_rows(assets.pools(ws, as_of), fmt, ["user_id", "fan_pool", "member_pool", "customer_pool"])
    summary = assets.pool_summary(ws, as_of)
    out: dict[str, Any] = dict(summary)
    if from_:
        ev = assets.pool_transitions(ws, from_, summary["as_of"], step_days=step)
        counts: dict[tuple, int] = {}
        for r in ev.select(["pool_type", "from_pool", "to_pool"]).to_pylist():
            key = (r["pool_type"], r["from_pool"], r["to_pool"])
            counts[key] = counts.get(key, 0) + 1
        out["transitions"] = [{"pool_type": k[0], "from_pool": k[1], "to_pool": k[2], "users": n}
                              for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    if fmt is Fmt.json:
        return emit(out, fmt)
    rows = []
    for kind in assets.POOL_TYPES:
        rows += [{"pool": kind, **r} for r in counts_rows(summary[kind], assets.POOL_LABELS[kind])]
    emit(rows, fmt, title=f"关系池 relationship pools as of {summary['as_of']}")
    if from_:
        emit(out["transitions"], fmt, title="pool transitions 关系池流转 (stored in table pool_transitions)")


@commands.command()
def ucmv(ctx: typer.Context, as_of: AsOf = None, per_user: PerUser = False, fmt: FormatOpt = Fmt.table) -> None:
    """UCMV stages (User → Consumer → Mature → VIP/88VIP) with counts and GMV share."""
    from siyu import assets

    ws = workspace(ctx)
    if per_user:
        return per_user_rows(assets.ucmv(ws, as_of), fmt, ["user_id", "stage"])
    s = assets.ucmv_summary(ws, as_of)
    if fmt is Fmt.json:
        return emit(s, fmt)
    emit([r | {"gmv": s["gmv"][r["label"]], "gmv_share": s["gmv_share"][r["label"]]}
           for r in counts_rows(s["counts"], assets.UCMV_LABELS)], fmt, title=f"UCMV as of {s['as_of']}")


@commands.command()
def rfm(ctx: typer.Context, as_of: AsOf = None, per_user: PerUser = False, fmt: FormatOpt = Fmt.table) -> None:
    """RFM scores (1–5) and named groups (champions, loyal, at risk, hibernating, …) of the year's buyers."""
    from siyu import assets

    ws = workspace(ctx)
    if per_user:
        return per_user_rows(assets.rfm(ws, as_of), fmt, ["user_id", "r", "f", "m", "group"])
    s = assets.rfm_summary(ws, as_of)
    if fmt is Fmt.json:
        return emit(s, fmt)
    emit([{"group": g, "label_zh": assets.RFM_GROUPS[g][0], "label_en": assets.RFM_GROUPS[g][1], **v}
           for g, v in s["groups"].items()], fmt, title=f"RFM as of {s['as_of']} ({s['buyers']:,} buyers)")


@commands.command()
def grow(ctx: typer.Context, as_of: AsOf = None, from_: From = None, fmt: FormatOpt = Fmt.table) -> None:
    """GROW: LMDI split of the GMV change into penetration (G), repurchase (R) and price (O), plus new products (W)."""
    from siyu.assets.grow import GROW_LABELS
    from siyu.assets.grow import grow as run_grow

    res = run_grow(workspace(ctx), as_of, from_)
    if fmt is Fmt.json:
        return emit(res, fmt)
    rows = []
    for part in ("total", "new", "existing"):
        r = res[part]
        rows.append({"customers": part, "gmv0": r["gmv0"], "gmv1": r["gmv1"], "delta": r["delta"],
                     "G": r["G"], "R": r["R"], "O": r["O"]})
    emit(rows, fmt, title=f"GROW {res['from']} → {res['as_of']} ({res['period_days']}-day periods)")
    if fmt is Fmt.table:
        emit([{"category": c["category"], "delta": c["delta"], "G": c["G"], "R": c["R"], "O": c["O"],
                "expansion": c["expansion"]} for c in res["categories"]], fmt, title="by category 品类")
        w = res["w"]
        console.print(f"{GROW_LABELS['W'][0]} {GROW_LABELS['W'][1]}: new-SKU GMV share {w['new_sku_gmv_share']!s}, "
                      f"new-SKU share of new buyers {w['new_sku_newcust_share']!s}, launches {w['launches']}, "
                      f"launch agility {w['launch_agility']!s}/quarter, extension GMV {w['extension']!s}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.registered_commands += commands.registered_commands
