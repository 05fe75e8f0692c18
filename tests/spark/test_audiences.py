"""Audiences on the Spark engine: the same compiled trees give the same members and explanations as on DuckDB;
saved audiences (stored in the workspace file) are refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import run_cli

from siyu import EngineError
from siyu import audiences as A

from .conftest import MASTER

QUERIES = [
    "aipl in (I, P) and orders.count(365d) >= 1 and event.add_cart(30d) >= 1 and not is_member",
    "customer_pool = 老客 and days_since_purchase > 30 or fan_pool in (active, opportunity)",
    "member_pool is not null and tier is not null and ucmv != V",
    "rfm_group in (champions, at_risk, hibernating) and orders.amount(180d) > 100.5 and orders.days(365d) >= 2",
    "event.visit(7d, channel=search) >= 1 or event.pdp_view(14d) in (2, 3) or event.add_cart(60d) = 0",
    "tags contains \"xhs:学生党\" or city_tier in (一线, 新一线) and gender = F and age_band is null",
    "registered_at >= 2024-06-01 and not is_88vip and not (is_fan or days_since_purchase <= 7)",
]


def _ids(table) -> list[str]:
    return table.column("user_id").to_pylist()


@pytest.mark.parametrize("query", QUERIES)
def test_members_on_spark_equal_duckdbs(store, query):
    duck, spark, t = store
    tree = A.parse(query)
    for as_of in (t, t - dt.timedelta(days=45)):
        a, b = _ids(A.members(duck, tree, as_of)), _ids(A.members(spark, tree, as_of))
        assert a == b and len(a) > 0
        assert A.count(spark, tree, as_of) == A.count(duck, tree, as_of)


def test_a_second_store_and_explain_agree(weak_store):
    duck, spark, t = weak_store
    tree = A.parse(QUERIES[0] + " or member_pool = silent")
    members = _ids(A.members(spark, tree, t))
    assert members == _ids(A.members(duck, tree, t)) and members
    everyone = _ids(A.members(duck, A.parse("aipl is not null"), t))
    outsiders = [u for u in everyone if u not in set(members)]
    for user in members[:3] + outsiders[:3]:
        a, b = A.explain(duck, user, tree, t), A.explain(spark, user, tree, t)
        assert a == b and a["member"] is (user in set(members))


def test_saved_audiences_are_refused_on_spark(store, tmp_path):
    duck, spark, t = store
    with pytest.raises(EngineError, match="spark"):
        A.save(spark, "x", A.parse("is_fan"), t)
    env = {"SIYU_SPARK_MASTER": MASTER}
    lake = str(duck.path.parent / "lake")
    for args in (["save", "x", "--query", "is_fan"], ["list"], ["export", "x", "--out", str(tmp_path / "x.txt")]):
        res = run_cli("--engine", "spark", "--data", lake, "audience", *args, env=env)
        assert res.returncode == 69, (args, res.stderr)
        assert "Traceback" not in res.stderr
    assert not (tmp_path / "x.txt").exists()
    res = run_cli("--engine", "spark", "--data", lake, "audience", "count", "--query", QUERIES[1], "--as-of", str(t),
                  "--format", "json", env=env)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["count"] == A.count(duck, A.parse(QUERIES[1]), t)["count"]
