"""Output formatting for adapters: rich tables, JSON and CSV from rows.

JSON and CSV are for programs: machine keys and raw values. Tables are for people: bilingual headers and labels,
money as ``¥1,234.56``, shares as ``23.7%``, and a number is never cut. A table wider than the console wraps its
text columns at spaces; when even that does not fit, it becomes one block per row of ``column  value`` lines
(like psql's ``\\x``). See :class:`RowTable`.
"""

from __future__ import annotations

import csv
import datetime as _dt
import decimal
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Union

__all__ = ["FORMATS", "HEADERS", "RowTable", "bilingual", "fmt_value", "kind_of", "plural", "render_rows", "to_json"]

FORMATS = ("table", "json", "csv")

#: How a number is shown in a table: ``money`` ¥1,234.56 · ``share`` 23.7% · ``change`` +3.8% · ``ratio`` 2.37× ·
#: ``score`` 55.4 · ``count`` 1,234 · ``num`` (or None) 0.1234 / 1,234.56
Kind = Union[str, None, Callable[[Mapping[str, Any]], Union[str, None]]]

#: Bilingual table headers of common row keys (a command passes its own for the rest). Tables only: CSV and
#: JSON keep the keys.
HEADERS: dict[str, str] = {
    "label": "标签 Label", "label_zh": "中文 Chinese", "label_en": "英文 English",
    "count": "人数 Users", "users": "人数 Users", "share": "占比 Share", "value": "值 Value",
    "gmv": "成交额 GMV", "gmv_share": "成交占比 GMV share", "monetary": "消费金额 Spend",
    "table": "表 Table", "rows": "行数 Rows", "from": "起 From", "to": "止 To",
    "user_id": "用户 User", "stage": "阶段 Stage", "group": "分组 Group",
    "fan_pool": "粉丝池 Fan pool", "member_pool": "会员池 Member pool", "customer_pool": "客户池 Customer pool",
    "r": "R 最近 Recency", "f": "F 频次 Frequency", "m": "M 金额 Monetary",
    "param": "参数 Parameter", "estimate": "估计 Estimate", "std_error": "标准误 Std. error",
    "metric": "指标 Metric", "channel": "渠道 Channel", "category": "品类 Category",
}

_MONEY = frozenset({"gmv", "gmv0", "gmv1", "delta", "monetary", "spend", "compensation", "expected_gmv", "budget",
                    "opportunity_gmv", "extension", "gmv_30d", "predicted_clv_total", "predicted_clv_mean"})


def kind_of(key: Any) -> str | None:
    """The display kind of a value named ``key`` (``member_kedanjia_ratio`` → ratio, ``refund_rate`` → share,
    ``kedanjia`` → money, …), or None for a plain number."""
    k = str(key).lower()
    if k.endswith("ratio") or k == "multiple":
        return "ratio"
    if ("share" in k or k.endswith("rate") or "_rate_" in k or k.startswith("p_below")
            or k in ("mix", "coverage", "budget_use", "p_miss")):
        return "share"
    if k in _MONEY or k.endswith("_gmv") or "kedanjia" in k or "bidanjia" in k:
        return "money"
    return None


def fmt_value(v: Any, kind: str | None = None) -> str:
    """A value as people read it in a table (never used for JSON or CSV)."""
    if v is None or (isinstance(v, float) and v != v):
        return "–"
    if isinstance(v, bool):
        return "是 yes" if v else "否 no"
    if not isinstance(v, (int, float, decimal.Decimal)):
        return str(_plain(v))
    x = float(v)
    if kind == "share":
        return f"{x:.1%}"
    if kind == "change":
        return f"{x:+.1%}"
    if kind == "money":
        return f"{'-' if x < 0 else ''}¥{abs(x):,.2f}"
    if kind == "ratio":
        return f"{x:,.2f}×"
    if kind == "score":
        return f"{x:,.1f}"
    if kind == "count" and x.is_integer():
        return f"{int(x):,}"
    return _cell(v)


