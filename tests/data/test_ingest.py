"""The loader's parts (encodings, dialects, number and date formats) and its contract and limits."""
from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from datetime import date, time
from pathlib import Path

import duckdb
import pytest

from data import ingest as ingest_mod
from data.db import connect
from data.ingest import IngestedTable, ingest
from data.issues import LoadError
from data.parse import dates, limits
from data.parse import encoding as enc
from data.parse.dialect import sniff
from data.parse.values import NumberFormat, infer_number

ROOT = Path(__file__).resolve().parents[2]


def load(content: bytes, name: str = "f.csv", **kw) -> tuple[duckdb.DuckDBPyConnection, list[IngestedTable]]:
    con = connect()
    ids = itertools.count(1)
    return con, ingest(con, name, content, lambda: f"ds_{next(ids)}", **kw)


def load_error(content: bytes, name: str = "f.csv", **kw) -> LoadError:
    with pytest.raises(LoadError) as exc:
        load(content, name, **kw)
    return exc.value


# --- numbers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("samples, decimal_comma, value, expected", [
    (["1 234,56", "99,00"], False, "1 234,56", 1234.56),
    (["1\u00a0234,56", "5,5"], False, "1\u00a0234,56", 1234.56),
    (["1\u202f234,5"], False, "1\u202f234,5", 1234.5),
    (["1.234,56", "7,5"], False, "1.234,56", 1234.56),
    (["1,234.56", "7.5"], True, "1,234.56", 1234.56),
    (["1'234.50", "12"], False, "1'234.50", 1234.5),
    (["1’234.50", "12"], False, "1’234.50", 1234.5),
    (["5,2 %", "10 %"], False, "5,2 %", 0.052),
    (["12.5%", "3%"], False, "12.5%", 0.125),
    (["$1,234.00", "$8.50"], False, "$1,234.00", 1234.0),
    (["€ 8,50", "1.234,00 €"], False, "1.234,00 €", 1234.0),
    (["1 234 ₽", "12,5 руб."], True, "12,5 руб.", 12.5),
    (["(12)", "15"], False, "(12)", -12.0),
    (["($1,200.50)", "$3"], False, "($1,200.50)", -1200.5),
    (["−3", "4"], False, "−3", -3.0),       # a typographic minus
    (["1,234", "2,500"], False, "1,234", 1234.0),   # US file: a lone comma with 3 digits groups thousands
    (["1,234", "2,500"], True, "1,234", 1.234),     # ; / Russian file: it is a decimal comma
    (["1.5e3"], False, "1.5e3", 1500.0),
])
def test_number_format_decided_per_column(samples, decimal_comma, value, expected):
    fmt = infer_number(samples, decimal_comma)
    assert fmt is not None
    assert fmt.parse(value) == expected
    con = duckdb.connect()
    got = con.execute(f"SELECT {fmt.sql('x')} FROM (SELECT CAST(? AS VARCHAR) AS x)", [value]).fetchone()[0]
    assert got == expected  # the SQL twin agrees


@pytest.mark.parametrize("samples", [["00123", "00456"], ["u1", "u2"], ["abc", "12", "x"], ["12-34-56"]])
def test_not_numbers(samples):
    assert infer_number(samples, False) is None


def test_ambiguous_number_format_is_flagged():
    assert infer_number(["1,234", "2,500"], False) == NumberFormat(",", ".", integer=False, ambiguous=True,
                                                                   decorated=False)
    assert infer_number(["1,5", "2,25"], False).ambiguous is False


