"""Reading an uploaded file into typed DuckDB tables.

``ingest`` turns one file (bytes or a path) into one or more tables in a session's connection:
CSV/TSV/``;``/``|`` text in UTF-8, UTF-16, Windows-1251, GB18030 or Windows-1252; every non-empty
sheet of a workbook ("book.xlsx › Sheet1"); every table file of a ZIP ("archive.zip › Overview.csv").
It raises ``LoadError`` (a translatable Issue) for a file that cannot be read at all.

How a text file is read:
1. encoding from the first bytes (data/parse/encoding.py); non-UTF-8 is re-encoded to a temp file
   in a stream;
2. separator and header row sniffed in Python (data/parse/dialect.py), passed to DuckDB;
3. fast path: DuckDB sniffs the column types from a copy of the first rows and reads the file once
   (``read_csv`` with explicit dialect). Integer columns are read as text and cast in the same pass,
   so a later "2.5" or "0x1F" is never silently rounded (``_settle_integers``). A conversion error
   falls back to all-VARCHAR; a broken
   structure (ragged rows, stray quotes, bad bytes) falls back to a Python pass that writes a clean
   copy and counts what it drops;
4. every VARCHAR column's format (number, percent, date layout, month names, ...) is decided from
   a sample of its distinct values (data/parse/values.py, dates.py) and the table is rebuilt with
   one ``CREATE TABLE ... AS SELECT`` of SQL expressions;
5. rows whose required time column does not parse, a ``Total`` row and malformed lines go to the
   rejected table ``<table>_rejected`` (source_row, reason, column_name, value, content);
6. validation (data/parse/checks.py) reports every problem at once as warnings.
"""
from __future__ import annotations

import csv
import logging
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Callable

import duckdb
import pyarrow as pa

from data import detect as det
from data.db import quote_ident, scalar, table_columns
from data.issues import Issue, LoadError
from data.parse import checks, containers, dates, limits
from data.parse import encoding as enc
from data.parse.dialect import Dialect, sniff
from data.parse.values import (READ_NULLS, bool_sql, duration_sql, infer_bool, infer_duration, infer_number,
                               is_missing, missing_sql, sql_str)

log = logging.getLogger(__name__)

ROW = "__row"
RID = "__rid"
SEP = " › "
TOTAL_WORDS = {"total", "totals", "grand total", "итого", "всего", "итог", "总计", "合计", "總計", "gesamt",
               "summe", "totale", "tổng", "tổng cộng", "toplam", "razem"}
ENCODINGS = {"utf-8": "UTF-8", "utf-16-le": "UTF-16 LE", "utf-16-be": "UTF-16 BE", "utf-32-le": "UTF-32",
             "cp1251": "Windows-1251", "gb18030": "GB18030", "cp1252": "Windows-1252"}
_ENCODING_ALIASES = {"utf8": "utf-8", "utf-8-sig": "utf-8", "utf16": "utf-16-le", "utf-16": "utf-16-le",
                     "windows-1251": "cp1251", "1251": "cp1251", "gbk": "gb18030", "gb2312": "gb18030",
                     "windows-1252": "cp1252", "latin-1": "cp1252", "latin1": "cp1252"}
_DURATION_WORDS = ("duration", "watch time", "view duration", "длительность", "время просмотра", "时长", "观看时长")
_REJECTED_COLUMNS = "source_row BIGINT, reason VARCHAR, column_name VARCHAR, value VARCHAR, content VARCHAR"
_MAX_REJECT_DETAILS = 100_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_TIME_SYNONYMS = {s for r in det.TIME_ROLES for s in det.ROLE_SYNONYMS.get(r, ())}
SNIFF_ROWS = 20480                  # rows DuckDB's type sniffer looks at, from the top of a text file
SNIFF_MAX_BYTES = 16 * limits.MB    # ... and at most this much of a file with very long lines


@dataclass
class IngestedTable:
    table: str                      # typed table in the connection
    label: str                      # what the user sees: file name, or "archive.zip › Overview.csv"
    rows: int
    rows_rejected: int = 0
    rejected_table: str | None = None
    warnings: list[Issue] = field(default_factory=list)
    missing_by_column: dict[str, int] = field(default_factory=dict)
    source_format: str = "csv"      # "csv" (any delimited text) or "xlsx" (any workbook)
    encoding: str | None = None     # text files: the encoding read (display name)
    delimiter: str | None = None    # text files: the separator
    unparsed_by_column: dict[str, int] = field(default_factory=dict)  # values that became NULL


@dataclass
class _Ctx:
    con: duckdb.DuckDBPyConnection
    new_name: Callable[[], str]
    today: date
    tmpdir: Path
    encoding: str | None = None
    day_first: bool | None = None
    budget: containers.ZipBudget = field(default_factory=containers.ZipBudget)
    created: list[str] = field(default_factory=list)
    serial: int = 0
    upload: bool = True             # bytes from the browser: upload limits apply; a path from audit.py: not

    def tmp(self, suffix: str) -> Path:
        self.serial += 1
        return self.tmpdir / f"t{self.serial}{suffix}"


@dataclass
class _Raw:
    """A table as read, before its VARCHAR columns are typed."""
    name: str                        # the final table name
    table: str                       # the raw table
    row_offset: int | None           # row number = rowid + offset; None: the __row column holds it
    source_format: str
    day_first_default: bool
    decimal_comma: bool
    delimiter: str = ","
    title: str | None = None
    encoding: str | None = None
    rejects: list[tuple[int, str, str]] = field(default_factory=list)   # (row, reason, content)
    rejects_uncounted: int = 0       # rejected lines beyond the detail cap
    warnings: list[Issue] = field(default_factory=list)

    def row_sql(self, alias: str = "") -> str:
        p = f"{alias}." if alias else ""
        return f"{p}{quote_ident(ROW)}" if self.row_offset is None else f"({p}rowid + {int(self.row_offset)})"


@dataclass
class _Plan:
    expr: str                 # SQL over R.<column> (or a mapping join)
    dtype: str
    source_is_text: bool = True
    map_table: str | None = None
    map_alias: str | None = None
    issues: list[Issue] = field(default_factory=list)
    can_fail: bool = True


