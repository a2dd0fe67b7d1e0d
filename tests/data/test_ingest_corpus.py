"""Every tricky file in tests/corpus/files/ loads to literal values (regenerate: tests/corpus/make_corpus.py)."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from data.db import query, quote_ident
from data.session import Workspace
from tests.corpus.make_corpus import YEARLESS, build_all

CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "files"
TODAY = date(2026, 11, 23)


def load(name: str, today: date = TODAY, **kw):
    ws = Workspace()
    res = ws.add_file(name, CORPUS / name, today=today, **kw)
    return ws, res


def rows(ws: Workspace, ds, columns: list[str] | None = None) -> list[list]:
    """The table's values as DuckDB returns them: date, datetime, int, float, str or None."""
    cols = ", ".join(quote_ident(c) for c in (columns or [c.name for c in ds.columns]))
    return [list(r) for r in ws.con.execute(f"SELECT {cols} FROM {quote_ident(ds.name)}").fetchall()]


def codes(ds) -> list[str]:
    return [w.code for w in ds.warnings]


def warning(ds, code: str) -> dict:
    found = [w.params for w in ds.warnings if w.code == code]
    assert found, (code, codes(ds))
    return found[0]


def test_corpus_files_are_current():
    """The committed files are what make_corpus.py writes (run it after changing a builder)."""
    for name, data in build_all().items():
        assert (CORPUS / name).read_bytes() == data, f"{name}: run tests/corpus/make_corpus.py"


# --- 1. formats ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name, kind, n, types", [
    ("events.csv", "events", 3, ["VARCHAR", "VARCHAR", "TIMESTAMP", "VARCHAR"]),
    ("events.tsv", "events", 2, ["VARCHAR", "VARCHAR", "TIMESTAMP"]),
    ("spend_pipe.txt", "spend", 2, ["DATE", "VARCHAR", "DOUBLE"]),
])
def test_separators(name, kind, n, types):
    ws, res = load(name)
    (ds,) = res.datasets
    assert (ds.kind, ds.rows, [c.dtype for c in ds.columns]) == (kind, n, types)


def test_xlsx_every_non_empty_sheet_is_a_table():
    ws, res = load("book.xlsx")
    assert res.issues == []
    orders, daily = res.datasets
    assert [orders.label, daily.label] == ["book.xlsx › Orders", "book.xlsx › Daily"]
    # title line above the header skipped; Excel serial numbers in a date column
    assert orders.kind == "orders"
    assert rows(ws, orders) == [[date(2026, 1, 1), 12.5, "c1"], [date(2026, 2, 1), 13.0, "c2"]]
    # real dates mixed with a date typed as text; "undefined" counted as missing
    assert daily.kind == "social_daily"
    assert rows(ws, daily) == [[date(2026, 5, 1), 100, 7], [date(2026, 5, 2), 120, None], [date(2026, 5, 3), 90, 4]]
    assert {c.name: c.missing for c in daily.columns} == {"Date": 0, "Video Views": 0, "Likes": 1}


def test_zip_of_tiktok_tabs_with_dec_jan_years():
    ws, res = load("tiktok_overview.zip", today=date(2026, 1, 4))
    assert [d.label for d in res.datasets] == ["tiktok_overview.zip › Overview.csv",
                                               "tiktok_overview.zip › FollowerHistory.csv",
                                               "tiktok_overview.zip › FollowerActivity.csv"]
    overview, history, activity = res.datasets
    assert [d.kind for d in res.datasets] == ["social_daily", "social_daily", "followers_activity"]
    assert rows(ws, overview, ["Date", "Video Views", "Comments"]) == [
        [date(2025, 12, 30), 100, 1], [date(2025, 12, 31), 110, -2], [date(2026, 1, 1), 130, 3],
        [date(2026, 1, 2), 90, 0]]
    assert warning(overview, "year_inferred") == {"column": "Date", "first": "2025-12-30", "last": "2026-01-02",
                                                  "years": "2025–2026"}
    assert warning(overview, "negative_daily_values")["rows"] == "3"
    assert warning(overview, "archive_files_skipped")["files"] == "README.pdf"
    assert rows(ws, history) == [[date(2025, 12, 31), None, None], [date(2026, 1, 1), 1000, 12],
                                 [date(2026, 1, 2), 1012, 5]]
    assert {c.name: c.missing for c in history.columns}["Followers"] == 1
    assert activity.rows == 24 and activity.roles == {"date": "Date", "hour": "Hour",
                                                      "active_followers": "Active followers"}


