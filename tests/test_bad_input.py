"""Every broken file is refused from the command line with file/row/column/rule, exit ≠ 0, workspace unchanged."""

from __future__ import annotations

import pytest
from conftest import BAD, GOOD_FILES, run_cli

# file -> (table, row, column, words of the rule)
CORPUS = {
    "orders_missing_column.csv": ("orders", None, "paid_at", "required column is missing"),
    "orders_extra_column.csv": ("orders", None, "coupon", "unknown column"),
    "orders_wrong_type.csv": ("orders", 2, "amount", "not a decimal number"),
    "orders_negative_amount.csv": ("orders", 1, "amount", "must be ≥ 0"),
    "orders_refund_gt_amount.csv": ("orders", 2, "refund_amount", "must not exceed amount"),
    "orders_duplicate_key.csv": ("orders", 3, "order_id", "duplicate key"),
    "events_unknown_type.jsonl": ("events", 2, "type", "must be one of"),
    "events_bad_timestamp.csv": ("events", 2, "ts", "not an ISO 8601 timestamp"),
    "orders_empty.csv": ("orders", None, None, "empty file"),
    "users_not_utf8.csv": ("users", 2, None, "not valid UTF-8"),
    "orders_truncated.parquet": ("orders", None, None, "not a readable Parquet file"),
    "order_items_orphan.csv": ("order_items", 2, "order_id", "points to no row of orders"),
    "orders_header_only.csv": ("orders", None, None, "no data rows"),
    "follows_unfollow_before_follow.csv": ("follows", 1, "unfollowed_at", "must not be before followed_at"),
    "events_bad_rating.jsonl": ("events", 1, "rating", "must be ≤ 5"),
    "order_items_zero_qty.csv": ("order_items", 1, "qty", "must be ≥ 1"),
    "users_masked_phone.csv": ("users", 1, "phone", "masked value cannot be loaded"),
    "orders_short_row.csv": ("orders", 2, None, "Expected Number of Columns"),
    "events_bad_json.jsonl": ("events", 2, None, "malformed JSON"),
    "orders_three_decimals.csv": ("orders", 1, "amount", "at most two decimals"),
    "follows_missing_user.csv": ("follows", 1, "user_id", "required value is missing"),
    "reach_log_bad_channel.csv": ("reach_log", 1, "channel", "must be one of"),
}


def test_corpus_covers_every_file_on_disk():
    assert sorted(p.name for p in BAD.iterdir()) == sorted(CORPUS)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    ws = tmp_path_factory.mktemp("bad") / "ws"
    assert run_cli("-w", str(ws), "init").returncode == 0
    for table, path in GOOD_FILES.items():
        res = run_cli("-w", str(ws), "ingest", table, str(path))
        assert res.returncode == 0, res.stderr
    return ws


def _checksums(ws_path):
    from siyu import Workspace

    with Workspace(ws_path, read_only=True) as ws:
        return ws.checksums()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_broken_file_is_refused_and_changes_nothing(loaded, name):
    table, row, column, rule = CORPUS[name]
    before = _checksums(loaded)
    res = run_cli("-w", str(loaded), "ingest", table, str(BAD / name))
    assert res.returncode == 65, (res.returncode, res.stdout, res.stderr)
    msg = " ".join(res.stderr.split())
    assert name in msg and rule in msg, msg
    if row is not None:
        assert f"row {row}" in msg, msg
    if column is not None:
        assert f"column '{column}'" in msg, msg
    assert "Traceback" not in res.stderr
    assert _checksums(loaded) == before
