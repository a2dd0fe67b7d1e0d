"""Bounds on what one upload may make the reader do."""
from __future__ import annotations

MB = 1024 * 1024
MAX_UPLOAD_BYTES = 1024 * MB          # one uploaded file
MAX_ZIP_TOTAL_BYTES = 2048 * MB       # all members of an archive, decompressed
MAX_ZIP_RATIO = 200                   # decompressed / compressed, for members over 1 MB
MAX_ZIP_MEMBERS = 200                 # entries in one archive (tables offered: fewer)
MAX_ZIP_DEPTH = 2                     # an archive inside an archive is read, one more level is not
MAX_COLUMNS = 2000
MAX_CELL_CHARS = 32767                # Excel's own limit for one cell
MAX_LINE_BYTES = 8 * MB               # one CSV record
MAX_SHEET_CELLS = 20_000_000          # one worksheet (XLSX is read into memory)
HEAD_BYTES = 256 * 1024               # what encoding and dialect sniffing look at
SAMPLE_ROWS = 20_000                  # rows whose distinct values decide a column's format
SAMPLE_DISTINCT = 2_000               # distinct values looked at per column
MAX_MAPPED_DISTINCT = 200_000         # distinct textual dates parsed in Python (mapped by a join)
MAX_ROWS = 20_000_000                 # rows of one table (the 1 GB upload cap allows about this many)
MIN_DATE = "1900-01-01"               # dates outside these bounds are not read (0001-01-01, 9999-12-31 and
MAX_DATE = "2100-12-31"               # epoch garbage would make every per-day series span millennia)
