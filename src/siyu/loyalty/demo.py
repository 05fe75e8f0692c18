"""The demo's loyalty program: the growth-type membership written to ``<workspace>/loyalty.toml`` (a file the
merchant can edit and run again with ``siyu loyalty run --program``), run at the last pay date."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["DEMO_PROGRAM", "run_demo_loyalty"]

#: the demo's program (seed 001's growth-type membership, with a third tier)
DEMO_PROGRAM = """\
# 成长型会员: tiers from the net spend of the last 365 days; upgrades at once, downgrades at monthly reviews.
# Rules: docs/loyalty.md. Run again with: siyu loyalty run --program loyalty.toml
[program]
name = "成长型会员"
basis = "spend"
window_days = 365
review = "monthly"

[points]
points_per_yuan = 1
expire = "end_of_next_year"

[[tiers]]
name = "银卡"
threshold = 500
discount = 0.95
benefits = ["free_trial"]

[[tiers]]
name = "金卡"
threshold = 2000
keep = 1500
discount = 0.90
multiplier = 1.5
benefits = ["advisor"]

[[tiers]]
name = "黑金卡"
threshold = 5000
keep = 4000
discount = 0.85
multiplier = 2
benefits = ["advisor", "early_access"]
"""


def run_demo_loyalty(ws: Workspace, last: dt.date) -> dict[str, Any]:
    """Write the demo program beside the workspace's database and run it at ``last``; the run's summary."""
    from siyu.loyalty import run

    path = ws.path / "loyalty.toml"
    path.write_text(DEMO_PROGRAM, encoding="utf-8")
    return {**run(ws, path, last), "file": str(path)}