# --- dates --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    ("August 9", (None, 8, 9)), ("Aug 9", (None, 8, 9)), ("Sept. 3", (None, 9, 3)),
    ("9 августа", (None, 8, 9)), ("9 авг.", (None, 8, 9)), ("31 декабря", (None, 12, 31)),
    ("8月9日", (None, 8, 9)), ("2024年8月9日", (2024, 8, 9)), ("8월 9일", (None, 8, 9)),
    ("18 tháng Sáu", (None, 6, 18)), ("18 tháng 6", (None, 6, 18)), ("1 tháng Mười Hai", (None, 12, 1)),
    ("9 de agosto", (None, 8, 9)), ("9 de agosto de 2024", (2024, 8, 9)), ("9 ago", (None, 8, 9)),
    ("9 de março", (None, 3, 9)), ("9. August", (None, 8, 9)), ("9. März", (None, 3, 9)),
    ("9 août", (None, 8, 9)), ("1 févr.", (None, 2, 1)), ("9 Agustus", (None, 8, 9)), ("9 Des", (None, 12, 9)),
    ("Aug 9, 2024", (2024, 8, 9)), ("9 августа 2024 г.", (2024, 8, 9)), ("Mon, Aug 9, 2024", (2024, 8, 9)),
    ("29 февраля", (None, 2, 29)),
])
def test_dates_with_month_names(text, expected):
    got = dates.parse_text_date(text)
    assert got is not None and (got.year, got.month, got.day) == expected


@pytest.mark.parametrize("text, clock", [("August 9, 2024 10:15 PM", time(22, 15)), ("August 9 at 10:15", time(10, 15)),
                                         ("8月9日 10:15", time(10, 15))])
def test_dates_with_month_names_and_a_time(text, clock):
    assert dates.parse_text_date(text).clock == clock


@pytest.mark.parametrize("text", ["hello", "12", "Total", "32 августа", "August", "13/13/2024", "Notamonth 5"])
def test_not_dates(text):
    assert dates.parse_text_date(text) is None


@pytest.mark.parametrize("days, today, years", [
    ({(12, 30), (12, 31), (1, 1), (1, 2)}, date(2026, 1, 5),
     {(12, 30): 2025, (12, 31): 2025, (1, 1): 2026, (1, 2): 2026}),
    ({(8, 9), (8, 10)}, date(2026, 11, 23), {(8, 9): 2026, (8, 10): 2026}),
    ({(12, 9)}, date(2026, 11, 23), {(12, 9): 2025}),           # after today's month-day: last year
    ({(11, 23)}, date(2026, 11, 23), {(11, 23): 2026}),          # the export date itself is allowed
])
def test_year_inference(days, today, years):
    assert dates.infer_years(days, today) == years


def _days(first: date, last: date) -> set[tuple[int, int]]:
    return {(d.month, d.day) for d in (date.fromordinal(o) for o in range(first.toordinal(), last.toordinal() + 1))}


def test_year_inference_for_a_year_of_days_starts_after_the_gap():
    years = dates.infer_years(_days(date(2025, 11, 24), date(2026, 11, 21)), date(2026, 11, 23))
    assert (years[(11, 24)], years[(12, 31)], years[(1, 1)], years[(11, 21)]) == (2025, 2025, 2026, 2026)


def test_year_inference_for_every_day_of_a_year_ends_at_the_export_date():
    years = dates.infer_years(_days(date(2025, 11, 24), date(2026, 11, 23)), date(2026, 11, 23))
    assert (years[(11, 24)], years[(11, 23)]) == (2025, 2026)


@pytest.mark.parametrize("samples, family, has_time", [
    (["2024-01-02", "2024-1-3"], "iso", False),
    (["2024-01-02T10:00:00Z", "2024-01-02 10:00:00+03:00"], "iso", True),
    (["2024/05/10", "2024/05/11"], "ymd", False),
    (["01.02.2024", "13.02.2024 10:15"], "dmy", True),
    (["12/1/2010 8:26", "12/13/2010 8:28"], "dmy", True),  # order decided later from all values
])
def test_numeric_date_layouts(samples, family, has_time):
    plan = dates.infer_numeric_layout(samples)
    assert (plan.family, plan.has_time) == (family, has_time)


@pytest.mark.parametrize("sep, first, second, default, family, ambiguous", [
    ("/", 13, 2, False, "dmy", False),
    ("/", 12, 13, True, "mdy", False),
    ("/", 12, 12, False, "mdy", True),
    ("/", 12, 12, True, "dmy", True),
    (".", 12, 12, False, "dmy", False),   # nobody writes MM.DD.YYYY
])
def test_day_month_order(sep, first, second, default, family, ambiguous):
    plan = dates.DatePlan("dmy", sep=sep)
    dates.decide_order(plan, first, second, default)
    assert (plan.family, plan.ambiguous) == (family, ambiguous)


