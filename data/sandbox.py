"""The Explore page's SQL sandbox: a user's own SELECT over copies of their own tables, nothing else.

Security rests on DuckDB's own mechanisms, not on string matching:

* ``Sandbox`` copies this session's tables (as uploaded, plus the canonical views) into a private
  DuckDB file in a fresh temporary folder, then opens that file **read-only** as a separate database
  instance with external access disabled (no file system, no network, no ``ATTACH``, ``COPY``,
  ``INSTALL``/``LOAD``), extension auto-install/auto-load off, no Python replacement scans, a memory
  cap and the configuration locked. Another session's tables are simply not in that database.
* ``check_statement`` parses the text with DuckDB (``extract_statements``): exactly one statement,
  and it must be a ``SELECT`` (``WITH``, ``VALUES``, ``FROM t``, ``DESCRIBE``, ``SUMMARIZE``, ``UNPIVOT``
  are SELECTs to DuckDB).
* A query is cancelled with ``con.interrupt()`` from a timer thread after ``timeout`` seconds; DuckDB's
  ``max_execution_time`` is set just above it as a second line of defence.
* The accepted SELECT runs as a subquery with a ``LIMIT`` (``row_cap``, fewer for very wide results) and
  its texts cut to ``MAX_CELL_CHARS``, so a result can never become gigabytes of Python strings.

User-facing text never lives here: refusals are ``Issue`` codes (``issue.sql_*``, catalog
``ui/locales/explore.json``); DuckDB's own English error text is passed along as ``detail``.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from data.db import quote_ident
from data.issues import Issue
from data.session import PRIMARY_TIME, Dataset, Workspace

DEFAULT_TIMEOUT = float(os.environ.get("KPIWB_SQL_TIMEOUT", "10"))
ROW_CAP = 10_000
MEMORY_LIMIT = os.environ.get("KPIWB_SQL_MEMORY", "1GB")
TEMP_LIMIT = os.environ.get("KPIWB_SQL_TEMP", "1GB")
THREADS = int(os.environ.get("KPIWB_DUCKDB_THREADS", "2"))
MAX_CELL_CHARS = 500        # longer texts are cut in the result (and its download)
CELL_BUDGET = 500_000       # rows x columns fetched at most: a wide result gets fewer rows
CHART_MAX_POINTS = 5_000    # Altair refuses more rows
CHART_MAX_BARS = 30
CLEAN_SUFFIX = "_clean"

# Statement types that are refused with a specific reason; anything else that is not a SELECT gets
# the general "only SELECT" message.
_REFUSAL_BY_TYPE = {
    "COPY": "sql_no_files", "EXPORT": "sql_no_files", "COPY_DATABASE": "sql_no_files",
    "ATTACH": "sql_no_attach", "DETACH": "sql_no_attach",
    "LOAD": "sql_no_extensions", "EXTENSION": "sql_no_extensions",
    "SET": "sql_no_settings", "VARIABLE_SET": "sql_no_settings",
    "CREATE": "sql_read_only", "CREATE_FUNC": "sql_read_only", "INSERT": "sql_read_only",
    "UPDATE": "sql_read_only", "DELETE": "sql_read_only", "DROP": "sql_read_only", "ALTER": "sql_read_only",
    "MERGE_INTO": "sql_read_only", "VACUUM": "sql_read_only",
}


# ---- statement gate ------------------------------------------------------------------------------

def statement_types(con: duckdb.DuckDBPyConnection, sql: str) -> list[str]:
    """DuckDB's own statement types for ``sql`` (parsed, not run). Raises duckdb.Error on bad syntax."""
    return [s.type.name for s in con.extract_statements(sql)]


def check_statement(con: duckdb.DuckDBPyConnection, sql: str) -> Issue | None:
    """None when ``sql`` is exactly one SELECT statement; otherwise the reason it is refused."""
    return _check(con, sql)[0]


