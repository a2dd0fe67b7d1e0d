"""Integer columns typed from the first rows never round or reinterpret a value further down.

DuckDB's sniffer types a column from the first SNIFF_ROWS rows; read_csv then casts every value to
that type, and its integer cast is lenient without an error: "2.5" became 3, "0x1F" 31, "1_000" 1000.
The loader reads integer-sniffed columns as text and keeps the integer type only where every value
is a plain integer; other values decide the column's type like any text column's, or are counted.
"""
from __future__ import annotations

import itertools

import duckdb
import pytest

from data.db import connect, quote_ident
from data.ingest import SNIFF_ROWS, ingest
from data.session import Dataset, Workspace

HEAD = 25_000                # integer rows first: more than the sniffer looks at
HEAD_SUM = 612_500           # sum(i % 50 for i in range(HEAD))
assert HEAD > SNIFF_ROWS


def amounts(tail: list[str], sep: str = ",") -> bytes:
    """``n,amount``: HEAD rows of integers, then ``tail``; row k of the tail is on line HEAD + 2 + k."""
    lines = [f"n{sep}amount"] + [f"{i}{sep}{i % 50}" for i in range(HEAD)]
    lines += [f"{HEAD + k}{sep}{v}" for k, v in enumerate(tail)]
    return ("\n".join(lines) + "\n").encode()


def load(content: bytes, name: str = "amounts.csv") -> tuple[Workspace, Dataset]:
    ws = Workspace()
    res = ws.add_file(name, content)
    assert res.issues == []
    (ds,) = res.datasets
    return ws, ds


def types(ds: Dataset) -> dict[str, str]:
    return {c.name: c.dtype for c in ds.columns}


def unparsed(ds: Dataset) -> list[dict]:
    return [w.params for w in ds.warnings if w.code == "unparsed_values"]


def one(ws: Workspace, ds: Dataset, sql: str) -> tuple:
    return ws.con.execute(sql.format(t=quote_ident(ds.name))).fetchone()


def tail_values(ws: Workspace, ds: Dataset) -> list:
    return [r[0] for r in ws.con.execute(f"SELECT amount FROM {quote_ident(ds.name)} WHERE n >= {HEAD} "
                                         "ORDER BY n").fetchall()]


# --- decimals: the type the sniffer gives when it sees one -------------------------------------------
@pytest.mark.parametrize("value, total, read", [
    ("2.5", 612_502.5, 2.5),          # was BIGINT, read as 3
    ("-0.5", 612_499.5, -0.5),        # was -1
    ("1.5e1", 612_515.0, 15.0),       # was 15, as BIGINT
    ("7.", 612_507.0, 7.0),           # was 7, as BIGINT
])
def test_a_decimal_after_the_sniffed_rows_makes_the_column_double(value, total, read):
    ws, ds = load(amounts([value]))
    assert types(ds) == {"n": "BIGINT", "amount": "DOUBLE"}
    assert one(ws, ds, "SELECT sum(amount), count(amount), count(*) FROM {t}") == (total, HEAD + 1, HEAD + 1)
    assert tail_values(ws, ds) == [read]
    assert unparsed(ds) == []


def test_decimals_with_missing_values_and_blanks():
    """Was the all-text read (for "none"), typed BIGINT from its sample: both decimals unparsed."""
    ws, ds = load(amounts(["", "none", " 2.25 ", "N/A", "-1.75"]))
    assert types(ds) == {"n": "BIGINT", "amount": "DOUBLE"}
    assert tail_values(ws, ds) == [None, None, 2.25, None, -1.75]
    assert one(ws, ds, "SELECT sum(amount) FROM {t}") == (612_500.5,)
    assert {c.name: c.missing for c in ds.columns} == {"n": 0, "amount": 3}
    assert unparsed(ds) == []


def test_a_decimal_in_a_file_with_decimal_commas_is_not_guessed():
    """With ";" between cells, "1.234" may be 1234 (a thousands dot): the column is typed from its
    values like any text column, and the value its sample did not show is counted (it was read as 1)."""
    ws, ds = load(amounts(["1.234"], sep=";"))
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    assert unparsed(ds) == [{"column": "amount", "count": 1, "rows": "25002", "example": "1.234"}]
    assert one(ws, ds, "SELECT sum(amount), count(amount), count(*) FROM {t}") == (HEAD_SUM, HEAD, HEAD + 1)


def test_the_same_decimal_with_a_comma_separator_is_a_decimal():
    """Was read as 1."""
    ws, ds = load(amounts(["1.234"]))
    assert types(ds)["amount"] == "DOUBLE"
    assert tail_values(ws, ds) == [1.234]


# --- values an integer cast would reinterpret ----------------------------------------------------------
@pytest.mark.parametrize("value", ["0x1F", "1_000", "0b101"])
def test_a_value_an_integer_cast_would_reinterpret_is_counted_not_converted(value):
    """Was read as 31, 1000, 5 without a word: now the column is typed from its values (BIGINT) and the
    one value it cannot read is NULL and reported with its row and text."""
    ws, ds = load(amounts([value]))
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    assert unparsed(ds) == [{"column": "amount", "count": 1, "rows": "25002", "example": value}]
    assert one(ws, ds, "SELECT sum(amount), count(amount), count(*) FROM {t}") == (HEAD_SUM, HEAD, HEAD + 1)
    assert tail_values(ws, ds) == [None]


