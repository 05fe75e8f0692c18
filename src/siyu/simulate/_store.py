"""Orchestration of one simulated store and writing it out (:func:`write_store`).

:func:`generate_store` is the core: it draws everything from the :class:`numpy.random.Generator` it is given.
:func:`simulate_store` is the entry point for a config: it turns ``config.seed`` into that generator, once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa

from siyu.contract.schema import TABLES
from siyu.simulate._behaviour import build_events
from siyu.simulate._calendar import Calendar
from siyu.simulate._catalog import BRANDS, CATEGORIES, NEW_DAYS, build_catalog
from siyu.simulate._config import SimulationConfig
from siyu.simulate._consents import (
    CONSENT_SHARES,
    build_consents,
    email_column,
    side_stream,
    text_v2_from,
)
from siyu.simulate._customers import (
    JOIN_CHANNELS,
    TX_SOURCES,
    Tx,
    build_follows,
    build_memberships,
    build_population,
    member_uplift_purchases,
    simulate_btyd,
)
from siyu.simulate._orders import TIER_NAMES, build_orders, tiers
from siyu.simulate._reach import CHANNELS as REACH_CHANNELS
from siyu.simulate._reach import run_campaigns
from siyu.simulate._tables import (
    consent_table,
    event_table,
    follow_table,
    id_arrays,
    membership_table,
    order_tables,
    reach_table,
    user_table,
)
from siyu.simulate._traffic import CHANNELS, channel_code
from siyu.simulate._truth import campaign_outcomes, realised, truth_tables

__all__ = ["TABLE_NAMES", "generate_store", "simulate_store", "write_store"]

TABLE_NAMES = tuple(TABLES)  # the contract tables, in load order
Progress = Callable[[str, float], None]


def simulate_store(config: SimulationConfig, *, progress: Progress | None = None) -> tuple[dict[str, pa.Table], dict]:
    """Simulate a Tmall brand store: the nine contract tables and the ground truth.

    All randomness comes from one ``numpy.random.Generator``, ``numpy.random.default_rng(config.seed)``
    (made here, once, and handed to :func:`generate_store`), drawn in a fixed order, so the same config
    gives identical tables. ``users.email`` and ``consents`` come from a side stream derived from that
    generator's state (:func:`siyu.simulate._consents.side_stream`), so they leave every other draw unchanged.
    Purchases follow BG/NBD (Fader, Hardie & Lee 2005) in seasonally warped operational time, spend per order
    Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999); see :class:`SimulationConfig`.

    Parameters
    ----------
    config : SimulationConfig
        The scenario; ``config.seed`` seeds the generator.
    progress : callable, optional
        Called as ``progress(step, fraction)`` after each stage, ``fraction`` rising to 1.0.

    Returns
    -------
    tables : dict of str to pyarrow.Table
        ``users, products, orders, order_items, events, follows, memberships, reach_log, consents`` with exactly
        the contract columns (docs/data.md) in contract order. Low-cardinality columns of the large tables (event type,
        channels, keyword type, message status, store id; the consent codes) are dictionary-encoded strings.
    truth : dict
        JSON-ready ground truth (every config value, BG/NBD and Gamma-Gamma parameters, seasonality,
        effects, campaigns, realised aggregates) plus ``truth["extra_tables"]``: Arrow tables
        ``truth_users``, ``truth_orders`` and ``truth_campaigns`` that :func:`write_store` writes as Parquet.
    """
    return generate_store(config, np.random.default_rng(config.seed), progress=progress)


def generate_store(config: SimulationConfig, rng: np.random.Generator, *,
                   progress: Progress | None = None) -> tuple[dict[str, pa.Table], dict]:
    """Simulate a Tmall brand store from an explicit generator (the core of :func:`simulate_store`).

    Parameters
    ----------
    config : SimulationConfig
        The scenario. Its ``seed`` is not used here (it is recorded in the truth as part of the config);
        :func:`simulate_store` is the call that turns it into ``rng``.
    rng : numpy.random.Generator
        Source of every draw, in a fixed order (advanced by the call); the same generator state gives
        identical tables, and ``numpy.random.default_rng(config.seed)`` gives :func:`simulate_store`'s.
        Emails and consents are drawn from a side stream derived from its state on entry, without drawing from it.
    progress : callable, optional
        Called as ``progress(step, fraction)`` after each stage, ``fraction`` rising to 1.0.

    Returns
    -------
    tables, truth
        As :func:`simulate_store`.

    Raises
    ------
    TypeError
        ``rng`` is not a :class:`numpy.random.Generator` (e.g. an int seed: use :func:`simulate_store`
        or pass ``numpy.random.default_rng(seed)``).
    """
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"generate_store: rng must be a numpy.random.Generator, got {type(rng).__name__} "
                        f"{rng!r}; pass numpy.random.default_rng(seed), or set config.seed and call simulate_store")

    def step(name: str, frac: float) -> None:
        if progress is not None:
            progress(name, frac)

    cfg = config
    side = side_stream(rng)  # emails and consents (issue 15): before any draw, and without drawing from rng
    cal = Calendar(cfg.start, cfg.days, cfg.prehistory_days)
    cat = build_catalog(cfg, cal, rng)
    step("catalog", 0.05)
    pop = build_population(cfg, cal, rng)
    first, repeat = simulate_btyd(cfg, cal, pop, rng)
    step("purchases", 0.15)
    base = Tx.concat([first, repeat])
    members = build_memberships(cfg, cal, pop, base, rng)
    follows = build_follows(cfg, cal, pop, members, rng)
    uplift = member_uplift_purchases(cfg, cal, pop, members, rng)
    step("relationships", 0.25)
    reach = run_campaigns(cfg, cal, pop, members, follows, rng)
    step("reach", 0.35)
    tx = Tx.concat([first, repeat, uplift, reach.extra])
    camp_channel = np.array([REACH_CHANNELS.index(c["channel"]) for c in reach.campaigns], np.int64)
    orders = build_orders(cfg, cal, cat, pop, tx, members, camp_channel, rng)
    tier = tiers(cfg, cal, orders, members)
    step("orders", 0.5)
    ev = build_events(cfg, cal, cat, pop, orders, members, follows, reach, rng)
    step("events", 0.75)
    uid = id_arrays(pop.n)
    registered = _first_seen(pop, ev, orders, members, follows)
    xhs_user = np.zeros(pop.n, bool)
    xhs_user[ev["user"][ev["channel"] == channel_code("xhs")]] = True
    email, has_email = email_column(side, pop.n)
    tables = {"users": user_table(rng, cal, pop, uid, registered, xhs_user, email), "products": cat.table}
    tables["orders"], tables["order_items"], oid = order_tables(cal, orders, uid)
    tables["events"] = event_table(cal, ev, uid)
    tables["follows"] = follow_table(cal, follows, uid)
    tables["memberships"] = membership_table(cal, members, tier, uid)
    tables["reach_log"] = reach_table(cal, reach, uid)
    tables["consents"] = consent_table(cal, build_consents(side, cal, pop, registered, members, reach, has_email), uid)
    tables = {k: tables[k] for k in TABLE_NAMES}
    step("tables", 0.9)
    bought = campaign_outcomes(reach, tx, cfg.message_window_days)
    repeats_total = np.bincount(repeat.user, minlength=pop.n)
    camp_ids = [c["campaign_id"] for c in reach.campaigns]
    extra = truth_tables(cal, pop, orders, oid, uid, members, follows, reach, bought, camp_ids, repeats_total, cfg.p)
    truth = _truth(cfg, cal, cat, tables, realised(cal, pop, orders, members, follows, len(ev["user"])), reach)
    truth["consents"] = {"shares": dict(CONSENT_SHARES), "text_v2_from": text_v2_from(cal),
                         "rules": "siyu.simulate._consents (module docstring); emails use reserved example domains"}
    truth["source_counts"] = {s: int((orders.source == i).sum()) for i, s in enumerate(TX_SOURCES)}
    truth["extra_tables"] = extra
    step("truth", 1.0)
    return tables, truth


def _first_seen(pop, ev, orders, members, follows) -> np.ndarray:
    """registered_at: the earliest of the active-period start, follows, joins, events and orders."""
    first = pop.act_lo.copy()
    for user, t in ((ev["user"], ev["t"]), (orders.user, orders.t), (members.user, members.lo),
                    (follows.user, follows.lo)):
        _min_at(first, user, t)
    return first


def _min_at(out: np.ndarray, user: np.ndarray, t: np.ndarray) -> None:
    o = np.lexsort((t, user))
    u, i = np.unique(user[o], return_index=True)
    out[u] = np.minimum(out[u], t[o][i])


def _truth(cfg: SimulationConfig, cal: Calendar, cat, tables: dict[str, pa.Table], real: dict, reach) -> dict:
    mean_spend = cfg.p * cfg.gamma / (cfg.q - 1)
    return {
        "generator": "siyu.simulate",
        "contract_version": 1,
        "scenario": cfg.scenario,
        "config": cfg.model_dump(mode="json"),
        "window": {"start": str(cal.dates[cal.prehistory]), "end_exclusive": str(cal.dates[-1] + 1),
                   "history_start": str(cal.dates[0]), "time_zone": "Asia/Shanghai (naive local wall clock)"},
        "btyd": {
            "model": "BG/NBD", "reference": "Fader, Hardie & Lee (2005), Marketing Science 24(2):275-284",
            "r": cfg.r, "alpha": cfg.alpha, "a": cfg.a, "b": cfg.b, "time_unit": "day",
            "mean_rate_per_day": cfg.r / cfg.alpha, "mean_dropout": cfg.a / (cfg.a + cfg.b),
            "time_axis": "operational time Lambda(t) of the daily intensity with amplitude purchase_seasonality "
                         "(calendar days when 0); first purchase at the acquisition time; dropout only after "
                         "repeat purchases",
            "expected_repeats": "E[X(t)] = (a+b-1)/(a-1) * (1 - (alpha/(alpha+t))^r * 2F1(r, b; a+b-1; t/(alpha+t)))",
            "extra_purchases_outside_btyd": ["member_uplift", "message"],
        },
        "gamma_gamma": {
            "reference": "Fader, Hardie & Lee (2005), JMR 42(4):415-430; Colombo & Jiang (1999)",
            "p": cfg.p, "q": cfg.q, "gamma": cfg.gamma, "currency": "CNY", "mean_spend": mean_spend,
            "note": "z ~ Gamma(shape p, rate nu_i), nu_i ~ Gamma(shape q, rate gamma); spend per purchase "
                    "transaction before splitting and refunds, times (1 + member_spend_uplift) for members",
        },
        "seasonality": {**cal.describe(), "purchase_amplitude": cfg.purchase_seasonality,
                        "acquisition_amplitude": cfg.acquisition_seasonality,
                        "traffic_amplitude": cfg.traffic_seasonality,
                        "daily_intensity": {
                            "first_date": str(cal.dates[0]),
                            "purchase": np.round(cal.intensity(cfg.purchase_seasonality), 4).tolist(),
                            "acquisition": np.round(cal.intensity(cfg.acquisition_seasonality), 4).tolist(),
                            "traffic": np.round(cal.intensity(cfg.traffic_seasonality), 4).tolist()}},
        "effects": {
            "member_rate_uplift": cfg.member_rate_uplift, "member_spend_uplift": cfg.member_spend_uplift,
            "member_engagement": cfg.member_engagement, "member_value_selection": cfg.member_value_selection,
            "message_effect": cfg.message_effect, "message_window_days": cfg.message_window_days,
            "message_effect_definition": "a delivered/opened/clicked message makes an alive buyer (acquired, not "
                                         "dropped out) place one extra purchase within the window with this "
                                         "probability; holdout users get no message",
            "vip_value_selection": cfg.vip_value_selection,
        },
        "membership": {"tiers": TIER_NAMES, "tier_thresholds_cny": {"V2": cfg.tier_silver_cny, "V3": cfg.tier_gold_cny},
                       "tier_rule": "net spend during the membership spell up to its end or the window end",
                       "join_channels": list(JOIN_CHANNELS), "join_threshold_cny": 0},
        "catalog": {"brands": list(BRANDS), "categories": [{"l1": c[0], "leaf": c[1], "typical_price": c[2]}
                                                            for c in CATEGORIES],
                    "skus": cat.n, "launched_in_window": cat.new_in_window, "new_product_days": NEW_DAYS},
        "channels": list(CHANNELS),
        "campaigns": reach.campaigns,
        "rows": {k: t.num_rows for k, t in tables.items()},
        "realised": real,
    }


def write_store(out_dir: str | Path, tables: dict[str, pa.Table], truth: dict, *,
                fmt: Literal["parquet", "csv", "jsonl"] = "parquet") -> dict[str, Path]:
    """Write ``<table>.<ext>`` for every table, ``truth.json`` and the truth tables as Parquet.

    Every file is written atomically through :mod:`siyu.engine.io` (:func:`~siyu.engine.io.write_table`:
    Parquet with zstd, CSV by pyarrow, JSON Lines by DuckDB's ``COPY``).

    Parameters
    ----------
    out_dir : str or Path
        Directory (created if missing).
    tables, truth
        As returned by :func:`simulate_store`.
    fmt : {"parquet", "csv", "jsonl"}
        Format of the contract tables (CSV: UTF-8 with a header row; JSON Lines: one object per row).

    Returns
    -------
    dict of str to Path
        Path of every file written, keyed by table name (plus ``truth`` and the truth tables).
    """
    from siyu.engine.io import atomic_path, write_table

    if fmt not in ("parquet", "csv", "jsonl"):
        raise ValueError(f"fmt must be 'parquet', 'csv' or 'jsonl', not {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name, table in tables.items():
        written[name] = write_table(table, out / f"{name}.{fmt}", fmt)
    extra = truth.get("extra_tables", {})
    for name, table in extra.items():
        written[name] = write_table(table, out / f"{name}.parquet", "parquet")
    doc = {k: v for k, v in truth.items() if k != "extra_tables"}
    doc["files"] = {k: p.name for k, p in written.items()}
    path = out / "truth.json"
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(doc, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    written["truth"] = path
    return written
