"""Hostile and broken uploads for the reliability tests (issue 11), written to tests/badcorpus/files/.

Every case is one file a user could pick by mistake or an attacker could craft: empty, binary,
damaged or exploding archives, absurd shapes, hostile names. The content is fixed (no randomness,
no clock), so

    python tests/badcorpus/make_bad_corpus.py

rewrites byte-identical files. Big cases (``BIG``: ZIP bombs, 10,000 columns, a 5 MB line) are not
committed: ``build_big(tmp_path)`` writes them at test time. The expected outcome of every case is
in tests/reliability/test_badcorpus.py; docs/reliability.md lists them with the counts.
"""
from __future__ import annotations

import io
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

OUT = Path(__file__).resolve().parent / "files"
ZIP_TIME = (2026, 11, 21, 0, 0, 0)
MB = 1024 * 1024

SQL = 'x"; DROP TABLE t;--'
HTML = "<script>alert(1)</script>"
MD = "[a](javascript:alert(1))"


@dataclass(frozen=True)
class Case:
    file: str                   # name on disk (tests/badcorpus/files/ or tmp_path)
    make: Callable[[], bytes]
    what: str                   # one line for docs/reliability.md
    upload_as: str | None = None  # the name the browser sends, when it differs (hostile names)

    @property
    def upload_name(self) -> str:
        return self.upload_as or self.file


def lines(rows: list[str], encoding: str = "utf-8", newline: str = "\n") -> bytes:
    return (newline.join(rows) + newline).encode(encoding)


def zip_of(members: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED, level: int | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method, compresslevel=level) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, ZIP_TIME)
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _patch_zip_headers(data: bytes, *, flag_or: int = 0, file_size: int | None = None) -> bytes:
    """Rewrite every local and central header: set flag bits and/or lie about the uncompressed size."""
    out = bytearray(data)
    pos = 0
    while (pos := out.find(b"PK\x03\x04", pos)) >= 0:  # local file header
        flags = struct.unpack_from("<H", out, pos + 6)[0] | flag_or
        struct.pack_into("<H", out, pos + 6, flags)
        if file_size is not None:
            struct.pack_into("<I", out, pos + 22, file_size)
        pos += 4
    pos = 0
    while (pos := out.find(b"PK\x01\x02", pos)) >= 0:  # central directory entry
        flags = struct.unpack_from("<H", out, pos + 8)[0] | flag_or
        struct.pack_into("<H", out, pos + 8, flags)
        if file_size is not None:
            struct.pack_into("<I", out, pos + 24, file_size)
        pos += 4
    return bytes(out)


def workbook(build: Callable[[object], None]) -> bytes:
    """An XLSX made by openpyxl with fixed timestamps (``build(wb)`` fills it)."""
    import openpyxl

    wb = openpyxl.Workbook()
    build(wb)
    fixed = datetime(2026, 11, 21)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    members = {i.filename: src.read(i.filename) for i in src.infolist()}
    import re
    members["docProps/core.xml"] = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                                          rb"\g<1>2026-11-21T00:00:00Z", members["docProps/core.xml"])
    return zip_of(members)


# --- nothing to read -----------------------------------------------------------------------------
def empty() -> bytes:
    return b""


def whitespace_only() -> bytes:
    return b"\n\n   \r\n\t\n"


def bom_only() -> bytes:
    return b"\xef\xbb\xbf"


def header_only() -> bytes:
    return lines(["date,views,likes,comments,shares"])


def only_delimiters() -> bytes:
    return lines([",,,", ",,,", ";;;"])


# --- not a table ---------------------------------------------------------------------------------
def png() -> bytes:
    """A real 2x2 PNG."""
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 2 for _ in range(2))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def gzip_csv() -> bytes:
    import gzip
    return gzip.compress(lines(["date,views", "2026-01-01,10"]), mtime=0)


def sqlite_db() -> bytes:
    return b"SQLite format 3\x00" + bytes(range(256)) * 8


def elf() -> bytes:
    return b"\x7fELF\x02\x01\x01" + b"\x00" * 9 + bytes(range(256)) * 4


def json_array() -> bytes:
    return (b'[{"date": "2026-01-01", "views": 10, "likes": 1},\n'
            b' {"date": "2026-01-02", "views": 12, "likes": 2}]\n')


