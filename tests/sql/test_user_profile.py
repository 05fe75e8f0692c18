"""Golden data test of ``user_profile``: one users row with its personal data as stored (masked and encrypted)."""

from __future__ import annotations

import duckdb
from golden import run_model

from siyu.contract.loader import create_schema


def test_user_profile_returns_the_stored_row_or_nothing():
    c = duckdb.connect()
    create_schema(c)
    c.execute("INSERT INTO users (user_id, phone_masked, phone_enc, city_tier, is_88vip, tags) VALUES "
              "('u1', '138****1234', '\\x01\\x02'::BLOB, '一线', true, 'a;b'), ('u2', NULL, NULL, NULL, NULL, NULL)")
    rows = run_model(c, "user_profile", user_id="u1")
    assert len(rows) == 1 and rows[0]["phone_masked"] == "138****1234" and rows[0]["phone_enc"] == b"\x01\x02"
    assert rows[0]["city_tier"] == "一线" and rows[0]["is_88vip"] is True
    assert run_model(c, "user_profile", user_id="u2")[0]["phone_enc"] is None
    assert run_model(c, "user_profile", user_id="nobody") == []
    assert run_model(c, "user_profile", user_id="u1' OR '1'='1") == []  # a bound value, not SQL