def bilingual(zh: str, en: str, code: str | None = None) -> str:
    """``"A 认知 Awareness"``: an optional code, the Chinese and the English label (each once)."""
    parts = [p for p in (code, zh, None if en and en.lower() in zh.lower() else en) if p]
    return " ".join(parts)


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
                columns: Iterable[str] | None = None, table_columns: Iterable[str] | None = None,
                headers: Mapping[str, str] | None = None, kinds: Mapping[str, Kind] | None = None) -> str | Any:
    """Rows as a :class:`RowTable` (``table``), JSON text or CSV text.

    ``columns`` are the keys of JSON and CSV (default: the first row's). A table shows ``table_columns``
    (default: ``columns``) under ``headers`` (default: :data:`HEADERS`, else the key) and formats each value by
    its kind: ``kinds[key]`` (a kind, or a function of the row giving it), else :func:`kind_of` of the key.
    """
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
    tcols = list(table_columns) if table_columns is not None else cols
    heads = [(headers or {}).get(c) or HEADERS.get(c) or str(c) for c in tcols]
    kinds = kinds or {}
    cells: list[list[str]] = [[] for _ in rows]
    numeric = []
    for c in tcols:
        kind = kinds.get(c, kind_of(c))
        numeric.append(any(_is_number(r.get(c)) for r in rows))
        for out, r in zip(cells, rows):
            out.append(fmt_value(r.get(c), kind(r) if callable(kind) else kind))
    return RowTable(heads, cells, numeric=numeric, title=title)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)


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


_UNITS = re.compile(r"\s+|[^\s]")


def _units(line: str) -> list[tuple[str, str]]:
    """``line`` as break units: ("space", " "), ("wide", one Chinese character) and ("narrow", a run of other
    characters: a number, a Latin word, punctuation), in order."""
    from rich.cells import cell_len

    out: list[tuple[str, str]] = []
    for m in _UNITS.finditer(line):
        t = m.group()
        if t.isspace():
            out.append(("space", t))
        elif cell_len(t) > 1:
            out.append(("wide", t))
        elif out and out[-1][0] == "narrow":
            out[-1] = ("narrow", out[-1][1] + t)
        else:
            out.append(("narrow", t))
    return out


