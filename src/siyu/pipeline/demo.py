"""``siyu demo``: simulate a store, load it through the data contract and compute every result.

The demo exercises the real path a merchant takes: files are written in the contract's format, loaded
with :meth:`Workspace.ingest` (validated, transactional), the results audiences use are stored (pool
transitions, CLV predictions), three example audiences are saved (:data:`DEMO_AUDIENCES`), two campaigns are
planned and sent (:data:`siyu.reach.demo.DEMO_CAMPAIGNS`: a 人群包 export and a webhook to a local receiver), a
tier program is run (:data:`siyu.loyalty.demo.DEMO_PROGRAM`, written to ``loyalty.toml``), offers are loaded
and one quote made (:mod:`siyu.offers.demo`), and the snapshot
is computed once; the adapter (``siyu demo``) prints it and writes the report from it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from siyu._exceptions import InsufficientDataError
from siyu.workspace import Workspace

__all__ = ["DEMO_AUDIENCES", "DEMO_DEFAULTS", "run_demo"]

#: sized to finish in about a minute on 2 cores (see BENCHMARKS.md)
DEMO_DEFAULTS = {"users": 200_000, "days": 365, "seed": 7}

#: audiences the demo saves (name -> text form), shown in the report's audience section
DEMO_AUDIENCES = {
    "高意向潜客": "customer_pool = 潜客 and event.add_cart(30d) >= 1",
    "待唤醒老客": "customer_pool = 流失老客 and event.visit(90d) >= 1",
    "复购会员": "is_member and orders.days(365d) >= 2",
}

Progress = Callable[[str, float], None]


def run_demo(workspace: str | Path | None = None, *, users: int = DEMO_DEFAULTS["users"],
             days: int = DEMO_DEFAULTS["days"], seed: int = DEMO_DEFAULTS["seed"], scenario: str = "default",
             progress: Progress | None = None) -> dict[str, Any]:
    """Simulate, load, store the results audiences use, and compute the snapshot a report renders.

    Parameters
    ----------
    workspace : str or Path, optional
        Workspace directory (created if needed; see :func:`siyu.workspace.resolve_workspace_path`).
    users, days, seed : int
        Size and seed of the simulated store.
    scenario : str
        A preset of :data:`siyu.simulate.SCENARIOS`.
    progress : callable, optional
        ``progress(step, fraction)`` for a progress bar.

    Returns
    -------
    dict
        ``workspace``, ``loads`` (one :class:`~siyu.contract.loader.LoadResult` per table), ``summary`` (store
        KPIs), ``snapshot`` (every result, see :func:`siyu.pipeline.compute_snapshot`, plus ``clv``: the
        prediction run's parameters and totals) and ``truth`` (the simulator's truth).
    """
    import datetime as dt

    from siyu.assets import pool_transitions
    from siyu.clv.runs import predict as clv_predict
    from siyu.clv.runs import prediction_summary
    from siyu.contract.schema import TABLES
    from siyu.pipeline.snapshot import compute_snapshot
    from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store

    step = progress or (lambda name, frac: None)
    ws = Workspace.init(workspace)
    cfg = SimulationConfig(**{**SCENARIOS[scenario], "users": users, "days": days, "seed": seed})
    tables, truth = simulate_store(cfg, progress=lambda name, frac: step(f"simulate: {name}", 0.4 * frac))
    loads = []
    with tempfile.TemporaryDirectory(prefix="siyu-demo-") as tmp:
        files = write_store(tmp, tables, truth, fmt="parquet")
        del tables
        for i, name in enumerate(TABLES):
            step(f"ingest {name}", 0.4 + 0.4 * i / len(TABLES))
            loads.append(ws.ingest(name, files[name]))
    t = ws.last_date()
    step("stored results", 0.8)
    pool_transitions(ws, t - dt.timedelta(days=28), t)  # stored for audiences and reports
    clv: dict[str, Any]
    try:
        pred = clv_predict(ws, horizon_days=365, model="bgnbd", calibration_end=t, time_unit="W")
        clv = {**pred, **prediction_summary(pred.pop("table"))}
    except InsufficientDataError as exc:  # a tiny demo store may have too few repeat buyers
        clv = {"error": str(exc)}
    from siyu import audiences

    for name, query in DEMO_AUDIENCES.items():
        audiences.save(ws, name, audiences.parse(query), t, query=query)
    step("campaigns", 0.82)
    from siyu.reach.demo import run_demo_reach

    reach = run_demo_reach(ws, t, seed)
    step("loyalty", 0.84)
    from siyu.loyalty.demo import run_demo_loyalty

    loyalty = run_demo_loyalty(ws, t)
    from siyu.offers.demo import run_demo_offers

    loyalty["offers"] = run_demo_offers(ws, t)
    snap = compute_snapshot(ws, t, progress=lambda name, frac: step(name, 0.85 + 0.10 * frac))
    snap["clv"] = clv
    snap["demo_reach"] = reach
    snap["demo_loyalty"] = loyalty
    step("done", 1.0)
    return {"workspace": ws.path, "loads": loads, "summary": snap["summary"], "snapshot": snap, "truth": truth}
