"""What every command of the ``siyu`` CLI shares: consoles, output formats, common options, the workspace.

A command is parse → call → format: it parses its options (the common ones are defined here once), calls
the core, and prints through :func:`emit` (tables, JSON or CSV) and :func:`show` (tables for people).
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

__all__ = ["AsOf", "FileFmt", "Fmt", "FormatOpt", "From", "Out", "PerUser", "ReportFmt", "console", "counts_rows", "emit",
           "err", "per_user_rows", "progress", "show", "workspace", "write_per_user"]

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
AsOf = Annotated[Optional[str], typer.Option("--as-of", help="Snapshot date YYYY-MM-DD. \\[default: last pay date]")]
From = Annotated[Optional[str], typer.Option("--from", help="Earlier date YYYY-MM-DD for transitions / flows.")]
PerUser = Annotated[bool, typer.Option("--per-user", help="One row per user instead of counts.")]
Out = Annotated[Optional[Path], typer.Option(
    "--out", help="Write the per-user rows to this file (.parquet, .csv, .jsonl); on Spark a Parquet directory "
                  "written by the executors.")]


def workspace(ctx: typer.Context):
    """The workspace chosen by ``--workspace`` / ``SIYU_WORKSPACE`` / the default directory, on the engine chosen
    by ``--engine`` / ``SIYU_ENGINE`` / ``[engine] name`` (with ``--data`` for Spark)."""
    from siyu.workspace import Workspace

    root = ctx.find_root()
    return Workspace(root.obj, engine=root.meta.get("siyu.engine"), data=root.meta.get("siyu.data"))


#: the widest a table is printed when stdout is not a terminal and $COLUMNS is not set
PIPE_MAX_WIDTH = 1000


def _sized(out: Console | None) -> tuple[Console, bool]:
    """``out`` (default: stdout) at ``$COLUMNS`` when it is set (read now: rich reads it once, when the console is
    made), and whether it is a pipe without ``$COLUMNS``, where output is printed at the width it needs."""
    out = out or console
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit():
        return (out if int(columns) == out.width else Console(file=out.file, width=int(columns))), False
    return out, not out.is_terminal


def show(*renderables: Any, out: Console | None = None) -> None:
    """Print tables for people on ``out`` (default: stdout).

    On a terminal, or with ``$COLUMNS`` set, at that width (a :class:`~siyu.cli._render.RowTable` too wide for it
    wraps its text or turns to one block per row). Piped or redirected without ``$COLUMNS`` (where rich would
    assume 80 columns), at the width the widest table needs, so that nothing is wrapped or cut.
    """
    from siyu.cli._render import RowTable

    out, piped = _sized(out)
    if piped:
        need = max((r.natural_width() for r in renderables if isinstance(r, RowTable)), default=0)
        if need > out.width:
            out = Console(file=out.file, width=min(need, PIPE_MAX_WIDTH))
    for r in renderables:
        out.print(r)


def note(text: str, out: Console | None = None) -> None:
    """Print a line of notes under a table: wrapped at the console's width on a terminal or with ``$COLUMNS``,
    left whole when piped (as :func:`show` prints tables)."""
    out, piped = _sized(out)
    out.print(text, highlight=False, soft_wrap=piped)


def emit(obj: Any, fmt: Fmt, *, title: str | None = None, **table: Any) -> None:
    """Print ``obj``: JSON for any object; a table or CSV for a list of rows.

    ``table`` goes to :func:`~siyu.cli._render.render_rows` (``columns``, ``table_columns``, ``headers``,
    ``kinds``).
    """
    from siyu.cli._render import render_rows, to_json

    if fmt is Fmt.json:
        print(to_json(obj))
    elif isinstance(obj, list):
        out = render_rows(obj, fmt.value, title=title, **table)
        print(out, end="") if isinstance(out, str) else show(out)
    else:
        raise AssertionError("non-list objects are printed as JSON only")


def per_user_rows(table: Any, fmt: Fmt, columns: list[str],
                  labels: dict[str, dict[str, tuple[str, str]]] | None = None) -> None:
    """Print a per-user Arrow table: every row as CSV or JSON, the first 50 as a table.

    ``labels`` (column -> code -> (Chinese, English)) label the codes of the table; CSV and JSON keep the codes.
    """
    table = table.select(columns)
    if fmt is Fmt.csv:
        import csv

        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(columns)
        cols = [table.column(c).to_pylist() for c in columns]
        w.writerows(zip(*cols))
    elif fmt is Fmt.json:
        emit(table.to_pylist(), fmt)
    else:
        from siyu.cli._render import bilingual, plural

        rows = table.slice(0, 50).to_pylist()
        for r in rows:
            for col, names in (labels or {}).items():
                if r.get(col) in names:
                    r[col] = bilingual(*names[r[col]], code=r[col] if len(r[col]) <= 2 else None)
        emit(rows, fmt, title=f"first {plural(len(rows), 'user')} of {table.num_rows:,} (use --format csv for all)")


def counts_rows(counts: dict[str, int], labels: dict[str, tuple[str, str]], total: int | None = None) -> list[dict]:
    """Rows ``label, label_zh, label_en, count, share`` of a counts dict."""
    total = total if total is not None else sum(counts.values())
    return [{"label": k, "label_zh": labels[k][0], "label_en": labels[k][1], "count": n,
             "share": (n / total if total else None)} for k, n in counts.items()]


class progress:
    """A rich progress bar on stderr driven by ``step(name, fraction)`` callbacks."""

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


def write_per_user(ws: Any, name: str, as_of: str | None, out: Path, columns: list[str]) -> None:
    """``--out``: write per-user model ``name`` to ``out`` and say how many rows went where."""
    from siyu.engine.sql import write_per_user as write

    n = write(ws, name, as_of, out, columns)
    note(f"wrote {n:,} rows to {out}", out=err)