@pytest.mark.parametrize("values, from_workbook, unit", [
    ([1767225600, 1767229200], False, ("s", True)),
    ([1767225600123, 1767229200000], False, ("ms", True)),
    ([46023, 46054], True, ("excel", True)),
    ([46023, 46054], False, None),             # serial days only in workbooks
    ([20260101, 20260215], False, ("yyyymmdd", True)),
    ([0, 23, 7], False, None),
])
def test_numbers_that_are_times(values, from_workbook, unit):
    assert dates.infer_number_time(values, from_workbook) == unit


# --- encodings and dialects ---------------------------------------------------------------------
RU = "Дата;Сумма;Клиент\n01.02.2026;1 234,56;Иванов Иван\n02.02.2026;99,00;Петрова Анна\n"
ZH = "日期,金额,用户ID,事件\n2026-04-01,12.5,u1,购买\n2026-04-02,8,u2,注册\n"


@pytest.mark.parametrize("data, encoding, bom", [
    (RU.encode("utf-8"), "utf-8", 0),
    (b"\xef\xbb\xbf" + RU.encode("utf-8"), "utf-8", 3),
    (b"\xff\xfe" + RU.encode("utf-16-le"), "utf-16-le", 2),
    (b"\xfe\xff" + RU.encode("utf-16-be"), "utf-16-be", 2),
    ("date,views\n2026-01-01,5\n".encode("utf-16-le"), "utf-16-le", 0),
    (RU.encode("cp1251"), "cp1251", 0),
    (ZH.encode("gb18030"), "gb18030", 0),
    (ZH.encode("gbk"), "gb18030", 0),
    ("Datum;Größe\n01.02.2026;Übergröße\n".encode("cp1252"), "cp1252", 0),
])
def test_encoding_detection(data, encoding, bom):
    guess = enc.detect(data, whole=True)
    assert (guess.encoding, guess.bom) == (encoding, bom)


def test_a_legacy_guess_from_two_letters_is_not_confident():
    assert enc.detect("name\nJosé\n".encode("cp1252"), whole=True).confident is False


@pytest.mark.parametrize("text, delimiter, names, skip, first_data_line", [
    ('sep=,\n"Views"\n"Date","Primary"\n"2026-01-01","5"\n', ",", ["Date", "Primary"], 2, 4),
    ("Дата;Сумма\n01.02.2026;1 234,56\n02.02.2026;5,5\n", ";", ["Дата", "Сумма"], 0, 2),
    ("a\tb\n1\t2\n", "\t", ["a", "b"], 0, 2),
    ("a|b|c\n1|2|3\n", "|", ["a", "b", "c"], 0, 2),
    ("Report for May\n\nday,views\n2026-05-01,3\n2026-05-02,4\n", ",", ["day", "views"], 2, 4),
    ("2026-05-01,3\n2026-05-02,4\n", ",", ["column1", "column2"], 0, 1),
])
def test_dialect_sniffing(text, delimiter, names, skip, first_data_line):
    d = sniff(text, whole=True)
    assert (d.delimiter, d.names, d.skip_lines, d.first_data_line) == (delimiter, names, skip, first_data_line)


# --- the contract -------------------------------------------------------------------------------
def test_ingest_returns_typed_tables_and_counts():
    con, (t,) = load(b"user_id,event,timestamp\nu1,open,2026-01-01 10:00:00\nu2,open,\n", name="e.csv")
    assert (t.table, t.label, t.rows, t.rows_rejected, t.rejected_table) == ("ds_1", "e.csv", 2, 0, None)
    assert (t.source_format, t.encoding, t.delimiter) == ("csv", "UTF-8", ",")
    assert t.missing_by_column == {"timestamp": 1}
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 1


