"""CLI commands of the data and workspace capability: init, ingest, tables, export, summary, report, simulate,
demo, config, forget (thin: parse, call, print)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu.cli._common import (
    FileFmt,
    Fmt,
    FormatOpt,
    ReportFmt,
    console,
    emit,
    err,
    progress,
    workspace,
)

commands = typer.Typer()


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.registered_commands += commands.registered_commands


@commands.command()
def init(ctx: typer.Context) -> None:
    """Create the workspace (directory, DuckDB file, siyu.toml, key); an existing one is kept."""
    from siyu.workspace import Workspace

    ws = Workspace.init(ctx.obj)
    console.print(f"workspace ready: {ws.path}")


@commands.command()
def ingest(ctx: typer.Context,
           table: Annotated[str, typer.Argument(help="Contract table: users, products, orders, order_items, events, "
                                                     "follows, memberships, reach_log, consents.")],
           file: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON Lines file (format from the extension).")],
           encoding: Annotated[str, typer.Option(
               "--encoding", help="Encoding of a CSV / JSON Lines file: utf-8, gbk, gb18030, utf-8-sig or any codec "
                                  "Python knows (Excel exports from Chinese systems are often GBK/GB18030); "
                                  "Parquet ignores it.")] = "utf-8",
           fmt: FormatOpt = Fmt.table) -> None:
    """Validate FILE against the data contract and load it into TABLE (one transaction, idempotent)."""
    from rich.markup import escape

    from siyu.cli._render import plural

    with err.status(f"validating and loading {escape(str(file))} into {escape(table)} …"):
        res = workspace(ctx).ingest(table, file, encoding=encoding)
    if fmt is Fmt.table:
        dropped = res.duplicates_dropped
        console.print(f"[green]loaded[/] {escape(str(res.table))} from {escape(str(res.file))}: "
                      f"{plural(res.rows, 'row')} — {res.inserted:,} new, {res.replaced:,} replaced, "
                      f"{res.unchanged:,} unchanged"
                      + (f", {plural(dropped, 'exact duplicate')} dropped" if dropped else "")
                      + f" ({res.seconds:.2f} s)")
    else:
        emit([res.as_dict()], fmt)


@commands.command()
def tables(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List the contract tables with row counts and date ranges."""
    info = workspace(ctx).tables()
    if fmt is Fmt.json:
        emit(info, fmt)
    else:
        emit([{"table": k, **v} for k, v in info.items()], fmt, title="siyu tables 数据表",
             kinds={"rows": "count"})


@commands.command()
def export(ctx: typer.Context,
           table: Annotated[Optional[str], typer.Argument(
               help="Contract table to export (with --all: the output directory).", show_default=False)] = None,
           file: Annotated[Optional[Path], typer.Argument(help="Output file: .parquet, .csv or .jsonl.",
                                                          show_default=False)] = None,
           all_: Annotated[bool, typer.Option("--all", help="Every contract table into the directory given, "
                                                            "one <table>.<ext> file each.")] = False,
           file_format: Annotated[FileFmt, typer.Option("--format", "-f", help="File format with --all.")
                                  ] = FileFmt.parquet,
           unmask: Annotated[bool, typer.Option(help="Write personal data in clear (for a round trip).")] = False
           ) -> None:
    """Write TABLE to FILE in the contract's columns, or with --all every table into DIR (personal data masked
    unless --unmask): siyu export orders orders.csv; siyu export --all --format parquet DIR."""
    from siyu._exceptions import ConfigError
    from siyu.cli._render import plural

    if all_:
        if table is None or file is not None:
            raise ConfigError("siyu export --all takes one directory: siyu export --all --format parquet DIR")
        from siyu.contract.exchange import export_all

        written = export_all(workspace(ctx), Path(table), file_format.value, unmask=unmask)
        for name, (path, n) in written.items():
            console.print(f"exported {plural(n, 'row')} of {name} to {path}", highlight=False)
        return
    if table is None or file is None:
        raise ConfigError("siyu export takes a table and a file (siyu export orders orders.csv), or --all DIR")
    n = workspace(ctx).export(table, file, unmask=unmask)
    console.print(f"exported {plural(n, 'row')} of {table} to {file}")


