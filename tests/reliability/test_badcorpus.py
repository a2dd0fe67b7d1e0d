"""Every file of the bad-input corpus (tests/badcorpus/make_bad_corpus.py) loads cleanly or is refused
with a clear message in en/ru/zh, leaves the user's other datasets untouched, and the CLI says so too.

``EXPECTED`` is the published outcome of each case (docs/reliability.md counts them): either the
error code, or per table (kind, rows, rejected rows, warning codes).
"""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

import audit
from data.db import query, quote_ident
from data.parse import limits
from data.session import Workspace
from tests.badcorpus.make_bad_corpus import BIG, BY_FILE, OUT, SMALL, build_small
from tests.helpers import csv_bytes
from tests.reliability.conftest import ALL_CASES, CASE_IDS, assert_clear_message, case_bytes, case_path
from ui.i18n import LANGS, tr_issue

TODAY = date(2026, 11, 23)

EXPECTED: dict[str, tuple | list] = {
    # nothing to read
    "empty.csv": ("empty_file",),
    "whitespace_only.csv": ("no_rows",),
    "bom_only.csv": ("no_rows",),
    "header_only.csv": ("no_rows",),
    "only_delimiters.csv": ("no_rows",),
    "single_cell.csv": ("no_rows",),
    # not a table
    "png_renamed.csv": ("not_text",),
    "pdf_renamed.csv": ("not_text",),
    "gzip_renamed.csv": ("not_text",),
    "sqlite_renamed.csv": ("not_text",),
    "elf_renamed.csv": ("not_text",),
    "control_bytes.csv": ("not_text",),
    "json_array.csv": ("markup_file",),
    "json_object.csv": ("markup_file",),
    "html_page.csv": ("markup_file",),
    # archives
    "truncated.zip": ("bad_archive",),
    "zip_header_only.zip": ("bad_archive",),
    "encrypted.zip": ("archive_encrypted",),
    "zip_no_tables.zip": ("archive_no_tables",),
    "zip_path_traversal.zip": [("social_daily", 28, 0, []), ("social_daily", 28, 0, [])],
    "zip_deep_nesting.zip": ("archive_nested",),
    "zip_all_members_bad.zip": ("empty_file",),
    # workbooks
    "xlsx_formulas_merged.xlsx": [("social_daily", 11, 2, ["rows_rejected_bad_date", "unparsed_values"])],
    "xlsx_truncated.xlsx": ("bad_archive",),
    "xlsx_as_csv.csv": [("social_daily", 11, 2, ["rows_rejected_bad_date", "unparsed_values"])],
    "xls_fake.xls": ("unreadable_workbook",),
    "xlsx_hostile.xlsx": [(None, 5, 0, ["unknown_kind"])],
    # shapes and names
    "duplicate_and_empty_names.csv": [("social_daily", 2, 0, [])],
    "hostile_names.csv": [(None, 7, 0, ["unknown_kind"])],
    "hostile_filename_sql.csv": [("social_daily", 28, 0, [])],
    "hostile_filename_html.csv": [("social_daily", 28, 0, [])],
    "hostile_filename_md.csv": [("social_daily", 28, 0, [])],
    "long_header_name.csv": [(None, 2, 0, ["unknown_kind"])],
    "ragged_and_unclosed_quote.csv": [("social_daily", 3, 2, ["rows_rejected_malformed", "short_rows_padded"])],
    "wide_data_row.csv": [("social_daily", 2, 1, ["rows_rejected_malformed"])],
    # encodings and bytes
    "mixed_encodings.csv": [("orders", 6, 0, ["mixed_encodings"])],
    "mixed_encodings_late.csv": [("orders", 10002, 0, ["mixed_encodings"])],
    "utf16_no_bom.csv": [("social_daily", 2, 0, [])],
    "nul_bytes.csv": [("social_daily", 3, 0, [])],
    "nul_heavy.csv": [("social_daily", 1, 0, [])],
    # values
    "dates_1900_2100.csv": [("social_daily", 4, 3, ["dates_before_2000", "dates_out_of_range", "future_dates",
                                                    "rows_rejected_bad_date"])],
    "impossible_dates.csv": [("social_daily", 2, 4, ["rows_rejected_bad_date"])],
    "dates_1900_2100_dmy.csv": [("social_daily", 3, 1, ["dates_before_2000", "future_dates",
                                                        "rows_rejected_bad_date"])],
    "overflow_numbers.csv": [("social_daily", 6, 0, ["unparsed_values"])],
    "epoch_extremes.csv": [(None, 5, 0, ["unknown_kind"])],
    # big, written at test time
    "bomb_ratio.zip": ("archive_bomb",),
    "bomb_lying_size.zip": ("bad_archive",),
    "bomb_claims_huge.zip": ("archive_too_large",),
    "bomb_nested.zip": ("archive_bomb",),
    "bomb_xlsx.xlsx": ("archive_bomb",),
    "wide_10000.csv": ("too_many_columns",),
    "wide_10000.xlsx": ("too_many_columns",),
    "line_5mb.csv": ("line_too_long",),
    "line_5mb_cells.csv": ("too_many_columns",),
    "cell_5mb.csv": [("social_daily", 2, 1, ["rows_rejected_long_cell"])],
}