def _check(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[Issue | None, str | None]:
    """(refusal or None, DuckDB's full error text when parsing failed)."""
    if not sql or not sql.strip():
        return Issue("sql_empty", {}, "error"), None
    try:
        types = statement_types(con, sql)
    except duckdb.ParserException as exc:
        return _syntax_issue(exc), str(exc).strip()
    except (duckdb.Error, ValueError) as exc:
        # ValueError: a statement type the Python client has no name for (e.g. UPDATE EXTENSIONS)
        return Issue("sql_not_select", {"statement": _first_word(sql)}, "error"), None
    if not types:
        return Issue("sql_empty", {}, "error"), None
    if len(types) > 1:
        return Issue("sql_several", {"n": len(types)}, "error"), None
    kind = types[0]
    if kind == "SELECT":
        return None, None
    code = _REFUSAL_BY_TYPE.get(kind, "sql_not_select")
    return Issue(code, {"statement": _first_word(sql)}, "error"), None


def _without_trailing_semicolons(sql: str) -> str:
    """``sql`` up to its last token that is not a comment or a ``;`` (DuckDB's tokenizer, so a ``;``
    inside a string or a comment is left alone)."""
    tokens = duckdb.tokenize(sql)
    end = len(sql)
    for pos, kind in reversed(tokens):
        if kind == duckdb.token_type.comment:
            continue
        if kind == duckdb.token_type.operator and sql[pos:pos + 1] == ";":
            end = pos
            continue
        break
    return sql[:end]


_AS_TEXT = ("BLOB", "JSON", "BIT", "STRUCT", "MAP", "UNION")


def _bounded_column(name: str, dtype: str) -> str:
    """A select-list item for one result column: texts cut to MAX_CELL_CHARS, nested values as cut text."""
    col = quote_ident(name)
    upper = dtype.upper()
    if upper.startswith("VARCHAR"):
        return f"left({col}, {MAX_CELL_CHARS}) AS {col}"
    if upper.startswith(_AS_TEXT) or upper.endswith("]"):
        return f"left(CAST({col} AS VARCHAR), {MAX_CELL_CHARS}) AS {col}"
    return col


def _first_word(sql: str) -> str:
    body = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.S).strip()
    word = re.match(r"[A-Za-z_]+", body)
    return word.group(0).upper() if word else "?"