@commands.command()
def summary(ctx: typer.Context,
            as_of: Annotated[Optional[str], typer.Option("--as-of", help="Snapshot date YYYY-MM-DD. \\[default: last pay date]")] = None,
            fmt: FormatOpt = Fmt.table) -> None:
    """Headline KPIs of the store over the 365 days ending --as-of."""
    from siyu.cli._render import bilingual, kind_of
    from siyu.metrics import KPI_LABELS, store_summary

    s = store_summary(workspace(ctx), as_of)
    if fmt is Fmt.json:
        emit({"as_of": s["as_of"], "window_days": s["window_days"], "kpis": s["kpis"]}, fmt)
    else:
        emit([{"kpi": k, "label_zh": KPI_LABELS[k][0], "label_en": KPI_LABELS[k][1], "name": bilingual(*KPI_LABELS[k]),
               "value": v} for k, v in s["kpis"].items()], fmt, title=f"store summary 店铺概览 as of {s['as_of']}",
             columns=["kpi", "label_zh", "label_en", "value"], table_columns=["name", "value"],
             headers={"name": "指标 KPI"}, kinds={"value": lambda r: kind_of(r["kpi"]) or "count"})


@commands.command()
def report(ctx: typer.Context,
           out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path("report.html"),
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="Snapshot date YYYY-MM-DD. \\[default: last pay date]")] = None,
           fmt: Annotated[ReportFmt, typer.Option("--format", "-f", help="html, or pdf (printed by headless Chromium).")] = None
           ) -> None:
    """Write the self-contained HTML report (charts, bilingual labels; works offline), or a PDF of it."""
    from siyu.pipeline import compute_snapshot
    from siyu.report import build_report, html_to_pdf

    fmt = fmt or (ReportFmt.pdf if out.suffix.lower() == ".pdf" else ReportFmt.html)
    with progress() as step:
        snap = compute_snapshot(workspace(ctx), as_of, progress=step)
    if fmt is ReportFmt.pdf:
        path = html_to_pdf(build_report(snap, out.with_suffix(".html")), out)
    else:
        path = build_report(snap, out)
    console.print(f"report written: {path}")


@commands.command()
def simulate(users: Annotated[int, typer.Option(min=1, help="Number of users.")] = 20_000,
             days: Annotated[int, typer.Option(min=1, help="Days simulated.")] = 365,
             seed: Annotated[int, typer.Option(help="Seed of the numpy Generator.")] = 7,
             out: Annotated[Path, typer.Option(help="Output directory.")] = Path("siyu-sim"),
             scenario: Annotated[str, typer.Option(help="Scenario preset (default, weak_membership, …).")] = "default",
             file_format: Annotated[FileFmt, typer.Option("--file-format", help="File format of the tables.")] = FileFmt.parquet
             ) -> None:
    """Simulate a Tmall-like brand store: every contract table plus truth.json."""
    from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store

    if scenario not in SCENARIOS:
        raise typer.BadParameter(f"unknown scenario {scenario!r}; choose from {', '.join(SCENARIOS)}")
    cfg = SimulationConfig(**{**SCENARIOS[scenario], "users": users, "days": days, "seed": seed})
    with progress() as step:
        tables_, truth = simulate_store(cfg, progress=step)
        files = write_store(out, tables_, truth, fmt=file_format.value)
    from siyu.cli._render import plural

    width = max(map(len, files), default=0)
    for name, path in files.items():
        n = tables_[name].num_rows if name in tables_ else None
        rows = "" if n is None else plural(n, "row")
        console.print(f"{name:<{width}} {rows:>17}  {path}", highlight=False, markup=False)


@commands.command()
def demo(ctx: typer.Context,
         users: Annotated[Optional[int], typer.Option(min=100, help="Simulated users. \\[default: 200,000]")] = None,
         days: Annotated[int, typer.Option(min=30, help="Simulated days.")] = 365,
         seed: Annotated[int, typer.Option(help="Seed.")] = 7,
         scenario: Annotated[str, typer.Option(help="Scenario preset.")] = "default") -> None:
    """Simulate a store, load it into the workspace, print the summary and write the report."""
    from siyu.cli._demo_view import print_demo
    from siyu.pipeline.demo import DEMO_DEFAULTS, run_demo
    from siyu.report import build_report

    with progress() as step:
        res = run_demo(ctx.obj, users=users or DEMO_DEFAULTS["users"], days=days, seed=seed, scenario=scenario,
                       progress=lambda name, frac: step(name, 0.95 * frac))
        step("report", 0.95)
        res["report"] = build_report(res["snapshot"], res["workspace"] / "report.html")
    print_demo(console, res)


@commands.command()
def config(ctx: typer.Context) -> None:
    """Print the workspace's effective configuration (siyu.toml with every default filled in)."""
    from siyu.config import dump_config

    print(dump_config(workspace(ctx).config), end="")


@commands.command()
def forget(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user to erase.")]) -> None:
    """Erase a user on request (PIPL): delete personal data and anonymise their rows in every table."""
    changed = workspace(ctx).forget(user_id)
    console.print("erased: " + ", ".join(f"{k} {v}" for k, v in changed.items()))
