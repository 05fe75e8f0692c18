"""Data coverage: FAST changes and GAIN trend months whose look-back windows the loaded logs do not cover.

Small hand-built stores with known first and last dates per log (orders, events, reach_log), snapshot
T = 2024-12-31. The rule (docs/customer-assets.md "Comparable periods", docs/gain.md "Trend comparability"): a
window starting before its log's first date or after its last date makes the value not comparable.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from siyu import SiyuConfig, Workspace
from siyu.assets import FAST_LABELS, fast
from siyu.metrics.coverage import data_coverage, uncovered, windows
from siyu.config import ModelConfig
from siyu.health.gain import INDICATORS, gain, indicator_score, indicators_at, trend

from conftest import run_cli

T = dt.date(2024, 12, 31)
DAY = dt.timedelta(days=1)


def at(d: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(d, dt.time(hour))


def days(first: dt.date, last: dt.date, step: int):
    d = first
    while d <= last:
        yield d
        d += step * DAY


def _load(ws: Workspace, orders, events=(), members=(), reach=()) -> None:
    with ws.session() as c:
        c.executemany("INSERT INTO orders (order_id, user_id, paid_at, amount, refund_amount) VALUES (?, ?, ?, ?, 0)",
                      [(f"o{i}", u, at(d), 100) for i, (u, d) in enumerate(orders)])
        if events:
            c.executemany("INSERT INTO events (event_id, user_id, ts, type) VALUES (?, ?, ?, ?)",
                          [(f"e{i}", u, at(d), kind) for i, (u, d, kind) in enumerate(events)])
        if members:
            c.executemany("INSERT INTO memberships (user_id, joined_at) VALUES (?, ?)",
                          [(u, at(d)) for u, d in members])
        if reach:
            c.executemany("INSERT INTO reach_log (message_id, user_id, ts, channel, status) "
                          "VALUES (?, ?, ?, 'sms', 'delivered')", [(f"m{i}", u, at(d)) for i, (u, d) in enumerate(reach)])


# --- FAST -----------------------------------------------------------------------------------------------------------

ORDERS_FROM = dt.date(2022, 12, 1)


def _fast_store(root, events_from: dt.date, p_days: int | None = 365) -> Workspace:
    """Orders every few days from 2022-12-01 to T; visits and add-to-carts from ``events_from`` to T."""
    cfg = SiyuConfig(model=ModelConfig(p_days=p_days)) if p_days else None
    ws = Workspace.init(root, config=cfg)
    # the buyer pool grows over time, so F differs between the snapshots
    orders = [(f"b{i % (8 + i // 8)}", d) for i, d in enumerate(days(ORDERS_FROM, T, 3))] + [("b0", T)]
    events = []
    for i, d in enumerate(days(events_from, T, 1)):
        events.append((f"v{i % 25}", d, "visit"))
        events.append((f"b{(i * 7) % 40}", d, "add_cart"))
    members = [(f"b{i}", dt.date(2022, 12, 15)) for i in range(0, 40, 3)] + [(f"b{i}", dt.date(2024, 3, 1))
                                                                            for i in range(1, 40, 3)]
    _load(ws, orders, events, members)
    return ws


@pytest.fixture(scope="module")
def fast_stores(tmp_path_factory):
    root = tmp_path_factory.mktemp("fastcov")
    stores = {"late": _fast_store(root / "late", dt.date(2024, 6, 1)),      # events start after the year-ago window
              "early": _fast_store(root / "early", dt.date(2023, 6, 1)),    # both periods covered
              "p913": _fast_store(root / "p913", dt.date(2023, 6, 1), p_days=None)}
    yield stores
    for ws in stores.values():
        ws.close()


def _rel(now, before):
    return (now - before) / before if before else None


def test_fast_yoy_is_null_and_flagged_when_events_start_after_the_year_ago_windows(fast_stores):
    ws = fast_stores["late"]
    res = fast(ws, T)
    assert res["coverage"]["events"] == {"from": dt.date(2024, 6, 1), "to": T}
    assert res["coverage"]["orders"] == {"from": ORDERS_FROM, "to": T}
    for k in ("F", "A", "A_could_deepen", "ai_to_p_rate", "T"):
        yoy = res["change"][k]["yoy"]
        assert yoy["abs"] is None and yoy["rel"] is None, k
        assert yoy["comparable"] is False and "no events before 2024-06-01" in yoy["reason"], k
    # the year-ago snapshot itself is still reported (its values are what they are)
    assert res["year_ago"]["F"] > 0
    # S counts member spells: no look-back, always comparable
    s = res["change"]["S"]["yoy"]
    assert s["comparable"] is True and s["reason"] is None
    assert s["rel"] == pytest.approx(_rel(res["current"]["S"], res["year_ago"]["S"]))
    # PoP: T-30 reads events from 2024-11-17 and orders from 2023-12-03, both covered
    for k in ("F", "T"):
        pop = res["change"][k]["pop"]
        assert pop["comparable"] is True and pop["reason"] is None
        assert pop["abs"] == pytest.approx(res["current"][k] - res["previous"][k])


def test_fast_yoy_is_a_number_when_both_periods_are_covered(fast_stores):
    res = fast(fast_stores["early"], T)
    for k in FAST_LABELS:
        yoy = res["change"][k]["yoy"]
        assert yoy["comparable"] is True and yoy["reason"] is None, k
        expected = _rel(res["current"][k], res["year_ago"][k])
        assert yoy["rel"] == (None if expected is None else pytest.approx(expected)), k
    assert res["change"]["F"]["yoy"]["abs"] == res["current"]["F"] - res["year_ago"]["F"] != 0


def test_fast_p_window_needs_913_days_of_orders_before_the_earlier_snapshot(fast_stores):
    res = fast(fast_stores["p913"], T)  # default p_days = 913, orders from 2022-12-01
    pop = res["change"]["F"]["pop"]
    assert pop["rel"] is None and pop["comparable"] is False
    assert pop["reason"] == "no orders before 2022-12-01 (needed from 2022-06-03)"  # T-30-912
    assert res["change"]["S"]["pop"]["comparable"] is True


def test_fast_json_keeps_its_keys_and_adds_the_flags(fast_stores):
    fast_stores["late"].close()  # release the database to the CLI process (reopened on demand)
    out = run_cli("-w", str(fast_stores["late"].path), "fast", "--format", "json")
    assert out.returncode == 0, out.stderr
    f = json.loads(out.stdout)
    assert set(f) >= {"as_of", "current", "previous", "year_ago", "change", "coverage"}
    for k, ch in f["change"].items():
        for kind in ("pop", "yoy"):
            assert set(ch[kind]) == {"abs", "rel", "comparable", "reason"}, (k, kind)
    assert f["change"]["F"]["yoy"] == {"abs": None, "rel": None, "comparable": False,
                                       "reason": "no events before 2024-06-01 (needed from 2023-12-18)"}  # T-365-14
    assert f["coverage"]["events"] == {"from": "2024-06-01", "to": "2024-12-31"}


def test_fast_report_table_prints_a_dash_with_the_reason(fast_stores):
    from siyu.report.sections.assets import fast_section

    html = fast_section({"fast": fast(fast_stores["late"], T)})["html"]
    assert "id='fast-not-comparable'" in html and "no events before 2024-06-01" in html
    assert "<td class='num'>–</td>" in html


def test_uncovered_rule_at_both_ends():
    cov = {"orders": {"from": dt.date(2024, 1, 1), "to": T}, "reach_log": {"from": dt.date(2024, 1, 4),
                                                                            "to": dt.date(2024, 10, 25)},
           "events": {"from": None, "to": None}}
    assert uncovered(cov, windows(T, orders=[366])) is None                       # starts on the first date
    assert uncovered(cov, windows(T, orders=[367])) == "no orders before 2024-01-01 (needed from 2023-12-31)"
    assert uncovered(cov, windows(dt.date(2024, 11, 23), reach_log=[30])) is None  # starts on the last date
    assert uncovered(cov, windows(dt.date(2024, 11, 24), reach_log=[30])) == \
        "no reach_log after 2024-10-25 (needed on or after 2024-10-26)"
    assert uncovered(cov, windows(T, events=[15])) == "no events loaded"
    assert uncovered(cov, {}) is None


# --- GAIN trend -----------------------------------------------------------------------------------------------------

REACH_FROM, REACH_TO = dt.date(2024, 1, 4), dt.date(2024, 10, 24)  # every 14 days: Jan 4 + 21 × 14 = Oct 24


@pytest.fixture(scope="module")
def gain_ws(tmp_path_factory):
    """Orders from 2023-01-01, events from 2024-01-01, campaigns every 14 days from 2024-01-04 to 2024-10-24."""
    ws = Workspace.init(tmp_path_factory.mktemp("gaincov") / "ws")
    orders = [(f"b{(i * 11) % 120}", d) for i, d in enumerate(days(dt.date(2023, 1, 1), T, 1))]
    orders += [(f"n{i}", d) for i, d in enumerate(days(dt.date(2023, 1, 2), T, 5))]  # a stream of new buyers
    members = [(f"b{i}", dt.date(2023, 1, 15)) for i in range(0, 120, 2)]
    events = [(f"b{(i * 7) % 120}", d, "add_cart") for i, d in enumerate(days(dt.date(2024, 1, 1), T, 1))]
    events += [(f"b{(i * 13 + 1) % 120}", d, "favorite") for i, d in enumerate(days(dt.date(2024, 1, 1), T, 1))]
    reach = [(f"b{j}", d) for n, d in enumerate(days(REACH_FROM, REACH_TO, 14)) for j in range(n % 4 * 2, 120, 8)]
    _load(ws, orders, events, members, reach)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def gain_trend(gain_ws):
    return trend(gain_ws, T)


def test_coverage_of_the_gain_store(gain_ws):
    cov = data_coverage(gain_ws)
    assert cov["orders"]["from"] == dt.date(2023, 1, 1) and cov["events"]["from"] == dt.date(2024, 1, 1)
    assert cov["reach_log"] == {"from": REACH_FROM, "to": REACH_TO}


def test_gain_trend_marks_the_months_the_logs_do_not_cover(gain_ws, gain_trend):
    by = {p["date"]: p["indicators"] for p in gain_trend}
    dates = list(by)
    assert dates[0] == dt.date(2023, 12, 31) and dates[-1] == T and len(dates) == 13

    def off(k):
        return [d for d in dates if not by[d][k]["comparable"]]

    # I3: before the first campaign (W30 of Jan 31 starts Jan 2) and after the last one (nothing after Oct 25)
    assert off("I3") == [dt.date(2023, 12, 31), dt.date(2024, 1, 31), dt.date(2024, 11, 30), T]
    assert "no reach_log before 2024-01-04" in by[dates[0]]["I3"]["reason"]
    assert by[T]["I3"]["reason"] == "no reach_log after 2024-10-24 (needed on or after 2024-12-02)"
    # the raw values there are the artefact: 0 members reached
    assert indicators_at(gain_ws, T)["I3"]["value"] == 0
    assert indicators_at(gain_ws, dt.date(2023, 12, 31))["I3"]["value"] == 0
    # G3 compares with new buyers a year earlier, whose own 365-day look-back starts before the first order
    assert off("G3") == dates
    assert "no orders before 2023-01-01" in by[dt.date(2024, 1, 31)]["G3"]["reason"]
    # G2 reads orders from T-454 (W90 + the new-buyer look-back): covered from the end of March 2024
    assert off("G2") == [d for d in dates if d < dt.date(2024, 3, 31)]
    # I2 reads events W30; N1 orders W365
    assert off("I2") == [dt.date(2023, 12, 31)]
    assert off("N1") == []
    for d in dates:
        for k in INDICATORS:
            v = by[d][k]
            if v["comparable"]:
                assert v["reason"] is None
            else:
                assert v["value"] is None and v["reason"], (d, k)


def test_gain_flat_trend_has_nulls_and_reasons(gain_ws, gain_trend):
    g = gain(gain_ws, T, series=gain_trend)
    first, last = g["trend"][0], g["trend"][-1]
    assert first["I3"] is None and "I3" in first["reasons"] and first["N1"] is not None and "N1" not in first["reasons"]
    assert last["I3"] is None and last["reasons"]["I3"].startswith("no reach_log after 2024-10-24")
    # the current value is still reported, flagged, with a target score but no baseline score
    i3 = g["indicators"]["I3"]
    assert i3["value"] == 0 and i3["comparable"] is False and "no reach_log after" in i3["reason"]
    assert i3["score"] == 0 and i3["baseline_score"] is None
    assert g["indicators"]["N1"]["comparable"] is True and g["indicators"]["N1"]["reason"] is None


def test_gain_baseline_ignores_non_comparable_months(gain_ws, gain_trend):
    ws = gain_ws
    saved = ws.config
    ws.config = saved.model_copy(update={"gain": saved.gain.model_copy(update={"score_mode": "baseline"})})
    try:
        g = gain(ws, T, series=gain_trend)
    finally:
        ws.config = saved
    assert g["mode"] == "baseline"
    history = gain_trend[:-1]
    for k in INDICATORS:
        ind = g["indicators"][k]
        kept = [p["indicators"][k]["value"] for p in history if p["indicators"][k]["comparable"]]
        expected = indicator_score(ind["value"], kept, mode="baseline") if ind["comparable"] else None
        assert ind["score"] == ind["baseline_score"], k
        assert ind["baseline_score"] == (pytest.approx(expected) if expected is not None else None), k
    # I2: the December 2023 value (no events yet: purchases only) would change the baseline if it were used
    raw_dec = indicators_at(ws, dt.date(2023, 12, 31))["I2"]["value"]
    kept = [p["indicators"]["I2"]["value"] for p in history if p["indicators"]["I2"]["comparable"]]
    assert len(kept) == 11
    now = g["indicators"]["I2"]["value"]
    assert raw_dec < min(kept)
    assert indicator_score(now, kept + [raw_dec], mode="baseline") != pytest.approx(g["indicators"]["I2"]["score"])
    # G3 has no comparable month at all: no baseline score
    assert g["indicators"]["G3"]["score"] is None


def test_report_gain_trend_draws_gaps_not_zeros(gain_ws, gain_trend):
    from siyu.report.sections.health import gain_section

    g = gain(gain_ws, T, series=gain_trend)
    html = gain_section({"gain": g, "diagnosis": []})["html"]
    start = html.index('"name":"I3 ')
    trace = html[html.rindex("{", 0, start):html.index("}", start)]
    y = json.loads(trace[trace.index('"y":[') + 4:trace.index("]", trace.index('"y":[')) + 1])
    assert y[0] is None and y[1] is None and y[-2] is None and y[-1] is None   # gaps, not 0
    assert all(v is not None and v > 0 for v in y[2:-2])
    # the whole trace object: from the end of the previous trace to the end of this one
    whole = html[html.rindex('"type":"scatter"', 0, start):html.index('"type":"scatter"', start)]
    assert '"connectgaps":false' in whole
    assert "id='gain-trend-gaps'" in html and "no reach_log after 2024-10-24" in html
    assert "id='gain-not-comparable'" in html
