"""The reach funnel chart and the report's reach section: the figure draws exactly the funnel it is given, with
bilingual labels and full counts, and the section renders it (or says how to plan a campaign)."""

from __future__ import annotations

import re

import pytest
from browser import browser_page

from siyu.report import build_report, charts
from siyu.report.sections.reach import reach_section
from tests.reach.conftest import EVERYONE, write_csv

CJK = re.compile(r"[\u4e00-\u9fff]")
SI = re.compile(r"^[+−-]?¥?\d+(\.\d+)?\s*[kMGT]")
AT = "2024-05-10 10:00"


@pytest.fixture(scope="module")
def reach_ws(tmp_path_factory):
    """120 users with an order each; 100 granted marketing everywhere; campaign ``spring`` (push, holdout 0.2)
    planned and sent, ``autumn`` (group chat, from 22:00: quiet hours) planned."""
    from siyu import Workspace, reach

    d = tmp_path_factory.mktemp("reach-report")
    users = [f"u{i:03d}" for i in range(120)]
    ws = Workspace.init(d / "ws")
    ws.ingest("users", write_csv(d / "users.csv", ["user_id", "city_tier"], [(u, "一线") for u in users]))
    ws.ingest("orders", write_csv(d / "orders.csv", ["order_id", "user_id", "paid_at", "amount"],
                             [(f"o{u}", u, "2024-05-01 10:00", 10) for u in users]))
    ws.ingest("consents", write_csv(d / "consents.csv", ["user_id", "channel", "purpose", "status", "ts"],
                               [(u, "all", "marketing", "granted", "2024-01-01 10:00") for u in users[:100]]))
    base = {"audience": EVERYONE, "send_until": "2024-05-12 20:00", "content": {"plain": "春季回购礼"}}
    reach.plan(ws, {**base, "id": "spring", "channels": ["push"], "send_from": AT, "holdout": 0.2}, AT)
    reach.send(ws, "spring", AT)
    reach.plan(ws, {**base, "id": "autumn", "channels": ["group_chat"], "send_from": "2024-05-10 22:00"}, AT)
    yield ws
    ws.close()


def test_reach_funnel_draws_exactly_the_funnel_of_one_campaign(reach_ws):
    from siyu.reach import funnel

    row = funnel(reach_ws, "spring")[0]
    assert row["sent"] > 0 and row["holdout"] > 0 and row["no_consent"] > 0
    fig = charts.reach_funnel([row])
    assert len(fig.data) == 1
    tr = fig.data[0]
    assert tr.type == "bar" and tr.orientation == "h" and tr.name == "spring"
    assert list(tr.x) == [row[k] for k in charts.REACH_STEPS]
    assert list(fig.layout.meta["steps"]) == list(charts.REACH_STEPS) == [
        "audience", "global_control", "holdout", "no_consent", "budget", "quiet_hours_dropped", "planned", "sent",
        "delivered", "opened", "clicked"]
    assert row["planned"] + sum(row[k] for k in charts.SUPPRESSION_STEPS) == row["audience"]
    # each bar is labelled with its count (and its share of the audience when not zero)
    assert tr.text[0] == f"{row['audience']:,}"
    sent = list(charts.REACH_STEPS).index("sent")
    assert tr.text[sent] == f"{row['sent']:,} · {row['sent'] / row['audience']:.1%}"
    assert "spring" in fig.layout.title.text and fig.layout.showlegend is False


def test_reach_funnel_of_several_campaigns_groups_them(reach_ws):
    from siyu.reach import funnel

    rows = funnel(reach_ws)
    assert [r["campaign_id"] for r in rows] == ["autumn", "spring"]          # newest plan first
    fig = charts.reach_funnel(rows)
    assert [tr.name for tr in fig.data] == ["autumn", "spring"] and fig.layout.barmode == "group"
    for tr, r in zip(fig.data, rows, strict=True):
        assert list(tr.x) == [r[k] for k in charts.REACH_STEPS]
        assert list(tr.text) == [f"{r[k]:,}" for k in charts.REACH_STEPS]
    assert len({tr.marker.color for tr in fig.data}) == 2 and fig.layout.showlegend
    assert "2" in fig.layout.title.text and list(fig.layout.meta["campaigns"]) == ["autumn", "spring"]