GOOD = csv_bytes(["date", "views", "likes"], [["2026-01-01", 10, 1], ["2026-01-02", 12, 2], ["2026-01-03", 9, 0]])


def refused(file: str) -> bool:
    return isinstance(EXPECTED[file], tuple)


def _tables(ws: Workspace) -> list[str]:
    return sorted(query(ws.con, "SELECT table_name FROM information_schema.tables ORDER BY 1")["table_name"])


def test_every_case_has_an_expectation_and_the_files_are_current():
    assert sorted(EXPECTED) == sorted(c.file for c in ALL_CASES)
    assert len({c.upload_name for c in ALL_CASES}) == len(ALL_CASES)
    on_disk = sorted(p.name for p in OUT.iterdir())
    assert on_disk == sorted(c.file for c in SMALL), "run python tests/badcorpus/make_bad_corpus.py"
    for name, data in build_small().items():
        assert (OUT / name).read_bytes() == data, f"{name} is stale: run python tests/badcorpus/make_bad_corpus.py"
    assert all((OUT / c.file).stat().st_size < 30_000 for c in SMALL)  # big ones are made at test time


@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_case_loads_or_is_refused_with_a_clear_message_and_other_data_untouched(case, big_files):
    ws = Workspace()
    (good,) = ws.add_file("good.csv", GOOD, today=TODAY).datasets
    before = _tables(ws)
    res = ws.add_file(case.upload_name, case_bytes(case, big_files), today=TODAY)
    expected = EXPECTED[case.file]
    if refused(case.file):
        assert res.datasets == []
        assert [i.code for i in res.issues] == [expected[0]]
        (issue,) = res.issues
        assert issue.severity == "error"
        texts = assert_clear_message(issue)
        if "file" in issue.params:
            assert str(issue.params["file"]).startswith(case.upload_name)
            assert all(case.upload_name in t for t in texts.values())
        assert _tables(ws) == before  # nothing half-made is left behind
    else:
        assert res.issues == []
        got = [(d.kind, d.rows, d.rows_rejected, sorted({w.code for w in d.warnings})) for d in res.datasets]
        assert got == expected
        for d in res.datasets:
            for w in d.warnings:
                assert_clear_message(w)
            assert ws.row_count(d.name) == d.rows
            # every canonical view is queryable
            query(ws.con, f"SELECT count(*) FROM {quote_ident(d.view)}")
    # the user's other dataset is untouched
    assert ws.datasets[0] is good
    assert ws.row_count(good.name) == 3
    assert query(ws.con, f"SELECT sum(views) AS s FROM {quote_ident(good.view)}")["s"][0] == 31


def test_refused_and_loaded_counts():
    """The counts published in docs/reliability.md."""
    n_refused = sum(refused(f) for f in EXPECTED)
    assert (len(EXPECTED), n_refused, len(EXPECTED) - n_refused) == (55, 32, 23)
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text(encoding="utf-8")
    assert "55 cases" in doc and "32 refused" in doc and "23 loaded" in doc


