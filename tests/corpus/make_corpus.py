"""Tricky upload files for the loader tests, written to tests/corpus/files/.

Each file reproduces one trap from shared/exports.md (encodings, separators, title lines, year-less
dates, Total rows, broken rows, ...). The content is fixed: no randomness and no clock, so running

    python tests/corpus/make_corpus.py

rewrites byte-identical files. tests/data/test_ingest_corpus.py states what each file must load as.
"""
from __future__ import annotations

import io
import re
import sys
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Callable

OUT = Path(__file__).resolve().parent / "files"
ZIP_TIME = (2026, 11, 21, 0, 0, 0)


def text(lines: list[str], encoding: str = "utf-8", bom: bytes = b"", newline: str = "\n") -> bytes:
    return bom + (newline.join(lines) + newline).encode(encoding)


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    fixed = datetime(2026, 11, 21)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    # openpyxl stamps the zip entries with the current time: rewrite them with a fixed one
    # and docProps/core.xml with the save time
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    members = {i.filename: src.read(i.filename) for i in src.infolist()}
    members["docProps/core.xml"] = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*", rb"\g<1>2026-11-21T00:00:00Z",
                                          members["docProps/core.xml"])
    return zip_of(members)


# --- 1. formats ---------------------------------------------------------------------------------
def events_csv() -> bytes:
    return text(["user_id,event,timestamp,channel",
                 "u1,sign_up,2026-01-01 10:00:00,organic",
                 "u1,purchase,2026-01-02 11:30:00,organic",
                 "u2,sign_up,2026-01-03 09:15:00,paid"])


def events_tsv() -> bytes:
    return text(["user_id\tevent\ttimestamp", "u1\topen\t2026-02-01 08:00:00", "u2\topen\t2026-02-02 09:00:00"])


def spend_pipe() -> bytes:
    return text(["date|channel|cost", "2026-03-01|search_ads|12.50", "2026-03-02|search_ads|8.25"])


def orders_ru_cp1251() -> bytes:
    return text(["Дата;Сумма;Клиент",
                 "01.02.2026;1 234,56;Иванов Иван",
                 "13.02.2026;99,00;Петрова Анна",
                 "02.03.2026;(12,50);Сидоров Пётр"], encoding="cp1251", newline="\r\n")


def events_zh_gb18030() -> bytes:
    return text(["日期,金额,用户ID,事件",
                 "2026-04-01,12.5,u1,购买",
                 "2026-04-02,,u2,注册",
                 "2026-04-03,8,u1,打开"], encoding="gb18030", newline="\r\n")


def book_xlsx() -> bytes:
    return workbook({
        "Orders": [["Monthly orders export"], [],
                   ["InvoiceDate", "Amount", "Customer"],
                   [46023, 12.5, "c1"],          # Excel serial 46023 = 2026-01-01
                   [46054, 13, "c2"]],           # 46054 = 2026-02-01
        "Daily": [["Date", "Video Views", "Likes"],
                  [datetime(2026, 5, 1), 100, 7],
                  [datetime(2026, 5, 2), 120, "undefined"],
                  ["03.05.2026", 90, 4]],         # typed as text in Excel
        "Notes": [],
    })


def tiktok_zip() -> bytes:
    overview = text(["Date,Video Views,Profile Views,Likes,Comments,Shares",
                     "December 30,100,5,10,1,2",
                     "December 31,110,6,12,-2,2",
                     "January 1,130,7,15,3,4",
                     "January 2,90,4,8,0,1"], bom=b"\xef\xbb\xbf")
    history = text(["Date,Followers,Difference in followers from previous day",
                    "December 31,undefined,undefined",
                    "January 1,1000,12",
                    "January 2,1012,5"])
    activity = text(["Date,Hour,Active followers"] + [f"January 2,{h},{100 + h}" for h in range(24)])
    return zip_of({"Overview.csv": overview, "FollowerHistory.csv": history, "FollowerActivity.csv": activity,
                   "README.pdf": b"%PDF-1.4 not a table", "__MACOSX/._Overview.csv": b"junk"})


def nested_zip() -> bytes:
    inner = zip_of({"Content.csv": content_csv()})
    return zip_of({"Content.zip": inner})


def bomb_zip() -> bytes:
    return zip_of({"huge.csv": b"a,b\n" + b"0" * (20 * 1024 * 1024)})


# --- 2. encodings -------------------------------------------------------------------------------
def overview_bom_yearless() -> bytes:
    return text(["Date,Video Views,Profile Views,Likes,Comments,Shares",
                 "August 9,1200,30,80,5,7",
                 "August 10,undefined,31,81,-1,6",
                 "August 11,1 500,29,70,4,5"], bom=b"\xef\xbb\xbf")


