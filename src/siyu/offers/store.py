"""Where offers keep their state, in the workspace file (created on first load; DuckDB only).

- ``offers``: the loaded offers file (its definition as JSON, digest, source path and load time); one row,
  replaced as a whole by each ``siyu offers load``;
- ``coupon_uses``: ``coupon_id, user_id, order_id, used_at, loaded_at`` — one row per use of a coupon, keyed by
  ``(coupon_id, order_id)`` so that loading the same file again adds nothing. Per-user limits count them.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from siyu._exceptions import ConfigError, ValidationError
from siyu.engine.duckdb import registered, run, transaction
from siyu.offers.model import Offers, load_offers

if TYPE_CHECKING:
    from siyu.workspace import Workspace

__all__ = ["DDL", "USE_COLUMNS", "ensure_tables", "have_tables", "load", "load_uses", "show", "stored_offers"]

DDL = (
    ("CREATE TABLE IF NOT EXISTS offers (digest VARCHAR NOT NULL, definition VARCHAR NOT NULL, "
     "source VARCHAR, loaded_at TIMESTAMP NOT NULL)"),
    ("CREATE TABLE IF NOT EXISTS coupon_uses (coupon_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, "
     "order_id VARCHAR NOT NULL, used_at TIMESTAMP NOT NULL, loaded_at TIMESTAMP NOT NULL, "
     "PRIMARY KEY (coupon_id, order_id))"),
)
TABLES = ("offers", "coupon_uses")
#: the columns of a coupon-uses file, in any order
USE_COLUMNS = ("coupon_id", "user_id", "order_id", "used_at")


def have_tables(ws: Workspace) -> bool:
    """Whether the offers tables exist (a read never creates them)."""
    if "write" not in ws.engine.capabilities:
        return False
    have = {r["table_name"] for r in ws.query(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_name IN "
        f"({', '.join(repr(t) for t in TABLES)})").to_pylist()}
    return len(have) == len(TABLES)


def ensure_tables(ws: Workspace) -> None:
    """Create the offers tables when absent (refused on an engine that cannot write)."""
    ws._require("write", "offers (the offers and coupon uses live in the workspace file)")

    def create(conn: Any) -> None:
        for ddl in DDL:
            run(conn, ddl)

    if not have_tables(ws):
        ws.write(create)


def stored_offers(ws: Workspace) -> tuple[Offers, dict[str, Any]] | None:
    """The loaded offers and their record (``digest``, ``source``, ``loaded_at``), or None before any load."""
    if not have_tables(ws):
        return None
    rows = ws.query("SELECT digest, definition, source, loaded_at FROM offers").to_pylist()
    if not rows:
        return None
    r = rows[0]
    return Offers.model_validate(json.loads(r["definition"])), {k: r[k] for k in ("digest", "source", "loaded_at")}


def _check(ws: Workspace, offers: Offers, where: str) -> list[str]:
    """Check the offers against the workspace: a saved audience must exist (else ConfigError naming the key).
    Returns warnings: price-list tiers not in the stored tier program, skus and categories not in products."""
    from siyu.audiences import list_saved
    from siyu.loyalty import stored_program

    saved = {a["name"] for a in list_saved(ws)} if any(c.audience_name for c in offers.coupons) else set()
    for i, c in enumerate(offers.coupons):
        if c.audience_name is not None and c.audience_name not in saved:
            raise ConfigError(f"{where}: coupons[{i}].audience: no saved audience named {c.audience_name!r}; "
                              "`siyu audience list` shows the saved ones (or give a tree)")
    warnings: list[str] = []
    stored = stored_program(ws)
    tiers = set(stored[0].tier_names) if stored else None
    for i, p in enumerate(offers.price_lists):
        if tiers is None:
            warnings.append(f"price_lists[{i}].tier: no tier program is stored yet (siyu loyalty run); tier "
                            f"{p.tier!r} is checked at quote time")
            break
        if p.tier not in tiers:
            warnings.append(f"price_lists[{i}].tier: {p.tier!r} is not a tier of the stored program "
                            f"({', '.join(sorted(tiers))}); quotes reject it as unknown_tier")
    known = ws.query("SELECT sku, category_leaf, category_l1 FROM products").to_pylist()
    skus = {r["sku"] for r in known}
    cats = {r["category_leaf"] for r in known} | {r["category_l1"] for r in known if r["category_l1"]}
    for i, p in enumerate(offers.price_lists):
        if p.sku not in skus:
            warnings.append(f"price_lists[{i}].sku: {p.sku!r} is not in products")
    for i, c in enumerate(offers.coupons):
        for key, values, have in (("skus", c.skus, skus), ("categories", c.categories, cats)):
            missing = [v for v in values or () if v not in have]
            if missing:
                warnings.append(f"coupons[{i}].{key}: not in products: {', '.join(map(repr, missing))}")
    return warnings


def load(ws: Workspace, file: str | Path | dict[str, Any], *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Validate the offers file and replace the loaded offers with it, in one transaction.

    Returns
    -------
    dict
        ``digest``, ``floor_ratio``, ``price_lists``, ``coupons`` (counts), ``follow_discount`` (the amount or
        None), ``replaced`` (whether offers were loaded before) and ``warnings`` (price-list tiers not in the stored
        program, skus and categories not in products).

    Raises
    ------
    ConfigError
        Naming the file and the key; nothing is replaced.
    """
    from siyu.reach.store import now_local

    offers = load_offers(file)
    where = str(file) if not isinstance(file, dict) else "offers"
    ws._require("write", "offers (the offers and coupon uses live in the workspace file)")
    warnings = _check(ws, offers, where)
    ensure_tables(ws)
    now = now or now_local(ws)
    source = None if isinstance(file, dict) else str(file)

    def write(conn: Any) -> bool:
        with transaction(conn):
            replaced = bool(run(conn, "SELECT count(*) FROM offers")[0][0])
            run(conn, "DELETE FROM offers")
            run(conn, "INSERT INTO offers VALUES (?, ?, ?, ?)",
                [offers.digest(), json.dumps(offers.definition(), ensure_ascii=False), source, now])
        return replaced

    replaced = ws.write(write)
    return {"digest": offers.digest(), "floor_ratio": offers.floor_ratio, "price_lists": len(offers.price_lists),
            "coupons": len(offers.coupons),
            "follow_discount": offers.follow_discount.amount if offers.follow_discount else None,
            "replaced": replaced, "warnings": warnings}


