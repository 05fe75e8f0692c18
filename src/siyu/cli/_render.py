"""Output formatting for adapters: rich tables, JSON and CSV from rows."""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["FORMATS", "plural", "render_rows", "to_json"]

FORMATS = ("table", "json", "csv")


def _plain(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (_dt.date, _dt.datetime)):
        return v.isoformat()
    if isinstance(v, float) and v != v:  # NaN
        return None
    return v


def to_json(obj: Any) -> str:
    """JSON text of ``obj`` (decimals as numbers, dates as ISO strings)."""
    def default(v: Any) -> Any:
        out = _plain(v)
        if out is v:
            raise TypeError(f"not JSON serialisable: {type(v).__name__}")
        return out

    return json.dumps(obj, ensure_ascii=False, indent=2, default=default)


def render_rows(rows: list[Mapping[str, Any]], fmt: str, *, title: str | None = None,
                columns: Iterable[str] | None = None) -> str | Any:
    """Rows as a rich Table (``table``), JSON text or CSV text."""
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt == "json":
        return to_json([{c: r.get(c) for c in cols} for r in rows])
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else _plain(r.get(c)) for c in cols])
        return buf.getvalue()
    from rich.table import Table

    t = Table(title=title)
    for c in cols:
        t.add_column(c, justify="right" if rows and isinstance(rows[0].get(c), (int, float, decimal.Decimal)) else "left")
    for r in rows:
        t.add_row(*[_cell(r.get(c)) for c in cols])
    return t


def _cell(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}"
    if isinstance(v, (int, decimal.Decimal)):
        return f"{v:,}"
    return str(_plain(v))


def plural(n: int, word: str, many: str | None = None) -> str:
    """``"1 row"``, ``"2 rows"``, ``"1,000 rows"`` (``many`` for an irregular plural)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