def instagram_views_utf16() -> bytes:
    return text(["sep=,", "Views", '"Date","Primary"',
                 '"2026-09-01T00:00:00","1520"', '"2026-09-02T00:00:00","1710"', '"2026-09-03T00:00:00","0"'],
                encoding="utf-16-le", bom=b"\xff\xfe", newline="\r\n")


def excel_unicode_text_utf16be() -> bytes:
    return text(["date\tchannel\tcost", "2026-06-01\tsearch_ads\t10,5", "2026-06-02\tsearch_ads\t11,25"],
                encoding="utf-16-be", bom=b"\xfe\xff", newline="\r\n")


def latin_cp1252() -> bytes:
    return text(["Datum;Kategorie;Umsatz", "01.07.2026;Größe M;1.234,50", "02.07.2026;Übergröße;99,90"],
                encoding="cp1252")


# --- 3. values ----------------------------------------------------------------------------------
def number_formats() -> bytes:
    nb = "\u00a0"
    return text(["date;space;nbsp;dot_thousands;comma_thousands;apostrophe;percent;usd;rub;eur;accounting;missing",
                 f"2026-01-01;1 234,56;1{nb}234{nb}567;1.234,5;1,234.5;1'234.50;5,2 %;$1,234.00;1 234,50 ₽;€ 8,50;(12);"
                 "undefined",
                 "2026-01-02;12,5;99;12,75;12.5;12;10 %;$8.50;12 руб.;1.234,00 €;15;—",
                 f"2026-01-03;-3;0,5;1.000.000;1,000,000;2'000;0,5%;-$5;-5 ₽;EUR 3;(1 000);N/A",
                 f"2026-01-04;7;1{nb}000;5;5;5;100%;($12.00);99,90 р.;-2,5 €;3;-",
                 "2026-01-05;;;;;;;;;;;"])


def youtube_table_data() -> bytes:
    return text(["Content,Video title,Video publish time,Duration,Views,Watch time (hours),Average view duration,"
                 "Average percentage viewed (%),Impressions,Impressions click-through rate (%),Likes,Comments added,"
                 "Shares,Subscribers",
                 "Total,,,,3000,45.5,0:00:55,41.2,52000,5.8,310,22,15,40",
                 'dQw4w9WgXcQ,"How we pack orders, step by step","Aug 9, 2026",61,2000,30.5,0:01:03,45.1,30000,6.1,'
                 "200,15,10,30",
                 "abc123XYZ_0,Unboxing #3,\"Sep 1, 2026\",45,1000,15.0,0:00:48,38.0,22000,5.4,110,7,5,10"],
                bom=b"\xef\xbb\xbf")


# --- 4. dates -----------------------------------------------------------------------------------
def dates_iso_tz() -> bytes:
    return text(["user_id,event,timestamp",
                 "u1,open,2026-05-01T10:00:00Z",
                 "u1,buy,2026-05-01T12:30:00+03:00",
                 "u2,open,2026-05-01 23:15:00.250-05:00"])


def dates_day_first() -> bytes:
    return text(["date,channel,cost", "01/02/2026,ads,1", "13/02/2026,ads,2", "02/03/2026,ads,3"])


def dates_month_first() -> bytes:
    return text(["InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country",
                 "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2025 8:26,2.55,17850,United Kingdom",
                 "536366,22633,HAND WARMER UNION JACK,6,12/13/2025 8:28,1.85,17850,United Kingdom",
                 "C536379,D,Discount,-1,12/13/2025 9:41,27.5,14527,United Kingdom",
                 "536380,22961,JAM MAKING SET PRINTED,24,12/14/2025 10:00,1.45,,France",
                 "536380,22961,JAM MAKING SET PRINTED,24,12/14/2025 10:00,1.45,,France"])


def dates_ambiguous_comma() -> bytes:
    return text(["date,channel,cost", "01/02/2026,ads,1", "03/04/2026,ads,2"])


def dates_ambiguous_semicolon() -> bytes:
    return text(["date;channel;cost", "01/02/2026;ads;1", "03/04/2026;ads;2"])


def epochs() -> bytes:
    return text(["user_id,event,timestamp,sent_at_ms",
                 "u1,open,1767225600,1767225600123",
                 "u2,open,1767229200,1767229200000"])


