"""The loyalty snapshot, its two charts and the report's loyalty section on a hand-made store: the members by tier at
a date, the tier changes by month and the points liability, with every count worked out by hand; before any run,
a note and no chart."""

from __future__ import annotations

import re
import types

import pytest
from browser import browser_page

from siyu.report import build_report, charts
from siyu.report.sections.loyalty import loyalty_section
from tests.reach.conftest import write_csv

CJK = re.compile(r"[\u4e00-\u9fff]")
SI = re.compile(r"^[+−-]?¥?\d+(\.\d+)?\s*[kMGT]")
AS_OF = "2024-06-30"
PROGRAM = {"program": {"name": "成长型会员", "window_days": 365, "review": "monthly"},
           "tiers": [{"name": "银卡", "threshold": 500, "discount": 0.95},
                     {"name": "金卡", "threshold": 2000, "keep": 1500, "discount": 0.9}]}
#: the twelve months ending with June 2024
MONTHS = ["2023-07", "2023-08", "2023-09", "2023-10", "2023-11", "2023-12", "2024-01", "2024-02", "2024-03",
          "2024-04", "2024-05", "2024-06"]


def make_store(d, prefix: str = "", name: str = "ws"):
    """Seven users (the program: 银卡 from ¥500, 金卡 from ¥2,000 kept at ¥1,500, 365-day window, monthly reviews):

    * u1 joins 01-01; ¥600 on 01-10 (银卡), ¥1,500 on 03-05 (s = 2,100: 金卡);
    * u2 joins 2023-03-01; ¥2,500 on 2023-03-10 (金卡); ¥800 on 2024-02-20; the 2023 purchase leaves the window on
      2024-03-09, so the review of 04-01 sees s = 800 < 1,500 and moves u2 down to 银卡 (keep 500 ≤ 800);
    * u3 joins 01-01, ¥700 on 01-05 (银卡), leaves on 05-01 (the tier ends: reason left);
    * u4 joins 02-01 and buys nothing; u5 joins 02-01, ¥100 on 02-02: members without a tier;
    * u6 never joins (¥5,000 on 03-01: no tier, no points);
    * u7 joins 06-15, ¥2,000 on 06-20 (straight to 金卡).

    Points (1 per yuan, purchases on member days, expiring at the end of the next year): u1 2,100, u2 3,300
    (2,500 of them expire on 2025-01-01), u3 700, u5 100, u7 2,000.

    The workspace is ``d / name``; user and order ids start with ``prefix``.
    """
    from siyu import Workspace

    ws = Workspace.init(d / name)
    orders = [("o1", "u1", "2024-01-10 10:00", 600), ("o2", "u1", "2024-03-05 10:00", 1500),
              ("o3", "u2", "2023-03-10 10:00", 2500), ("o4", "u2", "2024-02-20 10:00", 800),
              ("o5", "u3", "2024-01-05 10:00", 700), ("o6", "u5", "2024-02-02 10:00", 100),
              ("o7", "u6", "2024-03-01 10:00", 5000), ("o8", "u7", "2024-06-20 10:00", 2000)]
    orders = [(f"{prefix}{o}", f"{prefix}{u}", t, v) for o, u, t, v in orders]
    ws.ingest("orders", write_csv(d / f"{name}-orders.csv", ["order_id", "user_id", "paid_at", "amount"], orders))
    members = [("u1", "2024-01-01 10:00", ""), ("u2", "2023-03-01 10:00", ""),
               ("u3", "2024-01-01 10:00", "2024-05-01 09:00"), ("u4", "2024-02-01 10:00", ""),
               ("u5", "2024-02-01 10:00", ""), ("u7", "2024-06-15 10:00", "")]
    members = [(f"{prefix}{u}", j, lv) for u, j, lv in members]
    ws.ingest("memberships", write_csv(d / f"{name}-memberships.csv", ["user_id", "joined_at", "left_at"], members))
    return ws


