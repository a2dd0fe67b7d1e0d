"""Property tests: whatever bytes arrive, the loader loads them (counting what it rejects) or raises LoadError.

Anything else (a DuckDB error, a UnicodeError, a crash turned into ``load_failed``) is a bug.
"""
from __future__ import annotations

import csv
import io
import itertools
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.db import connect, quote_ident
from data.ingest import ingest
from data.issues import LoadError

CON = connect()
IDS = itertools.count(1)
FUZZ = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)

CELLS = st.one_of(
    st.sampled_from(["", "undefined", "-", "—", "N/A", "Total", "0", "007", "12", "-3", "1 234,56", "1.234,56",
                     "1,234.56", "5,2 %", "$1,200", "(12)", "2026-01-02", "2026-01-02T10:00:00+03:00",
                     "01/02/2026", "13.02.2026 10:15", "12/31/2026 11:59 PM", "August 9", "9 августа", "8月9日",
                     "18 tháng Sáu", "1767225600", "46023", "true", "a\"b", "line\nbreak", "semi;colon",
                     "comma,inside", "tab\tinside", "pipe|inside", "  padded  ", "😀 #tag", "Ω≈ç√", "\u00a0"]),
    st.text(max_size=12),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
HEADERS = st.sampled_from(["Date", "Video Views", "user_id", "event", "timestamp", "Сумма", "日期", "amount", "",
                           "date", "Дата", "x", "Likes", "Comments", "Primary", "Post time", "cost", "a\"b", "a,b"])


def _drop_all() -> None:
    for (name,) in CON.execute("SELECT table_name FROM information_schema.tables").fetchall():
        CON.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def _check(filename: str, data: bytes, max_rows: int | None = None) -> None:
    try:
        tables = ingest(CON, filename, data, lambda: f"ds_{next(IDS)}")
    except LoadError as exc:
        assert exc.issue.code != "load_failed", exc.issue
        assert exc.issue.severity == "error"
        return
    finally:
        setting = CON.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    assert setting is False
    try:
        for t in tables:
            assert t.rows >= 0 and t.rows_rejected >= 0
            assert CON.execute(f"SELECT count(*) FROM {quote_ident(t.table)}").fetchone()[0] == t.rows
            if t.rejected_table:
                n = CON.execute(f"SELECT count(*) FROM {quote_ident(t.rejected_table)}").fetchone()[0]
                assert n == t.rows_rejected > 0
            else:
                assert t.rows_rejected == 0
            assert all(v > 0 for v in t.missing_by_column.values())
            if max_rows is not None:
                assert t.rows + t.rows_rejected <= max_rows
    finally:
        _drop_all()


@FUZZ
@given(st.binary(max_size=3000))
def test_random_bytes(data):
    _check("upload.csv", data)


@FUZZ
@given(st.binary(max_size=2000), st.sampled_from(["a.zip", "b.xlsx", "c.tsv", "d.txt"]))
def test_random_bytes_behind_container_signatures(data, name):
    prefix = b"PK\x03\x04" if name.endswith(("zip", "xlsx")) else b""
    _check(name, prefix + data)


@st.composite
def delimited_files(draw):
    n_cols = draw(st.integers(1, 6))
    header = draw(st.lists(HEADERS, min_size=n_cols, max_size=n_cols))
    n_rows = draw(st.integers(0, 25))
    rows = [draw(st.lists(CELLS, min_size=0 if draw(st.booleans()) and n_cols > 1 else n_cols,
                          max_size=n_cols + (1 if draw(st.integers(0, 9)) == 0 else 0)))
            for _ in range(n_rows)]
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, quoting=quoting, lineterminator=newline)
    if draw(st.booleans()):
        buf.write(f"sep={delimiter}{newline}")
    if draw(st.integers(0, 4)) == 0:
        buf.write(f"Report title{newline}")
    writer.writerow(header)
    for r in rows:
        writer.writerow(r)
    text = buf.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-be", "cp1251", "gb18030"]))
    data = text.encode(encoding, errors="replace")
    if draw(st.integers(0, 5)) == 0:  # a damaged byte somewhere
        at = draw(st.integers(0, max(0, len(data) - 1)))
        data = data[:at] + b"\xff" + data[at + 1:]
    return data, n_rows


@FUZZ
@given(delimited_files())
def test_random_csv_dialects(case):
    data, n_rows = case
    # a damaged byte in the "sep=" line or above the header can turn those two preamble lines into rows
    _check("export.csv", data, max_rows=n_rows + 2)


@FUZZ
@given(st.lists(delimited_files(), min_size=1, max_size=3))
def test_random_archives(cases):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (data, _) in enumerate(cases):
            zf.writestr(f"tab{i}.csv", data)
    _check("download.zip", buf.getvalue())