def json_object() -> bytes:
    return b'{"data": {"rows": [{"date": "2026-01-01", "views": 10}], "meta": {"source": "api"}}}\n'


def html_page() -> bytes:
    return lines(["<!DOCTYPE html>", "<html><head><title>Export</title></head><body>",
                  "<table><tr><th>date</th><th>views</th></tr><tr><td>2026-01-01</td><td>10</td></tr></table>",
                  "<script>alert(1)</script></body></html>"])


def control_bytes() -> bytes:
    return bytes(i % 32 for i in range(4000))


# --- archives ------------------------------------------------------------------------------------
def _good_csv() -> bytes:
    return lines(["date,views,likes,comments,shares"] + [f"2026-01-{d:02d},{100 + d},{d},{d % 3},{d % 2}"
                                                         for d in range(1, 29)])


def truncated_zip() -> bytes:
    whole = zip_of({"overview.csv": _good_csv() * 20})
    return whole[: len(whole) // 2]


def zip_header_only() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 26


def encrypted_zip() -> bytes:
    return _patch_zip_headers(zip_of({"overview.csv": _good_csv()}), flag_or=0x1)


def zip_no_tables() -> bytes:
    return zip_of({"readme.pdf": pdf(), "logo.png": png(), "notes.docx": b"PK not really"})


def zip_path_traversal() -> bytes:
    return zip_of({"../../../../tmp/kpiwb_evil.csv": _good_csv(), "/etc/kpiwb_abs.csv": _good_csv()})


def zip_deep_nesting() -> bytes:
    inner = zip_of({"overview.csv": _good_csv()})
    for level in range(3):
        inner = zip_of({f"level{level}.zip": inner})
    return inner


def zip_all_members_bad() -> bytes:
    return zip_of({"empty.csv": b"", "image.csv": png()})


# --- workbooks -----------------------------------------------------------------------------------
def xlsx_formulas_merged() -> bytes:
    """Two header rows with merged cells (a group over two columns, names spanning both rows) and
    formula cells that openpyxl saves without cached values, plus an error formula."""
    def build(wb) -> None:
        ws = wb.active
        ws.title = "Report"
        ws.append(["Date", "Views", "Engagement", None, "ER"])
        ws.append([None, None, "Likes", "Comments", None])
        ws.merge_cells("A1:A2")
        ws.merge_cells("B1:B2")
        ws.merge_cells("C1:D1")
        ws.merge_cells("E1:E2")
        for d in range(1, 11):
            r = d + 2
            ws.append([datetime(2026, 1, d), 1000 + 10 * d, 50 + d, 5 + d % 3, f"=(C{r}+D{r})/B{r}"])
        ws.append(["Total", "=SUM(B3:B12)", "=SUM(C3:C12)", "=1/0", "=NA()"])
        ws.merge_cells("A14:E14")
        ws["A14"] = "Exported by a tool with a merged footer"
    return workbook(build)


def xlsx_truncated() -> bytes:
    whole = xlsx_formulas_merged()
    return whole[: len(whole) * 2 // 3]


def xlsx_as_csv() -> bytes:
    return xlsx_formulas_merged()


def xls_fake() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + b"not a compound document"


def xlsx_hostile() -> bytes:
    def build(wb) -> None:
        ws = wb.active
        ws.title = HTML[:31].replace("/", "_")
        ws.append(["date", SQL, HTML, MD])
        for d in range(1, 6):
            ws.append([datetime(2026, 2, d), f"=HYPERLINK(\"http://evil.example/?{d}\",\"click\")", HTML, MD])
    return workbook(build)


# --- shapes --------------------------------------------------------------------------------------
def duplicate_and_empty_names() -> bytes:
    return lines(["date,views,views,,Views, ,VIEWS,likes,likes",
                  "2026-01-01,1,2,3,4,5,6,7,8",
                  "2026-01-02,2,3,4,5,6,7,8,9"])


def hostile_names() -> bytes:
    header = ["date", SQL, HTML, MD, "**bold** _it_ `code`", "{file}", "%s%s%n", "rowid", "__row", "ds_1",
              "v_ds_1", "a\u202eb", "\u200b", "'; SELECT * FROM duckdb_settings();--"]
    quoted = ",".join('"' + h.replace('"', '""') + '"' for h in header)
    vals = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1)", SQL, HTML, MD, "\u202eabc",
            "{0}", "%s", "7", "8", "9"]
    body = []
    for d in range(1, 8):
        body.append(f"2026-03-{d:02d}," + ",".join('"' + v.replace('"', '""') + '"' for v in vals))
    return lines([quoted] + body)


