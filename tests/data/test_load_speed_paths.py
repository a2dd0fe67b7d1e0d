"""The loader's fast paths for big files: the duplicate-row check (one hash pass, exact comparison of
the rows whose hash repeats), type sniffing from the head of the file only, and the fallbacks when
that head is not representative."""
from __future__ import annotations

import itertools
from pathlib import Path

import duckdb
import pytest

from data.db import connect
from data.ingest import SNIFF_ROWS, IngestedTable, _complete_records, ingest
from data.parse import checks, limits


def load(source: bytes | Path, name: str = "f.csv", con=None) -> tuple[duckdb.DuckDBPyConnection, list[IngestedTable]]:
    con = con or connect()
    ids = itertools.count(1)
    return con, ingest(con, name, source, lambda: f"ds_{next(ids)}")


def warning(t: IngestedTable, code: str) -> dict | None:
    return next((w.params for w in t.warnings if w.code == code), None)


def _table(con: duckdb.DuckDBPyConnection, rows: list[tuple]) -> list[tuple[str, str]]:
    con.execute("CREATE TABLE t (name VARCHAR, n BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows)
    return [("name", "VARCHAR"), ("n", "BIGINT")]


# --- duplicates -------------------------------------------------------------------------------------
# (rowid + 2): the header is line 1, the first data row line 2
ROWS = [("a", 1), ("b", 2), ("a", 1), ("c", 3), ("b", 2), ("a", 1), ("d", None), ("e", 5)]


def test_duplicates_counts_every_repeat_after_the_first():
    con = connect()
    cols = _table(con, ROWS)
    got = checks.duplicates(con, "t", "(rowid + 2)", cols)
    # a: lines 2, 4, 7 (two repeats); b: lines 3, 6 (one repeat)
    assert [(i.code, i.params) for i in got] == [("duplicate_rows", {"count": 3, "rows": "4, 6, 7"})]


def test_duplicates_show_the_first_five_rows_and_the_full_count():
    con = connect()
    cols = _table(con, [("x", 1)] * 8 + [("y", None), ("y", None)])
    got = checks.duplicates(con, "t", "(rowid + 2)", cols)
    assert got[0].params == {"count": 8, "rows": "3, 4, 5, 6, 7"}   # NULLs repeat like any value


def test_duplicates_none():
    con = connect()
    cols = _table(con, [("a", 1), ("a", 2), ("b", 1), ("b", None), (None, 1)])
    assert checks.duplicates(con, "t", "(rowid + 2)", cols) == []
    assert checks.duplicates(con, "t", "(rowid + 2)", []) == []


def test_colliding_hashes_are_compared_not_reported(monkeypatch):
    """Every row given the same hash: only rows equal in all columns count."""
    monkeypatch.setattr(checks, "_row_hash_sql", lambda cols: "42")
    con = connect()
    cols = _table(con, [("a", 1), ("a", 2), ("b", 1), ("b", None), (None, 1)])
    assert checks.duplicates(con, "t", "(rowid + 2)", cols) == []
    con.execute("DROP TABLE t")
    cols = _table(con, ROWS)
    got = checks.duplicates(con, "t", "(rowid + 2)", cols)
    assert [(i.code, i.params) for i in got] == [("duplicate_rows", {"count": 3, "rows": "4, 6, 7"})]


def test_partly_colliding_hashes(monkeypatch):
    """A hash of the first column only: ("a", 1) and ("a", 2) collide but are different rows."""
    monkeypatch.setattr(checks, "_row_hash_sql", lambda cols: "hash(name)")
    con = connect()
    cols = _table(con, [("a", 1), ("a", 2), ("b", 3), ("a", 2), ("c", 4), ("c", 5)])
    got = checks.duplicates(con, "t", "(rowid + 2)", cols)
    assert [(i.code, i.params) for i in got] == [("duplicate_rows", {"count": 1, "rows": "5"})]


def test_duplicates_use_the_row_number_column_after_deleted_rows():
    """A typed table keeps the file's line numbers in __row and may have gaps in its rowids."""
    con = connect()
    con.execute("CREATE TABLE t AS SELECT * FROM (VALUES (10, 'a'), (11, 'z'), (12, 'a'), (13, 'z'), (14, 'a')) "
                "AS v(__row, name)")
    con.execute("DELETE FROM t WHERE __row = 11")
    got = checks.duplicates(con, "t", '"__row"', [("name", "VARCHAR")])
    assert got[0].params == {"count": 2, "rows": "12, 14"}


def test_duplicates_through_the_loader():
    csv = b"user_id,event,revenue\n" + b"".join(
        f"u{i % 4},view,{i % 3}\n".encode() for i in range(12))
    _, (t,) = load(csv)
    # lines 2..13: (u0,0) (u1,1) (u2,2) (u3,0) (u0,1) (u1,2) (u2,0) (u3,1) (u0,2) (u1,0) (u2,1) (u3,2), all different
    assert warning(t, "duplicate_rows") is None
    # lines 14..16: copies of line 2, line 6 and line 2 again
    _, (t,) = load(csv + b"u0,view,0\nu0,view,1\nu0,view,0\n")
    assert warning(t, "duplicate_rows") == {"count": 3, "rows": "14, 15, 16"}


# --- sniffing the head only ---------------------------------------------------------------------------
@pytest.mark.parametrize("head, expected", [
    (b"a,b\n1,2\n3,4", b"a,b\n1,2\n"),                                  # the cut line is left out
    (b"a,b\r\n1,2\r\n3,", b"a,b\r\n1,2\r\n"),
    (b'a,b\n1,"x\ny"\n2,"open\nstill open', b'a,b\n1,"x\ny"\n'),      # not inside a quoted cell
    (b'a,b\n1,"say ""hi""\n"\n2,3\n', b'a,b\n1,"say ""hi""\n"\n2,3\n'),
    (b"a,b\r1,2\r3,4", b"a,b\r1,2\r"),                                  # old Mac line ends
])
def test_complete_records_end_at_the_last_record_break(head, expected):
    assert _complete_records(head) == expected


@pytest.mark.parametrize("head", [b"a,b,c,d", b'a,"b\nc\nd'])
def test_no_complete_record(head):
    assert _complete_records(head) is None


def _big_events(path: Path, rows: int, tail: str = "") -> Path:
    lines = ["user_id,event,timestamp,amount"]
    lines += [f"u{i % 977},{'purchase' if i % 7 == 0 else 'view'},2024-03-{i % 28 + 1:02d} 10:{i % 60:02d}:00,{i % 50}"
              for i in range(rows)]
    path.write_text("\n".join(lines) + "\n" + tail, encoding="utf-8")
    return path


class _Spy:
    """A connection that records the statements and parameters the loader runs."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.calls: list[tuple[str, list]] = []

    def execute(self, sql: str, params=None):
        self.calls.append((sql, list(params or [])))
        return self.con.execute(sql, params) if params is not None else self.con.execute(sql)

    def __getattr__(self, name):
        return getattr(self.con, name)


def _sniffed(spy: _Spy) -> list[Path]:
    return [Path(p[0]) for sql, p in spy.calls if "sniff_csv(" in sql]


def test_types_are_sniffed_from_a_copy_of_the_first_rows(tmp_path):
    path = _big_events(tmp_path / "events.csv", 150_000)
    spy = _Spy(connect())
    sizes: list[int] = []
    real = spy.execute

    def execute(sql, params=None):  # the copy is deleted after sniffing: measure it while it is there
        if "sniff_csv(" in sql:
            sizes.append(Path(params[0]).stat().st_size)
        return real(sql, params)

    spy.execute = execute
    _, (t,) = load(path, "events.csv", con=spy)
    read = [Path(p[0]) for sql, p in spy.calls if "read_csv(" in sql]
    assert len(_sniffed(spy)) == 1 and _sniffed(spy)[0] != path and read == [path]
    # the header and the first SNIFF_ROWS rows (plus a little), not the whole file
    line = len(path.read_bytes().splitlines()[1]) + 1
    assert SNIFF_ROWS * line < sizes[0] < SNIFF_ROWS * line + 2 * limits.MB < path.stat().st_size
    assert t.rows == 150_000 and t.warnings == []
    assert spy.con.execute(f"SELECT any_value(typeof(timestamp)), any_value(typeof(amount)), sum(amount) "
                           f"FROM {t.table}").fetchone() == ("TIMESTAMP", "BIGINT", 3_675_000)


def test_a_file_shorter_than_the_sniffed_rows_is_copied_whole(tmp_path):
    path = _big_events(tmp_path / "events.csv", 10_000)
    assert path.stat().st_size > limits.HEAD_BYTES
    spy = _Spy(connect())
    _, (t,) = load(path, "events.csv", con=spy)
    assert len(_sniffed(spy)) == 1 and _sniffed(spy)[0] != path and t.rows == 10_000


def test_a_small_file_is_sniffed_itself(tmp_path):
    path = _big_events(tmp_path / "small.csv", 100)
    spy = _Spy(connect())
    load(path, "small.csv", con=spy)
    assert _sniffed(spy) == [path]


def _rchar() -> int | None:
    try:
        with open("/proc/self/io") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("rchar:"))
    except (OSError, StopIteration):
        return None


def test_a_big_csv_is_read_once(tmp_path):
    if _rchar() is None:
        pytest.skip("no /proc/self/io")
    load(_big_events(tmp_path / "warm.csv", 10), "warm.csv")   # imports and first-use reads out of the way
    path = _big_events(tmp_path / "events.csv", 300_000)
    size = path.stat().st_size
    before = _rchar()
    _, (t,) = load(path, "events.csv")
    read = _rchar() - before
    assert t.rows == 300_000
    # read_csv reads the file; Python and the sniffer its first SNIFF_ROWS lines (0.7 MB here, read
    # in 256 KB steps). Before, the sniffer read a 128 MB buffer: all of this file again.
    assert size < 12 * limits.MB and size <= read < size + 2 * limits.MB


def test_a_decimal_within_the_sniffed_rows_but_after_the_head(tmp_path):
    """Row 15 000 is past the first 256 KB but within the sniffer's rows: DOUBLE, as before.

    (A BIGINT column would read "2.5" as 3: DuckDB's cast rounds.)"""
    lines = ["id,note,amount"] + [f"{i},some note,{i % 50 if i != 15_000 else 2.5}" for i in range(40_000)]
    path = tmp_path / "amounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert len("\n".join(lines[:15_000]).encode()) > limits.HEAD_BYTES
    con, (t,) = load(path, "amounts.csv")
    assert con.execute(f"SELECT any_value(typeof(amount)), sum(amount) FROM {t.table}").fetchone() == \
        ("DOUBLE", 980_002.5)


def test_text_after_the_sniffed_rows_falls_back_to_an_all_text_read(tmp_path):
    """The sniffer says BIGINT, line 40 002 says "abc": read_csv fails, the all-VARCHAR read types the
    column from its values and counts the one it cannot read."""
    lines = ["id,amount"] + [f"{i},{i % 50}" for i in range(40_000)] + ["40000,abc"]
    lines += [f"{i},{i % 50}" for i in range(40_001, 40_100)]
    path = tmp_path / "amounts.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con, (t,) = load(path, "amounts.csv")
    assert t.rows == 40_100 and t.rows_rejected == 0 and t.unparsed_by_column == {"amount": 1}
    assert warning(t, "unparsed_values") == {"column": "amount", "count": 1, "rows": "40002", "example": "abc"}
    assert con.execute(f"SELECT any_value(typeof(amount)), sum(amount), count(amount) FROM {t.table}"
                       ).fetchone() == ("BIGINT", 982_450, 40_099)


def test_a_column_empty_in_the_head_is_typed_from_its_values(tmp_path):
    """Sniffed as text from the head; the loader's own sample of the whole table finds the numbers."""
    lines = ["id,refund"] + [f"{i}," for i in range(60_000)] + [f"{i},{i % 10}.25" for i in range(60_000, 80_000)]
    path = tmp_path / "refunds.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    con, (t,) = load(path, "refunds.csv")
    assert path.stat().st_size > limits.HEAD_BYTES
    assert t.rows == 80_000 and t.missing_by_column == {"refund": 60_000} and t.unparsed_by_column == {}
    assert con.execute(f"SELECT any_value(typeof(refund)), sum(refund) FROM {t.table}").fetchone() == \
        ("DOUBLE", 95_000.0)
