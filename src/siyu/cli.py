"""The ``siyu`` command line: a thin adapter over :class:`siyu.Workspace` (parse, call, print)."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from siyu import __version__
from siyu._exceptions import SiyuError

app = typer.Typer(name="siyu", no_args_is_help=True, add_completion=False,
                  help="siyu 私域 — private-domain customer operations for e-commerce merchants.")
console = Console()
err = Console(stderr=True)


class Fmt(str, Enum):
    table = "table"
    json = "json"
    csv = "csv"


class ReportFmt(str, Enum):
    html = "html"
    pdf = "pdf"


class FileFmt(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


FormatOpt = Annotated[Fmt, typer.Option("--format", "-f", help="Output format.")]


def _version(value: bool) -> None:
    if value:
        console.print(f"siyu {__version__}")
        raise typer.Exit()


@app.callback()
def _root(ctx: typer.Context,
          workspace: Annotated[Optional[Path], typer.Option(
              "--workspace", "-w", envvar="SIYU_WORKSPACE",
              help="Workspace directory [default: ./siyu-workspace].")] = None,
          version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    ctx.obj = workspace


def _ws(ctx: typer.Context):
    from siyu.workspace import Workspace

    return Workspace(ctx.obj)


def _emit(obj, fmt: Fmt, *, title: str | None = None) -> None:
    from siyu._render import render_rows, to_json

    if fmt is Fmt.json:
        print(to_json(obj))
    elif isinstance(obj, list):
        out = render_rows(obj, fmt.value, title=title)
        print(out, end="") if isinstance(out, str) else console.print(out)
    else:
        raise AssertionError("non-list objects are printed as JSON only")


@app.command()
def init(ctx: typer.Context) -> None:
    """Create the workspace (directory, DuckDB file, siyu.toml, key); an existing one is kept."""
    from siyu.workspace import Workspace

    ws = Workspace.init(ctx.obj)
    console.print(f"workspace ready: {ws.path}")


@app.command()
def ingest(ctx: typer.Context,
           table: Annotated[str, typer.Argument(help="Contract table: users, products, orders, order_items, events, "
                                                     "follows, memberships, reach_log.")],
           file: Annotated[Path, typer.Argument(help="CSV, Parquet or JSON Lines file (format from the extension).")],
           fmt: FormatOpt = Fmt.table) -> None:
    """Validate FILE against the data contract and load it into TABLE (one transaction, idempotent)."""
    with err.status(f"validating and loading {file} into {table} …"):
        res = _ws(ctx).ingest(table, file)
    if fmt is Fmt.table:
        console.print(f"[green]loaded[/] {res.table} from {res.file}: {res.rows:,} rows — {res.inserted:,} new, "
                      f"{res.replaced:,} replaced, {res.unchanged:,} unchanged"
                      + (f", {res.duplicates_dropped:,} exact duplicates dropped" if res.duplicates_dropped else "")
                      + f" ({res.seconds:.2f} s)")
    else:
        _emit([res.as_dict()], fmt)


@app.command()
def tables(ctx: typer.Context, fmt: FormatOpt = Fmt.table) -> None:
    """List the contract tables with row counts and date ranges."""
    info = _ws(ctx).tables()
    if fmt is Fmt.json:
        _emit(info, fmt)
    else:
        _emit([{"table": k, **v} for k, v in info.items()], fmt, title="siyu tables 数据表")


@app.command()
def export(ctx: typer.Context,
           table: Annotated[str, typer.Argument(help="Contract table to export.")],
           file: Annotated[Path, typer.Argument(help="Output file: .parquet, .csv or .jsonl.")],
           unmask: Annotated[bool, typer.Option(help="Write personal data in clear (for a round trip).")] = False
           ) -> None:
    """Write TABLE to FILE in the contract's columns (personal data masked unless --unmask)."""
    n = _ws(ctx).export(table, file, unmask=unmask)
    console.print(f"exported {n:,} rows of {table} to {file}")