def test_zip_inside_zip():
    ws, res = load("nested.zip")
    (ds,) = res.datasets
    assert ds.label == "nested.zip › Content.zip › Content.csv"
    assert ds.kind == "social_posts"


def test_zip_bomb_is_refused():
    ws, res = load("bomb.zip")
    assert res.datasets == [] and [i.code for i in res.issues] == ["archive_bomb"]


@pytest.mark.parametrize("name, code", [
    ("binary.bin", "not_text"),
    ("header_only.csv", "no_rows"),
])
def test_unreadable_files_are_load_errors(name, code):
    ws, res = load(name)
    assert res.datasets == [] and [i.code for i in res.issues] == [code]
    assert res.issues[0].params["file"] == name


# --- 2. encodings -------------------------------------------------------------------------------
def test_windows_1251_semicolon_decimal_comma_ddmmyyyy():
    ws, res = load("orders_ru_cp1251.csv")
    (ds,) = res.datasets
    assert ds.kind == "orders"
    assert ds.roles == {"timestamp": "Дата", "amount": "Сумма", "customer_id": "Клиент"}
    assert rows(ws, ds) == [[date(2026, 2, 1), 1234.56, "Иванов Иван"],
                            [date(2026, 2, 13), 99.0, "Петрова Анна"],
                            [date(2026, 3, 2), -12.5, "Сидоров Пётр"]]
    assert codes(ds) == []


def test_gb18030_chinese_headers_are_events():
    ws, res = load("events_zh_gb18030.csv")
    (ds,) = res.datasets
    assert ds.kind == "events"
    assert ds.roles == {"user_id": "用户ID", "timestamp": "日期", "event": "事件", "revenue": "金额"}
    assert rows(ws, ds) == [[date(2026, 4, 1), 12.5, "u1", "购买"], [date(2026, 4, 2), None, "u2", "注册"],
                            [date(2026, 4, 3), 8.0, "u1", "打开"]]


def test_utf8_bom_tiktok_overview_yearless_and_undefined():
    ws, res = load("overview_bom_yearless.csv")
    (ds,) = res.datasets
    assert ds.columns[0].name == "Date"  # no BOM in the name
    assert rows(ws, ds, ["Date", "Video Views"]) == [[date(2026, 8, 9), 1200.0], [date(2026, 8, 10), None],
                                                     [date(2026, 8, 11), 1500.0]]
    assert {c.name: c.missing for c in ds.columns}["Video Views"] == 1


def test_instagram_utf16_with_sep_and_title_lines():
    ws, res = load("instagram_views_utf16.csv")
    (ds,) = res.datasets
    assert [c.name for c in ds.columns] == ["Date", "Views"]
    assert ds.kind == "social_daily" and ds.roles == {"date": "Date", "views": "Views"}
    assert rows(ws, ds) == [[datetime(2026, 9, 1), 1520], [datetime(2026, 9, 2), 1710], [datetime(2026, 9, 3), 0]]
    assert warning(ds, "column_renamed") == {"old": "Primary", "new": "Views"}


def test_utf16_be_excel_unicode_text_tab_separated():
    ws, res = load("excel_unicode_text_utf16be.txt")
    (ds,) = res.datasets
    assert ds.kind == "spend"
    assert rows(ws, ds) == [[date(2026, 6, 1), "search_ads", 10.5], [date(2026, 6, 2), "search_ads", 11.25]]


def test_windows_1252_is_read_and_the_guess_reported():
    ws, res = load("latin_cp1252.csv")
    (ds,) = res.datasets
    assert rows(ws, ds) == [[date(2026, 7, 1), "Größe M", 1234.5], [date(2026, 7, 2), "Übergröße", 99.9]]
    assert warning(ds, "encoding_guessed")["encoding"] == "Windows-1252"


def test_forced_encoding_overrides_the_guess():
    ws, res = load("latin_cp1252.csv", encoding="cp1251")
    (ds,) = res.datasets
    assert rows(ws, ds, ["Kategorie"])[0] == ["GrцЯe M"]  # what the user asked for: the bytes read as cp1251
    assert "encoding_guessed" not in codes(ds)


