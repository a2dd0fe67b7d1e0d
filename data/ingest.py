"""Reading an uploaded file into typed DuckDB tables.

``ingest`` turns one file (bytes or a path) into one or more tables in a session's connection.
It raises ``LoadError`` (a translatable Issue) for a file that cannot be read at all.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import duckdb

from data.db import quote_ident, scalar
from data.issues import Issue, LoadError


@dataclass
class IngestedTable:
    table: str                      # typed table in the connection
    label: str                      # what the user sees: file name, or "archive.zip › Overview.csv"
    rows: int
    rows_rejected: int = 0
    rejected_table: str | None = None
    warnings: list[Issue] = field(default_factory=list)
    missing_by_column: dict[str, int] = field(default_factory=dict)


def _to_path(source: bytes | str | Path, filename: str, tmpdir: str) -> Path:
    if isinstance(source, (str, Path)):
        return Path(source)
    suffix = Path(filename).suffix or ".csv"
    fd, name = tempfile.mkstemp(suffix=suffix, dir=tmpdir)
    with os.fdopen(fd, "wb") as fh:
        fh.write(source)
    return Path(name)


def ingest(con: duckdb.DuckDBPyConnection, filename: str, source: bytes | str | Path,
           new_name: Callable[[], str], *, today: date | None = None) -> list[IngestedTable]:
    tmpdir = tempfile.mkdtemp(prefix="kpiwb-upload-")
    path = _to_path(source, filename, tmpdir)
    size = path.stat().st_size
    if size == 0:
        raise LoadError("empty_file", file=filename)
    with open(path, "rb") as fh:
        head = fh.read(65536)
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:
            raise LoadError("not_text", file=filename) from None
    table = new_name()
    try:
        con.execute(
            f"CREATE TABLE {quote_ident(table)} AS SELECT * FROM read_csv(?, header = true, "
            "sample_size = 20480, ignore_errors = false)",
            [str(path)],
        )
    except duckdb.Error as exc:
        raise LoadError("unreadable_csv", file=filename, detail=str(exc).splitlines()[0][:200]) from None
    rows = int(scalar(con, f"SELECT count(*) FROM {quote_ident(table)}"))
    if rows == 0:
        con.execute(f"DROP TABLE {quote_ident(table)}")
        raise LoadError("no_rows", file=filename)
    return [IngestedTable(table=table, label=filename, rows=rows)]