def show(ws: Workspace) -> dict[str, Any]:
    """The loaded offers: ``loaded_at``, ``source``, ``digest`` (None before any load), ``floor_ratio``,
    ``price_lists``, ``coupons`` (each with ``uses``: the recorded uses, and ``users``: how many users used it)
    and ``follow_discount``. Before any load: the empty set (the defaults)."""
    got = stored_offers(ws)
    offers, record = got if got else (Offers(), {"digest": None, "source": None, "loaded_at": None})
    d = offers.model_dump()
    d["price_lists"], d["coupons"] = list(d["price_lists"]), list(d["coupons"])
    totals = {r["coupon_id"]: r for r in ws.model("coupon_use_totals").to_pylist()} if got else {}
    for c in d["coupons"]:
        t = totals.get(c["id"], {})
        c["uses"], c["users"] = t.get("uses", 0), t.get("users", 0)
    return {**record, **d}


def _read_uses(path: Path) -> list[tuple[str, str, str, dt.datetime]]:
    """The rows of a coupon-uses CSV file (see :func:`load_uses`)."""
    name = str(path)
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the coupon uses ({exc.strerror})") from None
    out: list[tuple[str, str, str, dt.datetime]] = []
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise ValidationError(name, f"empty file: the header {','.join(USE_COLUMNS)} is required") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationError(name, f"not a UTF-8 CSV file: {exc}") from None
        for col in header:
            if col not in USE_COLUMNS:
                raise ValidationError(name, f"unknown column; the columns are {', '.join(USE_COLUMNS)}", column=col)
        for col in USE_COLUMNS:
            if header.count(col) != 1:
                raise ValidationError(name, "missing column" if col not in header else "column given twice",
                                      column=col)
        at = {c: header.index(c) for c in USE_COLUMNS}
        row = 0
        try:
            for row, rec in enumerate(reader, start=1):
                if not rec:
                    continue
                if len(rec) != len(header):
                    raise ValidationError(name, f"{len(rec)} fields, the header has {len(header)}", row=row)
                vals = {c: rec[i].strip() for c, i in at.items()}
                for c in USE_COLUMNS:
                    if not vals[c]:
                        raise ValidationError(name, "required value missing", row=row, column=c)
                try:
                    used_at = dt.datetime.fromisoformat(vals["used_at"])
                except ValueError:
                    raise ValidationError(name, "not a local timestamp (YYYY-MM-DD HH:MM)", row=row,
                                          column="used_at", value=vals["used_at"]) from None
                if used_at.tzinfo is not None:
                    raise ValidationError(name, "give local wall-clock time of the workspace without a zone",
                                          row=row, column="used_at", value=vals["used_at"])
                out.append((vals["coupon_id"], vals["user_id"], vals["order_id"], used_at))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise ValidationError(name, f"not a UTF-8 CSV file: {exc}", row=row + 1) from None
    return out


