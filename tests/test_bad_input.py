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
    "consents_bad_status.csv": ("consents", 1, "status", "must be one of: granted, withdrawn"),
    "users_masked_email.csv": ("users", 1, "email", "masked value cannot be loaded"),
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


# -- encodings, nested JSON values, files that are not text -------------------------------------------------------

GBK_USERS = "user_id,city_tier,tags\nu7,tier1,小红书:护肤;直播\nu8,tier2,天猫旗舰店\n"


def test_gbk_csv_is_refused_with_the_fix_then_loads_with_encoding_gbk(tmp_path):
    ws = tmp_path / "ws"
    assert run_cli("-w", str(ws), "init").returncode == 0
    f = tmp_path / "users_gbk.csv"
    f.write_bytes(GBK_USERS.encode("gbk"))
    res = run_cli("-w", str(ws), "ingest", "users", str(f))
    assert res.returncode == 65, res.stderr
    msg = " ".join(res.stderr.split())
    assert "not valid UTF-8" in msg and "--encoding gbk" in msg and "re-save" in msg, msg
    assert "row 0" not in msg and "Traceback" not in res.stderr

    res = run_cli("-w", str(ws), "ingest", "users", str(f), "--encoding", "gbk", "--format", "json")
    assert res.returncode == 0, res.stderr
    assert '"inserted": 2' in res.stdout and "users_gbk.csv" in res.stdout
    again = run_cli("-w", str(ws), "ingest", "users", str(f), "--encoding", "gbk", "--format", "json")
    assert again.returncode == 0 and '"inserted": 0' in again.stdout and '"unchanged": 2' in again.stdout
    out = tmp_path / "users_out.csv"
    assert run_cli("-w", str(ws), "export", "users", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert "小红书:护肤;直播" in text and "天猫旗舰店" in text


def test_undecodable_byte_names_the_line_and_changes_nothing(loaded, tmp_path):
    f = tmp_path / "users_gb18030.csv"
    f.write_bytes("user_id,city_tier,tags\nu7,tier1,护肤\nu8,tier2,直播\n".encode("gb18030")
                  + b"u9,tier3,\xff\n" + "u10,tier1,美妆\n".encode("gb18030"))
    before = _checksums(loaded)
    res = run_cli("-w", str(loaded), "ingest", "users", str(f), "--encoding", "gb18030")
    assert res.returncode == 65, res.stderr
    msg = " ".join(res.stderr.split())
    # line 4 of the file is data row 3 (the header is line 1)
    assert "users_gb18030.csv" in msg and "row 3" in msg and "line 4" in msg and "gb18030" in msg, msg
    assert "siyu-ingest" not in msg  # the temporary UTF-8 copy is never named
    assert _checksums(loaded) == before


def test_unknown_encoding_is_a_config_error(loaded):
    res = run_cli("-w", str(loaded), "ingest", "users", str(GOOD_FILES["users"]), "--encoding", "klingon")
    assert res.returncode == 78, res.stderr
    assert "unknown encoding 'klingon'" in " ".join(res.stderr.split())


@pytest.mark.parametrize("value, kind", [('{"x": 1}', "object"), ('["u1", "u2"]', "array")])
def test_jsonl_object_or_array_value_is_refused_naming_row_and_column(loaded, tmp_path, value, kind):
    f = tmp_path / "events_nested.jsonl"
    rest = '"ts": "2024-11-11 10:00:00", "type": "visit", "channel": "search"'
    f.write_text(f'{{"event_id": "n1", "user_id": "42", {rest}}}\n'
                 f'{{"event_id": "n2", "user_id": "42", {rest}}}\n'
                 f'{{"event_id": "n3", "user_id": {value}, {rest}}}\n', encoding="utf-8")
    before = _checksums(loaded)
    res = run_cli("-w", str(loaded), "ingest", "events", str(f))
    assert res.returncode == 65, res.stderr
    msg = " ".join(res.stderr.split())
    assert "events_nested.jsonl" in msg and "row 3" in msg and "column 'user_id'" in msg, msg
    assert "must be a single value" in msg and f"not a JSON {kind}" in msg, msg
    assert _checksums(loaded) == before


@pytest.mark.parametrize("ext, encoding", [(".csv", "utf-8"), (".csv", "gbk"), (".jsonl", "utf-8")])
def test_random_bytes_are_refused_as_a_file_never_at_row_0(loaded, tmp_path, ext, encoding):
    import random

    f = tmp_path / f"noise{ext}"
    f.write_bytes(b"\x89\xfe\x00\x81" + random.Random(7).randbytes(4096))
    before = _checksums(loaded)
    res = run_cli("-w", str(loaded), "ingest", "users", str(f), "--encoding", encoding)
    assert res.returncode == 65, res.stderr
    msg = " ".join(res.stderr.split())
    assert f"noise{ext}" in msg and "row 0" not in msg, msg
    assert "Traceback" not in res.stderr
    assert _checksums(loaded) == before
