"""The consents table and users.email in the data contract: loading, privacy, old workspaces, the simulator."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from siyu import ValidationError, Workspace
from siyu.contract.privacy import decrypt, load_or_create_key, mask_email
from siyu.contract.schema import (
    CONSENT_CHANNELS,
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    TABLES,
)
from siyu.simulate import SimulationConfig, simulate_store, write_store

HEADER = "user_id,channel,purpose,status,ts,source,text_version\n"
GOOD = (HEADER
        + "u1,all,marketing,granted,2024-01-02 10:00:00,register,v1\n"
        + "u1,sms,third_party,granted,2024-01-02 10:00:00,register,v1\n"
        + "u1,sms,marketing,withdrawn,2024-03-01 20:15:00,sms_reply,v1\n"
        + "u2,email,personalisation,granted,2024-02-01T08:00:00+08:00,,\n")


def _rows(ws: Workspace, sql: str) -> list[dict]:
    return ws.query(sql).to_pylist()


# -- loading consents -------------------------------------------------------------------------------------------
def test_a_consents_file_loads_with_contract_types(workspace, tmp_path):
    f = tmp_path / "consents.csv"
    f.write_text(GOOD, encoding="utf-8")
    res = workspace.ingest("consents", f)
    assert (res.rows, res.inserted) == (4, 4)
    got = _rows(workspace, "SELECT * FROM consents ORDER BY user_id, ts, channel")
    assert got[0] == {"user_id": "u1", "channel": "all", "purpose": "marketing", "status": "granted",
                      "ts": dt.datetime(2024, 1, 2, 10), "source": "register", "text_version": "v1"}
    assert got[-1]["ts"] == dt.datetime(2024, 2, 1, 8) and got[-1]["source"] is None
    assert workspace.ingest("consents", f).unchanged == 4  # idempotent
    assert workspace.tables()["consents"]["rows"] == 4


@pytest.mark.parametrize(("column", "line"), [
    ("channel", "u1,wechat,marketing,granted,2024-01-02 10:00:00,register,v1"),
    ("channel", "u1,ALL,marketing,granted,2024-01-02 10:00:00,register,v1"),
    ("purpose", "u1,sms,ads,granted,2024-01-02 10:00:00,register,v1"),
    ("status", "u1,sms,marketing,revoked,2024-01-02 10:00:00,register,v1"),
    ("status", "u1,sms,marketing,,2024-01-02 10:00:00,register,v1"),
])
def test_bad_consent_values_name_file_row_column_and_rule(workspace, tmp_path, column, line):
    f = tmp_path / "consents_bad.csv"
    f.write_text(HEADER + "u9,all,marketing,granted,2024-01-01 09:00:00,register,v1\n" + line + "\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        workspace.ingest("consents", f)
    e = err.value
    assert (e.file, e.row, e.column) == (str(f), 2, column)
    if line.split(",")[3] == "":
        assert e.rule == "required value is missing"
    else:
        allowed = {"channel": CONSENT_CHANNELS, "purpose": CONSENT_PURPOSES, "status": CONSENT_STATUSES}[column]
        assert e.rule == "must be one of: " + ", ".join(allowed)
    msg = str(e)
    assert str(f) in msg and "row 2" in msg and f"column {column!r}" in msg and e.rule in msg
    assert workspace.tables()["consents"]["rows"] == 0  # nothing of the file is stored


def test_the_consent_key_includes_the_time(workspace, tmp_path):
    f = tmp_path / "c.csv"
    f.write_text(HEADER + "u1,sms,marketing,granted,2024-01-02 10:00:00,register,v1\n"
                 + "u1,sms,marketing,withdrawn,2024-01-02 10:00:00,sms_reply,v1\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="duplicate key") as err:
        workspace.ingest("consents", f)
    assert err.value.row == 2


# -- users.email: personal data ---------------------------------------------------------------------------------
USERS = ("user_id,phone,email,city_tier\n"
         "u1,13812341234,alice.w@example.com,tier1\n"
         "u2,,bob@mail.example.net,tier2\n"
         "u3,13900001111,,tier3\n")


def test_phone_and_email_load_together_encrypted_and_masked(workspace, tmp_path):
    f = tmp_path / "users.csv"
    f.write_text(USERS, encoding="utf-8")
    assert workspace.ingest("users", f).inserted == 3
    got = _rows(workspace, "SELECT user_id, phone_masked, email_masked, email_enc, phone_enc FROM users "
                           "ORDER BY user_id")
    assert [r["email_masked"] for r in got] == ["a***@example.com", "b***@mail.example.net", None]
    assert [r["phone_masked"] for r in got] == ["138****1234", None, "139****1111"]
    key = load_or_create_key(workspace.path)
    assert decrypt(key, got[0]["email_enc"]) == "alice.w@example.com"
    assert decrypt(key, got[1]["email_enc"]) == "bob@mail.example.net"
    assert decrypt(key, got[0]["phone_enc"]) == "13812341234"  # each column got its own ciphertexts
    assert got[2]["email_enc"] is None and got[1]["phone_enc"] is None
    assert workspace.ingest("users", f).unchanged == 3  # deterministic encryption: a second load changes nothing
    out = tmp_path / "masked.csv"
    workspace.export("users", out)
    text = out.read_text(encoding="utf-8")
    assert "a***@example.com" in text and "alice.w" not in text
    workspace.export("users", out, unmask=True)
    assert "alice.w@example.com" in out.read_text(encoding="utf-8")
    workspace.close()
    raw = workspace.db_path.read_bytes()
    assert b"alice.w@example.com" not in raw and b"bob@mail.example.net" not in raw


def test_an_email_column_alone_loads(workspace, tmp_path):
    f = tmp_path / "users.jsonl"
    f.write_text('{"user_id": "u1", "email": "z@example.org"}\n', encoding="utf-8")
    workspace.ingest("users", f)
    assert _rows(workspace, "SELECT email_masked, phone_masked FROM users") == [
        {"email_masked": "z***@example.org", "phone_masked": None}]


@pytest.mark.parametrize("value", ["a***@example.com", "al*ce@example.com"])
def test_a_masked_email_cannot_be_loaded_and_is_shown_masked(workspace, tmp_path, value):
    f = tmp_path / "users_masked.csv"
    f.write_text(f"user_id,email\nu1,alice@example.com\nu2,{value}\n", encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        workspace.ingest("users", f)
    e = err.value
    assert (e.row, e.column) == (2, "email") and "masked value cannot be loaded" in e.rule
    assert e.value == mask_email(value) == "a***@example.com"
    assert value not in str(e) or value == mask_email(value)
    assert "alice@example.com" not in str(e)


def test_a_bad_row_never_shows_the_raw_email(workspace, tmp_path):
    f = tmp_path / "users_bad.csv"
    f.write_text("user_id,email,is_88vip\nu1,alice@example.com,true\nu2,carol.secret@example.com,maybe\n",
                 encoding="utf-8")
    with pytest.raises(ValidationError) as err:
        workspace.ingest("users", f)
    assert err.value.column == "is_88vip" and err.value.row == 2
    assert "carol.secret" not in str(err.value) and "alice" not in str(err.value)


# -- workspaces made before the change --------------------------------------------------------------------------
def test_an_old_workspace_gains_email_and_consents_when_opened_writable(tmp_path):
    path = tmp_path / "ws"
    with Workspace.init(path) as ws:
        users = tmp_path / "users.csv"
        users.write_text("user_id,phone,city_tier\nu1,13812341234,tier1\n", encoding="utf-8")
        ws.ingest("users", users)
        db = ws.db_path
    con = duckdb.connect(str(db))  # make it look like a workspace of the previous contract
    con.execute("ALTER TABLE users DROP COLUMN email_masked")
    con.execute("ALTER TABLE users DROP COLUMN email_enc")
    con.execute("DROP TABLE consents")
    con.close()

    def columns(ws: Workspace) -> dict[str, list[str]]:
        rows = _rows(ws, "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'main' "
                         "AND table_name IN ('users', 'consents') ORDER BY table_name, ordinal_position")
        out: dict[str, list[str]] = {}
        for r in rows:
            out.setdefault(r["table_name"], []).append(r["column_name"])
        return out

    with Workspace(path, read_only=True) as ro:  # a read-only open changes nothing
        assert "consents" not in columns(ro) and "email_masked" not in columns(ro)["users"]
    with Workspace(path) as ws:
        cols = columns(ws)
        assert cols["consents"] == [n for n, _ in TABLES["consents"].storage_columns]
        assert {"email_masked", "email_enc"} <= set(cols["users"])
        assert _rows(ws, "SELECT user_id, phone_masked, email_masked FROM users") == [
            {"user_id": "u1", "phone_masked": "138****1234", "email_masked": None}]  # old rows are kept
        f = tmp_path / "consents.csv"
        f.write_text(GOOD, encoding="utf-8")
        assert ws.ingest("consents", f).inserted == 4
        users.write_text("user_id,phone,email\nu1,13812341234,u1@example.com\n", encoding="utf-8")
        assert ws.ingest("users", users).replaced == 1
        assert _rows(ws, "SELECT email_masked FROM users") == [{"email_masked": "u***@example.com"}]
    with Workspace(path) as again:  # nothing left to add: opening again is a no-op
        assert again.tables()["consents"]["rows"] == 4


# -- the simulator ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def store():
    return simulate_store(SimulationConfig(users=4000, days=180, prehistory_days=90))


def _s(col) -> list:
    return pc.cast(col, pa.string()).to_pylist() if pa.types.is_dictionary(col.type) else col.to_pylist()


def test_simulated_consents_follow_the_contract(store):
    tables, truth = store
    c, users = tables["consents"], tables["users"]
    assert c.column_names == list(TABLES["consents"].column_names) and c.num_rows > users.num_rows
    assert set(_s(c["channel"])) <= set(CONSENT_CHANNELS) and "all" in set(_s(c["channel"]))
    assert set(_s(c["purpose"])) == set(CONSENT_PURPOSES)
    assert set(_s(c["status"])) == set(CONSENT_STATUSES)
    assert set(_s(c["source"])) == {"register", "checkout", "member_center", "customer_service", "sms_reply"}
    assert set(_s(c["text_version"])) == {"v1", "v2"}
    for name in ("user_id", "channel", "purpose", "status", "ts"):
        assert c[name].null_count == 0, name
    keys = list(zip(_s(c["user_id"]), _s(c["channel"]), _s(c["purpose"]), c["ts"].to_pylist()))
    assert len(set(keys)) == len(keys)
    assert pc.all(pc.is_in(c["user_id"], users["user_id"])).as_py()
    # never before the user exists, never after the window
    reg = dict(zip(users["user_id"].to_pylist(), users["registered_at"].to_pylist()))
    assert all(ts >= reg[u] for u, _, _, ts in keys)
    assert max(c["ts"].to_pylist()) < dt.datetime.fromisoformat(truth["window"]["end_exclusive"])
    v2_from = dt.datetime.fromisoformat(truth["consents"]["text_v2_from"])
    assert all((v == "v2") == (ts >= v2_from) for v, ts in zip(_s(c["text_version"]), c["ts"].to_pylist()))
    assert truth["rows"]["consents"] == c.num_rows


def test_simulated_consent_shares_are_realistic(store):
    tables, _ = store
    c, n = tables["consents"], tables["users"].num_rows
    rows = list(zip(_s(c["user_id"]), _s(c["channel"]), _s(c["purpose"]), _s(c["status"]), _s(c["source"])))
    grantors = {u for u, _, p, s, _ in rows if p == "marketing" and s == "granted"}
    assert 0.6 <= len(grantors) / n <= 0.85
    all_at_first = {u for u, ch, p, s, src in rows if p == "marketing" and s == "granted" and ch == "all"
                    and src in ("register", "checkout")}
    assert 0.5 <= len(all_at_first) / n <= 0.7
    single = {u for u, ch, p, s, _ in rows if p == "marketing" and s == "granted" and ch not in ("all",)}
    assert single
    withdrawn = {u for u, _, p, s, _ in rows if p == "marketing" and s == "withdrawn"}
    assert withdrawn <= grantors and 0.04 <= len(withdrawn) / len(grantors) <= 0.12
    assert any(src == "sms_reply" and ch == "sms" and s == "withdrawn" for _, ch, _, s, src in rows)
    again = {u for u, _, p, s, src in rows if p == "marketing" and s == "granted" and u in withdrawn}
    assert again  # some grant again after a withdrawal
    pers = {u for u, _, p, s, _ in rows if p == "personalisation" and s == "granted"}
    assert pers <= grantors and 0.4 <= len(pers) / len(grantors) <= 0.6
    third = {u for u, ch, p, s, _ in rows if p == "third_party" and s == "granted"}
    assert {ch for _, ch, p, _, _ in rows if p == "third_party"} == {"sms"}
    assert third <= grantors and 0.3 <= len(third) / len(grantors) <= 0.5


def test_a_td_reply_follows_an_sms_the_user_received(store):
    tables, _ = store
    c, r = tables["consents"], tables["reach_log"]
    sms = {}
    for u, ch, st, ts in zip(_s(r["user_id"]), _s(r["channel"]), _s(r["status"]), r["ts"].to_pylist()):
        if ch == "sms" and st in ("delivered", "opened", "clicked"):
            sms.setdefault(u, []).append(ts)
    replies = [(u, ts) for u, src, ts in zip(_s(c["user_id"]), _s(c["source"]), c["ts"].to_pylist())
               if src == "sms_reply"]
    assert replies
    for u, ts in replies:
        before = [t for t in sms.get(u, []) if t <= ts]
        assert before and ts - max(before) <= dt.timedelta(hours=6)
        assert not [t for t in sms[u] if t > ts]  # TD answers the last SMS the user received


def test_simulated_emails_are_unique_masked_and_reserved(store):
    tables, _ = store
    email = tables["users"]["email"]
    assert pa.types.is_string(email.type)
    vals = email.drop_null().to_pylist()
    assert 0.65 <= len(vals) / len(email) <= 0.75
    assert len(set(vals)) == len(vals)
    assert pc.all(pc.match_substring_regex(pa.array(vals), r"^[a-z]*\d{6,}@([a-z0-9]+\.)?example\.(com|net)$")).as_py()
    assert {v.split("@")[1] for v in vals} >= {"qq.example.com", "163.example.com", "example.com"}


def _digest(t: pa.Table) -> str:
    cols = {n: _s(t[n]) for n in t.column_names}
    return hashlib.sha256(json.dumps(cols, default=str, ensure_ascii=False).encode()).hexdigest()[:16]


#: content digests of the tables of ``SimulationConfig(users=400, days=60, prehistory_days=30, seed=15)`` computed with
#: the simulator before consents and users.email existed (users without email): the new draws changed nothing else
BEFORE_CONSENTS = {
    "users": "4a1d3e91ee11640f", "products": "cd4d050dd380ca82", "orders": "c0296ce0febff63c",
    "order_items": "0cc60666d2378988", "events": "2e3b6461dbad2315", "follows": "0decd61a6b057ada",
    "memberships": "031e641d54e39cff", "reach_log": "bb2251ffc5a12dbf",
}


def test_emails_and_consents_leave_every_other_table_as_it_was():
    tables, _ = simulate_store(SimulationConfig(users=400, days=60, prehistory_days=30, seed=15))
    got = {k: _digest(t.drop_columns(["email"]) if k == "users" else t) for k, t in tables.items() if k != "consents"}
    assert got == BEFORE_CONSENTS


def test_the_side_stream_is_separate_from_the_main_one(monkeypatch):
    """Another side stream gives other emails and consents and the very same other tables."""
    import siyu.simulate._store as store_mod

    cfg = SimulationConfig(users=1500, days=90, prehistory_days=30)
    a, _ = simulate_store(cfg)
    monkeypatch.setattr(store_mod, "side_stream", lambda rng: np.random.default_rng(99))
    b, _ = simulate_store(cfg)
    assert not a["consents"].equals(b["consents"]) and not a["users"]["email"].equals(b["users"]["email"])
    assert a["users"].drop_columns(["email"]).equals(b["users"].drop_columns(["email"]))
    for name in a:
        if name not in ("users", "consents"):
            assert a[name].equals(b[name]), name


def test_a_simulated_store_loads_users_and_consents(tmp_path):
    tables, truth = simulate_store(SimulationConfig(users=300, days=60, prehistory_days=0))
    files = write_store(tmp_path / "d", tables, truth, fmt="csv")
    with Workspace.init(tmp_path / "ws") as ws:
        for name in TABLES:
            ws.ingest(name, files[name])
        assert ws.tables()["consents"]["rows"] == tables["consents"].num_rows
        n_mail = _rows(ws, "SELECT count(email_enc) AS n, count(DISTINCT email_enc) AS d, "
                           "count(*) FILTER (WHERE email_masked LIKE '_***@%') AS m FROM users")[0]
        expected = tables["users"].num_rows - tables["users"]["email"].null_count
        assert n_mail == {"n": expected, "d": expected, "m": expected}
