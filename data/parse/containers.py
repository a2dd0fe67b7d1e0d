"""What kind of file an upload is, ZIP archives (bounded), and worksheets read into typed columns."""
from __future__ import annotations

import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from data.issues import LoadError
from data.parse import limits
from data.parse.dialect import header_position, looks_like_data
from data.parse.values import is_missing

TEXT_EXT = {".csv", ".tsv", ".txt", ".tab", ".psv", ".dat"}
BOOK_EXT = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
ZIP_EXT = {".zip"}
_BINARY_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"\x1f\x8b", b"BZh", b"7z\xbc\xaf",
                 b"Rar!", b"\x7fELF", b"MZ", b"\x28\xb5\x2f\xfd", b"SQLite format")
_JUNK = ("__MACOSX/", ".DS_Store", "Thumbs.db", "desktop.ini")


def sniff_kind(path: Path) -> str:
    """'zip', 'xlsx' (any workbook calamine reads: xlsx, xlsm, xlsb, ods), 'xls', 'parquet', 'bad_zip', 'binary' or
    'text'."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            return "bad_zip"  # a ZIP (or XLSX) cut short or damaged
        if "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            return "xlsx"
        if "mimetype" in names and "content.xml" in names:
            return "xlsx"  # OpenDocument spreadsheet: calamine reads it too
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if head.startswith(b"PAR1"):
        return "parquet"
    if any(head.startswith(m) for m in _BINARY_MAGIC):
        return "binary"
    return "text"


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        raw = name.encode("cp437", errors="replace")
        for enc in ("utf-8", "gb18030", "cp866"):
            try:
                return raw.decode(enc)
            except UnicodeDecodeError:
                continue
    return name


@dataclass
class ZipBudget:
    """Bytes every archive of one upload may still decompress to."""
    left: int = limits.MAX_ZIP_TOTAL_BYTES


def check_zip(path: Path, file: str) -> list[zipfile.ZipInfo]:
    """The archive's file entries, after the size and ratio checks (zip bombs are refused)."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise LoadError("bad_archive", file=file) from None
    if len(infos) > limits.MAX_ZIP_MEMBERS:
        raise LoadError("archive_too_many_files", file=file, count=len(infos), limit=limits.MAX_ZIP_MEMBERS)
    total = sum(i.file_size for i in infos)
    if total > limits.MAX_ZIP_TOTAL_BYTES:
        raise LoadError("archive_too_large", file=file, limit_mb=limits.MAX_ZIP_TOTAL_BYTES // limits.MB)
    for i in infos:
        if i.file_size > limits.MB and i.file_size > limits.MAX_ZIP_RATIO * max(i.compress_size, 1):
            raise LoadError("archive_bomb", file=file)
    return infos


def extract_members(path: Path, file: str, tmpdir: Path, budget: ZipBudget
                    ) -> tuple[list[tuple[str, Path]], list[str]]:
    """Extract the table files of an archive: [(member name, path)], [names skipped as not tables]."""
    infos = check_zip(path, file)
    tables: list[tuple[str, Path]] = []
    skipped: list[str] = []
    with zipfile.ZipFile(path) as zf:
        for n, info in enumerate(infos):
            name = _member_name(info)
            base = PurePosixPath(name).name
            if any(j in name for j in _JUNK) or base.startswith((".", "~$")) or not base:
                continue
            ext = PurePosixPath(base).suffix.lower()
            if ext not in TEXT_EXT | BOOK_EXT | ZIP_EXT:
                skipped.append(name)
                continue
            if info.flag_bits & 0x1:
                raise LoadError("archive_encrypted", file=file)
            if info.file_size > budget.left:
                raise LoadError("archive_too_large", file=file, limit_mb=limits.MAX_ZIP_TOTAL_BYTES // limits.MB)
            dest = tmpdir / f"m{n}{ext}"
            written = 0
            try:
                with zf.open(info) as src, open(dest, "wb") as out:
                    while True:
                        chunk = src.read(1 << 20)
                        if not chunk:
                            break
                        written += len(chunk)
                        if written > info.file_size or written > budget.left:
                            raise LoadError("archive_bomb", file=file)
                        out.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
                raise LoadError("bad_archive", file=file) from None
            budget.left -= written
            tables.append((name, dest))
    return tables, skipped


# --- workbooks ----------------------------------------------------------------------------------
@dataclass
class SheetData:
    name: str
    names: list[str]
    columns: list[list[Any]]          # typed Python values, None for missing
    types: list[str]                  # DuckDB type per column
    row_numbers: list[int]            # Excel row number of each data row
    title: str | None = None
    missing_tokens: dict[int, int] = field(default_factory=dict)


def check_workbook_zip(path: Path, file: str) -> None:
    """An .xlsx is a ZIP: apply the same bomb checks before handing it to the reader."""
    try:
        if zipfile.is_zipfile(path):
            check_zip(path, file)
    except LoadError as exc:
        if exc.issue.code in ("archive_bomb", "archive_too_large"):
            raise
        raise LoadError("unreadable_workbook", file=file) from None


def _cell_text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 2 ** 53 else repr(v)
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    if isinstance(v, (date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return _cell_text(v.total_seconds())
    return str(v)


def _column_type(values: list[Any]) -> str:
    filled = [v for v in values if v is not None]
    if not filled:
        return "VARCHAR"
    if all(isinstance(v, bool) for v in filled):
        return "BOOLEAN"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in filled):
        if all(float(v).is_integer() and abs(v) < 2 ** 53 for v in filled):
            return "BIGINT"
        return "DOUBLE"
    if all(isinstance(v, (datetime, date)) for v in filled):
        if all(not isinstance(v, datetime) or v == datetime.combine(v.date(), time()) for v in filled) and \
                any(not isinstance(v, datetime) for v in filled):
            return "DATE"
        return "TIMESTAMP"
    return "VARCHAR"


def _convert(values: list[Any], typ: str) -> list[Any]:
    if typ == "BIGINT":
        return [None if v is None else int(v) for v in values]
    if typ == "DOUBLE":
        return [None if v is None else float(v) for v in values]
    if typ == "DATE":
        return [None if v is None else (v.date() if isinstance(v, datetime) else v) for v in values]
    if typ == "TIMESTAMP":
        return [None if v is None else (v if isinstance(v, datetime) else datetime.combine(v, time()))
                for v in values]
    if typ == "BOOLEAN":
        return values
    return [None if v is None else _cell_text(v) for v in values]


def read_workbook(path: Path, file: str) -> list[SheetData]:
    """Every non-empty sheet of a workbook, with a header row found as in CSV files."""
    from python_calamine import CalamineWorkbook  # imported here: only workbook uploads need it

    check_workbook_zip(path, file)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        names = list(wb.sheet_names)
    except Exception:  # calamine raises its own error types for broken or protected files
        raise LoadError("unreadable_workbook", file=file) from None
    sheets: list[SheetData] = []
    for sheet_name in names:
        try:
            sheet = wb.get_sheet_by_name(sheet_name)
            end = sheet.end
            if end is None:
                continue
            if (end[0] + 1) * (end[1] + 1) > limits.MAX_SHEET_CELLS:
                raise LoadError("sheet_too_large", file=file, sheet=sheet_name, limit=limits.MAX_SHEET_CELLS)
            rows = sheet.to_python(skip_empty_area=False)
        except LoadError:
            raise
        except Exception:
            raise LoadError("unreadable_workbook", file=file) from None
        data = _sheet_columns(sheet_name, rows, file)
        if data is not None:
            sheets.append(data)
    return sheets


def _sheet_columns(sheet_name: str, rows: list[list[Any]], file: str) -> SheetData | None:
    cleaned: list[tuple[int, list[Any]]] = []
    for i, row in enumerate(rows, start=1):
        vals = [None if (isinstance(v, str) and not v.strip()) else v for v in row]
        if any(v is not None for v in vals):
            cleaned.append((i, vals))
    if not cleaned:
        return None
    texts = [[_cell_text(v) for v in r] for _, r in cleaned[:2000]]
    # leading empty columns (the used range starts further right) are not columns
    first_col = min(next((j for j, v in enumerate(r) if v is not None), 10 ** 9) for _, r in cleaned)
    texts = [t[first_col:] for t in texts]
    h, k = header_position(texts)
    header_row = texts[h]
    width = max(max((len(r) for _, r in cleaned), default=0) - first_col, k)
    if width > limits.MAX_COLUMNS:
        raise LoadError("too_many_columns", file=file, count=width, limit=limits.MAX_COLUMNS)
    title = None
    if h > 0:
        cells = [c.strip() for c in texts[h - 1] if c.strip()]
        title = cells[0] if len(cells) == 1 else None
    has_header = not looks_like_data(header_row)
    body = cleaned[h + 1:] if has_header else cleaned[h:]
    names = [header_row[j].strip() if has_header and j < len(header_row) else "" for j in range(width)]
    columns: list[list[Any]] = [[] for _ in range(width)]
    missing_tokens = {j: 0 for j in range(width)}
    for _, r in body:
        r = r[first_col:]
        for j in range(width):
            v = r[j] if j < len(r) else None
            if isinstance(v, str):
                if len(v) > limits.MAX_CELL_CHARS:
                    v = v[: limits.MAX_CELL_CHARS]
                if is_missing(v):
                    missing_tokens[j] += 1 if v.strip() else 0
                    v = None
            elif isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                v = None
            elif isinstance(v, timedelta):
                v = v.total_seconds()
            elif isinstance(v, time):
                v = v.isoformat()
            columns[j].append(v)
    keep = [j for j in range(width) if names[j] or any(v is not None for v in columns[j])]
    types = [_column_type(columns[j]) for j in keep]
    return SheetData(
        name=sheet_name,
        names=[names[j] for j in keep],
        columns=[_convert(columns[j], t) for j, t in zip(keep, types)],
        types=types,
        row_numbers=[i for i, _ in body],
        title=title,
        missing_tokens={keep.index(j): n for j, n in missing_tokens.items() if n and j in keep},
    )