def wrap_text(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` cells: at spaces and next to Chinese characters, never inside
    a number or a Latin word (unless the word alone is wider than ``width``: then it folds)."""
    from rich.cells import cell_len, chop_cells

    width = max(width, 1)
    lines: list[str] = []
    for raw in text.splitlines() or [""]:
        cur, cur_w, space = "", 0, ""
        for kind, t in _units(raw):
            if kind == "space":
                space = t
                continue
            w, sp = cell_len(t), (cell_len(space) if cur else 0)
            if cur_w + sp + w <= width:
                cur, cur_w = cur + (space if cur else "") + t, cur_w + sp + w
            else:
                if cur:
                    lines.append(cur)
                pieces = chop_cells(t, width) if w > width else [t]
                lines.extend(pieces[:-1])
                cur, cur_w = pieces[-1], cell_len(pieces[-1])
            space = ""
        lines.append(cur)
    return "\n".join(lines)


class RowTable:
    """A table for people that never cuts a value.

    Rendered at the console's width: at its natural width when that fits; else text columns wrap at spaces
    (headers kept whole when there is room), each column at least as wide as its longest number or word; else,
    when even that is too wide, one block per row of ``header  value`` lines (psql's expanded display).
    """

    def __init__(self, headers: Iterable[str], rows: Iterable[Iterable[Any]], *, numeric: Iterable[bool] | None = None,
                 title: str | None = None, row_styles: Iterable[str | None] | None = None, show_header: bool = True,
                 column_styles: Iterable[str | None] | None = None) -> None:
        self.headers = [str(h) for h in headers]
        self.rows = [["–" if c is None else str(c) for c in r] for r in rows]
        n = len(self.headers)
        self.numeric = list(numeric) if numeric is not None else [False] * n
        self.title = title
        self.row_styles = list(row_styles) if row_styles is not None else [None] * len(self.rows)
        self.show_header = show_header
        self.column_styles = list(column_styles) if column_styles is not None else [None] * n

    # -- measuring ------------------------------------------------------------------------------------------
    def _column(self, i: int) -> list[str]:
        return [r[i] for r in self.rows]

    def _header(self, i: int) -> str:
        return self.headers[i] if self.show_header else ""

    @staticmethod
    def _lines_width(text: str) -> int:
        from rich.cells import cell_len

        return max((cell_len(line) for line in text.splitlines()), default=0)

    @staticmethod
    def _token_width(text: str) -> int:
        """The widest piece of ``text`` that must stay on one line: a number or a Latin word (a Chinese character
        is a piece of its own; lines break at spaces and next to Chinese characters, see :func:`wrap_text`)."""
        from rich.cells import cell_len

        return max((cell_len(t) for line in text.splitlines() for kind, t in _units(line) if kind != "space"),
                   default=0)

    def _natural(self, i: int) -> int:
        return max([self._lines_width(self._header(i))] + [self._lines_width(c) for c in self._column(i)])

    def _minimum(self, i: int, whole_header: bool) -> int:
        header = self._header(i)
        cells = self._column(i)
        need = max([self._token_width(c) for c in cells] + [0])
        need = max(need, self._lines_width(header) if whole_header else self._token_width(header))
        if not self.numeric[i] and any(len(_units(c)) > 1 for c in cells):  # wrapped text needs room to be read
            need = max(need, min(self._natural(i), 12))
        return max(need, 1)

    def _overhead(self) -> int:
        return 3 * len(self.headers) + 1  # a border left of every column and at the end, one space either side

    def natural_width(self) -> int:
        """Cells the table needs to show every row on one line."""
        return sum(self._natural(i) for i in range(len(self.headers))) + self._overhead()

    def widths(self, max_width: int) -> list[int] | None:
        """Content width of every column at ``max_width`` cells, or None when only the expanded display fits."""
        n = len(self.headers)
        room = max_width - self._overhead()
        natural = [self._natural(i) for i in range(n)]
        if sum(natural) <= room:
            return natural
        candidates = []
        for whole_header in (True, False):  # headers kept whole, or headers wrapped too
            widths = [self._minimum(i, whole_header) for i in range(n)]
            if sum(widths) <= room:
                extra = room - sum(widths)
                while extra > 0:  # give the room left to the columns furthest from their natural width
                    short = [natural[i] - widths[i] for i in range(n)]
                    i = max(range(n), key=short.__getitem__)
                    if short[i] <= 0:
                        break
                    widths[i] += 1
                    extra -= 1
                candidates.append(widths)
        return min(candidates, key=self._height) if candidates else None  # the shorter table (first on a tie)

    def _height(self, widths: list[int]) -> int:
        """Lines the table body and header take at ``widths``."""
        def lines(text: str, w: int) -> int:
            return wrap_text(text, w).count("\n") + 1

        n = len(self.headers)
        head = max(lines(self._header(i), widths[i]) for i in range(n)) if self.show_header else 0
        return head + sum(max(lines(r[i], widths[i]) for i in range(n)) for r in self.rows)

    # -- rendering ------------------------------------------------------------------------------------------
    def __rich_console__(self, console: Any, options: Any) -> Iterable[Any]:
        widths = self.widths(options.max_width) if self.headers else None
        if widths is None and self.headers:
            yield from self._expanded(options.max_width)
            return
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        title = Text(self.title) if self.title else None
        if title is not None and widths and cell_len(self.title) > sum(widths) + self._overhead():
            yield Text(self.title, style="table.title")  # a title wider than the table: its own line, not wrapped
            title = None
        t = Table(title=title, show_header=self.show_header)
        natural = [self._natural(i) for i in range(len(self.headers))]
        for i, h in enumerate(self.headers):
            fits = not widths or widths[i] >= natural[i]
            t.add_column(Text(h if fits else wrap_text(h, widths[i])), justify="right" if self.numeric[i] else "left",
                         width=widths[i] if widths else None, no_wrap=fits and self.numeric[i], overflow="fold",
                         style=self.column_styles[i])
        for row, style in zip(self.rows, self.row_styles):
            t.add_row(*[Text(c if not widths or widths[i] >= natural[i] else wrap_text(c, widths[i]))
                        for i, c in enumerate(row)], style=style)
        yield t

    def _expanded(self, max_width: int) -> Iterable[Any]:
        from rich.cells import cell_len
        from rich.table import Table
        from rich.text import Text

        if self.title:
            yield Text(self.title, style="table.title")
        key_width = max(cell_len(h) for h in self.headers)
        value_width = max(max_width - key_width - 2, 8)
        widest = key_width + 2 + max((self._lines_width(c) for r in self.rows for c in r), default=0)
        rule = min(max_width, max(20, widest))
        for j, (row, style) in enumerate(zip(self.rows, self.row_styles), start=1):
            head = f"─[ {j} / {len(self.rows)} ]"
            yield Text(head + "─" * max(0, rule - cell_len(head)), style="dim")
            g = Table.grid(padding=(0, 1))
            g.add_column(style="bold", no_wrap=True)
            g.add_column(overflow="fold")
            for h, c in zip(self.headers, row):
                g.add_row(Text(h), Text(wrap_text(c, value_width), style=style or ""))
            yield g

    def __rich_measure__(self, console: Any, options: Any) -> Any:
        from rich.measure import Measurement

        return Measurement(min(options.max_width, 20), min(options.max_width, self.natural_width()))