# --- 3. values ----------------------------------------------------------------------------------
def test_number_formats_per_column():
    ws, res = load("number_formats.csv")
    (ds,) = res.datasets
    assert rows(ws, ds) == [
        [date(2026, 1, 1), 1234.56, 1234567.0, 1234.5, 1234.5, 1234.5, 0.052, 1234.0, 1234.5, 8.5, -12.0, None],
        [date(2026, 1, 2), 12.5, 99.0, 12.75, 12.5, 12.0, 0.1, 8.5, 12.0, 1234.0, 15.0, None],
        [date(2026, 1, 3), -3.0, 0.5, 1000000.0, 1000000.0, 2000.0, 0.005, -5.0, -5.0, 3.0, -1000.0, None],
        [date(2026, 1, 4), 7.0, 1000.0, 5.0, 5.0, 5.0, 1.0, -12.0, 99.9, -2.5, 3.0, None],
        [date(2026, 1, 5), None, None, None, None, None, None, None, None, None, None, None],
    ]
    missing = {c.name: c.missing for c in ds.columns}
    assert missing["missing"] == 5 and missing["space"] == 1 and missing["date"] == 0


def test_youtube_total_row_dropped_and_reported():
    ws, res = load("youtube_table_data.csv")
    (ds,) = res.datasets
    assert ds.kind == "social_posts"
    assert (ds.rows, ds.rows_rejected) == (2, 1)
    assert warning(ds, "total_row_dropped") == {"row": 2, "column": "Content"}
    assert rows(ws, ds, ["Video publish time", "Views", "Average view duration", "Watch time (hours)"]) == [
        [date(2026, 8, 9), 2000, 63.0, 30.5], [date(2026, 9, 1), 1000, 48.0, 15.0]]
    rej = ws.rejected(ds.name)
    assert rej[["source_row", "reason", "value"]].values.tolist() == [[2, "total_row", "Total"]]


# --- 4. dates -----------------------------------------------------------------------------------
def test_iso_time_zones_become_utc_naive():
    ws, res = load("dates_iso_tz.csv")
    (ds,) = res.datasets
    assert [c.dtype for c in ds.columns] == ["VARCHAR", "VARCHAR", "TIMESTAMP"]
    assert [r[0] for r in rows(ws, ds, ["timestamp"])] == [
        datetime(2026, 5, 1, 10, 0), datetime(2026, 5, 1, 9, 30), datetime(2026, 5, 2, 4, 15, 0, 250000)]


def test_day_first_decided_by_a_day_over_12():
    ws, res = load("dates_day_first.csv")
    (ds,) = res.datasets
    assert [r[0] for r in rows(ws, ds, ["date"])] == [date(2026, 2, 1), date(2026, 2, 13), date(2026, 3, 2)]
    assert "ambiguous_date_order" not in codes(ds)


def test_month_first_retail_order_lines():
    ws, res = load("online_retail.csv")
    (ds,) = res.datasets
    assert ds.kind == "orders"
    assert ds.roles == {"order_id": "InvoiceNo", "timestamp": "InvoiceDate", "quantity": "Quantity",
                        "unit_price": "UnitPrice", "customer_id": "CustomerID"}
    assert [r[0] for r in rows(ws, ds, ["InvoiceDate"])] == [
        datetime(2025, 12, 1, 8, 26), datetime(2025, 12, 13, 8, 28), datetime(2025, 12, 13, 9, 41),
        datetime(2025, 12, 14, 10, 0), datetime(2025, 12, 14, 10, 0)]
    assert {c.name: c.missing for c in ds.columns}["CustomerID"] == 2
    assert warning(ds, "duplicate_rows") == {"count": 1, "rows": "6"}
    amounts = query(ws.con, f"SELECT amount FROM {quote_ident(ds.view)}")["amount"].round(2).tolist()
    assert amounts == [15.3, 11.1, -27.5, 34.8, 34.8]


@pytest.mark.parametrize("name, first, day_first", [
    ("dates_ambiguous_comma.csv", date(2026, 1, 2), False),
    ("dates_ambiguous_semicolon.csv", date(2026, 2, 1), True),
])
def test_ambiguous_order_uses_context_and_asks(name, first, day_first):
    ws, res = load(name)
    (ds,) = res.datasets
    assert rows(ws, ds, ["date"])[0] == [first]
    assert warning(ds, "ambiguous_date_order") == {"column": "date", "example": "01/02/2026",
                                                   "read_as": first.isoformat(), "day_first": day_first}


def test_the_answer_to_the_date_order_question_is_applied():
    ws, res = load("dates_ambiguous_comma.csv", day_first=True)
    (ds,) = res.datasets
    assert [r[0] for r in rows(ws, ds, ["date"])] == [date(2026, 2, 1), date(2026, 4, 3)]
    assert "ambiguous_date_order" not in codes(ds)


