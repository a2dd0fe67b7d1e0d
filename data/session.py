"""A browser session's workspace: one DuckDB connection and the datasets loaded into it."""
from __future__ import annotations

import hashlib
import itertools
import logging
import threading
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from data import detect as det
from data.db import compact, compressed, connect, query, quote_ident, scalar, table_columns
from data.ingest import IngestedTable, ingest
from data.issues import Issue, LoadError

PRIMARY_TIME = ("date", "timestamp", "post_time", "signup_time", "created")


@dataclass
class ColumnInfo:
    name: str
    dtype: str
    role: str | None
    missing: int = 0


@dataclass
class Dataset:
    name: str
    label: str
    kind: str | None
    roles: dict[str, str]
    rows: int
    rows_rejected: int
    columns: list[ColumnInfo]
    date_range: tuple[date, date] | None
    warnings: list[Issue] = field(default_factory=list)
    rejected_table: str | None = None
    file_id: int = 0                       # datasets read from one file (sheets, ZIP members) share it
    source_format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None
    load_options: dict = field(default_factory=dict)

    @property
    def view(self) -> str:
        return f"v_{self.name}"

    @property
    def header_key(self) -> str:
        return hashlib.sha1("\x1f".join(c.name for c in self.columns).encode()).hexdigest()


@dataclass
class AddResult:
    datasets: list[Dataset]
    issues: list[Issue]