def test_zip_member_names_cannot_escape_the_temp_folder(tmp_path):
    ws = Workspace()
    res = ws.add_file("zip_path_traversal.zip", OUT / "zip_path_traversal.zip", today=TODAY)
    assert [d.label for d in res.datasets] == ["zip_path_traversal.zip › ../../../../tmp/kpiwb_evil.csv",
                                              "zip_path_traversal.zip › /etc/kpiwb_abs.csv"]
    assert not Path("/tmp/kpiwb_evil.csv").exists() and not Path("/etc/kpiwb_abs.csv").exists()


def test_hostile_column_names_are_kept_as_data_not_code():
    ws = Workspace()
    (ds,) = ws.add_file("hostile_names.csv", OUT / "hostile_names.csv", today=TODAY).datasets
    names = [c.name for c in ds.columns]
    assert names[:7] == ["date", 'x"; DROP TABLE t;--', "<script>alert(1)</script>", "[a](javascript:alert(1))",
                         "**bold** _it_ `code`", "{file}", "%s%s%n"]
    assert names[7:10] == ["rowid_", "row_", "ds_1"]   # names the loader uses itself are renamed
    # the values are stored verbatim, formula-looking ones included
    got = query(ws.con, f"SELECT {quote_ident(names[1])} AS a, {quote_ident(names[2])} AS b FROM "
                        f"{quote_ident(ds.name)} LIMIT 1")
    assert got.values.tolist() == [['=HYPERLINK("http://evil.example","x")', "+1+1"]]
    ws.set_mapping(ds.name, "social_daily", {"date": "date", "views": names[10]})  # "v_ds_1" column as views
    assert ws.get(ds.name).kind == "social_daily"


def test_overflowing_numbers_become_missing_values_with_a_count():
    ws = Workspace()
    (ds,) = ws.add_file("overflow_numbers.csv", OUT / "overflow_numbers.csv", today=TODAY).datasets
    got = query(ws.con, f"SELECT views FROM {quote_ident(ds.name)}")["views"].tolist()
    assert got[2] == 1e23 and got[5] == 10.0 and all(v != v for v in (got[0], got[1], got[3]))  # NaN = missing
    (w,) = [w for w in ds.warnings if w.code == "unparsed_values"]
    assert w.params == {"column": "views", "count": 3, "rows": "2, 3, 5", "example": "inf"}


def test_dates_outside_1900_2100_are_set_aside_and_1900_2100_are_kept():
    ws = Workspace()
    (ds,) = ws.add_file("dates_1900_2100.csv", OUT / "dates_1900_2100.csv", today=TODAY).datasets
    assert ds.date_range == (date(1900, 1, 1), date(2100, 12, 31))
    rej = ws.rejected(ds.name)
    assert rej[["source_row", "value"]].values.tolist() == [[3, "1899-12-30"], [7, "9999-12-31"], [8, "0001-01-01"]]


def test_unclosed_quote_rejects_its_line_and_reads_on():
    ws = Workspace()
    (ds,) = ws.add_file("q.csv", OUT / "ragged_and_unclosed_quote.csv", today=TODAY).datasets
    rej = ws.rejected(ds.name)
    assert rej[["source_row", "reason"]].values.tolist() == [[3, "unclosed_quote"], [4, "too_many_fields"]]
    dates = query(ws.con, f"SELECT CAST(date AS VARCHAR) AS d FROM {quote_ident(ds.name)} ORDER BY 1")["d"].tolist()
    assert dates == ["2026-01-01", "2026-01-04", "2026-01-05"]


def test_mixed_encodings_are_read_line_by_line():
    ws = Workspace()
    (ds,) = ws.add_file("m.csv", OUT / "mixed_encodings.csv", today=TODAY).datasets
    got = query(ws.con, f"SELECT {quote_ident('Канал')} AS c FROM {quote_ident(ds.name)}")["c"].tolist()
    assert got[:4] == ["Органика", "Реклама", "Рассылка", "Партнёры"]
    (w,) = ds.warnings
    assert w.params == {"file": "m.csv", "count": 4, "encoding": "Windows-1251"}