def long_header_name() -> bytes:
    return lines(["date," + "n" * 20_000, "2026-01-01,1", "2026-01-02,2"])


def ragged_and_unclosed_quote() -> bytes:
    return lines(["date,views,likes", "2026-01-01,1,2", '2026-01-02,"3,4', "2026-01-03,5,6,7,8,9",
                  "2026-01-04", "2026-01-05,7,8"])


def wide_data_row() -> bytes:
    return lines(["date,views", "2026-01-01,1", "2026-01-02," + ",".join(["9"] * 50_000), "2026-01-03,3"])


def single_cell() -> bytes:
    return b"x"


# --- encodings and bytes -------------------------------------------------------------------------
def mixed_encodings() -> bytes:
    head = "Дата,Канал,Сумма\n".encode("utf-8")
    rows = ["01.02.2026,Органика,100", "02.02.2026,Реклама,200"]
    utf8 = "".join(r + "\n" for r in rows).encode("utf-8")
    cp1251 = "03.02.2026,Рассылка,300\n04.02.2026,Партнёры,400\n".encode("cp1251")
    gb = "05.02.2026,微信,500\n".encode("gb18030")
    latin = "06.02.2026,Café,600\n".encode("cp1252")
    return head + utf8 + cp1251 + gb + latin


def mixed_encodings_late() -> bytes:
    """Russian UTF-8 for 300 KB (past the sniffed head), then Windows-1251 rows."""
    head = "date,channel,amount\n"
    body = "".join(f"2026-01-{1 + i % 28:02d},Органика,{i}\n" for i in range(10_000))
    tail = "2026-02-01,Реклама,1\n2026-02-02,Рассылка,2\n".encode("cp1251")
    return (head + body).encode("utf-8") + tail


def utf16_no_bom() -> bytes:
    return lines(["date,views", "2026-01-01,10", "2026-01-02,12"], encoding="utf-16-le")


def nul_bytes() -> bytes:
    return (b"da\x00te,vie\x00ws,likes\n2026-01-01,1\x00\x000,2\n2026-01-02,\x0011,3\n"
            b"2026-01-03,12,\x00\n")


def nul_heavy() -> bytes:
    return b"date,views\n" + b"\x00" * 3000 + b"\n2026-01-01,1\n"


# --- values --------------------------------------------------------------------------------------
def dates_1900_2100() -> bytes:
    return lines(["date,views,likes",
                  "1900-01-01,1,1", "1899-12-30,2,1", "1970-01-01,3,1", "2026-01-01,4,1",
                  "2100-12-31,5,1", "9999-12-31,6,1", "0001-01-01,7,1"])


def impossible_dates() -> bytes:
    return lines(["date,views,likes", "2026-01-01,1,1", "2026-02-30,2,1", "2025-13-01,3,1", "2026-01-00,4,1",
                  "31.02.2026,5,1", "2026-01-02,6,1"])


def dates_1900_2100_dmy() -> bytes:
    return lines(["Дата;Просмотры", "01.01.1900;1", "31.12.2100;2", "15.06.2026;3", "29.02.2100;4"])


def overflow_numbers() -> bytes:
    return lines(["date,views,likes,amount",
                  "2026-01-01,1e309,1,1.5", "2026-01-02,-1e309,2,1e308", "2026-01-03,99999999999999999999999,3,NaN",
                  "2026-01-04,inf,4,-inf", "2026-01-05,1e-400,5,0x1F", "2026-01-06,10,6,1_000"])


def epoch_extremes() -> bytes:
    return lines(["timestamp,user_id,event", "0,u1,open", "-62135596800,u2,open", "253402300799,u3,open",
                  "99999999999999,u4,open", "1767225600,u5,open"])


# --- big cases: written at test time --------------------------------------------------------------
def bomb_ratio() -> bytes:
    """100 MB of zeros squeezed into ~100 KB: refused by the ratio check before anything is unpacked."""
    return zip_of({"overview.csv": b"date,views\n" + b"0" * (100 * MB)}, level=9)


def bomb_lying_size() -> bytes:
    """The headers claim 1 KB; the data unpacks to 20 MB (refused while streaming / by the CRC)."""
    return _patch_zip_headers(zip_of({"overview.csv": b"date,views\n" + b"1" * (20 * MB)}, level=9), file_size=1024)