class Workspace:
    """One DuckDB connection per browser session, never shared."""

    def __init__(self, database: str = ":memory:", *, compress: bool | None = None) -> None:
        self.con: duckdb.DuckDBPyConnection = connect(database, compress=compress)
        self.datasets: list[Dataset] = []
        self._ids = itertools.count(1)
        self.remembered_roles: dict[str, tuple[str, dict[str, str]]] = {}
        self._files = itertools.count(1)
        self._sources: dict[int, tuple[str, bytes | str | Path]] = {}
        self._compactor: threading.Thread | None = None
        self._compact_again = False
        self._lock = threading.Lock()

    # ---- compaction ---------------------------------------------------------------------
    def compact_soon(self) -> None:
        """Compress what was just loaded (and free what was removed) on a background thread.

        The pages can query at once: reads run alongside the compaction, the next load waits for
        it. A 10M-row event log shrinks from ~800 MB to ~100 MB in about 2 s."""
        if not compressed(self.con):
            return
        with self._lock:
            if self._compactor is not None and self._compactor.is_alive():
                self._compact_again = True
                return
            # not a daemon: the interpreter waits for it at exit (a checkpoint cut off by the
            # interpreter's shutdown aborts the process: audit.py would end with a crash)
            self._compactor = threading.Thread(target=self._compact, name="kpiwb-compact")
            self._compactor.start()

    def _compact(self) -> None:
        cursor = None
        try:
            cursor = self.con.cursor()
            while True:
                compact(cursor)
                with self._lock:
                    if not self._compact_again:
                        self._compactor = None
                        return
                    self._compact_again = False
        except Exception:  # noqa: BLE001 - the data stays usable uncompressed; nothing to tell the user
            logging.getLogger(__name__).warning("compaction failed", exc_info=True)
            with self._lock:
                self._compactor = None
        finally:
            if cursor is not None:
                cursor.close()

    def wait_compacted(self, timeout: float | None = None) -> bool:
        """Block until the background compaction (if any) is done; False on timeout."""
        thread = self._compactor
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    # ---- naming -------------------------------------------------------------------------
    def _new_name(self) -> str:
        return f"ds_{next(self._ids)}"

    def get(self, name: str) -> Dataset | None:
        return next((d for d in self.datasets if d.name == name), None)

    def of_kind(self, kind: str) -> list[Dataset]:
        return [d for d in self.datasets if d.kind == kind]

    def kinds(self) -> set[str]:
        return {d.kind for d in self.datasets if d.kind}

    # ---- loading ------------------------------------------------------------------------
    def add_file(self, filename: str, source: bytes | str | Path, *, today: date | None = None,
                 encoding: str | None = None, day_first: bool | None = None) -> AddResult:
        """Load a file; ``encoding``/``day_first`` answer an ``encoding_guessed``/``ambiguous_date_order``."""
        added, issues = self._load(filename, source, today=today, encoding=encoding, day_first=day_first)
        self.datasets.extend(added)
        if added:
            self.compact_soon()
        return AddResult(added, issues)

    def _load(self, filename: str, source: bytes | str | Path, *, today: date | None, encoding: str | None,
              day_first: bool | None) -> tuple[list[Dataset], list[Issue]]:
        try:
            pieces = ingest(self.con, filename, source, self._new_name, today=today, encoding=encoding,
                            day_first=day_first)
        except LoadError as exc:
            return [], [exc.issue]
        file_id = next(self._files)
        self._sources[file_id] = (filename, source)
        options = {"today": today, "encoding": encoding, "day_first": day_first}
        added = [self._register(p) for p in pieces]
        for ds, piece in zip(added, pieces):
            ds.file_id, ds.load_options = file_id, options
            ds.source_format, ds.encoding, ds.delimiter = piece.source_format, piece.encoding, piece.delimiter
        return added, []

    def reload(self, name: str, *, today: date | None = None, encoding: str | None = None,
               day_first: bool | None = None) -> AddResult:
        """Read the file a dataset came from again with other options (date order, encoding, export
        date for year-less dates). Every dataset of that file is replaced in place; on failure the
        old ones stay."""
        ds = self.get(name)
        if ds is None or ds.file_id not in self._sources:
            return AddResult([], [])
        filename, source = self._sources[ds.file_id]
        added, issues = self._load(filename, source, today=today, encoding=encoding, day_first=day_first)
        if issues:
            return AddResult([], issues)
        old = [d for d in self.datasets if d.file_id == ds.file_id]
        at = self.datasets.index(old[0])
        for d in old:
            self._drop(d)
        self.datasets[at:at] = added
        self._sources.pop(ds.file_id, None)
        self.compact_soon()
        return AddResult(added, [])

    def _register(self, piece: IngestedTable) -> Dataset:
        cols = table_columns(self.con, piece.table)
        found = det.detect(cols)
        kind, roles = found.kind, found.roles
        ds = Dataset(name=piece.table, label=piece.label, kind=kind, roles=roles, rows=piece.rows,
                     rows_rejected=piece.rows_rejected,
                     columns=[ColumnInfo(n, t, None, piece.missing_by_column.get(n, 0)) for n, t in cols],
                     date_range=None, warnings=list(piece.warnings), rejected_table=piece.rejected_table)
        remembered = self.remembered_roles.get(ds.header_key)
        if remembered:
            ds.kind, ds.roles = remembered[0], dict(remembered[1])
        self._refresh(ds)
        return ds

    def set_mapping(self, name: str, kind: str | None, roles: dict[str, str], remember: bool = True) -> Dataset:
        ds = self.get(name)
        if ds is None:
            raise KeyError(name)
        valid = {c.name for c in ds.columns}
        ds.kind = kind
        ds.roles = {r: c for r, c in roles.items() if c in valid}
        ds.warnings = [w for w in ds.warnings if w.code not in ("missing_role", "unknown_kind", "no_dates")]
        if remember:
            self.remembered_roles[ds.header_key] = (kind, dict(ds.roles))
        self._refresh(ds)
        return ds

    def _refresh(self, ds: Dataset) -> None:
        for c in ds.columns:
            c.role = next((r for r, col in ds.roles.items() if col == c.name), None)
        if ds.kind is None:
            ds.warnings.append(Issue("unknown_kind", {}))
        else:
            cols = [(c.name, c.dtype) for c in ds.columns]
            for role in det.missing_required(ds.kind, ds.roles):
                ds.warnings.append(Issue("missing_role", {"role": role,
                                                          "candidates": ", ".join(det.candidates_for(role, cols))}))
        self._build_view(ds)
        ds.date_range = self._date_range(ds)

    def _build_view(self, ds: Dataset) -> None:
        exprs = []
        for role, col in ds.roles.items():
            exprs.append(f"TRY_CAST({quote_ident(col)} AS {det.role_sql_type(role)}) AS {quote_ident(role)}")
        if ds.kind == "orders" and "amount" not in ds.roles and {"quantity", "unit_price"} <= ds.roles.keys():
            exprs.append(f"TRY_CAST({quote_ident(ds.roles['quantity'])} AS DOUBLE) * "
                         f"TRY_CAST({quote_ident(ds.roles['unit_price'])} AS DOUBLE) AS amount")
        if not exprs:
            exprs = ["NULL AS _none"]
        self.con.execute(f"CREATE OR REPLACE VIEW {quote_ident(ds.view)} AS SELECT {', '.join(exprs)} "
                         f"FROM {quote_ident(ds.name)}")

    def _date_range(self, ds: Dataset) -> tuple[date, date] | None:
        role = next((r for r in PRIMARY_TIME if r in ds.roles), None)
        if role is None:
            return None
        row = self.con.execute(f"SELECT min({quote_ident(role)}), max({quote_ident(role)}) "
                               f"FROM {quote_ident(ds.view)}").fetchone()
        if row is None or row[0] is None:
            return None
        lo, hi = row
        return (lo.date() if isinstance(lo, datetime) else lo, hi.date() if isinstance(hi, datetime) else hi)

    def remove(self, name: str) -> None:
        ds = self.get(name)
        if ds is None:
            return
        self._drop(ds)
        if not any(d.file_id == ds.file_id for d in self.datasets):
            self._sources.pop(ds.file_id, None)
        self.compact_soon()

    def _drop(self, ds: Dataset) -> None:
        self.con.execute(f"DROP VIEW IF EXISTS {quote_ident(ds.view)}")
        self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(ds.name)}")
        if ds.rejected_table:
            self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(ds.rejected_table)}")
        self.datasets.remove(ds)

    def clear(self) -> None:
        for ds in list(self.datasets):
            self.remove(ds.name)

    # ---- previews -----------------------------------------------------------------------
    def head(self, name: str, n: int = 10) -> pd.DataFrame:
        return query(self.con, f"SELECT * FROM {quote_ident(name)} LIMIT ?", [n])

    def rejected(self, name: str) -> pd.DataFrame:
        ds = self.get(name)
        if ds is None or not ds.rejected_table:
            return pd.DataFrame()
        return query(self.con, f"SELECT * FROM {quote_ident(ds.rejected_table)}")

    def row_count(self, name: str) -> int:
        return int(scalar(self.con, f"SELECT count(*) FROM {quote_ident(name)}"))

    def close(self) -> None:
        self.wait_compacted()
        self.con.close()