@app.command()
def summary(ctx: typer.Context,
            as_of: Annotated[Optional[str], typer.Option("--as-of", help="Snapshot date YYYY-MM-DD [default: last pay date].")] = None,
            fmt: FormatOpt = Fmt.table) -> None:
    """Headline KPIs of the store over the 365 days ending --as-of."""
    from siyu.summary import KPI_LABELS, store_summary

    s = store_summary(_ws(ctx), as_of)
    if fmt is Fmt.json:
        _emit({"as_of": s["as_of"], "window_days": s["window_days"], "kpis": s["kpis"]}, fmt)
    else:
        _emit([{"kpi": k, "label_zh": KPI_LABELS[k][0], "label_en": KPI_LABELS[k][1], "value": v}
               for k, v in s["kpis"].items()], fmt, title=f"store summary 店铺概览 as of {s['as_of']}")


@app.command()
def report(ctx: typer.Context,
           out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")] = Path("report.html"),
           as_of: Annotated[Optional[str], typer.Option("--as-of", help="Snapshot date YYYY-MM-DD [default: last pay date].")] = None,
           fmt: Annotated[ReportFmt, typer.Option("--format", "-f", help="html, or pdf (printed by headless Chromium).")] = None
           ) -> None:
    """Write the self-contained HTML report (charts, bilingual labels; works offline), or a PDF of it."""
    from siyu.report import build_report, html_to_pdf

    fmt = fmt or (ReportFmt.pdf if out.suffix.lower() == ".pdf" else ReportFmt.html)
    if fmt is ReportFmt.pdf:
        html_path = build_report(_ws(ctx), out.with_suffix(".html"), as_of=as_of)
        path = html_to_pdf(html_path, out)
    else:
        path = build_report(_ws(ctx), out, as_of=as_of)
    console.print(f"report written: {path}")


@app.command()
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
    with _progress() as step:
        tables_, truth = simulate_store(cfg, progress=step)
        files = write_store(out, tables_, truth, fmt=file_format.value)
    for name, path in files.items():
        n = tables_[name].num_rows if name in tables_ else None
        console.print(f"{name:<12} {'' if n is None else f'{n:>12,} rows'}  {path}")


@app.command()
def demo(ctx: typer.Context,
         users: Annotated[Optional[int], typer.Option(min=100, help="Simulated users [default: 200,000].")] = None,
         days: Annotated[int, typer.Option(min=30, help="Simulated days.")] = 365,
         seed: Annotated[int, typer.Option(help="Seed.")] = 7,
         scenario: Annotated[str, typer.Option(help="Scenario preset.")] = "default") -> None:
    """Simulate a store, load it into the workspace, print the summary and write the report."""
    from siyu.demo import DEMO_DEFAULTS, run_demo
    from siyu.demo_view import print_demo

    with _progress() as step:
        res = run_demo(ctx.obj, users=users or DEMO_DEFAULTS["users"], days=days, seed=seed, scenario=scenario,
                       progress=step)
    print_demo(console, res)


@app.command()
def config(ctx: typer.Context) -> None:
    """Print the workspace's effective configuration (siyu.toml with every default filled in)."""
    from siyu.config import dump_config

    print(dump_config(_ws(ctx).config), end="")


@app.command()
def forget(ctx: typer.Context, user_id: Annotated[str, typer.Argument(help="The user to erase.")]) -> None:
    """Erase a user on request (PIPL): delete personal data and anonymise their rows in every table."""
    changed = _ws(ctx).forget(user_id)
    console.print("erased: " + ", ".join(f"{k} {v}" for k, v in changed.items()))


from siyu import cli_assets as _cli_assets  # noqa: E402,F401  (registers the customer-asset commands)
from siyu import cli_health as _cli_health  # noqa: E402,F401  (registers gain and link)
from siyu import cli_clv as _cli_clv  # noqa: E402,F401  (registers the clv group)
from siyu import cli_autobid as _cli_autobid  # noqa: E402,F401  (registers the autobid group)


class _progress:
    """A rich progress bar driven by ``step(name, fraction)`` callbacks."""

    def __enter__(self):
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self._p = Progress(TextColumn("{task.description:<32}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                           TimeElapsedColumn(), console=err, transient=False)
        self._p.start()
        self._task = self._p.add_task("start", total=1.0)
        return lambda name, frac: self._p.update(self._task, description=name, completed=frac)

    def __exit__(self, *exc):
        self._p.update(self._task, completed=1.0)
        self._p.stop()


def main() -> None:
    """Console-script entry point: run the app, map siyu errors to messages and exit codes."""
    try:
        app(prog_name="siyu")  # standalone mode: usage errors print their message and exit 2
    except SiyuError as exc:
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