@pytest.fixture(scope="module")
def loyalty_ws(tmp_path_factory):
    """The store of :func:`make_store` with the program run up to 2024-06-30."""
    from siyu import loyalty

    ws = make_store(tmp_path_factory.mktemp("loyalty-report"))
    loyalty.run(ws, PROGRAM, AS_OF)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def snap(loyalty_ws):
    from siyu.loyalty.report_data import loyalty_snapshot

    return loyalty_snapshot(loyalty_ws, AS_OF)


def _by_month(**counts):
    """The 12 rows of changes_by_month with ``counts`` as {"2024-01": (upgrade, review, left)}."""
    return [{"month": m, **dict(zip(("upgrade", "review", "left"), counts.get(m.replace("-", "_"), (0, 0, 0)),
                                    strict=True))} for m in MONTHS]


def test_the_snapshot_after_a_run(snap):
    assert snap["program"] == "成长型会员" and snap["as_of"] == AS_OF and snap["history_to"] == AS_OF
    assert snap["stale"] is False and snap["tiers"] == ["银卡", "金卡"]
    # members on 06-30: u1 金卡, u2 银卡, u4 and u5 no tier, u7 金卡 (u3 left, u6 never joined)
    assert snap["members"] == 5 and snap["by_tier"] == {"": 2, "银卡": 1, "金卡": 2}
    assert list(snap["by_tier"]) == ["", "银卡", "金卡"]
    # u2's 2023 upgrade is outside the twelve months
    assert snap["months"] == MONTHS
    assert snap["changes_by_month"] == _by_month(**{"2024_01": (2, 0, 0), "2024_03": (1, 0, 0),
                                                    "2024_04": (0, 1, 0), "2024_05": (0, 0, 1),
                                                    "2024_06": (1, 0, 0)})
    assert snap["changes"] == {"upgrade": 4, "review": 1, "left": 1}
    # points: nothing expires before 2025-01-01, more than 90 days after 06-30
    assert snap["points"] == {"outstanding": 2100 + 3300 + 700 + 100 + 2000, "users_with_balance": 5,
                              "expiring": 0, "users_expiring": 0, "expiring_days": 90, "expiring_by": "2024-09-28",
                              "by_kind": {"earn": {"entries": 7, "users": 5, "points": 8200}}}


def test_the_snapshot_at_other_dates(loyalty_ws):
    from siyu.loyalty.report_data import loyalty_snapshot

    # 04-30: u2 already reviewed down to 银卡, u3 still a member with 银卡, u7 not yet joined
    early = loyalty_snapshot(loyalty_ws, "2024-04-30")
    assert early["members"] == 5 and early["by_tier"] == {"": 2, "银卡": 2, "金卡": 1} and not early["stale"]
    assert early["months"][0] == "2023-05" and early["months"][-1] == "2024-04"
    assert early["changes"] == {"upgrade": 3, "review": 1, "left": 0}
    assert early["points"]["outstanding"] == 6200 and early["points"]["users_with_balance"] == 4
    # 12-01, after the stored history: stale; u2's 2,500 points of 2023 expire on 2025-01-01, within 90 days
    late = loyalty_snapshot(loyalty_ws, "2024-12-01")
    assert late["stale"] is True and late["history_to"] == AS_OF and late["by_tier"] == {"": 2, "银卡": 1, "金卡": 2}
    assert late["months"][-1] == "2024-12" and late["changes"] == {"upgrade": 4, "review": 1, "left": 1}
    assert {k: late["points"][k] for k in ("outstanding", "expiring", "users_expiring", "expiring_by")} == {
        "outstanding": 8200, "expiring": 2500, "users_expiring": 1, "expiring_by": "2025-03-01"}
    # the default date is the last run's
    assert loyalty_snapshot(loyalty_ws)["as_of"] == AS_OF
    # the calendar's ends: fewer months in year 1; no liability horizon past 9999-12-31
    first = loyalty_snapshot(loyalty_ws, "0001-02-01")
    assert first["months"] == ["0001-01", "0001-02"] and first["members"] == 0 and first["points"]["outstanding"] == 0
    from siyu._exceptions import ConfigError

    with pytest.raises(ConfigError, match="as_of: 9999-12-01 is too late"):
        loyalty_snapshot(loyalty_ws, "9999-12-01")