# ---------------------------------------------------------------------------------------------
def ingest(con: duckdb.DuckDBPyConnection, filename: str, source: bytes | str | Path,
           new_name: Callable[[], str], *, today: date | None = None, encoding: str | None = None,
           day_first: bool | None = None) -> list[IngestedTable]:
    """Read one uploaded file into typed tables.

    ``today`` is the export date used to infer years and flag future dates (default: today).
    ``encoding`` forces a text encoding (e.g. "cp1251") when the user corrects a guess;
    ``day_first`` answers an ``ambiguous_date_order`` question for every such column of the file.
    """
    ctx = _Ctx(con, new_name, today or date.today(), Path(tempfile.mkdtemp(prefix="kpiwb-upload-")),
               _forced_encoding(encoding), day_first)
    previous = scalar(con, "SELECT current_setting('preserve_insertion_order')")
    con.execute("SET preserve_insertion_order = true")
    try:
        ctx.upload = isinstance(source, (bytes, bytearray))
        path = _to_path(source, filename, ctx.tmpdir)
        size = path.stat().st_size
        if size == 0:
            raise LoadError("empty_file", file=filename)
        # the 1 GB limit is the upload limit; a path given to audit.py is read from disk as it is
        if size > limits.MAX_UPLOAD_BYTES and isinstance(source, (bytes, bytearray)):
            raise LoadError("file_too_large", file=filename, limit_mb=limits.MAX_UPLOAD_BYTES // limits.MB)
        return _ingest_file(ctx, path, filename, depth=0)
    except LoadError:
        _drop(con, ctx.created)
        raise
    except (duckdb.OutOfMemoryException, MemoryError):
        _drop(con, ctx.created)
        raise LoadError("out_of_memory", file=filename) from None
    except (duckdb.Error, csv.Error, UnicodeError) as exc:
        _drop(con, ctx.created)
        raise LoadError("unreadable_file", file=filename, detail=_first_line(exc)) from None
    except Exception:  # the user gets a message, the log gets the traceback
        log.exception("loading %s failed", filename)
        _drop(con, ctx.created)
        raise LoadError("load_failed", file=filename) from None
    finally:
        con.execute("SET preserve_insertion_order = ?", [str(previous).lower() == "true"])
        shutil.rmtree(ctx.tmpdir, ignore_errors=True)


def _forced_encoding(name: str | None) -> str | None:
    if name is None:
        return None
    key = name.strip().lower()
    key = _ENCODING_ALIASES.get(key, key)
    if key not in ENCODINGS:
        raise LoadError("unknown_encoding", encoding=name, known=", ".join(ENCODINGS.values()))
    return key


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _drop(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for t in tables:
        try:
            con.execute(f"DROP TABLE IF EXISTS {quote_ident(t)}")
        except duckdb.Error:
            pass


def _to_path(source: bytes | str | Path, filename: str, tmpdir: Path) -> Path:
    if isinstance(source, (str, Path)):
        p = Path(source)
        if not p.is_file():
            raise LoadError("empty_file", file=filename)
        return p
    if len(source) > limits.MAX_UPLOAD_BYTES:
        raise LoadError("file_too_large", file=filename, limit_mb=limits.MAX_UPLOAD_BYTES // limits.MB)
    suffix = re.sub(r"[^A-Za-z0-9.]", "", PurePosixPath(filename).suffix)[:10] or ".csv"
    p = tmpdir / f"upload{suffix}"
    p.write_bytes(source)
    return p


def _ingest_file(ctx: _Ctx, path: Path, label: str, depth: int) -> list[IngestedTable]:
    if path.stat().st_size == 0:  # an empty member of an archive
        raise LoadError("empty_file", file=label)
    kind = containers.sniff_kind(path)
    if kind == "bad_zip":
        raise LoadError("bad_archive", file=label)
    if kind == "zip":
        return _ingest_zip(ctx, path, label, depth)
    if kind in ("xlsx", "xls"):
        out = []
        for sheet in containers.read_workbook(path, label):
            if not sheet.row_numbers:
                continue
            sheet_label = f"{label}{SEP}{sheet.name}"
            out.append(_finish(ctx, _load_sheet(ctx, sheet, sheet_label), sheet_label))
        if not out:
            raise LoadError("no_rows", file=label)
        return out
    if kind == "parquet":
        return [_finish(ctx, _load_parquet(ctx, path), label)]
    if kind == "binary":
        raise LoadError("not_text", file=label)
    raw = _load_text(ctx, path, label)
    return [_finish(ctx, raw, label)]


def _ingest_zip(ctx: _Ctx, path: Path, label: str, depth: int) -> list[IngestedTable]:
    if depth >= limits.MAX_ZIP_DEPTH:
        raise LoadError("archive_nested", file=label)
    folder = ctx.tmp("")
    folder.mkdir()
    members, skipped = containers.extract_members(path, label, folder, ctx.budget)
    out: list[IngestedTable] = []
    failed: list[Issue] = []
    for name, member in members:
        member_label = f"{label}{SEP}{name}"
        try:
            out.extend(_ingest_file(ctx, member, member_label, depth + 1))
        except LoadError as exc:
            failed.append(Issue(exc.issue.code, {**exc.issue.params, "file": member_label}, "warning"))
        finally:
            member.unlink(missing_ok=True)
    if not out:
        if failed:
            raise LoadError(failed[0].code, **failed[0].params)
        raise LoadError("archive_no_tables", file=label, files=", ".join(skipped[:5]) or "—")
    if skipped:
        failed.append(Issue("archive_files_skipped", {"file": label, "count": len(skipped),
                                                      "files": ", ".join(skipped[:5])}, "info"))
    out[0].warnings.extend(failed)
    return out


# --- names and context ---------------------------------------------------------------------------
def unique_names(raw: list[str]) -> list[str]:
    """Header cells as column names: trimmed, never empty, unique ignoring case (DuckDB's rule)."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(raw):
        n = re.sub(r"\s+", " ", (name or "").replace("\x00", "").replace("\ufeff", "")).strip()[:200]
        if not n:
            n = f"column{i + 1}"
        if n.lower() == "rowid" or n.startswith("__"):
            n = n.lstrip("_") + "_"  # names the loader uses for itself
        base, k = n, 2
        while n.lower() in seen:
            n = f"{base}_{k}"
            k += 1
        seen.add(n.lower())
        out.append(n)
    return out


def _script(names: list[str]) -> tuple[bool, bool]:
    text = "".join(names)
    cyr = bool(re.search(r"[А-Яа-яЁё]", text))
    cjk = bool(re.search(r"[\u4e00-\u9fff]", text))
    return cyr, cjk


# --- text files ----------------------------------------------------------------------------------
def _load_text(ctx: _Ctx, path: Path, label: str, forced: str | None = None, name: str | None = None,
               mixed: str | None = None) -> _Raw:
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.read(limits.HEAD_BYTES)
    whole = size <= limits.HEAD_BYTES
    forced = forced or ctx.encoding
    if forced:
        bom = enc.detect(head, whole)
        guess = enc.Guess(forced, bom=bom.bom if bom.encoding == forced else 0)
    elif mixed:
        guess = enc.Guess(enc.UTF8, bom=enc.detect(head, whole).bom, mixed=mixed)
    else:
        guess = enc.detect(head, whole)
    warnings: list[Issue] = []
    if not guess.confident:
        warnings.append(Issue("encoding_guessed", {"file": label, "encoding": ENCODINGS.get(guess.encoding,
                                                                                              guess.encoding)}))
    work, work_head = path, head
    if not guess.is_utf8 or b"\x00" in head or forced == "utf-8":
        work = ctx.tmp(".csv")
        if guess.mixed:
            bad, legacy_lines = enc.transcode_mixed(path, work, guess.mixed, guess.bom)
            warnings.append(Issue("mixed_encodings", {"file": label, "count": legacy_lines,
                                                      "encoding": ENCODINGS.get(guess.mixed, guess.mixed)}))
        else:
            bad = enc.transcode(path, work, guess.encoding, guess.bom)
        if bad:
            warnings.append(Issue("invalid_characters", {"file": label, "count": bad}))
        with open(work, "rb") as fh:
            work_head = fh.read(limits.HEAD_BYTES)
        text_head = work_head.decode("utf-8", errors="replace")
        whole = work.stat().st_size <= limits.HEAD_BYTES
    else:
        text_head = enc.decode_head(head, guess, whole)
    if len(_CONTROL.findall(text_head[:65536])) > max(8, len(text_head[:65536]) // 100):
        raise LoadError("not_text", file=label)
    markup = _markup_format(text_head)
    if markup:
        raise LoadError("markup_file", file=label, format=markup)
    dialect = sniff(text_head, whole)
    if not dialect.names:
        raise LoadError("no_rows", file=label)
    if len(dialect.names) > limits.MAX_COLUMNS:
        raise LoadError("too_many_columns", file=label, count=len(dialect.names), limit=limits.MAX_COLUMNS)
    if not whole and "\n" not in text_head and "\r" not in text_head:
        raise LoadError("line_too_long", file=label, limit_kb=limits.HEAD_BYTES // 1024)
    names = unique_names(dialect.names)
    cyr, cjk = _script(names)
    legacy = guess.mixed or guess.encoding
    name = name or ctx.new_name()
    raw = _Raw(name=name, table=f"{name}__raw", row_offset=dialect.first_data_line, source_format="csv",
               day_first_default=dialect.delimiter == ";" or legacy in ("cp1251", "gb18030") or cyr or cjk,
               decimal_comma=dialect.delimiter == ";" or legacy == "cp1251" or cyr,
               delimiter=dialect.delimiter, title=dialect.title,
               encoding=ENCODINGS.get(guess.encoding, guess.encoding), warnings=warnings)
    ctx.created.append(raw.table)
    try:
        _read_fast(ctx, work, dialect, names, raw.table, all_varchar=False, head=None if whole else work_head,
                   decimal_comma=raw.decimal_comma)
        return raw
    except duckdb.ConversionException:
        _drop(ctx.con, [raw.table])
        try:
            _read_fast(ctx, work, dialect, names, raw.table, all_varchar=True)
            return raw
        except duckdb.Error:
            _drop(ctx.con, [raw.table])
    except duckdb.Error:
        _drop(ctx.con, [raw.table])
    if work is path and guess.is_utf8 and not forced:
        bad_at = enc.first_invalid_utf8(path)
        if bad_at is not None:
            # Bytes that are not UTF-8 after a clean start: a legacy file whose first part is ASCII,
            # or a UTF-8 file with a few broken bytes. Re-read it whole, decoded once, either way.
            with open(path, "rb") as fh:
                fh.seek(max(0, bad_at - 4096))
                window = fh.read(limits.HEAD_BYTES)
            later = enc.detect(window, whole=False)
            ascii_head = head[guess.bom:bad_at].isascii()
            ctx.created.remove(raw.table)
            if ascii_head and later.mixed is None and not later.is_utf8 and later.confident:
                return _load_text(ctx, path, label, forced=later.encoding, name=name)
            mixed = later.mixed or (None if ascii_head else enc.legacy_of_bad_lines(window))
            if mixed:  # UTF-8 text with whole lines from a legacy program further down
                return _load_text(ctx, path, label, name=name, mixed=mixed)
            return _load_text(ctx, path, label, forced="utf-8", name=name)
    _read_robust(ctx, work, dialect, names, raw)
    raw.row_offset = None
    return raw


_JSON_START = re.compile(r'[\[{]\s*(["{\[]|$)', re.MULTILINE)
_MARKUP_START = re.compile(r"<(\?xml|!doctype html|html|head|body|table|svg|rss|feed)\b", re.IGNORECASE)


def _markup_format(text: str) -> str | None:
    """'JSON', 'HTML' or 'XML' when a "text table" is one of those (a report saved in the wrong format)."""
    start = text.lstrip("\ufeff \t\r\n")[:4096]
    if _JSON_START.match(start):
        return "JSON"
    m = _MARKUP_START.match(start)
    if m:
        return "XML" if m.group(1).lower() in ("?xml", "rss", "feed", "svg") else "HTML"
    return None


def _read_fast(ctx: _Ctx, path: Path, dialect: Dialect, names: list[str], table: str, all_varchar: bool,
               head: bytes | None = None, decimal_comma: bool | None = None) -> None:
    """One DuckDB read with the sniffed dialect; raises duckdb.Error on anything irregular.

    ``head`` is the file's first bytes when the file is longer: the types are then sniffed from a copy
    of the first rows (``_sniff_types``), so that read_csv is the only read of the whole file.

    read_csv casts to an integer type leniently and without an error ("2.5" becomes 3, "0x1F" 31,
    "1_000" 1000), so a value past the sniffed rows could change silently. Integer columns are read as
    text instead and cast in the same pass; a row with a value that does not print back as itself keeps
    its integer values as written in one more column, and ``_settle_integers`` looks at those
    (``decimal_comma``: the file's context for "1.234").
    """
    con = ctx.con
    q = quote_ident
    base = [str(path), dialect.delimiter, dialect.skip_lines, dialect.has_header]
    if all_varchar:
        types = ["VARCHAR"] * len(names)
    else:
        cols, ts_format = _sniff_types(ctx, path, dialect, base, head)
        if len(cols) != len(names):
            raise duckdb.InvalidInputException("column count differs from the sniffed header")
        types = [_fast_type(c["type"], ts_format, j, dialect) for j, c in enumerate(cols)]
    columns = dict(zip(names, types))
    ints = {c: t.upper() for c, t in columns.items() if t.upper() in _INT_TYPES}
    side = _side_name(names)
    columns.update({c: "VARCHAR" for c in ints})
    con.execute(
        f"CREATE TABLE {q(table)} AS SELECT {_read_select_sql(names, ints, side)} FROM read_csv(?, "
        "auto_detect = false, delim = ?, quote = '\"', escape = '\"', skip = ?, header = ?, columns = ?, "
        "nullstr = ?, max_line_size = ?, strict_mode = true)",
        base + [columns, list(READ_NULLS), limits.MAX_LINE_BYTES])
    if ints:
        _settle_integers(ctx, table, ints, side, decimal_comma)


_INT_TYPES = frozenset({"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                        "UBIGINT", "UHUGEINT"})
_BLANKS = r"[ \t\n\r\f\v]*"   # what DuckDB's number casts skip around a value
_INT_RE = sql_str(rf"{_BLANKS}[+-]?[0-9]+{_BLANKS}")
_DEC_RE = sql_str(rf"{_BLANKS}[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?{_BLANKS}")
_THOUSANDS_RE = sql_str(rf"{_BLANKS}[+-]?[1-9][0-9]?[0-9]?\.[0-9]{{3}}{_BLANKS}")  # "1.234": 1234 or 1.234
_EXACT_DOUBLE = 2 ** 53       # integers up to this are exact in a DOUBLE


def _int_type_sql(dtype: str, also: tuple[str, ...] = ()) -> str:
    """An integer type name (or one of ``also``) for SQL text: one of ``_INT_TYPES``, nothing else."""
    d = dtype.upper()
    if d not in _INT_TYPES and d not in also:
        raise ValueError(f"not an integer type: {dtype!r}")
    return d


def _read_select_sql(names: list[str], ints: dict[str, str], side: str) -> str:
    """The read's select list: each integer column cast (leniently: ``_settle_integers`` checks it), then
    ``side``: NULL on a row where every integer value prints back as itself (or is NULL), else the list
    of the row's integer values as written. One chain of comparisons per row: cheap on 2,000 columns."""
    if not ints:
        return "*"
    q = quote_ident
    cols = [f"TRY_CAST({q(c)} AS {_int_type_sql(ints[c])}) AS {q(c)}" if c in ints else q(c) for c in names]
    exact = " AND ".join(f"({q(c)} IS NULL OR CAST(TRY_CAST({q(c)} AS {_int_type_sql(typ)}) AS VARCHAR) = {q(c)})"
                         for c, typ in ints.items())
    cols.append(f"CASE WHEN {exact} THEN NULL ELSE list_value({', '.join(q(c) for c in ints)}) END AS {q(side)}")
    return ", ".join(cols)


def _written_sql(col: str, side: str, k: int) -> str:
    """The value of integer column ``col`` (the ``k``-th) as written where it does not print back, else NULL."""
    w = f"{quote_ident(side)}[{int(k)}]"
    return f"(CASE WHEN {w} IS NULL OR CAST({quote_ident(col)} AS VARCHAR) = {w} THEN NULL ELSE {w} END)"


def _side_name(names: list[str]) -> str:
    """A column name not among ``names``."""
    taken = {n.lower() for n in names}
    side = "__as_written"
    while side in taken:
        side = f"_{side}"
    return side


def _settle_integers(ctx: _Ctx, table: str, ints: dict[str, str], side: str, decimal_comma: bool | None) -> None:
    """Make the integer columns cast by ``_read_fast`` exact, and drop ``side``.

    ``side`` holds the integer values as written of each row with a value that does not print back as
    itself (blanks, a sign, a decimal, "0x1F", an ID too long for the type). NULL on every row (nearly
    always): every column is exact as cast. Otherwise a scan of those rows decides each column with
    such values:
    - integers (blanks and signs around digits) and missing-value tokens only: the cast is exact, or
      HUGEINT for integers beyond the sniffed type (IDs of 19–20 digits);
    - plain decimals too ("2.5", "1e-3"): DOUBLE, as the sniffer says when it sees one, unless an
      integer would lose digits in a DOUBLE, or a "1.234" could be 1234 in a file written with
      decimal commas (``decimal_comma`` not False);
    - anything else ("abc", "0x1F", "1_000", "2,5"): the column is its text again, typed by
      ``_finish`` from its values like any text column, which counts the values it cannot read.
    """
    q = quote_ident
    t = q(table)
    s = q(side)
    if ctx.con.execute(f"SELECT count({s}) FROM {t}").fetchone()[0]:
        cols = list(ints.items())
        probes = []
        for k, (c, typ) in enumerate(cols, start=1):
            probes += _odd_probes_sql(c, typ, side, k)
        got = ctx.con.execute(f"SELECT {', '.join(probes)} FROM {t} WHERE {s} IS NOT NULL").fetchone()
        targets: dict[int, str] = {}
        mixed: list[int] = []
        for k, (c, typ) in enumerate(cols, start=1):
            not_integer, beyond_type, beyond_hugeint = got[3 * (k - 1): 3 * k]
            if not_integer:
                mixed.append(k)
            elif beyond_type:
                targets[k] = "VARCHAR" if beyond_hugeint else "HUGEINT"
        if mixed:
            probes = []
            for k in mixed:
                probes += _decimal_probes_sql(cols[k - 1][0], side, k)
            got = ctx.con.execute(f"SELECT {', '.join(probes)} FROM {t} WHERE {s} IS NOT NULL").fetchone()
            for i, k in enumerate(mixed):
                other, inexact, thousands = got[3 * i: 3 * i + 3]
                if not other and not inexact:
                    inexact = scalar(ctx.con, f"SELECT count_if(abs(CAST({q(cols[k - 1][0])} AS DOUBLE)) > "
                                              f"{int(_EXACT_DOUBLE)}) FROM {t}")
                doubles = not other and not inexact and not (thousands and decimal_comma is not False)
                targets[k] = "DOUBLE" if doubles else "VARCHAR"
        for k, target in sorted(targets.items()):
            _settle_column(ctx, table, cols[k - 1][0], target, side, k)
    ctx.con.execute(f"ALTER TABLE {t} DROP COLUMN {s}")


def _odd_probes_sql(col: str, dtype: str, side: str, k: int) -> list[str]:
    """Three counts for the ``k``-th integer column ``col``, over its values that do not print back (run
    on the rows that have a ``side``): (values neither an integer nor a missing-value token, integers
    beyond ``dtype``, integers beyond HUGEINT). The cast is exact for the integers within ``dtype``
    (blanks and a sign around digits) and gave NULL for the missing-value tokens."""
    v = _written_sql(col, side, k)
    integer = f"regexp_full_match({v}, {_INT_RE})"
    return [f"coalesce(count_if({cond}), 0)" for cond in (
        f"NOT {integer} AND NOT {missing_sql(v)}",
        f"{integer} AND TRY_CAST({v} AS {_int_type_sql(dtype)}) IS NULL",
        f"{integer} AND TRY_CAST({v} AS HUGEINT) IS NULL")]


def _decimal_probes_sql(col: str, side: str, k: int) -> list[str]:
    """Three counts for an integer column with values that are not integers (as ``_odd_probes_sql``):
    (values neither a plain number nor a missing-value token, numbers a DOUBLE does not hold exactly,
    "1.234"-like values)."""
    v = _written_sql(col, side, k)
    number = f"regexp_full_match({v}, {_DEC_RE})"
    return [f"coalesce(count_if({cond}), 0)" for cond in (
        f"NOT {number} AND NOT {missing_sql(v)}",
        f"{number} AND abs(TRY_CAST({v} AS DOUBLE)) > {int(_EXACT_DOUBLE)}",
        f"regexp_full_match({v}, {_THOUSANDS_RE})")]


def _settle_column(ctx: _Ctx, table: str, col: str, target: str, side: str, k: int) -> None:
    """Retype the ``k``-th integer column from its exact values and the others as written."""
    q = quote_ident
    written = _written_sql(col, side, k)
    as_text = f"coalesce({written}, CAST({q(col)} AS VARCHAR))"   # the column as the file wrote it
    alter = f"ALTER TABLE {q(table)} ALTER {q(col)} TYPE "
    typ = _int_type_sql(target, also=("DOUBLE", "VARCHAR"))
    if typ != "VARCHAR":
        try:
            ctx.con.execute(f"{alter}{typ} USING (CASE WHEN {written} IS NULL THEN CAST({q(col)} AS {typ}) "
                            f"WHEN {missing_sql(written)} THEN NULL ELSE CAST({written} AS {typ}) END)")
            return
        except duckdb.ConversionException as exc:  # not expected: the column is text again
            log.warning("column %r stays text: %s", col, _first_line(exc))
    ctx.con.execute(f"{alter}VARCHAR USING {as_text}")


def _sniff_types(ctx: _Ctx, path: Path, dialect: Dialect, base: list, head: bytes | None
                 ) -> tuple[list[dict], str | None]:
    """(columns, timestamp format) from DuckDB's type sniffer.

    The sniffer looks at the first ``SNIFF_ROWS`` rows, but given the file it first reads a buffer of
    16 × max_line_size (128 MB: a fifth of a big file, all of a small one) on top of read_csv. It gets
    a copy of those first rows instead, so it types the columns from the same rows as before. A copy
    it cannot read on its own falls back to the file.
    """
    sql = ("SELECT Columns, TimestampFormat FROM sniff_csv(?, delim = ?, quote = '\"', escape = '\"', skip = ?, "
           f"header = ?, nullstr = ?, dateformat = '%Y-%m-%d', sample_size = {SNIFF_ROWS}, max_line_size = ?)")
    rest = base[1:] + [list(READ_NULLS), limits.MAX_LINE_BYTES]
    sample = None if head is None else _sniff_sample(ctx, path, head, dialect.skip_lines + 2 + SNIFF_ROWS)
    if sample is not None:
        try:
            got = ctx.con.execute(sql, [str(sample)] + rest).fetchone()
            return got[0], got[1]
        except duckdb.Error:
            pass
        finally:
            sample.unlink(missing_ok=True)
    got = ctx.con.execute(sql, [str(path)] + rest).fetchone()
    return got[0], got[1]


def _sniff_sample(ctx: _Ctx, path: Path, head: bytes, lines: int) -> Path | None:
    """A temp file with the first ``lines`` lines of ``path`` (``head`` is its start, already read).

    At most ``SNIFF_MAX_BYTES`` (very long lines: fewer rows), cut after the last complete record.
    None when no line break ends a record (one huge record): the sniffer then reads the file.
    """
    nl = b"\n" if b"\n" in head else b"\r"
    data = bytearray(head)
    seen = head.count(nl)
    at_end = False
    with open(path, "rb") as fh:
        fh.seek(len(head))
        while seen < lines and len(data) < SNIFF_MAX_BYTES:
            chunk = fh.read(limits.HEAD_BYTES)
            if not chunk:
                at_end = True  # a short file: the copy is all of it
                break
            seen += chunk.count(nl)
            data += chunk
    if not at_end:
        data = _complete_records(bytes(data))
        if data is None:
            return None
    sample = ctx.tmp(".csv")
    sample.write_bytes(data)
    return sample


def _complete_records(data: bytes) -> bytes | None:
    """``data`` up to its last line break outside quotes (the end of a record); None when there is none."""
    nl = b"\n" if b"\n" in data else b"\r"
    quotes = data.count(b'"')
    end = len(data)
    while True:
        cut = data.rfind(nl, 0, end)
        if cut < 0:
            return None
        quotes -= data.count(b'"', cut, end)
        if quotes % 2 == 0:  # an even number of quotes before the break: it ends a record
            return data[:cut + 1]
        end = cut


def _fast_type(dtype: str, ts_format: str | None, j: int, dialect: Dialect) -> str:
    d = dtype.upper()
    if d.startswith("TIMESTAMP") and "TIME ZONE" not in d and ts_format and not ts_format.startswith("%Y-%m-%d"):
        return "VARCHAR"  # a non-ISO layout: the values decide day/month order, not the sniffer
    if d in ("TIME", "INTERVAL") or d.startswith("TIME WITH"):
        return "VARCHAR"
    if d in ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "HUGEINT", "UBIGINT", "DOUBLE", "FLOAT", "DECIMAL") or \
            d.startswith("DECIMAL"):
        for r in dialect.rows:
            if j < len(r) and re.fullmatch(r"\s*0\d+\s*", r[j]):
                return "VARCHAR"  # zero-padded codes keep their zeros
    return dtype


def _read_robust(ctx: _Ctx, path: Path, dialect: Dialect, names: list[str], raw: _Raw) -> None:
    """A Python pass over a messy file: pad short rows, reject long or broken ones, write a clean copy.

    A quote that is never closed swallows the rest of the file into one cell: when the file ends
    inside a quoted cell, the line that opened it is rejected and reading resumes on the next line.
    """
    clean = ctx.tmp(".csv")
    n = len(names)
    padded = 0
    csv.field_size_limit(limits.MAX_LINE_BYTES)
    with open(path, encoding="utf-8", errors="replace", newline="") as fin, \
            open(clean, "w", encoding="utf-8", newline="") as fout:
        writer = csv.writer(fout, lineterminator="\n")
        header_pending = dialect.has_header
        base = dialect.skip_lines   # physical lines before the current reader's first line
        while True:
            fin.seek(0)
            for _ in range(base):
                fin.readline()
            reader = csv.reader(fin, delimiter=dialect.delimiter, quotechar='"', doublequote=True, strict=False)
            prev = 0
            held: tuple[int, list[str]] | None = None   # a record spanning lines: written once the next one parses
            restart = None
            while True:
                try:
                    rec = next(reader)
                except StopIteration:
                    if held is not None and _unclosed_quote(path, held[0]):
                        _reject(raw, held[0], "unclosed_quote", "")
                        restart, held = held[0], None
                    break
                except csv.Error:
                    start, prev = base + prev + 1, reader.line_num
                    _reject(raw, start, "malformed_row", "")
                    continue
                start, prev = base + prev + 1, reader.line_num
                if header_pending:
                    header_pending = False
                    continue
                if held is not None:
                    padded += _write_record(raw, writer, *held, n, dialect.delimiter)
                    held = None
                if base + prev > start and any("\n" in f or "\r" in f for f in rec):
                    held = (start, rec)
                    continue
                padded += _write_record(raw, writer, start, rec, n, dialect.delimiter)
            if held is not None:
                padded += _write_record(raw, writer, *held, n, dialect.delimiter)
            if restart is None:
                break
            base = restart
    if padded:
        raw.warnings.append(Issue("short_rows_padded", {"count": padded}, "info"))
    columns = {ROW: "BIGINT", **{c: "VARCHAR" for c in names}}
    ctx.con.execute(
        f"CREATE TABLE {quote_ident(raw.table)} AS SELECT * FROM read_csv(?, auto_detect = false, delim = ',', "
        "quote = '\"', escape = '\"', header = false, columns = ?, nullstr = ?, max_line_size = ?)",
        [str(clean), columns, list(READ_NULLS), limits.MAX_LINE_BYTES * 2])
    clean.unlink(missing_ok=True)


def _write_record(raw: _Raw, writer, start: int, rec: list[str], n: int, delimiter: str) -> int:
    """Write one parsed record (or reject it); 1 when it was padded to the header's width."""
    if not rec or not any(f.strip() for f in rec):
        return 0
    padded = 0
    if len(rec) > n:
        if any(f.strip() for f in rec[n:]):
            _reject(raw, start, "too_many_fields", delimiter.join(rec))
            return 0
        rec = rec[:n]
    elif len(rec) < n:
        padded = 1
        rec = rec + [""] * (n - len(rec))
    if any(len(f) > limits.MAX_CELL_CHARS for f in rec):
        _reject(raw, start, "cell_too_long", "")
        return 0
    writer.writerow([start] + [f.replace("\x00", "") for f in rec])
    return padded


def _unclosed_quote(path: Path, line: int) -> bool:
    """Whether the text from physical ``line`` to the end holds an odd number of quotes (a cell never closed)."""
    quotes = 0
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        for _ in range(line - 1):
            fh.readline()
        while chunk := fh.read(1 << 20):
            quotes += chunk.count('"')
    return quotes % 2 == 1


def _reject(raw: _Raw, row: int, reason: str, content: str) -> None:
    if len(raw.rejects) < _MAX_REJECT_DETAILS:
        raw.rejects.append((row, reason, content[:2000]))
    else:
        raw.rejects_uncounted += 1


# --- workbooks -----------------------------------------------------------------------------------
_ARROW = {"BIGINT": pa.int64(), "DOUBLE": pa.float64(), "DATE": pa.date32(), "TIMESTAMP": pa.timestamp("us"),
          "BOOLEAN": pa.bool_(), "VARCHAR": pa.string()}


def _load_sheet(ctx: _Ctx, sheet: containers.SheetData, label: str) -> _Raw:
    names = unique_names(sheet.names)
    arrays = [pa.array(sheet.row_numbers, pa.int64())]
    arrays += [pa.array(col, type=_ARROW[t]) for col, t in zip(sheet.columns, sheet.types)]
    arrow = pa.table(arrays, names=[ROW] + names)
    cyr, cjk = _script(names)
    name = ctx.new_name()
    raw = _Raw(name=name, table=f"{name}__raw", row_offset=None, source_format="xlsx",
               day_first_default=cyr or cjk, decimal_comma=cyr, title=sheet.title)
    ctx.created.append(raw.table)
    view = f"{name}__arrow"
    ctx.con.register(view, arrow)
    try:
        ctx.con.execute(f"CREATE TABLE {quote_ident(raw.table)} AS SELECT * FROM {quote_ident(view)}")
    finally:
        ctx.con.unregister(view)
    return raw


def _load_parquet(ctx: _Ctx, path: Path) -> _Raw:
    """A Parquet file (e.g. a big event log given to audit.py): DuckDB reads it with its own types."""
    name = ctx.new_name()
    raw = _Raw(name=name, table=f"{name}__raw", row_offset=1, source_format="parquet",
               day_first_default=False, decimal_comma=False)
    ctx.created.append(raw.table)
    ctx.con.execute(f"CREATE TABLE {quote_ident(raw.table)} AS SELECT * FROM read_parquet(?)", [str(path)])
    return raw


# --- typing, rejecting, validating ---------------------------------------------------------------
def _finish(ctx: _Ctx, raw: _Raw, label: str) -> IngestedTable:
    con = ctx.con
    rejected = f"{raw.name}_rejected"
    ctx.created.append(rejected)
    con.execute(f"CREATE TABLE {quote_ident(rejected)} ({_REJECTED_COLUMNS})")
    warnings = list(raw.warnings)
    if raw.rejects:
        _store_rejects(ctx, rejected, raw.rejects)
        rows = sorted(r for r, _, _ in raw.rejects)
        warnings.append(Issue("rows_rejected_malformed", {"count": len(raw.rejects) + raw.rejects_uncounted,
                                                          "rows": checks.rows_text(rows)}))
    cols = [(c, t) for c, t in table_columns(con, raw.table) if c != ROW]
    cols = _rename_instagram_metric(ctx, raw, cols, label, warnings)
    _drop_total_row(ctx, raw, cols, rejected, warnings)

    plans: dict[str, _Plan] = {}
    total = int(scalar(con, f"SELECT count(*) FROM {quote_ident(raw.table)}"))
    if total > limits.MAX_ROWS and ctx.upload:
        raise LoadError("too_many_rows", file=label, count=total, limit=limits.MAX_ROWS)
    for c, t in cols:
        plan = _plan_column(ctx, raw, c, t, len(plans), total)
        if plan is not None:
            plans[c] = plan
            warnings.extend(plan.issues)
    _bound_values(ctx, raw, cols, plans, warnings)
    typed = [(c, plans[c].dtype if c in plans else t) for c, t in cols]
    found = det.detect(typed)
    required_time = _required_time_columns(found)

    unparsed: dict[str, int] = {}
    if plans:
        row_sql = _build_typed(ctx, raw, cols, plans, required_time, rejected, unparsed, warnings)
        table = raw.name
    else:
        con.execute(f"ALTER TABLE {quote_ident(raw.table)} RENAME TO {quote_ident(raw.name)}")
        ctx.created[ctx.created.index(raw.table)] = raw.name
        table = raw.name
        row_sql = raw.row_sql()
    final_cols = [(c, t) for c, t in table_columns(con, table) if c != ROW]
    missing, too_long = _column_stats(ctx, table, final_cols, unparsed)
    if too_long:
        _reject_long_cells(ctx, table, row_sql, too_long, rejected, warnings)
        missing, _ = _column_stats(ctx, table, final_cols, unparsed)
    n_rows = int(scalar(con, f"SELECT count(*) FROM {quote_ident(table)}"))
    n_rejected = int(scalar(con, f"SELECT count(*) FROM {quote_ident(rejected)}")) + raw.rejects_uncounted
    if n_rows == 0 and n_rejected == 0:
        raise LoadError("no_rows", file=label)

    if n_rows:
        found = det.detect(final_cols)
        warnings += checks.negatives(con, table, row_sql, final_cols, found.roles, found.kind)
        warnings += checks.time_bounds(con, table, row_sql, final_cols, ctx.today)
        warnings += checks.duplicates(con, table, row_sql, final_cols)
    if any(c == ROW for c, _ in table_columns(con, table)):
        con.execute(f"ALTER TABLE {quote_ident(table)} DROP COLUMN {quote_ident(ROW)}")
    if n_rejected == 0:
        con.execute(f"DROP TABLE {quote_ident(rejected)}")
        ctx.created.remove(rejected)
    return IngestedTable(table=table, label=label, rows=n_rows, rows_rejected=n_rejected,
                         rejected_table=rejected if n_rejected else None, warnings=warnings,
                         missing_by_column=missing, source_format=raw.source_format,
                         encoding=raw.encoding, delimiter=raw.delimiter if raw.source_format == "csv" else None,
                         unparsed_by_column=unparsed)


def _store_rejects(ctx: _Ctx, rejected: str, rows: list[tuple[int, str, str]]) -> None:
    arrow = pa.table([pa.array([r for r, _, _ in rows], pa.int64()), pa.array([w for _, w, _ in rows], pa.string()),
                      pa.array([c for _, _, c in rows], pa.string())], names=["source_row", "reason", "content"])
    view = f"{rejected}__arrow"
    ctx.con.register(view, arrow)
    try:
        ctx.con.execute(f"INSERT INTO {quote_ident(rejected)} SELECT source_row, reason, NULL, NULL, content "
                        f"FROM {quote_ident(view)}")
    finally:
        ctx.con.unregister(view)


def _rename_instagram_metric(ctx: _Ctx, raw: _Raw, cols: list[tuple[str, str]], label: str,
                             warnings: list[Issue]) -> list[tuple[str, str]]:
    """Instagram's per-metric files say ``"Date","Primary"``: the metric is in the title or file name."""
    if [det.normalise(c) for c, _ in cols] != ["date", "primary"]:
        return cols
    stem = PurePosixPath(label.split(SEP)[-1]).stem
    metric = (raw.title or stem or "").strip()
    if not metric or det.normalise(metric) in ("date", "primary") or len(metric) > 100:
        return cols
    ctx.con.execute(f"ALTER TABLE {quote_ident(raw.table)} RENAME COLUMN {quote_ident(cols[1][0])} "
                    f"TO {quote_ident(metric)}")
    warnings.append(Issue("column_renamed", {"old": cols[1][0], "new": metric}, "info"))
    return [cols[0], (metric, cols[1][1])]


def _content_sql(cols: list[tuple[str, str]], delimiter: str, alias: str = "") -> str:
    p = f"{alias}." if alias else ""
    sep = {",": "','", ";": "';'", "\t": "chr(9)", "|": "'|'"}.get(delimiter, "','")
    parts = ", ".join(f"coalesce(CAST({p}{quote_ident(c)} AS VARCHAR), '')" for c, _ in cols)
    return f"concat_ws({sep}, {parts})" if cols else "''"


def _drop_total_row(ctx: _Ctx, raw: _Raw, cols: list[tuple[str, str]], rejected: str,
                    warnings: list[Issue]) -> None:
    """A ``Total`` row first or last (YouTube Studio's Table data) is dropped and reported."""
    if not cols or cols[0][1].upper() != "VARCHAR":
        return
    con = ctx.con
    first = quote_ident(cols[0][0])
    t = quote_ident(raw.table)
    n = int(scalar(con, f"SELECT count(*) FROM {t}"))  # a fresh table: rowids are 0 .. n-1
    for rowid in sorted({0, n - 1}):
        got = con.execute(f"SELECT rowid, {raw.row_sql()}, {first} FROM {t} WHERE rowid = ?", [rowid]).fetchone()
        if not got or got[2] is None:
            continue
        word = unicodedata.normalize("NFC", got[2]).strip().rstrip(":").strip().lower()
        if word not in TOTAL_WORDS:
            continue
        con.execute(f"INSERT INTO {quote_ident(rejected)} SELECT {raw.row_sql()}, 'total_row', ?, {first}, "
                    f"{_content_sql(cols, raw.delimiter)} FROM {t} WHERE rowid = ?", [cols[0][0], got[0]])
        con.execute(f"DELETE FROM {t} WHERE rowid = ?", [got[0]])
        warnings.append(Issue("total_row_dropped", {"row": int(got[1]), "column": cols[0][0]}))


def _sample(ctx: _Ctx, raw: _Raw, col: str, total: int) -> list[str]:
    """Distinct non-null values from the first rows and, for big tables, a seeded sample of the rest."""
    q, t = quote_ident(col), quote_ident(raw.table)
    n = limits.SAMPLE_ROWS
    sql = f"SELECT {q} AS v FROM {t} LIMIT {n}"
    if total > 2 * n:  # plus whole vectors spread over the table: cheap on millions of rows
        pct = max(0.01, round(100 * n / total, 2))
        sql = f"({sql}) UNION ALL (SELECT {q} AS v FROM {t} USING SAMPLE {pct}% (system, 42))"
    got = ctx.con.execute(f"SELECT DISTINCT v FROM ({sql}) WHERE v IS NOT NULL LIMIT {limits.SAMPLE_DISTINCT}"
                          ).fetchall()
    return [r[0] for r in got]


def _plan_column(ctx: _Ctx, raw: _Raw, col: str, dtype: str, index: int, total: int) -> _Plan | None:
    d = dtype.upper()
    rc = f"R.{quote_ident(col)}"
    if d == "VARCHAR":
        vals = [v for v in _sample(ctx, raw, col, total) if not is_missing(v)]
        if not vals:
            return None
        return _plan_text(ctx, raw, col, rc, vals, index)
    if "TIME ZONE" in d:
        return _Plan(f"timezone('UTC', {rc})", "TIMESTAMP", source_is_text=False, can_fail=False)
    if checks._is_number(d) and dates.header_says_time(col, _TIME_SYNONYMS):
        got = ctx.con.execute(f"SELECT DISTINCT CAST({quote_ident(col)} AS DOUBLE) FROM {quote_ident(raw.table)} "
                              f"WHERE {quote_ident(col)} IS NOT NULL LIMIT {limits.SAMPLE_DISTINCT}").fetchall()
        unit = dates.infer_number_time([r[0] for r in got], raw.source_format == "xlsx")
        if unit:
            expr, typ = dates.number_time_sql(rc, *unit)
            return _Plan(expr, typ, source_is_text=False)
    return None


def _plan_text(ctx: _Ctx, raw: _Raw, col: str, rc: str, vals: list[str], index: int) -> _Plan | None:
    con = ctx.con
    layout = dates.infer_numeric_layout(vals)
    if layout is not None:
        issues: list[Issue] = []
        if layout.family == "dmy":
            first, second = dates.order_probe(vals, layout.sep)
            if (first or 0) <= 12 and (second or 0) <= 12:  # the sample cannot tell: ask every value
                first, second = con.execute(f"SELECT {dates.order_probe_sql(quote_ident(col), layout.sep)} "
                                            f"FROM {quote_ident(raw.table)}").fetchone()
            default = raw.day_first_default if ctx.day_first is None else ctx.day_first
            dates.decide_order(layout, first, second, default)
            if layout.ambiguous and ctx.day_first is None:
                example = next((v for v in vals if _day_month_differ(v)), vals[0]).strip()
                issues.append(Issue("ambiguous_date_order", {
                    "column": col, "example": example, "read_as": _read_as(con, layout.sql("x"), example),
                    "day_first": layout.family == "dmy"}))
        return _Plan(layout.sql(rc), layout.sql_type, issues=issues)
    if dates.infer_text_layout(vals):
        got = con.execute(f"SELECT DISTINCT {quote_ident(col)} FROM {quote_ident(raw.table)} "
                          f"WHERE {quote_ident(col)} IS NOT NULL LIMIT {limits.MAX_MAPPED_DISTINCT + 1}").fetchall()
        if len(got) <= limits.MAX_MAPPED_DISTINCT:
            plan = dates.build_text_mapping([r[0] for r in got], ctx.today)
            map_table = f"{raw.name}__map{index}"
            typ = plan.sql_type
            arrow = pa.table([pa.array(list(plan.mapping.keys()), pa.string()),
                              pa.array(list(plan.mapping.values()),
                                       pa.timestamp("us") if typ == "TIMESTAMP" else pa.date32())],
                             names=["raw", "val"])
            view = f"{map_table}__arrow"
            con.register(view, arrow)
            try:
                ctx.created.append(map_table)
                con.execute(f"CREATE TABLE {quote_ident(map_table)} AS SELECT * FROM {quote_ident(view)}")
            finally:
                con.unregister(view)
            alias = f"M{index}"
            issues = []
            if plan.inferred:
                lo, hi = plan.inferred
                issues.append(Issue("year_inferred", {"column": col, "first": lo.isoformat(), "last": hi.isoformat(),
                                                      "years": "–".join(sorted({str(lo.year), str(hi.year)}))}))
            return _Plan(f"{alias}.val", typ, map_table=map_table, map_alias=alias, issues=issues)
    if infer_bool(vals):
        return _Plan(bool_sql(rc), "BOOLEAN")
    norm = det.normalise(col)
    if any(w in norm for w in _DURATION_WORDS) and infer_duration(vals):
        return _Plan(duration_sql(rc), "DOUBLE")
    fmt = infer_number(vals, raw.decimal_comma)
    if fmt is None:
        return None
    expr, typ = fmt.sql(rc), ("BIGINT" if fmt.integer else "DOUBLE")
    issues = []
    if fmt.ambiguous:
        example = next((v for v in vals if "," in v or "." in v), vals[0]).strip()
        issues.append(Issue("ambiguous_number_format", {
            "column": col, "example": example, "read_as": _read_as(con, fmt.sql("x"), example)}))
    if dates.header_says_time(col, _TIME_SYNONYMS):
        unit = dates.infer_number_time([fmt.parse(v) for v in vals], raw.source_format == "xlsx")
        if unit:
            expr, typ = dates.number_time_sql(expr, *unit)
    return _Plan(expr, typ, issues=issues)


def _day_month_differ(value: str) -> bool:
    m = re.match(r"^\s*(\d{1,2})[./-](\d{1,2})[./-]", value)
    return bool(m) and m.group(1) != m.group(2)


def _read_as(con: duckdb.DuckDBPyConnection, expr: str, example: str) -> str:
    """How a conversion reads one example value, as text (ISO for dates)."""
    got = con.execute(f"SELECT CAST({expr} AS VARCHAR) FROM (SELECT CAST(? AS VARCHAR) AS x)", [example]).fetchone()
    text = got[0] if got and got[0] is not None else "—"
    return text[:-9] if text.endswith(" 00:00:00") else (text[:-2] if text.endswith(".0") else text)


def _required_time_columns(found: det.Detection) -> list[str]:
    if not found.kind:
        return []
    spec = det.SPEC_BY_KIND[found.kind]
    out = [found.roles[r] for r in spec.required if r in det.TIME_ROLES and r in found.roles]
    return out


def _bad_sql(plan: _Plan, rc: str) -> str:
    if not plan.can_fail:
        return "FALSE"
    if plan.source_is_text:
        return f"({rc} IS NOT NULL AND NOT {missing_sql(rc)} AND ({plan.expr}) IS NULL)"
    return f"({rc} IS NOT NULL AND ({plan.expr}) IS NULL)"


def _build_typed(ctx: _Ctx, raw: _Raw, cols: list[tuple[str, str]], plans: dict[str, _Plan],
                 required_time: list[str], rejected: str, unparsed: dict[str, int], warnings: list[Issue]) -> str:
    """Rebuild the raw table with typed columns in one pass; reject rows whose required time does not parse.

    Each converted column gets a ``__bad<i>`` flag (a value was there, the conversion gave NULL) in the
    same pass; counting, rejecting and examples then read the flags, and the flags are dropped.
    """
    con = ctx.con
    q = quote_ident
    joins = "".join(f" LEFT JOIN {q(p.map_table)} AS {p.map_alias} ON {p.map_alias}.raw = R.{q(c)}"
                    for c, p in plans.items() if p.map_table)
    inner = [f"R.rowid AS {q(RID)}", f"{raw.row_sql('R')} AS {q(ROW)}"]
    outer = [q(RID), q(ROW)]
    flags: dict[str, str] = {}
    for i, (c, _) in enumerate(cols):
        plan = plans.get(c)
        if plan is None:
            inner.append(f"R.{q(c)}")
            outer.append(q(c))
            continue
        src, flag = f"__src{i}", f"__bad{i}"
        inner += [f"R.{q(c)} AS {q(src)}", f"CAST({plan.expr} AS {plan.dtype}) AS {q(c)}"]
        outer.append(q(c))
        if plan.can_fail:
            real = f"NOT {missing_sql(q(src))}" if plan.source_is_text else "TRUE"
            outer.append(f"(CASE WHEN {q(c)} IS NULL AND {q(src)} IS NOT NULL THEN {real} ELSE FALSE END) AS {q(flag)}")
            flags[c] = flag
    order = f" ORDER BY {q(RID)}" if joins else ""  # a join may shuffle rows; a projection keeps file order
    con.execute(f"CREATE TABLE {q(raw.name)} AS SELECT {', '.join(outer)} FROM "
                f"(SELECT {', '.join(inner)} FROM {q(raw.table)} AS R{joins}){order}")
    ctx.created.append(raw.name)
    t = q(raw.name)

    req = [c for c in required_time if c in flags]
    if req:
        any_bad = " OR ".join(f"S.{q(flags[c])}" for c in req)
        col_case = "CASE " + " ".join(f"WHEN S.{q(flags[c])} THEN ?" for c in req) + " END"
        val_case = "CASE " + " ".join(f"WHEN S.{q(flags[c])} THEN CAST(R.{q(c)} AS VARCHAR)" for c in req) + " END"
        con.execute(f"INSERT INTO {q(rejected)} SELECT S.{q(ROW)}, 'bad_date', {col_case}, {val_case}, "
                    f"{_content_sql(cols, raw.delimiter, 'R')} FROM {t} AS S JOIN {q(raw.table)} AS R "
                    f"ON R.rowid = S.{q(RID)} WHERE {any_bad}", req)
        for c in req:
            got = con.execute(f"SELECT count(*), list(source_row ORDER BY source_row)[1:{checks.EXAMPLES}] "
                              f"FROM {q(rejected)} WHERE reason = 'bad_date' AND column_name = ?", [c]).fetchone()
            if got[0]:
                warnings.append(Issue("rows_rejected_bad_date", {"column": c, "count": int(got[0]),
                                                                  "rows": checks.rows_text(list(got[1]))}))
        con.execute(f"DELETE FROM {t} WHERE {any_bad.replace('S.', '')}")
    others = [c for c in flags if c not in req]
    if others:
        counts = con.execute(f"SELECT {', '.join(f'count_if({q(flags[c])})' for c in others)} FROM {t}").fetchone()
        for c, n in zip(others, counts):
            if not n:
                continue
            unparsed[c] = int(n)
            ex = con.execute(f"SELECT S.{q(ROW)} AS r, CAST(R.{q(c)} AS VARCHAR) FROM {t} AS S JOIN {q(raw.table)} "
                             f"AS R ON R.rowid = S.{q(RID)} WHERE S.{q(flags[c])} ORDER BY r LIMIT {checks.EXAMPLES}"
                             ).fetchall()
            warnings.append(Issue("unparsed_values", {"column": c, "count": int(n),
                                                      "rows": checks.rows_text([int(r[0]) for r in ex]),
                                                      "example": str(ex[0][1])[:60] if ex else ""}))
    for name in [RID, *flags.values()]:
        con.execute(f"ALTER TABLE {t} DROP COLUMN {q(name)}")
    _drop(con, [raw.table] + [p.map_table for p in plans.values() if p.map_table])
    for name in [raw.table] + [p.map_table for p in plans.values() if p.map_table]:
        if name in ctx.created:
            ctx.created.remove(name)
    return q(ROW)


def _column_stats(ctx: _Ctx, table: str, cols: list[tuple[str, str]], unparsed: dict[str, int]
                  ) -> tuple[dict[str, int], list[str]]:
    """({column: missing values}, [text columns with a value over MAX_CELL_CHARS bytes]) in one scan.

    Counting the long values is a quarter of the cost of ``max(strlen(...))`` on millions of rows.
    """
    if not cols:
        return {}, []
    texts = [c for c, t in cols if t.upper() == "VARCHAR"]
    parts = [f"count(*) - count({quote_ident(c)})" for c, _ in cols]
    parts += [f"count_if(strlen({quote_ident(c)}) > {int(limits.MAX_CELL_CHARS)})" for c in texts]
    got = ctx.con.execute(f"SELECT {', '.join(parts)} FROM {quote_ident(table)}").fetchone()
    out = {}
    for (c, _), n in zip(cols, got):
        n = int(n) - unparsed.get(c, 0)
        if n > 0:
            out[c] = n
    return out, [c for c, n in zip(texts, got[len(cols):]) if n]


def _reject_long_cells(ctx: _Ctx, table: str, row_sql: str, columns: list[str], rejected: str,
                       warnings: list[Issue]) -> None:
    """Rows with a cell over ``MAX_CELL_CHARS`` characters (Excel's limit) go to the rejected table."""
    q = quote_ident
    limit = int(limits.MAX_CELL_CHARS)
    where = " OR ".join(f"length({q(c)}) > {limit}" for c in columns)
    which = "CASE " + " ".join(f"WHEN length({q(c)}) > {limit} THEN ?" for c in columns) + " END"
    ctx.con.execute(f"INSERT INTO {q(rejected)} SELECT {row_sql}, 'cell_too_long', {which}, NULL, NULL "
                    f"FROM {q(table)} WHERE {where}", columns)
    got = ctx.con.execute(f"SELECT count(*), list({row_sql} ORDER BY {row_sql})[1:{checks.EXAMPLES}] FROM {q(table)} "
                          f"WHERE {where}").fetchone()
    ctx.con.execute(f"DELETE FROM {q(table)} WHERE {where}")
    if got[0]:
        warnings.append(Issue("rows_rejected_long_cell", {"count": int(got[0]), "limit": limit,
                                                          "rows": checks.rows_text([int(r) for r in got[1]])}))


_TIME_TYPES = ("DATE", "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS")


def _in_range_sql(expr: str, dtype: str) -> str:
    lo, hi = (f"DATE '{limits.MIN_DATE}'", f"DATE '{limits.MAX_DATE}'") if dtype == "DATE" else \
        (f"TIMESTAMP '{limits.MIN_DATE} 00:00:00'", f"TIMESTAMP '{limits.MAX_DATE} 23:59:59.999999'")
    return f"(CASE WHEN ({expr}) BETWEEN {lo} AND {hi} THEN ({expr}) END)"


def _finite_sql(expr: str) -> str:
    return f"(CASE WHEN isfinite({expr}) THEN ({expr}) END)"


def _bound_values(ctx: _Ctx, raw: _Raw, cols: list[tuple[str, str]], plans: dict[str, _Plan],
                  warnings: list[Issue]) -> None:
    """Dates outside MIN_DATE..MAX_DATE and infinite numbers (``1e309``) are not values: they become
    NULL and are counted like any unparsed value (or reject the row when the date is required)."""
    q = quote_ident
    probes: list[str] = []
    targets: list[tuple[str, str]] = []
    for c, t in cols:
        plan = plans.get(c)
        d = (plan.dtype if plan else t).upper()
        if plan is not None:  # converted anyway: bound the conversion
            if d in _TIME_TYPES:
                plan.expr, plan.can_fail = _in_range_sql(plan.expr, d), True
            elif d in ("DOUBLE", "FLOAT", "REAL"):
                plan.expr, plan.can_fail = _finite_sql(plan.expr), True
            continue
        if d in _TIME_TYPES:
            probes.append(f"count_if({q(c)} IS NOT NULL AND ({_in_range_sql(q(c), d)}) IS NULL)")
            targets.append((c, d))
        elif d in ("DOUBLE", "FLOAT", "REAL"):
            probes.append(f"count_if(NOT isfinite({q(c)}))")
            targets.append((c, d))
    if not probes:
        return
    counts = ctx.con.execute(f"SELECT {', '.join(probes)} FROM {q(raw.table)}").fetchone()
    for (c, d), n in zip(targets, counts):
        if not n:
            continue
        rc = f"R.{q(c)}"
        expr = _in_range_sql(rc, d) if d in _TIME_TYPES else _finite_sql(rc)
        plans[c] = _Plan(expr, d, source_is_text=False)
        if d in _TIME_TYPES:
            warnings.append(Issue("dates_out_of_range", {"column": c, "count": int(n), "low": limits.MIN_DATE,
                                                         "high": limits.MAX_DATE}, "info"))
