"""The opt-in 100M-row run: a Parquet event log given to ``audit.py`` as a path, under a memory cap.

``audit.py`` is run as a user would (with ``--period month`` and ``--funnel`` when it has them), its
time and peak RSS reported. When it cannot complete, the analysis alone is measured as well (the
table created from the Parquet file with DuckDB's ``read_parquet``, bypassing ingest), to tell a
loading limit from an analysis limit.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import gen, measure
from bench.report import Big, fmt_rows
from data.db import MEMORY_LIMIT

ROOT = Path(__file__).resolve().parents[1]


def _audit_options() -> tuple[list[str], str]:
    """Extra audit.py options for cohorts and a funnel, from its --help (they may not exist yet)."""
    got = subprocess.run([sys.executable, "audit.py", "--help"], cwd=ROOT, capture_output=True, text=True)
    text = got.stdout
    extra: list[str] = []
    if "--period" in text:
        extra += ["--period", "month"]
    if "--funnel" in text:
        extra += ["--funnel", *gen.FUNNEL]
    missing = [o for o in ("--period", "--funnel") if o not in text]
    return extra, (f"audit.py has no {' or '.join(missing)} option yet: ran without it." if missing else "")


def _sections(stdout: str) -> list[str]:
    try:
        doc = json.loads(stdout)
    except ValueError:
        return []
    return sorted(k for k, v in doc.items() if v) if isinstance(doc, dict) else []


def run(rows: int, out: Path, cap: int, timeout: float = 3600) -> Big:
    t0 = time.perf_counter()
    cached = gen.big_path(rows, out).exists()
    path = gen.big_parquet(rows, out)
    gen_seconds = time.perf_counter() - t0
    extra, note = _audit_options()
    cmd = [sys.executable, "audit.py", str(path), "--json", *extra]
    shown = " ".join(["python", "audit.py", path.name, "--json", *extra])
    result = measure.run_command(cmd, timeout=timeout, memory_cap=cap)
    size = f"{path.stat().st_size / 1024 ** 3:.1f} GB of Parquet"
    notes = [f"Input: {fmt_rows(rows)} rows, {size} ("
             + ("generated earlier, reused" if cached else f"generated in {gen_seconds:.0f} s, then cached")
             + f"). Memory cap: the run is killed above {cap / 1024 ** 3:.0f} GB RSS; DuckDB's own limit is "
             f"KPIWB_DUCKDB_MEMORY (data/db.py, {MEMORY_LIMIT} here), spilling to a temp folder."]
    if note:
        notes.append(note)
    if result.ok:
        notes.append("JSON sections: " + ", ".join(_sections(result.data.get("stdout", ""))) + ".")
    analysis = None
    if not result.ok:
        analysis = measure.run_child({"impl": "big", "parquet": str(path)}, timeout=timeout, memory_cap=cap)
    return Big(rows, str(path), shown, result, analysis, " ".join(notes))


def analysis(spec: dict[str, Any]) -> dict[str, Any]:
    """In the child: the table straight from Parquet, then the app's cohorts and funnel on it."""
    from bench import app_steps as A
    from data.ingest import IngestedTable
    from data.session import Workspace

    ws = Workspace()
    t0 = time.perf_counter()
    # harness only: the app cannot read Parquet yet, so the table is made here and registered as
    # ingest would register it
    ws.con.execute("CREATE TABLE ds_1 AS SELECT * FROM read_parquet(?)", [spec["parquet"]])
    rows = int(ws.con.execute("SELECT count(*) FROM ds_1").fetchone()[0])
    ws.datasets.append(ws._register(IngestedTable("ds_1", Path(spec["parquet"]).name, rows)))
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    matrix = A.cohorts(ws)
    t2 = time.perf_counter()
    funnel = A.funnel(ws)
    t3 = time.perf_counter()
    return {"seconds": [t3 - t0], "load_seconds": load, "memory_limit": MEMORY_LIMIT, "cohorts_seconds": t2 - t1,
            "funnel_seconds": t3 - t2, "check": {**A.cohort_check(matrix), **A.funnel_check(funnel)},
            "peak_rss": measure.peak_rss(), "base_rss": 0}