def test_nothing_before_any_run_and_on_an_engine_that_stores_nothing(tmp_path):
    from siyu._exceptions import ConfigError
    from siyu.loyalty.report_data import loyalty_snapshot
    from siyu.loyalty.store import have_tables

    ws = make_store(tmp_path)
    try:
        assert loyalty_snapshot(ws, AS_OF) == {"program": None}
        assert not have_tables(ws)                    # reading created nothing
        with pytest.raises(ConfigError, match="as_of"):
            loyalty_snapshot(ws, "30/06/2024")
    finally:
        ws.close()
    spark_like = types.SimpleNamespace(engine=types.SimpleNamespace(capabilities=frozenset({"read"})))
    assert loyalty_snapshot(spark_like, AS_OF) == {"program": None}


def test_the_tier_chart_draws_the_distribution(snap):
    fig = charts.loyalty_tiers(snap)
    assert len(fig.data) == 1
    tr = fig.data[0]
    assert tr.type == "bar" and list(tr.x) == ["无等级 no tier", "银卡", "金卡"] and list(tr.y) == [2, 1, 2]
    assert list(tr.text) == ["2 · 40.0%", "1 · 20.0%", "2 · 40.0%"]
    assert tr.marker.color[0] == "#bdbdbd" and len(set(tr.marker.color)) == 3
    assert list(fig.layout.meta["tiers"]) == ["", "银卡", "金卡"]
    title = fig.layout.title.text
    assert CJK.search(title) and "Members by tier" in title and "成长型会员" in title and AS_OF in title
    assert fig.layout.yaxis.tickformat == "," and fig.layout.yaxis.dtick == 1   # whole members, never 0.5
    big = charts.loyalty_tiers({**snap, "by_tier": {"": 69_675, "银卡": 12_000, "金卡": 3_003}, "members": 84_678})
    assert list(big.data[0].text) == ["69,675 · 82.3%", "12,000 · 14.2%", "3,003 · 3.5%"]
    assert big.layout.yaxis.dtick is None and not [t for t in big.data[0].text if SI.match(t)]


def test_the_changes_chart_draws_each_reason_by_month(snap):
    fig = charts.loyalty_changes(snap)
    assert [tr.name for tr in fig.data] == ["升级 upgrades", "定级降级 review downgrades", "退会 left with a tier"]
    assert fig.layout.barmode == "group" and list(fig.layout.meta["months"]) == MONTHS
    assert list(fig.layout.meta["reasons"]) == ["upgrade", "review", "left"]
    for tr, key in zip(fig.data, ("upgrade", "review", "left"), strict=True):
        assert list(tr.x) == MONTHS and list(tr.y) == [r[key] for r in snap["changes_by_month"]]
    assert list(fig.data[0].y) == [0, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 1]
    assert list(fig.data[0].text) == ["", "", "", "", "", "", "2", "", "1", "", "", "1"]   # zeros unlabelled
    assert len({tr.marker.color for tr in fig.data}) == 3
    assert CJK.search(fig.layout.title.text) and "Tier changes by month" in fig.layout.title.text
    assert "2023-07" in fig.layout.title.text and fig.layout.yaxis.tickformat == ","


def test_the_charts_before_any_run_say_so():
    for fn in (charts.loyalty_tiers, charts.loyalty_changes):
        for empty in ({"program": None}, {}, None):
            fig = fn(empty)
            assert not fig.data and "No loyalty program run yet" in fig.layout.annotations[0].text
            assert CJK.search(fig.layout.title.text)
    assert charts.CHARTS["chart-loyalty-tiers"] == ("loyalty", charts.loyalty_tiers)
    assert charts.CHARTS["chart-loyalty-changes"] == ("loyalty", charts.loyalty_changes)


def _cells(html, table_id, attr, key):
    body = html.split(f"id='{table_id}'")[1].split("</table>")[0]
    row = body.split(f"{attr}='{key}'>")[1].split("</tr>")[0]
    return re.findall(r"<td[^>]*>(.*?)</td>", row)


