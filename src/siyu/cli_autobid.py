"""CLI of 全站推 auto-bidding: ``siyu autobid bench`` and ``siyu autobid advise`` (thin: parse, call, print)."""

from __future__ import annotations

import typer

from siyu.cli import app

autobid_app = typer.Typer(help="全站推 ROI-targeted auto-bidding: benchmark the bidders, advise on target ROI, "
                               "budget and products.", no_args_is_help=True)
app.add_typer(autobid_app, name="autobid")

from siyu import cli_autobid_bench as _bench  # noqa: E402,F401  (registers `bench`)
from siyu import cli_autobid_advise as _advise  # noqa: E402,F401  (registers `advise`)
