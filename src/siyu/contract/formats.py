"""Ingest formats: a registry from file extension to a DuckDB reader.

Each reader stages a file into a temporary table ``_stage`` with a 1-based
``__row`` column (the data row number, header excluded) and the file's columns
as they are: text for CSV and JSON Lines (so that identifiers keep their leading
zeros and every value is validated by siyu, not guessed), native types for
Parquet.

Text files are read as UTF-8. A file in another encoding (``encoding='gbk'``,
``gb18030``, ``utf-8-sig``, any codec Python knows; Excel exports from Chinese
systems are often GBK/GB18030) is first transcoded, streamed in chunks, to a
UTF-8 copy in a temporary directory, which is staged and removed; errors still
name the original file.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

import duckdb

from siyu._exceptions import ConfigError, ValidationError
from siyu.engine.duckdb import one, run
from siyu.engine.io import EXTENSIONS

__all__ = ["FORMATS", "NOT_UTF8", "format_of", "stage_file", "text_encoding"]

Reader = Callable[[duckdb.DuckDBPyConnection, Path], None]


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


#: the rule of a text file that is not UTF-8, with the two ways out
NOT_UTF8 = ("file is not valid UTF-8: re-save it as UTF-8 (Excel: \"CSV UTF-8\"), or give its encoding with "
            "--encoding gbk (Python: encoding='gbk'); Excel exports from Chinese systems are often GBK/GB18030")


def text_encoding(name: str) -> str:
    """The canonical name of the text encoding ``name`` (``utf-8``, ``gbk``, ``gb18030``, ``utf-8-sig``, …).

    Raises
    ------
    ConfigError
        If Python knows no such codec, or the codec does not decode bytes to text (``base64``, ``rot13``).
    """
    try:
        info = codecs.lookup(str(name))
    except LookupError:
        raise ConfigError(f"unknown encoding {name!r}; give a codec name Python knows, "
                          "e.g. utf-8, gbk, gb18030, utf-8-sig") from None
    if not getattr(info, "_is_text_encoding", True):
        raise ConfigError(f"encoding {name!r} is not a text encoding; use e.g. utf-8, gbk, gb18030, utf-8-sig")
    return info.name


_CHUNK = 1 << 20


def _transcode(src: Path, dst: Path, encoding: str, *, header: bool) -> None:
    """Copy the text file ``src`` written in ``encoding`` to ``dst`` in UTF-8, streamed in chunks.

    Line endings are kept, so line numbers agree. A byte that does not decode raises a
    :class:`ValidationError` naming ``src`` and the line (``row`` = data row: the line minus the header line).
    """
    dec = codecs.getincrementaldecoder(encoding)("strict")
    line = 1  # line of the next decoded character
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        while True:
            chunk = fin.read(_CHUNK)
            state = dec.getstate()
            try:
                text = dec.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                dec.setstate(state)
                extra, bad = _find_bad_byte(dec, chunk)
                _raise_undecodable(src, encoding, line + extra, bad, header=header)
            fout.write(text)
            line += text.count("\n")
            if not chunk:
                return


def _find_bad_byte(dec: codecs.IncrementalDecoder, chunk: bytes) -> tuple[int, bytes]:
    """Feed ``chunk`` byte by byte (error path only): newlines decoded before the error, and the bad bytes."""
    newlines = 0
    try:
        for i in range(len(chunk)):
            newlines += dec.decode(chunk[i:i + 1]).count("\n")
        dec.decode(b"", final=True)  # a sequence cut off by the end of the file
    except UnicodeDecodeError as exc:
        return newlines, bytes(exc.object[exc.start:exc.end])
    return newlines, b""


def _raise_undecodable(src: Path, encoding: str, line: int, bad: bytes, *, header: bool) -> None:
    shown = " ".join(f"0x{b:02x}" for b in bad[:4])
    where = f"line {line}" + (" (the header)" if header and line == 1 else "")
    what = "a byte " + shown if len(bad) == 1 else ("bytes " + shown if bad else "bytes")
    rule = (f"{where} has {what} that {encoding} cannot decode: "
            f"check the file's encoding (gb18030 covers all of gbk) or re-save the file as UTF-8")
    row = (line - 1 if line > 1 else None) if header else line
    raise ValidationError(str(src), rule, row=row) from None


def _csv_reason(exc: Exception) -> tuple[int | None, str]:
    """Line number and reason from a DuckDB CSV error, never the offending line itself (may hold personal data)."""
    msg = str(exc)
    m = re.search(r"Line: (\d+)", msg)
    line = int(m.group(1)) if m else None
    reason = "malformed CSV"
    for ln in msg.splitlines()[1:]:
        ln = ln.strip()
        if ln and not ln.startswith(("Original Line", "Possible", "*", "file =", "delimiter", "quote", "escape")):
            reason = ln
            break
    if "unicode" in msg.lower() or "utf-8" in msg.lower():
        reason = NOT_UTF8
    return line, reason


def _read_csv(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    with path.open("rb") as fh:
        first = fh.readline()
    if not first.strip():
        raise ValidationError(str(path), "empty file: a CSV needs a header row and at least one data row")
    try:
        header_text = first.decode("utf-8-sig")
    except UnicodeDecodeError:  # already the header: the whole file, no data row to name
        raise ValidationError(str(path), NOT_UTF8.replace("UTF-8:", "UTF-8 (not even its first line):", 1)) from None
    header = next(csv.reader(io.StringIO(header_text)))
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        dup = next(h for h in header if header.count(h) > 1)
        raise ValidationError(str(path), "column appears twice in the header", column=dup)
    cols = "{" + ", ".join(f"{_lit(h)}: 'VARCHAR'" for h in header) + "}"
    try:
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS __row, * FROM read_csv({_lit(str(path))}, "
            f"header=true, auto_detect=false, columns={cols}, delim=',', quote='\"', escape='\"', "
            f"strict_mode=true, null_padding=false, encoding='utf-8')")
    except duckdb.Error as exc:
        line, reason = _csv_reason(exc)
        if line is not None and line <= 1:  # the header line: no data row to name
            reason, line = f"{reason} (in the header line)", None
        raise ValidationError(str(path), reason, row=None if line is None else line - 1) from None


def _read_parquet(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    try:
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT file_row_number + 1 AS __row, * EXCLUDE (file_row_number) "
            f"FROM read_parquet({_lit(str(path))}, file_row_number=true)")
    except duckdb.Error as exc:
        raise ValidationError(str(path), f"not a readable Parquet file ({str(exc).splitlines()[0][:200]})") from None


def _read_jsonl(conn: duckdb.DuckDBPyConnection, path: Path) -> None:
    src = _lit(str(path))
    try:
        described = [(r[0], str(r[1])) for r in run(conn, 
            f"DESCRIBE SELECT * FROM read_json({src}, format='newline_delimited', records=true, "
            f"sample_size=-1)")]
        names = [n for n, _ in described]
        if names == ["json"]:
            raise ValidationError(str(path), "each line must be a JSON object")
        _check_scalars(conn, path, [n for n, t in described if _maybe_nested(t)])
        cols = "{" + ", ".join(f"{_lit(n)}: 'VARCHAR'" for n in names) + "}"
        run(conn, 
            f"CREATE TEMP TABLE _stage AS SELECT row_number() OVER () AS __row, * FROM read_json({src}, "
            f"format='newline_delimited', records=true, columns={cols})")
    except duckdb.Error as exc:
        row, rule = _locate_json_error(path)
        if rule is None:
            rule = f"malformed JSON Lines ({str(exc).splitlines()[0][:160]})"
        raise ValidationError(str(path), rule, row=row) from None


def _maybe_nested(sql_type: str) -> bool:
    """Whether a column of this detected type may hold a JSON object or array in some row."""
    t = sql_type.upper()
    return t == "JSON" or "[" in t or t.startswith(("STRUCT", "MAP", "UNION"))


def _check_scalars(conn: duckdb.DuckDBPyConnection, path: Path, suspects: list[str]) -> None:
    """Refuse the first row holding a JSON object or array where a single value belongs.

    Only columns whose detected type is nested or mixed (``suspects``) are read again, as JSON, so a
    file of plain values costs nothing more.
    """
    if not suspects:
        return
    cols = "{" + ", ".join(f"{_lit(n)}: 'JSON'" for n in suspects) + "}"
    kinds = ", ".join(f"json_type({_ident(n)})" for n in suspects)
    hit = one(conn, 
        f"SELECT __row, [{kinds}] FROM (SELECT row_number() OVER () AS __row, * FROM read_json({_lit(str(path))}, "
        f"format='newline_delimited', records=true, columns={cols})) "
        f"WHERE list_has_any([{kinds}], ['OBJECT', 'ARRAY']) ORDER BY __row LIMIT 1")
    if hit:
        row, types = hit
        col, kind = next((n, k) for n, k in zip(suspects, types) if k in ("OBJECT", "ARRAY"))
        raise ValidationError(str(path), f"must be a single value (text, number, true/false or null), "
                              f"not a JSON {kind.lower()}", row=int(row), column=col)


def _locate_json_error(path: Path) -> tuple[int | None, str | None]:
    """Find the first bad line of a JSON Lines file (error path only, so a Python scan is affordable)."""
    import json

    with path.open("rb") as fh:
        for i, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                text = line.decode("utf-8")
            except UnicodeDecodeError:
                return i, NOT_UTF8
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as err:
                return i, f"malformed JSON: {err.msg} at character {err.pos + 1}"
            if not isinstance(obj, dict):
                return i, "each line must be a JSON object"
    return None, None


#: format -> the strict staging reader of ingest
READERS: dict[str, Reader] = {"csv": _read_csv, "parquet": _read_parquet, "jsonl": _read_jsonl}
#: extension -> reader: the extensions are siyu.engine.io's, the one file-format registry (docs/data.md §Formats)
FORMATS: dict[str, Reader] = {ext: READERS[fmt] for ext, fmt in EXTENSIONS.items()}


def format_of(path: Path) -> str:
    """The registered extension of ``path``.

    Raises
    ------
    ValidationError
        If the extension is not a registered format.
    """
    ext = path.suffix.lower()
    if ext not in FORMATS:
        raise ValidationError(str(path), f"unknown file format {ext or '(none)'!r}; use one of {', '.join(FORMATS)}")
    return ext


def stage_file(conn: duckdb.DuckDBPyConnection, path: Path, encoding: str = "utf-8") -> None:
    """Stage ``path`` into the temporary table ``_stage`` (see module docstring).

    ``encoding`` is the encoding of a CSV or JSON Lines file (Parquet ignores it); a file not in UTF-8 is
    transcoded to a temporary UTF-8 copy first.

    Raises
    ------
    ConfigError
        If ``encoding`` is no text encoding Python knows.
    ValidationError
        Naming ``path`` (never the temporary copy), the row and the rule.
    """
    encoding = text_encoding(encoding)
    if not path.is_file():
        raise ValidationError(str(path), "file not found")
    if path.stat().st_size == 0:
        raise ValidationError(str(path), "empty file")
    ext = format_of(path)
    reader = FORMATS[ext]
    if encoding == "utf-8" or reader is _read_parquet:
        reader(conn, path)
        return
    with tempfile.TemporaryDirectory(prefix="siyu-ingest-") as tmp:
        utf8 = Path(tmp) / f"utf8{ext}"
        _transcode(path, utf8, encoding, header=reader is _read_csv)
        try:
            reader(conn, utf8)
        except ValidationError as exc:
            raise ValidationError(str(path), exc.rule.replace(str(utf8), str(path)), row=exc.row, column=exc.column,
                                  value=exc.value) from None