def test_row_numbers_count_the_lines_above_the_header():
    content = ('sep=,\n"Views"\n"Date","Primary"\n"2026-01-01","5"\n"2026-01-02","-7"\n').encode("utf-16")
    con, (t,) = load(content, name="Views.csv", today=date(2026, 11, 23))
    neg = [w.params for w in t.warnings if w.code == "negative_values"]
    assert neg == [{"column": "Views", "count": 1, "rows": "5"}]


def test_values_that_do_not_parse_are_counted_not_hidden():
    content = b"date,cost,note\n2026-01-01,5,a\n2026-01-02,five,b\n2026-01-03,7,c\n2026-01-04,8,d\n2026-01-05,9,e\n"
    con, (t,) = load(content)
    assert t.unparsed_by_column == {"cost": 1}
    (w,) = [w for w in t.warnings if w.code == "unparsed_values"]
    assert w.params == {"column": "cost", "count": 1, "rows": "3", "example": "five"}
    assert t.missing_by_column == {}


def test_a_late_legacy_encoded_line_switches_the_whole_file():
    head = "user_id,event,timestamp\n" + "u1,open,2026-01-01 10:00:00\n" * 12000   # > 256 KB of ASCII
    tail = "u2,покупка,2026-01-02 10:00:00\n"
    con, (t,) = load((head + tail).encode("cp1251"))
    assert t.encoding == "Windows-1251" and t.rows == 12001
    assert con.execute("SELECT event FROM ds_1 WHERE user_id = 'u2'").fetchone()[0] == "покупка"


def test_a_stray_bad_byte_in_utf8_is_replaced_and_counted():
    head = "user_id,event,timestamp\n" + "u1,открыть,2026-01-01 10:00:00\n" * 6000
    data = head.encode("utf-8") + b"u2,\xff\xfe,2026-01-02 10:00:00\n"
    con, (t,) = load(data)
    assert t.rows == 6001
    assert any(w.code == "invalid_characters" for w in t.warnings)


def test_nul_bytes_are_dropped():
    con, (t,) = load(b"a,b\n1,x\x00y\n2,z\n")
    assert con.execute("SELECT b FROM ds_1 ORDER BY a").fetchall() == [("xy",), ("z",)]


def test_forced_encoding_and_day_first():
    content = "date;cost\n01/02/2026;1\n03/04/2026;2\n".encode("cp1251")
    con, (t,) = load(content, encoding="windows-1251", day_first=False)
    assert con.execute("SELECT date FROM ds_1 ORDER BY date").fetchall() == [(date(2026, 1, 2),), (date(2026, 3, 4),)]
    assert load_error(b"a\n1\n", encoding="klingon").issue.code == "unknown_encoding"


def test_limits_file_size(monkeypatch):
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 10)
    err = load_error(b"a,b\n1,2\n3,4\n")
    assert (err.issue.code, err.issue.params["limit_mb"]) == ("file_too_large", 0)


def test_limits_columns():
    header = ",".join(f"c{i}" for i in range(limits.MAX_COLUMNS + 1))
    err = load_error((header + "\n" + ",".join("1" * (limits.MAX_COLUMNS + 1)) + "\n").encode())
    assert (err.issue.code, err.issue.params["count"]) == ("too_many_columns", limits.MAX_COLUMNS + 1)


def test_a_long_cell_in_a_messy_file_is_rejected_not_loaded(monkeypatch):
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 50)
    content = b"a,b\n1,ok\n2," + b"x" * 60 + b"\n3,ok,\n4,too,many\n"
    con, (t,) = load(content)
    assert t.rows == 2
    rej = con.execute(f"SELECT source_row, reason FROM {t.rejected_table} ORDER BY source_row").fetchall()
    assert rej == [(3, "cell_too_long"), (5, "too_many_fields")]


