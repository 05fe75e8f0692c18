"""Golden data tests of the audience SQL models: the per-user profile and the saved-audience store.

Inputs are written by hand (the per-user asset tables the profile joins are given, not computed), so each
expected row below follows from docs/audiences.md §Fields and §Saved audiences and snapshots.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from golden import run_model

from siyu.contract.loader import create_schema

T = dt.date(2024, 12, 31)


@pytest.fixture
def conn():
    c = duckdb.connect()
    create_schema(c)
    yield c
    c.close()


def test_audience_profile(conn):
    c = conn
    c.execute("CREATE TEMP TABLE _features AS SELECT * FROM (VALUES "
              "('u1', 'L', true, true, DATE '2024-12-31'), ('u2', 'A', false, false, NULL), "
              "('u3', 'none', false, true, DATE '2024-10-01')) t(user_id, stage, is_fan, is_member, last_purchase)")
    c.execute("CREATE TEMP TABLE _pools AS SELECT * FROM (VALUES ('u1', 'active', 'quality', 'old'), "
              "('u2', NULL, NULL, 'prospect'), ('u3', NULL, 'silent', NULL)) t(user_id, fan_pool, member_pool, "
              "customer_pool)")
    c.execute("CREATE TEMP TABLE _ucmv AS SELECT * FROM (VALUES ('u1', 'V'), ('u2', 'U'), ('u3', NULL)) t(user_id, stage)")
    c.execute("CREATE TEMP TABLE _rfm AS SELECT * FROM (VALUES ('u1', 'champions')) t(user_id, \"group\")")
    c.execute("CREATE TEMP TABLE _clv AS SELECT * FROM (VALUES ('u1', 123.5, 0.9)) t(user_id, predicted_clv, p_alive)")
    c.execute("INSERT INTO users (user_id, city_tier, gender, age_band, is_88vip, registered_at, tags) VALUES "
              "('u1', '一线', 'F', '25-29', true, TIMESTAMP '2023-05-06 23:59:59', ' a ;b;  c d ;e '), "
              "('u3', NULL, NULL, NULL, NULL, NULL, NULL)")
    c.execute("INSERT INTO memberships (user_id, joined_at, left_at, tier) VALUES "
              "('u1', TIMESTAMP '2024-01-01 10:00', NULL, 'V1'), "        # active, joined earlier
              "('u1', TIMESTAMP '2024-06-01 10:00', NULL, 'V2'), "        # active, joined later -> the tier
              "('u1', TIMESTAMP '2024-09-01 10:00', TIMESTAMP '2024-12-31 08:00', 'V5'), "  # left on T: not active
              "('u3', TIMESTAMP '2025-01-01 10:00', NULL, 'V4')")         # joins after T: not active
    rows = {r["user_id"]: r for r in run_model(c, "audience_profile", as_of=T)}
    assert rows["u1"] == {
        "user_id": "u1", "aipl": "L", "fan_pool": "active", "member_pool": "quality", "customer_pool": "old",
        "ucmv": "V", "rfm_group": "champions", "is_fan": True, "is_member": True, "tier": "V2", "city_tier": "一线",
        "gender": "F", "age_band": "25-29", "is_88vip": True, "tags": "a;b;c d;e",
        "registered_at": dt.date(2023, 5, 6), "days_since_purchase": 0, "predicted_clv": 123.5, "p_alive": 0.9}
    assert rows["u2"] == {
        "user_id": "u2", "aipl": "A", "fan_pool": None, "member_pool": None, "customer_pool": "prospect",
        "ucmv": "U", "rfm_group": None, "is_fan": False, "is_member": False, "tier": None, "city_tier": None,
        "gender": None, "age_band": None, "is_88vip": None, "tags": None, "registered_at": None,
        "days_since_purchase": None, "predicted_clv": None, "p_alive": None}
    assert rows["u3"]["days_since_purchase"] == 91 and rows["u3"]["tier"] is None  # 2024-10-01 -> 2024-12-31
    assert len(rows) == 3  # one row per user of _features, whatever the other tables hold


def _store(c):
    from siyu.audiences.store import _DDL

    for ddl in _DDL:
        c.execute(ddl)
    c.execute("INSERT INTO audiences VALUES ('a', '{\"field\": \"is_fan\", \"op\": \"=\", \"value\": true}', "
              "'is_fan', TIMESTAMP '2024-01-01', TIMESTAMP '2024-02-01'), "
              "('b', '{}', 'x', TIMESTAMP '2024-01-01', TIMESTAMP '2024-01-01')")
    c.execute("INSERT INTO audience_snapshots VALUES "
              "('s1', 'a', DATE '2024-12-01', '{}', 2, TIMESTAMP '2024-12-01 10:00', 'save'), "
              "('s2', 'a', DATE '2024-11-01', '{}', 1, TIMESTAMP '2024-12-02 10:00', 'export')")  # created last
    c.execute("INSERT INTO audience_members VALUES ('s1', 'u2'), ('s1', 'u1'), ('s2', 'u9')")


def test_audience_store_models(conn):
    c = conn
    assert run_model(c, "audience_tables") == []
    _store(c)
    assert sorted(r["table_name"] for r in run_model(c, "audience_tables")) == [
        "audience_members", "audience_snapshots", "audiences"]
    assert run_model(c, "audience_get", audience="a")[0]["query"] == "is_fan"
    assert run_model(c, "audience_get", audience="nope") == []
    lst = run_model(c, "audience_list")
    assert [r["name"] for r in lst] == ["a", "b"]
    # the latest snapshot is the one created last (s2), whatever its as-of date
    assert (lst[0]["snapshots"], lst[0]["last_as_of"], lst[0]["last_members"]) == (2, dt.date(2024, 11, 1), 1)
    assert (lst[1]["snapshots"], lst[1]["last_as_of"], lst[1]["last_members"]) == (0, None, None)
    assert [r["snapshot_id"] for r in run_model(c, "audience_snapshot_list", audience="a")] == ["s2", "s1"]
    assert run_model(c, "audience_snapshot_members", snapshot_id="s1") == [{"user_id": "u1"}, {"user_id": "u2"}]


def test_audience_clv(conn):
    conn.execute("CREATE TABLE clv_predictions AS SELECT 'u1' AS customer_id, 10.0 AS predicted_clv, 0.5 AS p_alive, "
                 "3 AS frequency")
    assert run_model(conn, "audience_clv") == [{"user_id": "u1", "predicted_clv": 10.0, "p_alive": 0.5}]