# --- bounds -----------------------------------------------------------------------------------------
def test_row_bound(monkeypatch):
    monkeypatch.setattr(limits, "MAX_ROWS", 2)
    ws = Workspace()
    res = ws.add_file("good.csv", GOOD)
    assert [(i.code, i.params) for i in res.issues] == [("too_many_rows", {"file": "good.csv", "count": 3,
                                                                           "limit": 2})]
    assert_clear_message(res.issues[0])


def test_column_and_cell_bounds(monkeypatch):
    monkeypatch.setattr(limits, "MAX_COLUMNS", 2)
    monkeypatch.setattr(limits, "MAX_CELL_CHARS", 12)
    ws = Workspace()
    assert [i.code for i in ws.add_file("g.csv", GOOD).issues] == ["too_many_columns"]
    monkeypatch.setattr(limits, "MAX_COLUMNS", 2000)
    data = csv_bytes(["date", "title"], [["2026-01-01", "short"], ["2026-01-02", "a much longer title"]]) + b"x" * 40_000
    (ds,) = ws.add_file("t.csv", data).datasets
    assert (ds.rows, ds.rows_rejected) == (1, 2)


def test_upload_and_archive_size_bounds(monkeypatch, big_files):
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 100)
    ws = Workspace()
    assert [i.code for i in ws.add_file("g.csv", GOOD + b"\n" * 200).issues] == ["file_too_large"]
    monkeypatch.setattr(limits, "MAX_UPLOAD_BYTES", 1024 * limits.MB)
    monkeypatch.setattr(limits, "MAX_ZIP_TOTAL_BYTES", 1000)
    res = ws.add_file("z.zip", OUT / "zip_path_traversal.zip")
    assert [i.code for i in res.issues] == ["archive_too_large"]


def test_duckdb_memory_limit_is_set_and_an_upload_over_it_is_a_message(tmp_path):
    ws = Workspace()
    assert query(ws.con, "SELECT current_setting('memory_limit') AS m")["m"][0] in ("1.8 GiB", "1.9 GiB", "2.0 GiB",
                                                                                  "1.8GiB", "1.9GiB", "2.0GiB")
    ws.con.execute("SET memory_limit = '2MB'")
    ws.con.execute("SET max_temp_directory_size = '0KB'")  # no spilling either: the limit is hard
    path = tmp_path / "big.csv"
    path.write_text("user_id,event,timestamp,title\n" + "".join(
        f"u{i},open,2026-01-{1 + i % 28:02d} 10:00:00,{'t' * 60}{i}\n" for i in range(200_000)))
    res = ws.add_file("big.csv", path)
    assert [i.code for i in res.issues] == ["out_of_memory"]
    assert_clear_message(res.issues[0])
    assert _tables(ws) == []


# --- the CLI ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case", ALL_CASES, ids=CASE_IDS)
def test_cli_never_shows_a_traceback(case, big_files, capsys):
    lang = LANGS[CASE_IDS.index(case.file) % 3]
    code = audit.main([str(case_path(case, big_files)), "--json", "--lang", lang, "--today", TODAY.isoformat()])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if refused(case.file):
        assert code == 2 and err.startswith("audit.py: ") and "issue." not in err
    else:
        assert code == 0
        doc = json.loads(out)
        assert len(doc["datasets"]) == len(EXPECTED[case.file])


def test_cli_message_is_translated():
    for lang, word in (("en", "is not a text table"), ("ru", "не таблица"), ("zh", "不是表格文件")):
        res = Workspace().add_file("png_renamed.csv", OUT / "png_renamed.csv")
        assert word in tr_issue(res.issues[0], lang)


def test_case_table_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "reliability.md").read_text(encoding="utf-8")
    missing = [c.file for c in ALL_CASES if f"`{c.file}`" not in doc]
    assert missing == []
    assert BY_FILE["bomb_ratio.zip"] in BIG
