"""``siyu demo``: simulate a store, load it through the data contract, summarise and report.

The demo exercises the real path a merchant takes: files are written in the
contract's format, loaded with :meth:`Workspace.ingest` (validated, transactional),
then every model that exists is computed and the report is written.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from siyu.workspace import Workspace

__all__ = ["DEMO_DEFAULTS", "run_demo"]

#: sized to finish in about a minute on 2 cores (see BENCHMARKS.md)
DEMO_DEFAULTS = {"users": 200_000, "days": 365, "seed": 7}

Progress = Callable[[str, float], None]


def run_demo(workspace: str | Path | None = None, *, users: int = DEMO_DEFAULTS["users"],
             days: int = DEMO_DEFAULTS["days"], seed: int = DEMO_DEFAULTS["seed"], scenario: str = "default",
             report: str | Path | None = None, progress: Progress | None = None) -> dict[str, Any]:
    """Simulate, load, summarise and write the report.

    Parameters
    ----------
    workspace : str or Path, optional
        Workspace directory (created if needed; see :func:`siyu.workspace.resolve_workspace_path`).
    users, days, seed : int
        Size and seed of the simulated store.
    scenario : str
        A preset of :data:`siyu.simulate.SCENARIOS`.
    report : str or Path, optional
        Report path; default ``<workspace>/report.html``.
    progress : callable, optional
        ``progress(step, fraction)`` for a progress bar.

    Returns
    -------
    dict
        ``workspace``, ``loads`` (one :class:`~siyu.contract.loader.LoadResult` per table), ``summary``, ``report``.
    """
    from siyu import assets
    from siyu.assets.grow import grow
    import pyarrow.compute as pc

    from siyu._exceptions import InsufficientDataError
    from siyu.clv.runs import predict as clv_predict
    from siyu.contract.schema import TABLES
    from siyu.gain import diagnose, gain
    from siyu.report.sections_clv import clv_validation
    from siyu.link import link_plus
    from siyu.report import build_report
    from siyu.simulate import SCENARIOS, SimulationConfig, simulate_store, write_store
    from siyu.summary import store_summary

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
    step("summary", 0.8)
    summary = store_summary(ws)
    step("customer assets", 0.84)
    t = summary["as_of"]
    assets_out = {"aipl": assets.aipl_summary(ws, t), "pools": assets.pool_summary(ws, t),
                  "fast": assets.fast(ws, t), "grow": grow(ws, t, t - dt.timedelta(days=ws.config.model.grow_days))}
    assets.pool_transitions(ws, t - dt.timedelta(days=28), t)  # stored for audiences and reports
    step("GAIN and LINK+", 0.88)
    assets_out["gain"] = gain(ws, t)
    assets_out["diagnosis"] = diagnose(ws, assets_out["gain"])
    assets_out["link"] = link_plus(ws, t)
    step("CLV", 0.9)
    try:
        pred = clv_predict(ws, horizon_days=365, model="bgnbd", calibration_end=t, time_unit="W")
        table = pred.pop("table")
        assets_out["clv"] = {**pred, "customers": table.num_rows,
                             "predicted_clv_total": float(pc.sum(table.column("predicted_clv")).as_py()),
                             "p_alive_mean": float(pc.mean(table.column("p_alive")).as_py())}
        assets_out["clv_validation"] = clv_validation(ws, t)
    except InsufficientDataError as exc:  # a tiny demo store may have too few repeat buyers
        assets_out["clv"] = {"error": str(exc)}
    step("report", 0.95)
    out = build_report(ws, report or ws.path / "report.html", as_of=summary["as_of"], precomputed=assets_out)
    step("done", 1.0)
    return {"workspace": ws.path, "loads": loads, "summary": summary, "assets": assets_out, "report": out,
            "truth": truth}