def test_reach_funnel_labels_are_bilingual_and_counts_full():
    row = {"campaign_id": "big", "audience": 69_675, "global_control": 3_484, "holdout": 6_619, "no_consent": 12_000,
           "budget": 1_200, "quiet_hours_dropped": 72, "planned": 46_300, "sent": 46_000, "delivered": 45_100,
           "opened": 20_010, "clicked": 3_003}
    fig = charts.reach_funnel([row])
    title = fig.layout.title.text
    assert CJK.search(title) and "Reach funnel" in title
    labels = list(fig.data[0].y)
    for label, zh, en in (("global_control", "全局对照组", "global control"), ("holdout", "活动对照组", "holdout"),
                          ("no_consent", "未授权", "no consent"), ("budget", "触达预算", "contact budget"),
                          ("quiet_hours_dropped", "免打扰", "quiet hours"), ("sent", "已发送", "sent"),
                          ("delivered", "已送达", "delivered"), ("opened", "已打开", "opened"),
                          ("clicked", "已点击", "clicked"), ("planned", "计划发送", "planned")):
        assert f"{zh} {en}" in labels[list(charts.REACH_STEPS).index(label)], label
    assert all(CJK.search(t) and re.search(r"[a-z]{4}", t) for t in labels)
    assert fig.layout.xaxis.tickformat == "," and fig.data[0].text[0] == "69,675"
    assert fig.data[0].text[list(charts.REACH_STEPS).index("clicked")] == "3,003 · 4.3%"
    assert not [t for t in fig.data[0].text if SI.match(t)]
    empty = charts.reach_funnel([])
    assert not empty.data and "No campaign planned yet" in empty.layout.annotations[0].text


def test_reach_section_renders_the_chart_and_a_row_per_campaign(reach_ws):
    from siyu.reach import funnel

    rows = funnel(reach_ws)
    s = reach_section({"reach": rows})
    assert (s["id"], s["title_zh"], s["title_en"]) == ("reach", "触达", "Reach")
    assert 'id="chart-reach-funnel"' in s["html"] and "id='table-reach'" in s["html"]
    table = s["html"].split("id='table-reach'")[1].split("</table>")[0]
    for r in rows:
        tr = table.split(f"data-campaign='{r['campaign_id']}'>")[1].split("</tr>")[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", tr)
        assert cells[0] == r["campaign_id"] and cells[1] == r["planned_at"].strftime("%Y-%m-%d %H:%M")
        assert cells[3:] == [f"{r[k]:,}" for k in ("audience", *charts.SUPPRESSION_STEPS, "planned", "queued",
                                                    "sent", "failed", "delivered", "opened", "clicked")]
    for snap in ({"reach": []}, {}):
        note = reach_section(snap)
        assert "siyu campaign plan FILE" in note["html"] and "还没有计划的活动" in note["html"]
        assert "chart-reach-funnel" not in note["html"]


def test_reach_funnel_draws_in_the_report(reach_ws, tmp_path):
    from siyu.pipeline import compute_snapshot

    snap = compute_snapshot(reach_ws, "2024-05-01")
    assert [r["campaign_id"] for r in snap["reach"]] == ["autumn", "spring"]
    out = build_report(snap, tmp_path / "r.html")
    html = out.read_text(encoding="utf-8")
    assert 'id="section-reach"' in html and 'id="chart-reach-funnel"' in html
    with browser_page() as page:
        page.goto(out.as_uri())
        page.wait_for_function("() => { const d = document.getElementById('chart-reach-funnel');"
                               " return d && d.querySelector('.main-svg'); }", timeout=30_000)
        drawn = page.evaluate("""() => { const d = document.getElementById('chart-reach-funnel');
            return {traces: d.data.map(t => [t.name, t.x]), bars: d.querySelectorAll('.bars path').length,
                    texts: [...d.querySelectorAll('text.bartext')].map(t => t.textContent)}; }""")
        assert page.external_requests == []
    assert drawn["traces"] == [[r["campaign_id"], [r[k] for k in charts.REACH_STEPS]] for r in snap["reach"]]
    assert drawn["bars"] >= 10 and not [t for t in drawn["texts"] if SI.match(t)]
