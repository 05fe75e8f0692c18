"""The ``siyu`` command line: a thin adapter over the core (parse, call, print).

One module per capability (:mod:`siyu.cli.data`, :mod:`siyu.cli.assets`, …) adds its commands through
``register(app)``; which modules exist is read from the capability registry (:mod:`siyu.registry`), so
adding a capability needs no edit here. Common options and output live in :mod:`siyu.cli._common`.
"""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from siyu import __version__
from siyu._exceptions import SiyuError
from siyu.cli._common import console, err

__all__ = ["app", "main"]

app = typer.Typer(name="siyu", no_args_is_help=True, add_completion=False,
                  help="siyu 私域 — private-domain customer operations for e-commerce merchants.")


class EngineName(str, Enum):
    duckdb = "duckdb"
    spark = "spark"


def _version(value: bool) -> None:
    if value:
        console.print(f"siyu {__version__}")
        raise typer.Exit()


@app.callback()
def _root(ctx: typer.Context,
          workspace: Annotated[Optional[Path], typer.Option(
              "--workspace", "-w", envvar="SIYU_WORKSPACE",
              help="Workspace directory. \\[default: ./siyu-workspace]")] = None,
          engine: Annotated[Optional[EngineName], typer.Option(
              "--engine", envvar="SIYU_ENGINE", help="Engine that runs the models. \\[default: the \\[engine] name setting, "
                                                     "else duckdb]")] = None,
          data: Annotated[Optional[str], typer.Option(
              "--data", envvar="SIYU_DATA", help="Spark: directory or lake URI of the contract tables as Parquet.")
          ] = None,
          version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Show the version and exit.")] = False) -> None:
    ctx.obj = workspace
    ctx.meta["siyu.engine"] = engine.value if engine else None
    ctx.meta["siyu.data"] = data


def _register_capabilities() -> None:
    from siyu.registry import capabilities, load

    for cap in capabilities():
        if cap.cli:
            load(cap.cli).register(app)


_register_capabilities()


def main() -> None:
    """Console-script entry point: run the app, map siyu errors to messages and exit codes."""
    try:
        app(prog_name="siyu")  # standalone mode: usage errors print their message and exit 2
    except SiyuError as exc:
        from rich.markup import escape

        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