def bomb_claims_huge() -> bytes:
    """A central directory that claims 4 GB: refused before anything is unpacked."""
    return _patch_zip_headers(zip_of({"overview.csv": _good_csv()}), file_size=0xFFFFFFF0)


def bomb_nested() -> bytes:
    """42.zip in miniature: ten copies of a ratio bomb inside one archive."""
    inner = bomb_ratio()
    return zip_of({f"part{i}.zip": inner for i in range(10)}, method=zipfile.ZIP_STORED)


def bomb_xlsx() -> bytes:
    """An XLSX whose sheet XML unpacks to 200 MB of whitespace."""
    members = {"[Content_Types].xml": b'<?xml version="1.0"?><Types/>',
               "xl/workbook.xml": b'<?xml version="1.0"?><workbook/>',
               "xl/worksheets/sheet1.xml": b"<worksheet>" + b" " * (200 * MB) + b"</worksheet>"}
    return zip_of(members, level=9)


def wide_10000() -> bytes:
    header = ",".join(f"col{i}" for i in range(10_000))
    row = ",".join(str(i) for i in range(10_000))
    return lines([header, row, row])


def wide_10000_xlsx() -> bytes:
    def build(wb) -> None:
        ws = wb.active
        ws.append([f"col{i}" for i in range(10_000)])
        ws.append(list(range(10_000)))
    return workbook(build)


def line_5mb() -> bytes:
    return b"a" * (5 * MB)