def test_unix_seconds_and_milliseconds():
    ws, res = load("epochs.csv")
    (ds,) = res.datasets
    assert ds.kind == "events"
    assert rows(ws, ds, ["timestamp", "sent_at_ms"]) == [
        [datetime(2026, 1, 1, 0, 0), datetime(2026, 1, 1, 0, 0, 0, 123000)],
        [datetime(2026, 1, 1, 1, 0), datetime(2026, 1, 1, 1, 0)]]


def test_tiktok_for_business_slashed_iso_dates():
    ws, res = load("tiktok_business.csv")
    (ds,) = res.datasets
    assert ds.kind == "social_daily"
    assert ds.roles == {"date": "Date", "views": "Video views", "profile_views": "Profile views", "likes": "Likes",
                        "comments": "Comments", "shares": "Shares", "new_followers": "New followers"}
    assert [r[0] for r in rows(ws, ds, ["Date"])] == [datetime(2026, 5, 10), datetime(2026, 5, 11)]


@pytest.mark.parametrize("lang", sorted(YEARLESS))
def test_yearless_dates_in_every_interface_language_cross_new_year(lang):
    ws, res = load(f"yearless_{lang}.csv", today=date(2026, 1, 5))
    (ds,) = res.datasets
    assert ds.kind == "social_daily"
    assert [r[0] for r in rows(ws, ds, ["Date"])] == [date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 2)]
    assert warning(ds, "year_inferred")["years"] == "2025–2026"


def test_yearless_post_time_ends_on_or_before_the_export_date():
    ws, res = load("content.csv")  # today 2026-11-23: "November 20" is this year, not next
    (ds,) = res.datasets
    assert ds.kind == "social_posts" and ds.roles["post_time"] == "Post time"
    assert [r[0] for r in rows(ws, ds, ["Post time"])] == [date(2026, 11, 20), date(2026, 8, 9), date(2026, 10, 31)]
    assert rows(ws, ds, ["Video title"])[0] == ["Packing 10 orders in 60 seconds 📦 #smallbusiness"]


def test_a_date_later_in_the_year_than_today_belongs_to_last_year():
    ws, res = load("content.csv", today=date(2026, 9, 1))
    (ds,) = res.datasets
    # one run of days (Aug 9 .. Nov 20) ending on or before the export date
    assert [r[0] for r in rows(ws, ds, ["Post time"])] == [date(2025, 11, 20), date(2025, 8, 9), date(2025, 10, 31)]


# --- 6. validation ------------------------------------------------------------------------------
def test_validation_reports_every_problem_at_once():
    ws, res = load("validation_problems.csv")
    (ds,) = res.datasets
    assert ds.rows == 5 and ds.rows_rejected == 0
    got = {(w.code, w.params.get("column")): (w.params["count"], w.params["rows"]) for w in ds.warnings
           if "count" in w.params}
    assert got == {
        ("negative_values", "Video Views"): (2, "3, 4"),
        ("negative_values", "Followers"): (1, "6"),
        ("negative_daily_values", "Comments"): (2, "3, 4"),
        ("future_dates", "Date"): (1, "6"),
        ("dates_before_2000", "Date"): (1, "5"),
        ("duplicate_rows", None): (1, "4"),
    }
    severities = {w.code: w.severity for w in ds.warnings}
    assert severities["negative_daily_values"] == "info" and severities["negative_values"] == "warning"


def test_broken_rows_go_to_the_rejected_table_with_row_numbers():
    ws, res = load("broken_rows.csv")
    (ds,) = res.datasets
    assert ds.kind == "events"
    assert (ds.rows, ds.rows_rejected) == (3, 3)
    assert rows(ws, ds) == [["u1", "open", datetime(2026, 10, 1, 10)], ["u4", "open", None],
                            ["u5", "open", datetime(2026, 10, 3, 10)]]
    rej = ws.rejected(ds.name).sort_values("source_row")
    assert rej[["source_row", "reason", "column_name", "value"]].astype(object).where(rej.notna(), None) \
        .values.tolist() == [[3, "bad_date", "timestamp", "not a time"], [4, "too_many_fields", None, None],
                             [7, "bad_date", "timestamp", "32/13/2026"]]
    assert warning(ds, "rows_rejected_bad_date") == {"column": "timestamp", "count": 2, "rows": "3, 7"}
    assert warning(ds, "rows_rejected_malformed") == {"count": 1, "rows": "4"}
    assert warning(ds, "short_rows_padded") == {"count": 1}
    assert {c.name: c.missing for c in ds.columns}["timestamp"] == 1