def test_the_section_renders_both_charts_and_the_liability(snap, loyalty_ws):
    from siyu.loyalty.report_data import loyalty_snapshot

    s = loyalty_section({"loyalty": snap})
    assert (s["id"], s["title_zh"], s["title_en"]) == ("loyalty", "会员等级", "Loyalty")
    html = s["html"]
    assert 'id="chart-loyalty-tiers"' in html and 'id="chart-loyalty-changes"' in html
    assert _cells(html, "table-loyalty-tiers", "data-tier", "") == ["无等级 no tier", "2", "40.0%"]
    assert _cells(html, "table-loyalty-tiers", "data-tier", "金卡") == ["金卡", "2", "40.0%"]
    assert _cells(html, "table-loyalty-points", "data-key", "outstanding") == ["未兑付积分 Outstanding points", "8,200"]
    assert _cells(html, "table-loyalty-points", "data-key", "users_with_balance")[1] == "5"
    assert _cells(html, "table-loyalty-points", "data-key", "expiring")[1] == "0"
    assert _cells(html, "table-loyalty-points-kinds", "data-kind", "earn") == ["购物积分 earned", "7", "5", "8,200"]
    assert "升级 upgrades 4" in html and "定级降级 review downgrades 1" in html and "成长型会员" in html
    assert "loyalty-stale" not in html and "loyalty-none" not in html
    late = loyalty_section({"loyalty": loyalty_snapshot(loyalty_ws, "2024-12-01")})["html"]
    assert "id='loyalty-stale'" in late and "2024-06-30" in late
    assert _cells(late, "table-loyalty-points", "data-key", "expiring")[1] == "2,500"
    # an empty ledger is said to be empty
    empty = loyalty_section({"loyalty": {**snap, "points": {**snap["points"], "by_kind": {}}}})["html"]
    assert "id='loyalty-points-none'" in empty and "table-loyalty-points-kinds" not in empty
    for none in ({"loyalty": {"program": None}}, {}):
        note = loyalty_section(none)
        assert note["id"] == "loyalty" and "siyu loyalty run --program FILE" in note["html"]
        assert "还没有运行会员等级计划" in note["html"] and "chart-loyalty" not in note["html"]


def test_the_section_draws_in_the_report(loyalty_ws, snap, tmp_path):
    from siyu.pipeline import compute_snapshot

    full = compute_snapshot(loyalty_ws, AS_OF)
    assert full["loyalty"] == snap
    out = build_report(full, tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert 'id="section-loyalty"' in html
    with browser_page() as page:
        page.goto(out.as_uri())
        page.wait_for_function("() => ['chart-loyalty-tiers', 'chart-loyalty-changes'].every(id => {"
                               " const d = document.getElementById(id); return d && d.querySelector('.main-svg'); })",
                               timeout=30_000)
        drawn = page.evaluate("""() => Object.fromEntries(['chart-loyalty-tiers', 'chart-loyalty-changes'].map(id => {
            const d = document.getElementById(id);
            return [id, {traces: d.data.map(t => [t.name || null, t.y]), bars: d.querySelectorAll('.bars path').length,
                         texts: [...d.querySelectorAll('text.bartext')].map(t => t.textContent)}]; }))""")
        assert page.external_requests == []
    assert drawn["chart-loyalty-tiers"]["traces"] == [[None, [2, 1, 2]]]
    assert drawn["chart-loyalty-tiers"]["texts"] == ["2 · 40.0%", "1 · 20.0%", "2 · 40.0%"]
    assert [t[1] for t in drawn["chart-loyalty-changes"]["traces"]] == [
        [r[k] for r in snap["changes_by_month"]] for k in ("upgrade", "review", "left")]
    assert drawn["chart-loyalty-changes"]["bars"] >= 6
    # before any run the report still has the section, with the note
    bare = build_report({**full, "loyalty": {"program": None}}, tmp_path / "bare.html").read_text(encoding="utf-8")
    assert 'id="section-loyalty"' in bare and "id='loyalty-none'" in bare and 'id="chart-loyalty-tiers"' not in bare