def line_5mb_cells() -> bytes:
    """One 5 MB line of 500,000 short cells, no newline at all."""
    return b",".join(b"1234567890"[: 9] for _ in range(5 * MB // 10))


def cell_5mb() -> bytes:
    return lines(["date,views,title", "2026-01-01,1,short", "2026-01-02,2," + "x" * (5 * MB), "2026-01-03,3,ok"])


SMALL: tuple[Case, ...] = (
    Case("empty.csv", empty, "0 bytes"),
    Case("whitespace_only.csv", whitespace_only, "blank lines and spaces only"),
    Case("bom_only.csv", bom_only, "a UTF-8 byte-order mark and nothing else"),
    Case("header_only.csv", header_only, "a header row, no data"),
    Case("only_delimiters.csv", only_delimiters, "rows of separators, no values"),
    Case("single_cell.csv", single_cell, "one character, no newline"),
    Case("png_renamed.csv", png, "a PNG image renamed .csv"),
    Case("pdf_renamed.csv", pdf, "a PDF renamed .csv"),
    Case("gzip_renamed.csv", gzip_csv, "a gzip-compressed CSV renamed .csv"),
    Case("sqlite_renamed.csv", sqlite_db, "an SQLite database renamed .csv"),
    Case("elf_renamed.csv", elf, "a Linux executable renamed .csv"),
    Case("control_bytes.csv", control_bytes, "4,000 control characters"),
    Case("json_array.csv", json_array, "a JSON array of objects named .csv"),
    Case("json_object.csv", json_object, "a nested JSON object named .csv"),
    Case("html_page.csv", html_page, "an HTML page (with a script tag) named .csv"),
    Case("truncated.zip", truncated_zip, "a ZIP cut in half"),
    Case("zip_header_only.zip", zip_header_only, "a ZIP local header and nothing else"),
    Case("encrypted.zip", encrypted_zip, "a ZIP whose entries are flagged as encrypted"),
    Case("zip_no_tables.zip", zip_no_tables, "a ZIP of a PDF, a PNG and a DOCX"),
    Case("zip_path_traversal.zip", zip_path_traversal, "members named ../../../../tmp/x.csv and /etc/x.csv"),
    Case("zip_deep_nesting.zip", zip_deep_nesting, "a ZIP in a ZIP in a ZIP in a ZIP"),
    Case("zip_all_members_bad.zip", zip_all_members_bad, "a ZIP whose two .csv members are empty / a PNG"),
    Case("xlsx_formulas_merged.xlsx", xlsx_formulas_merged,
         "two merged header rows, formulas without cached values, =1/0, =NA(), a merged footer"),
    Case("xlsx_truncated.xlsx", xlsx_truncated, "an XLSX cut at two thirds"),
    Case("xlsx_as_csv.csv", xlsx_as_csv, "an XLSX renamed .csv"),
    Case("xls_fake.xls", xls_fake, "an OLE header with no compound document behind it", upload_as="xls_fake.xlsx"),
    Case("xlsx_hostile.xlsx", xlsx_hostile, "sheet and column names with script/SQL/Markdown, =HYPERLINK cells"),
    Case("duplicate_and_empty_names.csv", duplicate_and_empty_names,
         "columns named views, views, '', Views, ' ', VIEWS, likes, likes"),
    Case("hostile_names.csv", hostile_names,
         "column names and values with SQL, HTML, Markdown, format strings, rowid/__row/ds_1, RTL override"),
    Case("hostile_filename_sql.csv", _good_csv, "a good file uploaded as " + SQL + ".csv", upload_as=SQL + ".csv"),
    Case("hostile_filename_html.csv", _good_csv, "a good file uploaded as " + HTML + ".csv",
         upload_as=HTML + ".csv"),
    Case("hostile_filename_md.csv", _good_csv, "a good file uploaded as " + MD + ".csv", upload_as=MD + ".csv"),
    Case("long_header_name.csv", long_header_name, "a 20,000-character column name"),
    Case("ragged_and_unclosed_quote.csv", ragged_and_unclosed_quote, "short rows, long rows, an unclosed quote"),
    Case("mixed_encodings.csv", mixed_encodings, "UTF-8, Windows-1251, GB18030 and Windows-1252 rows in one file"),
    Case("utf16_no_bom.csv", utf16_no_bom, "UTF-16 LE without a byte-order mark"),
    Case("nul_bytes.csv", nul_bytes, "NUL bytes inside the header and the cells"),
    Case("nul_heavy.csv", nul_heavy, "a line of 3,000 NUL bytes"),
    Case("dates_1900_2100.csv", dates_1900_2100, "ISO dates 0001-01-01, 1899-12-30, 1900, 2100, 9999-12-31"),
    Case("impossible_dates.csv", impossible_dates, "30 February, month 13, day 0"),
    Case("dates_1900_2100_dmy.csv", dates_1900_2100_dmy, "day-first dates in 1900 and 2100, 29.02.2100"),
    Case("overflow_numbers.csv", overflow_numbers, "1e309, -1e309, 10^23, inf, NaN, 1e-400, 0x1F"),
    Case("epoch_extremes.csv", epoch_extremes, "Unix times 0, year 1 and year 9999, 10^14"),
)

BIG: tuple[Case, ...] = (
    Case("wide_data_row.csv", wide_data_row, "a 2-column header and a row of 50,001 cells"),
    Case("mixed_encodings_late.csv", mixed_encodings_late, "300 KB of Russian UTF-8, then Windows-1251 rows"),
    Case("bomb_ratio.zip", bomb_ratio, "ZIP bomb: 100 MB of zeros in ~100 KB"),
    Case("bomb_lying_size.zip", bomb_lying_size, "ZIP bomb whose headers claim 1 KB for 20 MB"),
    Case("bomb_claims_huge.zip", bomb_claims_huge, "ZIP whose directory claims a 4 GB member"),
    Case("bomb_nested.zip", bomb_nested, "ten ZIP bombs inside a ZIP"),
    Case("bomb_xlsx.xlsx", bomb_xlsx, "XLSX whose sheet unpacks to 200 MB"),
    Case("wide_10000.csv", wide_10000, "10,000 columns"),
    Case("wide_10000.xlsx", wide_10000_xlsx, "10,000 columns in a worksheet"),
    Case("line_5mb.csv", line_5mb, "one 5 MB line of one character"),
    Case("line_5mb_cells.csv", line_5mb_cells, "one 5 MB line of 500,000 cells"),
    Case("cell_5mb.csv", cell_5mb, "a 5 MB cell in the middle of a good file"),
)

ALL: tuple[Case, ...] = SMALL + BIG
BY_FILE = {c.file: c for c in ALL}


def build_small() -> dict[str, bytes]:
    return {c.file: c.make() for c in SMALL}


def build_big(folder: Path) -> dict[str, Path]:
    """Write the big cases into ``folder`` (a test's tmp_path); return {file: path}."""
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for c in BIG:
        p = folder / c.file
        if not p.exists():
            p.write_bytes(c.make())
        out[c.file] = p
    return out


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, data in build_small().items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(SMALL)} files to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