def tiktok_business() -> bytes:
    return text(["Date,Video views,Reached audience,Profile views,Likes,Shares,Comments,Website clicks,Net growth,"
                 "New followers,Lost followers",
                 "2026/05/10,1000,800,20,50,5,3,2,4,6,2",
                 "2026/05/11,1100,850,22,55,6,4,3,-1,2,3"])


YEARLESS = {
    # language: three consecutive days across the new year, as TikTok Studio writes them
    "en": ["December 31", "January 1", "January 2"],
    "ru": ["31 декабря", "1 января", "2 января"],
    "zh": ["12月31日", "1月1日", "1月2日"],
    "vi": ["31 tháng Mười Hai", "1 tháng Một", "2 tháng Một"],
    "es": ["31 de diciembre", "1 de enero", "2 de enero"],
    "pt": ["31 de dezembro", "1 de janeiro", "2 de janeiro"],
    "de": ["31. Dezember", "1. Januar", "2. Januar"],
    "fr": ["31 décembre", "1 janvier", "2 janvier"],
    "id": ["31 Desember", "1 Januari", "2 Januari"],
}


def yearless(lang: str) -> Callable[[], bytes]:
    def build() -> bytes:
        days = YEARLESS[lang]
        return text(["Date,Video Views,Profile Views,Likes,Comments,Shares"] +
                    [f'"{d}",{100 + i},5,10,1,2' for i, d in enumerate(days)])
    return build


def content_csv() -> bytes:
    return text(["Time,Video title,Video link,Post time,Total likes,Total comments,Total shares,Total views",
                 '2026-11-21,"Packing 10 orders in 60 seconds 📦 #smallbusiness",'
                 "https://www.tiktok.com/@demo/video/1,November 20,310,12,9,5400",
                 '2026-11-21,"Unboxing, finally! #unboxing",https://www.tiktok.com/@demo/video/2,August 9,80,3,1,1200',
                 '2026-11-21,"Sale starts now #sale",https://www.tiktok.com/@demo/video/3,October 31,40,2,0,900'])


# --- 6. validation and rejected rows -----------------------------------------------------------
def validation_problems() -> bytes:
    return text(["Date,Video Views,Profile Views,Likes,Comments,Shares,Followers",
                 "2026-11-01,100,5,10,1,2,1000",
                 "2026-11-02,-5,5,10,-3,2,1001",
                 "2026-11-02,-5,5,10,-3,2,1001",
                 "1999-12-31,90,4,8,0,1,990",
                 "2027-01-15,95,4,8,0,1,-1"])


def broken_rows() -> bytes:
    return text(["user_id,event,timestamp",
                 "u1,open,2026-10-01 10:00:00",
                 "u2,open,not a time",
                 "u3,open,2026-10-02 10:00:00,EXTRA",
                 "u4,open",
                 "u5,open,2026-10-03 10:00:00",
                 "u6,open,32/13/2026"])


def header_only() -> bytes:
    return text(["user_id,event,timestamp"])


def binary_blob() -> bytes:
    return bytes(range(256)) * 64


FILES: dict[str, Callable[[], bytes]] = {
    "events.csv": events_csv,
    "events.tsv": events_tsv,
    "spend_pipe.txt": spend_pipe,
    "orders_ru_cp1251.csv": orders_ru_cp1251,
    "events_zh_gb18030.csv": events_zh_gb18030,
    "book.xlsx": book_xlsx,
    "tiktok_overview.zip": tiktok_zip,
    "nested.zip": nested_zip,
    "bomb.zip": bomb_zip,
    "overview_bom_yearless.csv": overview_bom_yearless,
    "instagram_views_utf16.csv": instagram_views_utf16,
    "excel_unicode_text_utf16be.txt": excel_unicode_text_utf16be,
    "latin_cp1252.csv": latin_cp1252,
    "number_formats.csv": number_formats,
    "youtube_table_data.csv": youtube_table_data,
    "dates_iso_tz.csv": dates_iso_tz,
    "dates_day_first.csv": dates_day_first,
    "online_retail.csv": dates_month_first,
    "dates_ambiguous_comma.csv": dates_ambiguous_comma,
    "dates_ambiguous_semicolon.csv": dates_ambiguous_semicolon,
    "epochs.csv": epochs,
    "tiktok_business.csv": tiktok_business,
    "content.csv": content_csv,
    "validation_problems.csv": validation_problems,
    "broken_rows.csv": broken_rows,
    "header_only.csv": header_only,
    "binary.bin": binary_blob,
    **{f"yearless_{lang}.csv": yearless(lang) for lang in YEARLESS},
}


def build_all() -> dict[str, bytes]:
    return {name: make() for name, make in FILES.items()}


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in build_all().items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(FILES)} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
