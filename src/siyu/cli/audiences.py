"""CLI commands of audiences (人群圈选): ``siyu audience parse|count|members|explain|save|list|show|export|fields``
(thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from siyu.cli._common import AsOf, Fmt, FormatOpt, console, emit, note, workspace

audience_app = typer.Typer(help="Audiences 人群圈选: condition trees and their text form, counted, listed, explained, "
                                "saved and exported.", no_args_is_help=True)

Where = Annotated[Optional[str], typer.Option(
    "--where", help="The condition tree as JSON, or @FILE holding it.")]
Query = Annotated[Optional[str], typer.Option(
    "--query", "-q", help="The condition tree in the text form, e.g. \"aipl in (I, P) and not is_member\".")]
Saved = Annotated[Optional[str], typer.Option("--audience", "-a", help="A saved audience's name.")]


def _tree(ws: Any, where: str | None, query: str | None, name: str | None = None) -> dict[str, Any]:
    from siyu import audiences

    return audiences.resolve(ws, where=where, query=query, name=name)


@audience_app.command("parse")
def parse_cmd(query: Query = None, where: Where = None) -> None:
    """Print the JSON tree of a text query (or check a JSON tree); no workspace needed."""
    from siyu import audiences
    from siyu.cli._render import to_json

    tree = audiences.resolve(None, where=where, query=query)
    print(to_json(tree))


@audience_app.command()
def count(ctx: typer.Context, where: Where = None, query: Query = None, audience: Saved = None, as_of: AsOf = None,
          fmt: FormatOpt = Fmt.table) -> None:
    """How many users the audience holds at the snapshot date, and their AIPL / pool mix."""
    from siyu import audiences

    ws = workspace(ctx)
    tree = _tree(ws, where, query, audience)
    res = audiences.count(ws, tree, as_of)
    res["share"] = res["count"] / res["universe"] if res["universe"] else None
    res["mix"] = audiences.mix(ws, tree, res["as_of"])
    res["tree"] = tree
    res["query"] = audiences.to_text(tree)
    if fmt is not Fmt.table:
        return emit(res if fmt is Fmt.json else [{k: res[k] for k in ("as_of", "count", "universe", "share")}], fmt)
    emit([{"count": res["count"], "universe": res["universe"], "share": res["share"]}], fmt,
         title=f"人群 Audience as of {res['as_of']}: {res['query']}",
         headers={"count": "人数 Members", "universe": "全部用户 Universe", "share": "占比 Share"},
         kinds={"share": "share"})
    _print_mix(res["mix"], res["count"])


def _print_mix(mix: dict[str, dict[str, int]], total: int) -> None:
    from siyu.audiences.fields import FIELDS, field_labels

    for col in ("aipl", "customer_pool"):
        labels = field_labels(FIELDS[col])
        labels = {**labels, "": ("不在池中", "in no pool")} if col != "aipl" else labels
        order = [k for k in labels if k in mix[col]] + [k for k in mix[col] if k not in labels]
        rows = [{"label": f"{labels.get(k, (k, k))[0]} {labels.get(k, (k, k))[1]}", "count": mix[col][k],
                 "share": mix[col][k] / total if total else None} for k in order]
        title = "AIPL 阶段 stage mix" if col == "aipl" else "客户池 Customer pool mix"
        emit(rows, Fmt.table, title=title, headers={"label": "标签 Label", "count": "人数 Users", "share": "占比 Share"},
             kinds={"share": "share"})


@audience_app.command()
def members(ctx: typer.Context, where: Where = None, query: Query = None, audience: Saved = None,
            as_of: AsOf = None, fmt: FormatOpt = Fmt.csv) -> None:
    """The members at the snapshot date: a user_id column, one row per member, sorted."""
    from siyu import audiences
    from siyu.cli._common import per_user_rows

    ws = workspace(ctx)
    per_user_rows(audiences.members(ws, _tree(ws, where, query, audience), as_of), fmt, ["user_id"])


@audience_app.command()
def explain(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user to explain.")],
            where: Where = None, query: Query = None, audience: Saved = None, as_of: AsOf = None,
            fmt: FormatOpt = Fmt.table) -> None:
    """Why a user is or is not in the audience: every condition with the user's own value and whether it held."""
    from siyu import audiences

    ws = workspace(ctx)
    res = audiences.explain(ws, user_id, _tree(ws, where, query, audience), as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)
    from siyu.audiences.fields import FIELDS, field_labels
    from siyu.cli._render import bilingual

    def shown(cond: dict[str, Any], value: Any) -> Any:
        labels = field_labels(FIELDS[cond["field"]]) if cond.get("field") in FIELDS else {}
        if value not in labels:
            return value
        zh, en = labels[value]
        return bilingual(zh, en, code=None if value.lower() == en.lower() else value)

    rows = [{"path": c["path"], "condition": audiences.to_text(c["condition"]),
             "value": shown(c["condition"], c["value"]), "pass": "✓" if c["pass"] else "✗"}
            for c in res["conditions"]]
    verdict = "是成员 member" if res["member"] else "不是成员 not a member"
    emit(rows, fmt, title=f"{user_id} as of {res['as_of']}: {verdict}",
         headers={"path": "位置 Path", "condition": "条件 Condition", "value": "用户取值 User's value",
                  "pass": "成立 Holds"})


