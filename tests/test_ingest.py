"""Loading through the data contract: types, time zones, idempotency, replacement, round trips."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import GOOD_FILES

from siyu import ValidationError
from siyu.contract import TABLES


def rows(ws, sql):
    return ws.query(sql).to_pylist()


def test_good_fixture_loads_with_contract_types(good_ws):
    ws = good_ws
    assert ws.tables()["orders"]["rows"] == 4
    # identifiers keep leading zeros: "00042" and "42" are two users
    assert {r["user_id"] for r in rows(ws, "SELECT user_id FROM users")} == {"00042", "42", "u3"}
    o = {r["order_id"]: r for r in rows(ws, "SELECT * FROM orders")}
    # naive timestamps are workspace-local; zoned ones are converted to Asia/Shanghai
    assert o["o1"]["paid_at"] == dt.datetime(2024, 11, 11, 20, 0)
    assert o["o2"]["paid_at"] == dt.datetime(2024, 11, 11, 20, 30)  # 12:30Z = 20:30 +08:00
    assert o["o4"]["paid_at"] == dt.datetime(2024, 11, 12, 0, 0)    # a date alone is midnight
    # money is exact decimal with two places; a missing refund_amount is 0
    assert o["o1"]["amount"] == Decimal("388.90")
    assert o["o4"]["refund_amount"] == Decimal("0.00")
    assert o["o3"]["store_id"] == "st2" and o["o1"]["store_id"] is None
    p = {r["sku"]: r for r in rows(ws, "SELECT * FROM products")}
    assert p["s2"]["launch_date"] == dt.date(2024, 10, 1) and p["s3"]["launch_date"] is None
    u = {r["user_id"]: r for r in rows(ws, "SELECT * FROM users")}
    assert u["00042"]["is_88vip"] is True and u["u3"]["is_88vip"] is None
    assert u["42"]["registered_at"] == dt.datetime(2023, 6, 2, 8, 0)


def test_events_without_id_get_a_content_hash_and_exact_duplicates_collapse(good_ws):
    ev = rows(good_ws, "SELECT event_id, user_id, type, rating, duration_s FROM events ORDER BY event_id")
    assert len(ev) == 5  # 6 lines, one exact duplicate
    hashed = [e for e in ev if e["event_id"].startswith("h:")]
    assert len(hashed) == 3 and len({e["event_id"] for e in hashed}) == 3
    assert {e["rating"] for e in ev if e["type"] == "review"} == {5}
    assert [e["duration_s"] for e in ev if e["event_id"] == "e2"] == [310.5]


def test_second_load_of_same_files_changes_nothing(good_ws):
    before = good_ws.checksums()
    for table, path in GOOD_FILES.items():
        res = good_ws.ingest(table, path)
        assert (res.inserted, res.replaced) == (0, 0), table
        assert res.unchanged == res.rows - res.duplicates_dropped
    after = good_ws.checksums()
    assert {k: v for k, v in after.items() if k != "_loads"} == {k: v for k, v in before.items() if k != "_loads"}


def test_existing_key_replaces_row_and_is_counted(good_ws, tmp_path):
    f = tmp_path / "orders_fix.csv"
    f.write_text("order_id,user_id,paid_at,amount,refund_amount\n"
                 "o1,00042,2024-11-11 20:00:00,388.90,100.00\n"     # a refund arrives
                 "o9,u3,2024-11-13 10:00:00,10.00,0\n")             # a new order
    res = good_ws.ingest("orders", f)
    assert (res.rows, res.inserted, res.replaced, res.unchanged) == (2, 1, 1, 0)
    got = rows(good_ws, "SELECT refund_amount, channel FROM orders WHERE order_id = 'o1'")
    # the whole row is replaced: channel was not in the correction file
    assert got == [{"refund_amount": Decimal("100.00"), "channel": None}]
    assert good_ws.tables()["orders"]["rows"] == 5


def test_parquet_and_jsonl_load_the_same_rows_as_csv(good_ws, tmp_path):
    from siyu import Workspace

    for ext in ("parquet", "jsonl"):
        other = Workspace.init(tmp_path / f"ws_{ext}")
        for table in TABLES:
            out = tmp_path / f"{table}.{ext}"
            good_ws.export(table, out, unmask=True)
            other.ingest(table, out)
        # ciphertexts differ between workspaces (each has its own key): compare users in clear instead
        ignore = {"_loads": "", "users": ""}
        assert other.checksums() | ignore == good_ws.checksums() | ignore, ext
        good_ws.export("users", tmp_path / "a.csv", unmask=True)
        other.export("users", tmp_path / "b.csv", unmask=True)
        assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
        assert "13812341234" in (tmp_path / "a.csv").read_text()
        other.close()


def test_parquet_native_types_and_zoned_timestamps(workspace, tmp_path):
    f = tmp_path / "orders.parquet"
    pq.write_table(pa.table({
        "order_id": ["a", "b"], "user_id": ["u1", "u2"],
        "paid_at": pa.array([dt.datetime(2024, 1, 1, 0, 0), dt.datetime(2024, 1, 1, 16, 0)],
                            pa.timestamp("us", tz="UTC")),
        "amount": pa.array([10.5, 20.25]),
    }), f)
    workspace.ingest("orders", f)
    got = rows(workspace, "SELECT order_id, paid_at, amount FROM orders ORDER BY order_id")
    assert got[0]["paid_at"] == dt.datetime(2024, 1, 1, 8, 0)
    assert got[1]["paid_at"] == dt.datetime(2024, 1, 2, 0, 0)  # crosses midnight in Shanghai
    assert got[1]["amount"] == Decimal("20.25")


def test_workspace_time_zone_is_used_for_naive_and_zoned_values(tmp_path):
    from siyu import SiyuConfig, Workspace
    from siyu.config import WorkspaceSettings

    ws = Workspace.init(tmp_path / "ny", config=SiyuConfig(workspace=WorkspaceSettings(tz="America/New_York")))
    f = tmp_path / "o.csv"
    f.write_text("order_id,user_id,paid_at,amount\na,u,2024-07-01T12:00:00Z,1\nb,u,2024-07-01 12:00:00,1\n")
    ws.ingest("orders", f)
    got = {r["order_id"]: r["paid_at"] for r in rows(ws, "SELECT * FROM orders")}
    assert got == {"a": dt.datetime(2024, 7, 1, 8, 0), "b": dt.datetime(2024, 7, 1, 12, 0)}


def test_order_items_may_reference_orders_loaded_earlier_only(workspace, tmp_path):
    with pytest.raises(ValidationError, match="points to no row of orders") as exc:
        workspace.ingest("order_items", GOOD_FILES["order_items"])
    assert exc.value.row == 1 and exc.value.column == "order_id"
    assert workspace.tables()["order_items"]["rows"] == 0


def test_unknown_table_and_unknown_format_are_refused(workspace, tmp_path):
    from siyu import ConfigError

    with pytest.raises(ConfigError, match="unknown table"):
        workspace.ingest("order", GOOD_FILES["orders"])
    f = tmp_path / "orders.xlsx"
    f.write_bytes(b"x")
    with pytest.raises(ValidationError, match="unknown file format"):
        workspace.ingest("orders", f)


def test_every_failing_row_is_counted_in_the_message(workspace, tmp_path):
    f = tmp_path / "o.csv"
    f.write_text("order_id,user_id,paid_at,amount\n" + "".join(f"o{i},u,2024-01-01,-1\n" for i in range(5)))
    with pytest.raises(ValidationError, match=r"must be ≥ 0 \(4 more rows break this rule\)") as exc:
        workspace.ingest("orders", f)
    assert exc.value.row == 1


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "cp936"])
def test_text_files_in_other_encodings_load_the_same_values(workspace, tmp_path, encoding):
    csv_file = tmp_path / "users.csv"
    csv_file.write_bytes("user_id,city_tier,tags\r\nu7,tier1,小红书:护肤;直播\r\nu8,tier2,\r\n"  # Excel: CRLF
                         .encode(encoding))
    jsonl_file = tmp_path / "products.jsonl"
    jsonl_file.write_bytes('{"sku": "s9", "name": "保湿精华 30ml", "category_l1": "护肤", "category_leaf": "精华"}\n'
                           .encode(encoding))
    res = workspace.ingest("users", csv_file, encoding=encoding)
    assert (res.rows, res.inserted) == (2, 2) and res.file == str(csv_file)
    assert rows(workspace, "SELECT user_id, tags FROM users ORDER BY user_id") == [
        {"user_id": "u7", "tags": "小红书:护肤;直播"}, {"user_id": "u8", "tags": None}]
    workspace.ingest("products", jsonl_file, encoding=encoding)
    got = rows(workspace, "SELECT name, category_l1 FROM products")
    assert got == [{"name": "保湿精华 30ml", "category_l1": "护肤"}]
    # idempotent: the same file again changes nothing
    before = workspace.checksums()
    again = workspace.ingest("users", csv_file, encoding=encoding)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 2)
    assert {k: v for k, v in workspace.checksums().items() if k != "_loads"} == \
           {k: v for k, v in before.items() if k != "_loads"}


def test_a_failed_transcoded_load_changes_nothing_and_leaves_no_temporary_file(good_ws, tmp_path, monkeypatch):
    import tempfile

    tmp_root = tmp_path / "tmp"
    tmp_root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_root))  # where TemporaryDirectory goes, to look at it
    f = tmp_path / "orders.csv"
    f.write_bytes("order_id,user_id,paid_at,amount,channel\n".encode("gbk")
                  + "o7,u3,2024-11-12 10:00:00,10.00,直播\n".encode("gbk")   # a valid row ...
                  + b"o8,u3,2024-11-12 11:00:00,\x81\x20,live\n")          # ... then a byte gbk cannot decode
    before = good_ws.checksums()
    with pytest.raises(ValidationError) as exc:
        good_ws.ingest("orders", f, encoding="gbk")
    assert exc.value.file == str(f) and exc.value.row == 2 and "line 3" in exc.value.rule
    assert good_ws.checksums() == before
    # a row that decodes but breaks the contract is refused under the original file name
    f.write_bytes("order_id,user_id,paid_at,amount\no7,u3,2024-11-12 10:00:00,-1\n".encode("gbk"))
    with pytest.raises(ValidationError, match="must be ≥ 0") as exc:
        good_ws.ingest("orders", f, encoding="gbk")
    assert exc.value.file == str(f) and exc.value.row == 1 and str(f) in str(exc.value)
    assert good_ws.checksums() == before
    assert list(tmp_root.iterdir()) == []


def test_parquet_ignores_the_encoding(workspace, tmp_path):
    f = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"order_id": ["a"], "user_id": ["用户1"], "paid_at": ["2024-01-01 10:00:00"],
                             "amount": ["1.00"]}), f)
    assert workspace.ingest("orders", f, encoding="gbk").inserted == 1
    assert rows(workspace, "SELECT user_id FROM orders") == [{"user_id": "用户1"}]


def test_unknown_or_non_text_encoding_is_a_config_error(workspace):
    from siyu import ConfigError

    for name in ("klingon", "base64"):
        with pytest.raises(ConfigError, match=repr(name)):
            workspace.ingest("users", GOOD_FILES["users"], encoding=name)


def test_jsonl_nested_values_are_refused_but_json_looking_text_is_kept(workspace, tmp_path):
    f = tmp_path / "users.jsonl"
    f.write_text('{"user_id": "u1", "tags": "{\\"a\\": 1}"}\n{"user_id": "u2", "tags": [1, 2]}\n', encoding="utf-8")
    with pytest.raises(ValidationError, match="not a JSON array") as exc:
        workspace.ingest("users", f)
    assert (exc.value.row, exc.value.column) == (2, "tags")
    assert workspace.tables()["users"]["rows"] == 0
    f.write_text('{"user_id": "u1", "tags": "{\\"a\\": 1}"}\n{"user_id": 2, "tags": null}\n', encoding="utf-8")
    workspace.ingest("users", f)  # a string that looks like JSON is text; a number id is a single value
    assert rows(workspace, "SELECT user_id, tags FROM users ORDER BY user_id") == [
        {"user_id": "2", "tags": None}, {"user_id": "u1", "tags": '{"a": 1}'}]


def test_not_utf8_error_says_how_to_fix_it_and_a_broken_first_line_is_no_row(workspace, tmp_path):
    f = tmp_path / "users.csv"
    f.write_bytes("user_id,tags\nu1,直播\n".encode("gbk"))
    with pytest.raises(ValidationError, match="--encoding gbk") as exc:
        workspace.ingest("users", f)
    assert exc.value.row == 1 and "re-save it as UTF-8" in exc.value.rule
    f.write_bytes("用户,tags\nu1,x\n".encode("gbk"))
    with pytest.raises(ValidationError, match="not valid UTF-8") as exc:
        workspace.ingest("users", f)
    assert exc.value.row is None and "row" not in str(exc.value)


def test_a_second_broken_row_is_counted_in_the_singular(workspace, tmp_path):
    p = tmp_path / "products.csv"
    p.write_text("sku,name,brand,category_l1,category_leaf,launch_date,list_price\n"
                 "a,x,B,c,c,2024-01-01,-1\nb,y,B,c,c,2024-01-01,-2\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=r"\(1 more row breaks this rule\)"):
        workspace.ingest("products", p)