def load_uses(ws: Workspace, file: str | Path, *, now: dt.datetime | None = None) -> dict[str, Any]:
    """Load coupon uses from a CSV file with the columns ``coupon_id, user_id, order_id, used_at`` (any order).

    Idempotent by ``(coupon_id, order_id)``: a use already stored with the same user and time is skipped. Every row
    is checked before anything is written; one bad row and nothing is written.

    Returns
    -------
    dict
        ``rows`` (in the file), ``added`` and ``skipped`` (already stored).

    Raises
    ------
    ValidationError
        Naming the file, the rule, the 1-based data row, the column and the value: a missing or unknown column, an
        empty value, a bad timestamp, a coupon id that is not a coupon of the loaded offers, the same
        ``(coupon_id, order_id)`` twice with another user or time (in the file, or against a stored use).
    """
    import pyarrow as pa

    from siyu.reach.store import now_local

    path = Path(file)
    rows = _read_uses(path)
    name = str(path)
    got = stored_offers(ws)
    coupons = {c.id for c in got[0].coupons} if got else set()
    seen: dict[tuple[str, str], tuple[int, str, dt.datetime]] = {}
    for i, (coupon, user, order, used_at) in enumerate(rows, start=1):
        if coupon not in coupons:
            raise ValidationError(name, "not a coupon of the loaded offers (siyu offers show lists them; load the "
                                        "offers first)", row=i, column="coupon_id", value=coupon)
        prev = seen.get((coupon, order))
        if prev is not None and prev[1:] != (user, used_at):
            raise ValidationError(name, f"order {order!r} already used coupon {coupon!r} in row {prev[0]} with "
                                        "another user or time", row=i, column="order_id", value=order)
        seen.setdefault((coupon, order), (i, user, used_at))
    ensure_tables(ws)
    now = now or now_local(ws)
    table = pa.table({"coupon_id": [k[0] for k in seen], "order_id": [k[1] for k in seen],
                      "user_id": [v[1] for v in seen.values()], "used_at": [v[2] for v in seen.values()],
                      "row": [v[0] for v in seen.values()]},
                     schema=pa.schema([("coupon_id", pa.string()), ("order_id", pa.string()),
                                       ("user_id", pa.string()), ("used_at", pa.timestamp("us")),
                                       ("row", pa.int64())]))

    def write(conn: Any) -> int:
        with transaction(conn), registered(conn, _uses=table):
            clash = run(conn, "SELECT n.row, n.coupon_id, n.order_id FROM _uses n JOIN coupon_uses u USING "
                              "(coupon_id, order_id) WHERE u.user_id <> n.user_id OR u.used_at <> n.used_at "
                              "ORDER BY n.row LIMIT 1")
            if clash:
                r, coupon, order = clash[0]
                raise ValidationError(name, f"order {order!r} is stored as a use of coupon {coupon!r} with another "
                                            "user or time", row=r, column="order_id", value=order)
            before = run(conn, "SELECT count(*) FROM coupon_uses")[0][0]
            run(conn, "INSERT INTO coupon_uses SELECT n.coupon_id, n.user_id, n.order_id, n.used_at, ? FROM _uses n "
                      "WHERE NOT EXISTS (SELECT 1 FROM coupon_uses u WHERE u.coupon_id = n.coupon_id "
                      "AND u.order_id = n.order_id)", [now])
            return run(conn, "SELECT count(*) FROM coupon_uses")[0][0] - before

    added = ws.write(write)
    return {"rows": len(rows), "added": added, "skipped": len(rows) - added}