def _first_line(exc: BaseException) -> str:
    lines = [ln for ln in str(exc).splitlines() if ln.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def _syntax_issue(exc: BaseException) -> Issue:
    return Issue("sql_syntax", {"detail": _first_line(exc)}, "error")


# ---- friendly table names ------------------------------------------------------------------------

def slug(label: str) -> str:
    """A table name a person can type from a file label: ``"Shop Orders (2024).csv"`` -> ``shop_orders_2024``.

    Letters of any script are kept (DuckDB accepts them unquoted); everything else becomes ``_``.
    """
    last = label.split("›")[-1].strip()
    stem = re.sub(r"\.(csv|tsv|txt|xlsx|xls|zip)$", "", last, flags=re.I)
    name = re.sub(r"[\W]+", "_", stem.lower()).strip("_")
    if not name:
        name = "data"
    if not name[0].isalpha():    # a digit, or a number sign such as ¼
        name = "t_" + name
    return name


def friendly_names(labels: list[str], reserved: set[str] = frozenset()) -> list[tuple[str, str]]:
    """(raw name, clean name) per label, unique across all of them and clear of SQL reserved words."""
    taken: set[str] = set()
    out = []

    def claim(base: str) -> str:
        name, n = base, 2
        while name in taken or name in reserved:
            name = f"{base}_{n}"
            n += 1
        taken.add(name)
        return name

    for label in labels:
        raw = claim(slug(label))
        clean = claim(raw + CLEAN_SUFFIX)
        out.append((raw, clean))
    return out


# ---- the sandbox ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SandboxTable:
    name: str                       # what the user types in SQL
    source: str                     # the dataset's label (file name)
    dataset: str                    # internal table name, ds_<n>
    clean: bool                     # True: copy of the canonical view (columns named by role)
    kind: str | None
    rows: int
    columns: tuple[tuple[str, str], ...]   # (name, DuckDB type)
    time_role: str | None = None    # the clean table's time column the date range applies to


@dataclass
class QueryResult:
    frame: pd.DataFrame | None
    issues: list[Issue] = field(default_factory=list)
    truncated: bool = False         # more than row_cap rows: only the first row_cap are in frame
    seconds: float = 0.0
    detail: str | None = None       # DuckDB's full error text (English), for a code block under the message
    limit: int = ROW_CAP            # the row limit that applied (fewer rows for very wide results)

    @property
    def ok(self) -> bool:
        return self.frame is not None and not self.issues


def fingerprint(ws: Workspace, date_range: tuple[date, date] | None) -> tuple:
    """What a sandbox was built from: rebuild when the datasets, their mapping or the range change."""
    return (id(ws), tuple((d.name, d.label, d.kind, tuple(sorted(d.roles.items())), d.rows) for d in ws.datasets),
            tuple(date_range) if date_range else None)


def _reserved_words(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'").fetchall()
    return {r[0].lower() for r in rows}


def _time_role(ds: Dataset) -> str | None:
    return next((r for r in PRIMARY_TIME if r in ds.roles), None)


def _cleanup(con: duckdb.DuckDBPyConnection, folder: str) -> None:
    try:
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


class Sandbox:
    """A locked-down, read-only DuckDB database holding copies of one workspace's tables.

    ``date_range`` (inclusive) limits the ``*_clean`` tables to rows whose primary time falls in it;
    the raw tables are copied whole, as uploaded.
    """

    def __init__(self, ws: Workspace, date_range: tuple[date, date] | None = None, *,
                 timeout: float = DEFAULT_TIMEOUT, row_cap: int = ROW_CAP) -> None:
        self.timeout = float(timeout)
        self.row_cap = int(row_cap)
        self.fingerprint = fingerprint(ws, date_range)
        self.date_range = date_range
        self._lock = threading.Lock()
        self._folder = tempfile.mkdtemp(prefix="kpiwb-sql-")
        path = str(Path(self._folder) / "tables.duckdb")
        try:
            self.tables = self._copy(ws, path, date_range)
            self.con = self._open(path)
        except BaseException:
            shutil.rmtree(self._folder, ignore_errors=True)
            raise
        self._finalizer = weakref.finalize(self, _cleanup, self.con, self._folder)

    # ---- building -------------------------------------------------------------------------------
    def _copy(self, ws: Workspace, path: str, date_range) -> list[SandboxTable]:
        """Copy the workspace's tables into the file at ``path``, using the workspace's connection."""
        src = ws.con
        alias = "kpiwb_sandbox_" + os.path.basename(self._folder).replace("-", "_")
        reserved = _reserved_words(src)
        names = friendly_names([d.label for d in ws.datasets], reserved)
        order_setting = src.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
        src.execute("SET preserve_insertion_order = true")   # copies keep the file's row order
        src.execute("ATTACH ? AS " + quote_ident(alias), [path])
        made: list[tuple[str, str, Dataset, bool, str | None]] = []
        try:
            for ds, (raw, clean) in zip(ws.datasets, names):
                src.execute(f"CREATE TABLE {quote_ident(alias)}.{quote_ident(raw)} AS "
                            f"SELECT * FROM {quote_ident(ds.name)}")
                made.append((raw, alias, ds, False, None))
                if not ds.roles:
                    continue
                role = _time_role(ds)
                if date_range and role:
                    src.execute(f"CREATE TABLE {quote_ident(alias)}.{quote_ident(clean)} AS "
                                f"SELECT * FROM {quote_ident(ds.view)} "
                                f"WHERE CAST({quote_ident(role)} AS DATE) BETWEEN ? AND ?",
                                [date_range[0], date_range[1]])
                else:
                    src.execute(f"CREATE TABLE {quote_ident(alias)}.{quote_ident(clean)} AS "
                                f"SELECT * FROM {quote_ident(ds.view)}")
                made.append((clean, alias, ds, True, role))
            tables = []
            for name, _, ds, is_clean, role in made:
                rows = src.execute(f"SELECT count(*) FROM {quote_ident(alias)}.{quote_ident(name)}").fetchone()[0]
                cols = src.execute(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_catalog = ? AND table_name = ? ORDER BY ordinal_position", [alias, name]).fetchall()
                tables.append(SandboxTable(name=name, source=ds.label, dataset=ds.name, clean=is_clean, kind=ds.kind,
                                           rows=int(rows), columns=tuple((c[0], c[1]) for c in cols),
                                           time_role=role if is_clean else None))
        finally:
            src.execute("DETACH " + quote_ident(alias))
            src.execute("SET preserve_insertion_order = " + ("true" if order_setting else "false"))
        return tables

    def _open(self, path: str) -> duckdb.DuckDBPyConnection:
        spill = str(Path(self._folder) / "spill")
        config = {
            "enable_external_access": "false",      # no files, network, ATTACH, COPY, INSTALL/LOAD
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "allow_community_extensions": "false",
            "allow_unsigned_extensions": "false",
            "allow_persistent_secrets": "false",
            "python_enable_replacements": "false",  # a Python variable's name is not a table
            "memory_limit": MEMORY_LIMIT,
            "max_temp_directory_size": TEMP_LIMIT,
            "temp_directory": spill,
            "threads": str(THREADS),
            "max_execution_time": str(int(self.timeout * 1000) + 500),
        }
        con = duckdb.connect(path, read_only=True, config=config)
        try:
            con.execute("SET enable_progress_bar = false")
            con.execute("SET lock_configuration = true")
        except BaseException:
            con.close()
            raise
        return con

    # ---- use ------------------------------------------------------------------------------------
    def matches(self, ws: Workspace, date_range: tuple[date, date] | None) -> bool:
        return self.fingerprint == fingerprint(ws, date_range)

    def table(self, name: str) -> SandboxTable | None:
        return next((t for t in self.tables if t.name == name), None)

    def run(self, sql: str) -> QueryResult:
        """Check and run one SELECT; at most ``row_cap`` rows, cancelled after ``timeout`` seconds."""
        with self._lock:
            refused, detail = _check(self.con, sql)
            if refused is not None:
                return QueryResult(None, [refused], detail=detail)
            start = time.monotonic()
            timer = threading.Timer(self.timeout, self.con.interrupt)
            timer.daemon = True
            timer.start()
            try:
                wrapped, limit = self._bounded(sql)
                frame, truncated = self._fetch(wrapped, limit)
            except duckdb.Error as exc:
                # the user's line n is line n + 1 of the wrapped query
                detail = re.sub(r"^LINE (\d+):", lambda m: f"LINE {max(1, int(m.group(1)) - 1)}:",
                                str(exc).strip(), flags=re.M)
                return QueryResult(None, [self._runtime_issue(exc)], seconds=time.monotonic() - start,
                                   detail=detail)
            finally:
                timer.cancel()
            return QueryResult(frame, [], truncated=truncated, seconds=time.monotonic() - start, limit=limit)

    def _bounded(self, sql: str) -> tuple[str, int]:
        """The user's SELECT as a subquery with long texts cut and a row limit, so that a result never
        turns into gigabytes of Python strings. DuckDB binds it (DESCRIBE) without running it."""
        body = _without_trailing_semicolons(sql)
        inner = f"SELECT * FROM (\n{body}\n) AS q"
        if check_statement(self.con, inner) is not None:   # cannot happen for one valid SELECT
            raise duckdb.ParserException("Expected a single SELECT statement")
        cols = self.con.execute("DESCRIBE " + inner).fetchall()
        limit = max(1, min(self.row_cap, CELL_BUDGET // max(1, len(cols))))
        exprs = ", ".join(_bounded_column(c[0], c[1]) for c in cols)
        return f"SELECT {exprs} FROM (\n{body}\n) AS q LIMIT {limit + 1}", limit

    def _fetch(self, sql: str, limit: int) -> tuple[pd.DataFrame, bool]:
        cur = self.con.execute(sql)   # streaming: rows are produced as they are fetched
        chunks: list[pd.DataFrame] = []
        have = 0
        while have <= limit:
            chunk = cur.fetch_df_chunk(max(1, (limit + 1 - have) // 2048 + 1), date_as_object=True)
            if chunk is None or len(chunk) == 0:
                if not chunks and chunk is not None:
                    chunks.append(chunk)      # keep the column names of an empty result
                break
            chunks.append(chunk)
            have += len(chunk)
        frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
        truncated = len(frame) > limit
        if truncated:
            frame = frame.iloc[:limit].reset_index(drop=True)
        return frame, truncated

    def _runtime_issue(self, exc: duckdb.Error) -> Issue:
        text = str(exc)
        if isinstance(exc, duckdb.InterruptException):
            return Issue("sql_timeout", {"seconds": f"{self.timeout:g}"}, "error")
        if isinstance(exc, duckdb.PermissionException):
            if "extension" in text.lower():
                return Issue("sql_no_extensions", {"statement": "LOAD"}, "error")
            return Issue("sql_no_files", {"statement": "SELECT"}, "error")
        if isinstance(exc, duckdb.OutOfMemoryException):
            return Issue("sql_memory", {}, "error")
        if isinstance(exc, duckdb.ParserException):
            return _syntax_issue(exc)
        if isinstance(exc, duckdb.CatalogException):
            missing = re.search(r'with name "?([^"!]+?)"? does not exist', text)
            if missing and re.search(r"[/\\]|://|\.\w{2,5}$", missing.group(1)):
                return Issue("sql_no_files", {"statement": "SELECT"}, "error")
            return Issue("sql_unknown_name", {"detail": _first_line(exc)}, "error")
        if "read-only" in text or "read only" in text:
            return Issue("sql_read_only", {"statement": "SELECT"}, "error")
        return Issue("sql_error", {"detail": _first_line(exc)}, "error")

    def close(self) -> None:
        self._finalizer()


def open_sandbox(ws: Workspace, date_range: tuple[date, date] | None = None,
                 **kwargs: Any) -> tuple[Sandbox | None, Issue | None]:
    """A new sandbox, or the reason it could not be made (e.g. the temp folder is full)."""
    try:
        return Sandbox(ws, date_range, **kwargs), None
    except (duckdb.Error, OSError) as exc:
        return None, Issue("sql_build_failed", {"detail": _first_line(exc)}, "error")


# ---- examples ------------------------------------------------------------------------------------

MEASURE_PREFERENCE = ("amount", "revenue", "views", "cost", "likes", "new_followers", "active_followers",
                      "impressions", "users", "clicks")
LABEL_PREFERENCE = ("channel", "event", "status", "agent", "format", "device", "region", "step")


@dataclass(frozen=True)
class Example:
    key: str                    # catalog key of its description: explore.example.<key>
    params: dict[str, Any]
    sql: str


def _ident(name: str) -> str:
    return name if re.fullmatch(r"[^\W\d]\w*", name) and name.lower() == name else quote_ident(name)


def examples(tables: list[SandboxTable], grain: str) -> list[Example]:
    """Starter queries for the tables at hand: a preview, a trend by ``grain``, a breakdown."""
    out: list[Example] = []
    unit = grain if grain in ("day", "week", "month") else "week"
    for tb in tables:
        if tb.clean:
            continue
        out.append(Example("preview", {"table": tb.name}, f"SELECT *\nFROM {_ident(tb.name)}\nLIMIT 100"))
    for tb in tables:
        if not tb.clean:
            continue
        cols = {c for c, _ in tb.columns}
        measure = next((m for m in MEASURE_PREFERENCE if m in cols), None)
        label = next((m for m in LABEL_PREFERENCE if m in cols), None)
        name = _ident(tb.name)
        if tb.time_role:
            value = f"sum({_ident(measure)}) AS {_ident(measure)}" if measure else "count(*) AS row_count"
            out.append(Example("trend", {"table": tb.name, "measure": measure or "count(*)", "grain": unit},
                               f"SELECT date_trunc('{unit}', {_ident(tb.time_role)})::DATE AS {unit},\n"
                               f"       {value}\nFROM {name}\nGROUP BY ALL\nORDER BY {unit}"))
        if label:
            value = f"sum({_ident(measure)}) AS {_ident(measure)}" if measure else "count(*) AS row_count"
            order = _ident(measure) if measure else "row_count"
            out.append(Example("breakdown", {"table": tb.name, "measure": measure or "count(*)", "by": label},
                               f"SELECT {_ident(label)},\n       {value}\nFROM {name}\n"
                               f"GROUP BY ALL\nORDER BY {order} DESC"))
    return out


# ---- quick chart ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuickChart:
    mark: str                   # "line" (x is a date/time) or "bar" (x is text)
    x: str                      # the result's column names, for titles
    y: str
    data: pd.DataFrame          # columns "x" and "y", at most CHART_MAX_POINTS rows, sorted
    summed: bool = False        # several rows per x were added up
    bucket: str | None = None   # line charts: the rows were summed per day/week/month
    shown: int = 0              # bars: how many categories are drawn...
    total: int = 0              # ...out of how many


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _is_time(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    sample = s.dropna().head(20)
    return len(sample) > 0 and all(isinstance(v, date) for v in sample)


def _is_text(s: pd.Series) -> bool:
    kinds = pd.api.types
    return kinds.is_string_dtype(s) or kinds.is_object_dtype(s) or isinstance(s.dtype, pd.CategoricalDtype)


_PERIOD = {"day": "D", "week": "W", "month": "M"}


def chart_axes(frame: pd.DataFrame | None) -> tuple[str | None, list[str]]:
    """The result's one text or date column and its numeric columns; (None, []) when it has no quick chart."""
    if frame is None or frame.empty or frame.shape[1] < 2:
        return None, []
    numbers = [c for c in frame.columns if _is_number(frame[c])]
    others = [c for c in frame.columns if c not in numbers]
    if len(others) != 1 or not numbers:
        return None, []
    x = frame[others[0]]
    if not (_is_time(x) or _is_text(x)):
        return None, []
    return others[0], numbers


def quick_chart(frame: pd.DataFrame | None, grain: str = "week", y: str | None = None) -> QuickChart | None:
    """A chart for a result with exactly one text or date column and numeric columns (``y``, else the first).

    Dates give a line (summed per distinct time; when that is still more than CHART_MAX_POINTS points,
    summed per ``grain``); text gives bars of the CHART_MAX_BARS largest totals.
    """
    xcol, numbers = chart_axes(frame)
    if xcol is None:
        return None
    ycol = y if y in numbers else numbers[0]
    x = frame[xcol]
    values = pd.to_numeric(frame[ycol], errors="coerce").astype("float64")
    if _is_time(x):
        xs = pd.to_datetime(x, errors="coerce")
        if getattr(xs.dt, "tz", None) is not None:
            xs = xs.dt.tz_localize(None)
        data = pd.DataFrame({"x": xs, "y": values}).dropna(subset=["x"])
        if data.empty:
            return None
        summed = bool(data["x"].duplicated().any())
        data = data.groupby("x", as_index=False)["y"].sum(min_count=1)
        bucket = None
        if len(data) > CHART_MAX_POINTS:
            bucket = grain if grain in _PERIOD else "week"
            data["x"] = data["x"].dt.to_period(_PERIOD[bucket]).dt.start_time
            data = data.groupby("x", as_index=False)["y"].sum(min_count=1).tail(CHART_MAX_POINTS)
            summed = True
        return QuickChart("line", str(xcol), str(ycol), data.sort_values("x").reset_index(drop=True),
                          summed=summed, bucket=bucket, shown=len(data), total=len(data))
    data = pd.DataFrame({"x": x.astype("str").where(x.notna(), "∅"), "y": values})
    summed = bool(data["x"].duplicated().any())
    data = data.groupby("x", as_index=False)["y"].sum(min_count=1)
    total = len(data)
    data = data.sort_values(["y", "x"], ascending=[False, True], na_position="last").head(CHART_MAX_BARS)
    return QuickChart("bar", str(xcol), str(ycol), data.reset_index(drop=True), summed=summed,
                      shown=len(data), total=total)


# ---- download ------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (OWASP CSV injection)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame) -> bytes:
    """The result as UTF-8 CSV (with a BOM so Excel reads Cyrillic and Chinese, CRLF line ends so a text
    holding a bare carriage return is quoted), formula-safe."""
    columns = {}
    for i in range(frame.shape[1]):
        s = frame.iloc[:, i]
        if not _is_number(s) and not pd.api.types.is_bool_dtype(s) and not pd.api.types.is_datetime64_any_dtype(s):
            s = s.map(escape_cell, na_action="ignore")
        columns[i] = s
    out = pd.DataFrame(columns)
    out.columns = [escape_cell(str(c)) for c in frame.columns]
    buf = io.StringIO()
    out.to_csv(buf, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")   # RFC 4180
    return buf.getvalue().encode("utf-8-sig")
