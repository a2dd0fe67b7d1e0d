"""The benchmark's steps through the app's own code (data/), and a snapshot of a loaded workspace.

The load step runs ``Workspace().add_file`` on the CSV; its tables and views are then copied to a
DuckDB file in bench/out/ (with the ``Dataset`` records beside it), so each later step starts in a
fresh interpreter from the same loaded, in-memory table without paying for the load again.
"""
from __future__ import annotations

import pickle
import time
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any

from bench.gen import FUNNEL
from bench.measure import bytes_read
from data import derived
from data import retention as R
from data.funnel import EventFunnel, FunnelSpec, event_funnel
from data.kpis import available_kpis, compute_kpis
from data.db import quote_ident
from data.session import AddResult, Dataset, Workspace
from kpi import retention as kr
from kpi.result import KpiValue

WINDOW_SECONDS = 7 * 86_400
SPEC = FunnelSpec(tuple((e,) for e in FUNNEL), WINDOW_SECONDS, "ordered")


# ---- load and snapshot -------------------------------------------------------------------------------

def load(ws: Workspace, path: Path) -> AddResult:
    """The app's load: what Load data (and audit.py) do with a file."""
    return ws.add_file(path.name, path)


def load_check(res: AddResult) -> dict[str, Any]:
    if res.issues:
        return {"issues": [i.code for i in res.issues]}
    ds = res.datasets[0]
    return {"rows": ds.rows, "rows_rejected": ds.rows_rejected, "kind": ds.kind}


def save_snapshot(ws: Workspace, path: Path) -> None:
    """Copy the workspace's tables and views to ``path`` and its datasets to ``path``.pkl."""
    path.unlink(missing_ok=True)
    Path(str(path) + ".wal").unlink(missing_ok=True)
    # harness only: the app never writes its session to disk
    ws.con.execute("ATTACH ? AS bench_snapshot", [str(path)])
    try:
        current = ws.con.execute("SELECT current_database()").fetchone()[0]
        ws.con.execute(f"COPY FROM DATABASE {quote_ident(current)} TO bench_snapshot")
    finally:
        ws.con.execute("DETACH bench_snapshot")
    with open(str(path) + ".pkl", "wb") as fh:
        pickle.dump(ws.datasets, fh)


def open_snapshot(path: Path) -> Workspace:
    """A fresh in-memory workspace holding the snapshot's tables, as right after the load."""
    ws = Workspace()
    ws.con.execute("SET preserve_insertion_order = true")
    ws.con.execute("ATTACH ? AS bench_snapshot (READ_ONLY)", [str(path)])
    try:
        current = ws.con.execute("SELECT current_database()").fetchone()[0]
        ws.con.execute(f"COPY FROM DATABASE bench_snapshot TO {quote_ident(current)}")
    finally:
        ws.con.execute("DETACH bench_snapshot")
        ws.con.execute("SET preserve_insertion_order = false")
    # as after a load once its background compaction is done (data.session.Workspace.compact_soon),
    # with the same second for the allocator to hand freed memory back as the load step reports
    ws.compact_soon()
    ws.wait_compacted()
    time.sleep(1.0)
    with open(str(path) + ".pkl", "rb") as fh:
        ws.datasets = [_complete(ds) for ds in pickle.load(fh)]
    return ws


def _complete(ds: Dataset) -> Dataset:
    """Give a restored Dataset the defaults of fields added to the class since it was pickled."""
    for f in fields(Dataset):
        if f.name not in ds.__dict__:
            if f.default is not MISSING:
                setattr(ds, f.name, f.default)
            elif f.default_factory is not MISSING:
                setattr(ds, f.name, f.default_factory())
    return ds


# ---- the analysis steps ------------------------------------------------------------------------------

def forget(ws: Workspace) -> None:
    """Drop what the app keeps between calls for this data (data.derived: user-day tables, KPI input
    frames), so that a timed run pays for everything, as the first render after a load does."""
    derived.clear(ws)


def cohorts(ws: Workspace) -> kr.CohortMatrix:
    """The Retention page's monthly cohort matrix (any event counts as activity, rule "on")."""
    ds = R.usable_datasets(ws)[0]
    return R.cohort_matrix(ws.con, ds, "month")


def cohort_check(m: kr.CohortMatrix) -> dict[str, Any]:
    return {"cohorts": len(m.cohorts), "users": sum(c.size for c in m.cohorts),
            "active_cells": sum(cell.active for c in m.cohorts for cell in c.cells)}


def funnel(ws: Workspace) -> EventFunnel:
    """The Funnel page's 6-step ordered funnel with a 7-day window, over all dates."""
    ds = ws.of_kind("events")[0]
    return event_funnel(ws.con, ds.view, SPEC)


def funnel_check(f: EventFunnel) -> dict[str, Any]:
    return {"depths": {str(int(d)): int(n) for d, n in zip(f.depths["depth"], f.depths["users"])},
            "ttc_median": f.ttc_median}


def kpis(ws: Workspace) -> dict[str, KpiValue]:
    """The Overview's KPI values over all dates: every KPI the loaded file can give."""
    return compute_kpis(ws, ids=available_kpis(ws))


def kpi_check(values: dict[str, KpiValue]) -> dict[str, Any]:
    return {k: v.value for k, v in values.items()}


STEPS: dict[str, tuple[Callable[[Workspace], Any], Callable[[Any], dict[str, Any]]]] = {
    "cohorts": (cohorts, cohort_check),
    "funnel": (funnel, funnel_check),
    "kpis": (kpis, kpi_check),
}


# ---- where the time goes -----------------------------------------------------------------------------

@dataclass
class _Statement:
    seconds: float
    sql: str
    read: int = 0         # bytes read from files while it ran (rchar)


class TimedConnection:
    """Wraps a DuckDB connection and records how long each ``execute`` takes (a perf_counter call per
    statement: cheap enough to stay on during the timed runs)."""

    def __init__(self, con) -> None:
        self._con = con
        self.log: list[_Statement] = []

    def execute(self, sql, *args, **kwargs):
        r0 = bytes_read() or 0
        t0 = time.perf_counter()
        out = self._con.execute(sql, *args, **kwargs)
        seconds = time.perf_counter() - t0
        self.log.append(_Statement(seconds, " ".join(str(sql).split()), (bytes_read() or 0) - r0))
        return out

    def __getattr__(self, name):
        return getattr(self._con, name)


def with_statement_log(ws: Workspace, run: Callable[[], Any]) -> tuple[Callable[[], Any], list[list[_Statement]]]:
    """``run`` wrapped so that each call's statements are logged (one list per call) on ``ws``."""
    timed = TimedConnection(ws.con)
    ws.con = timed
    runs: list[list[_Statement]] = []

    def wrapped() -> Any:
        timed.log = []
        try:
            return run()
        finally:
            runs.append(timed.log)
            timed.log = []      # what runs afterwards (the snapshot) is not part of the step
    return wrapped, runs


def readers(statements: list[_Statement], size: int, least: float = 0.05) -> list[tuple[float, str]]:
    """Statements that read at least ``least`` of a file of ``size`` bytes: (share, SQL start)."""
    got = [(round(s.read / size, 2), s.sql[:60]) for s in statements if size and s.read >= least * size]
    return sorted(got, reverse=True)


def slowest(statements: list[_Statement], top: int = 3) -> list[tuple[float, str]]:
    """The ``top`` slowest statements: (seconds, SQL up to 2,000 characters)."""
    ranked = sorted(statements, key=lambda s: -s.seconds)[:top]
    return [(round(s.seconds, 3), s.sql[:2000]) for s in ranked]