def test_a_decimal_next_to_a_hex_value_is_not_rounded():
    """A decimal alone makes the column DOUBLE; with "0x10" too it is typed from its values: both are
    counted (they were read as 1 and 16)."""
    ws, ds = load(amounts(["12e-1", "0x10"]))
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    assert unparsed(ds) == [{"column": "amount", "count": 2, "rows": "25002, 25003", "example": "12e-1"}]
    assert tail_values(ws, ds) == [None, None]


def test_hex_in_the_sniffed_rows_keeps_the_column_as_text():
    """The sniffer itself calls "0x1F" an integer (it was loaded as 31): a column of codes stays text."""
    ws, ds = load(b"n,code\n1,10\n2,0x1F\n3,12\n")
    assert types(ds) == {"n": "BIGINT", "code": "VARCHAR"}
    got = ws.con.execute(f"SELECT code FROM {quote_ident(ds.name)} ORDER BY n").fetchall()
    assert [r[0] for r in got] == ["10", "0x1F", "12"]
    assert unparsed(ds) == []


# --- clean integers: the same types and values as before ---------------------------------------------
def test_a_clean_integer_file_keeps_its_types_and_every_digit():
    """TikTok video IDs have 19 digits (BIGINT); 20-digit IDs are HUGEINT: every digit stays."""
    video = [str(7_234_567_890_123_456_789 + 7 * i) for i in range(HEAD)]
    wide = [str(12_345_678_901_234_567_890 + 3 * i) for i in range(HEAD)]
    lines = ["video_id,long_id,views"] + [f"{v},{w},{i % 1000}" for i, (v, w) in enumerate(zip(video, wide))]
    ws, ds = load(("\n".join(lines) + "\n").encode(), "videos.csv")
    assert types(ds) == {"video_id": "BIGINT", "long_id": "HUGEINT", "views": "BIGINT"}
    got = ws.con.execute(f"SELECT CAST(video_id AS VARCHAR), CAST(long_id AS VARCHAR) FROM {quote_ident(ds.name)} "
                         "ORDER BY video_id").fetchall()
    assert [r[0] for r in got] == video and [r[1] for r in got] == wide
    assert one(ws, ds, "SELECT sum(views), min(video_id), max(video_id) FROM {t}") == (
        12_487_500, 7_234_567_890_123_456_789, 7_234_567_890_123_631_782)
    assert unparsed(ds) == []


def test_an_id_beyond_bigint_after_the_sniffed_rows_becomes_hugeint():
    """Was an error, then the all-text read, then every such ID unparsed (NULL)."""
    ws, ds = load(amounts(["9300000000000000001", "12345678901234567890"]))
    assert types(ds) == {"n": "BIGINT", "amount": "HUGEINT"}
    got = ws.con.execute(f"SELECT CAST(amount AS VARCHAR) FROM {quote_ident(ds.name)} WHERE n >= {HEAD} "
                         "ORDER BY n").fetchall()
    assert [r[0] for r in got] == ["9300000000000000001", "12345678901234567890"]
    assert unparsed(ds) == []


def test_signs_and_blanks_read_as_before():
    ws, ds = load(amounts(["-7", "  42 ", "+5", "\t3\t", "-0", " -12"]))
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    assert tail_values(ws, ds) == [-7, 42, 5, 3, 0, -12]
    assert one(ws, ds, "SELECT sum(amount) FROM {t}") == (HEAD_SUM + 31,)
    assert unparsed(ds) == []


def test_numbers_padded_with_blanks_on_every_row():
    """Columns padded to a width (a SQL*Plus spool): every value is kept aside, every one is exact."""
    lines = ["id,qty"] + [f"{i:>7},{i % 977:>5}" for i in range(HEAD)]
    ws, ds = load(("\n".join(lines) + "\n").encode(), "spool.csv")
    assert types(ds) == {"id": "BIGINT", "qty": "BIGINT"}
    assert one(ws, ds, "SELECT sum(id), sum(qty), count(qty) FROM {t}") == (312_487_500, 12_084_425, HEAD)
    assert unparsed(ds) == []


def test_missing_value_tokens_after_the_sniffed_rows():
    """Was a conversion error and the all-text read: the same result, from one read."""
    ws, ds = load(amounts(["none", "--", "NaN", "7"]))
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    assert tail_values(ws, ds) == [None, None, None, 7]
    assert {c.name: c.missing for c in ds.columns} == {"n": 0, "amount": 3}
    assert unparsed(ds) == []


def test_signs_and_blanks_in_the_sniffed_rows():
    ws, ds = load(b"n,amount\n1, 42\n2,-7 \n3,+5\n4,  -12\n")
    assert types(ds) == {"n": "BIGINT", "amount": "BIGINT"}
    got = ws.con.execute(f"SELECT amount FROM {quote_ident(ds.name)} ORDER BY n").fetchall()
    assert [r[0] for r in got] == [42, -7, 5, -12]


# --- one read of the file -------------------------------------------------------------------------------
class _Spy:
    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.sql = con, []

    def execute(self, sql: str, params=None):
        self.sql.append(sql)
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def __getattr__(self, name):
        return getattr(self.con, name)


@pytest.mark.parametrize("value", ["2.5", "abc"])
def test_an_odd_value_after_the_sniffed_rows_does_not_read_the_file_again(value):
    """"abc" used to fail read_csv and read the whole file again as text."""
    spy = _Spy(connect())
    ids = itertools.count(1)
    (t,) = ingest(spy, "amounts.csv", amounts([value]), lambda: f"ds_{next(ids)}")
    assert sum("read_csv(" in s for s in spy.sql) == 1
    assert t.rows == HEAD + 1 and t.unparsed_by_column == ({} if value == "2.5" else {"amount": 1})