@audience_app.command()
def save(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The audience's name.")],
         where: Where = None, query: Query = None, as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """Save (or replace) a named audience and snapshot its members at the snapshot date."""
    from siyu import audiences

    ws = workspace(ctx)
    res = audiences.save(ws, name, _tree(ws, where, query), as_of, query=query)
    if fmt is Fmt.json:
        return emit(res, fmt)
    note(f"{'replaced' if res['replaced'] else 'saved'} audience {name!r}: {res['members']:,} members "
         f"as of {res['as_of']} (snapshot {res['snapshot_id']})")


@audience_app.command("list")
def list_cmd(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """The saved audiences, with their latest snapshot."""
    from siyu import audiences

    rows = audiences.list_saved(workspace(ctx))
    if fmt is Fmt.table:
        rows = [r | {"updated_at": _seconds(r["updated_at"])} for r in rows]
    emit(rows, fmt, title="已保存人群 Saved audiences",
         headers={"name": "名称 Name", "query": "条件 Query", "updated_at": "更新 Updated", "snapshots": "快照 Snapshots",
                  "last_as_of": "最近快照日 Last as of", "last_members": "最近人数 Last members"},
         kinds={"last_members": "count", "snapshots": "count"})
    if fmt is Fmt.table and not rows:
        note("no audience saved yet: `siyu audience save NAME --query TEXT`")


@audience_app.command()
def show(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The audience's name.")],
         fmt: FormatOpt = Fmt.table) -> None:
    """A saved audience: its definition (JSON and text) and its membership snapshots."""
    from siyu import audiences
    from siyu.cli._render import to_json

    res = audiences.show(workspace(ctx), name)
    if fmt is Fmt.json:
        return emit(res, fmt)
    console.print(f"[bold]{name}[/]: {res['query']}", highlight=False)
    print(to_json(res["definition"]))
    emit([{k: s[k] for k in ("snapshot_id", "as_of", "members", "purpose")} | {"created_at": _seconds(s["created_at"])}
          for s in res["snapshots"]],
         fmt, title="成员快照 Membership snapshots",
         headers={"snapshot_id": "快照 Snapshot", "as_of": "日期 As of", "members": "人数 Members",
                  "created_at": "创建 Created", "purpose": "用途 Purpose"}, kinds={"members": "count"})


@audience_app.command()
def export(ctx: typer.Context, name: Annotated[str, typer.Argument(help="The audience's name.")],
           out: Annotated[Path, typer.Option("--out", help="The file: .csv / .parquet / .jsonl (a user_id column) "
                                                           "or .txt (one user id a line: a 人群包 for platform tools).")],
           as_of: AsOf = None, fmt: FormatOpt = Fmt.table) -> None:
    """Write a saved audience's members at the snapshot date to a file, and snapshot them."""
    from siyu import audiences

    res = audiences.export(workspace(ctx), name, out, as_of)
    if fmt is Fmt.json:
        return emit(res, fmt)
    note(f"wrote {res['members']:,} members of {name!r} as of {res['as_of']} to {res['out']} "
         f"(snapshot {res['snapshot_id']})")


@audience_app.command()
def fields(fmt: FormatOpt = Fmt.table) -> None:
    """The fields a condition may test, with their kind, operators and values."""
    from siyu.audiences.fields import describe

    rows = describe()
    if fmt is Fmt.json:
        return emit(rows, fmt)
    rows = [r | {"ops": " ".join(r["ops"]), "values": ", ".join(r["values"])} for r in rows]
    emit(rows, fmt, title="人群字段 Audience fields",
         headers={"field": "字段 Field", "kind": "类型 Kind", "ops": "运算符 Operators", "values": "取值 Values",
                  "doc": "说明 Meaning"})


def _seconds(ts: Any) -> str:
    """A stored timestamp as people read it: to the second."""
    return ts.isoformat(sep=" ", timespec="seconds") if hasattr(ts, "isoformat") else str(ts)


def register(app: typer.Typer) -> None:
    """Add the ``audience`` command group to the root app."""
    app.add_typer(audience_app, name="audience")