def _zip(members: dict[str, bytes], encrypted: bool = False) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, (2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    data = bytearray(buf.getvalue())
    if encrypted:  # set the "encrypted" flag bit in the local and central headers
        for sig, at in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
            i = data.find(sig)
            data[i + at] |= 0x1
    return bytes(data)


def test_archive_limits_and_errors(monkeypatch):
    assert load_error(_zip({"a.pdf": b"x"}), "a.zip").issue.code == "archive_no_tables"
    assert load_error(_zip({"a.csv": b"a\n1\n"}, encrypted=True), "a.zip").issue.code == "archive_encrypted"
    assert load_error(b"PK\x03\x04broken", "a.zip").issue.code in ("bad_archive", "not_text")
    monkeypatch.setattr(limits, "MAX_ZIP_MEMBERS", 2)
    assert load_error(_zip({f"{i}.csv": b"a\n1\n" for i in range(3)}), "a.zip").issue.code == "archive_too_many_files"


def test_archive_too_deep():
    inner = _zip({"a.csv": b"a\n1\n"})
    assert load_error(_zip({"b.zip": _zip({"c.zip": inner})}), "a.zip").issue.code == "archive_nested"


def test_a_failed_member_is_a_warning_when_others_load():
    con, tables = load(_zip({"good.csv": b"a\n1\n", "empty.csv": b"a\n"}), "a.zip")
    assert [t.label for t in tables] == ["a.zip › good.csv"]
    (w,) = [w for w in tables[0].warnings if w.code == "no_rows"]
    assert w.params == {"file": "a.zip › empty.csv"}


def test_a_failure_leaves_no_tables_and_no_temp_files(monkeypatch, tmp_path):
    made = []
    real = ingest_mod.tempfile.mkdtemp

    def mkdtemp(**kw):
        made.append(real(dir=tmp_path, **kw))
        return made[-1]

    monkeypatch.setattr(ingest_mod.tempfile, "mkdtemp", mkdtemp)
    con = connect()
    ids = itertools.count(1)
    with pytest.raises(LoadError):
        ingest(con, "a.zip", _zip({"good.csv": b"a\n1\n", "bomb.csv": b"0" * (3 * limits.MB)}),
               lambda: f"ds_{next(ids)}")
    assert con.execute("SELECT count(*) FROM information_schema.tables").fetchone()[0] == 0
    uploads = [m for m in made if "kpiwb-upload" in m]
    assert uploads and not any(Path(m).exists() for m in uploads)
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0] is False


def test_every_issue_code_has_a_translation():
    sources = [ROOT / "data" / "ingest.py", *(ROOT / "data" / "parse").glob("*.py")]
    used = set()
    for p in sources:
        used |= set(re.findall(r'(?:LoadError|Issue)\(\s*"([a-z_0-9]+)"', p.read_text(encoding="utf-8")))
    catalog = json.loads((ROOT / "ui" / "locales" / "issues.json").read_text(encoding="utf-8"))
    for lang in ("en", "ru", "zh"):
        missing = sorted(c for c in used if f"issue.{c}" not in catalog[lang])
        assert missing == [], (lang, missing)
    assert len(used) >= 30


def test_russian_yearless_date_gets_the_export_year():
    con, (t,) = load("Дата,Просмотры\n9 августа,5\n10 августа,6\n".encode(), today=date(2026, 11, 23))
    assert con.execute("SELECT \"Дата\" FROM ds_1").fetchall() == [(date(2026, 8, 9),), (date(2026, 8, 10),)]
    (w,) = [w for w in t.warnings if w.code == "year_inferred"]
    assert w.params == {"column": "Дата", "first": "2026-08-09", "last": "2026-08-10", "years": "2026"}


def test_limits_sheet_cells(monkeypatch):
    monkeypatch.setattr(limits, "MAX_SHEET_CELLS", 5)
    book = (ROOT / "tests" / "corpus" / "files" / "book.xlsx").read_bytes()
    err = load_error(book, "book.xlsx")
    assert (err.issue.code, err.issue.params["sheet"]) == ("sheet_too_large", "Orders")


def test_a_workbook_that_is_not_one():
    assert load_error(b"PK\x03\x04" + b"\x00" * 200, "book.xlsx").issue.code in ("not_text", "bad_archive")


def test_a_damaged_workbook_is_a_load_error():
    fake = _zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"})
    assert load_error(fake, "book.xlsx").issue.code == "unreadable_workbook"
