"""One benchmark step in a fresh interpreter: ``python -m bench.child '<json spec>'``.

The spec says which implementation ("app", "pandas" or "ui"), which step ("load", "cohorts",
"funnel", "kpis"; "apptest", "browser" for "ui"), the files, and how many repeats (stopping early
once ``budget`` seconds are spent). The child sets up (restores the loaded table, or reads the
Parquet copy for pandas), resets the peak-RSS mark, runs the step, and prints one
``BENCH-RESULT {json}`` line: seconds per repeat, peak and base RSS, a small summary of the result
that the parent compares between the two implementations and, for app steps, the slowest SQL
statements of the first run.
"""
from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import measure


def _app(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import app_steps as A
    from data.session import Workspace

    if spec["step"] == "load":
        ws = Workspace()
        run, log = A.with_statement_log(ws, lambda: A.load(ws, Path(spec["csv"])))
        before = measure.bytes_read()
        timing = measure.timed(run, reset=False)
        after = measure.bytes_read()
        # the compaction the load started on a background thread (data.session.Workspace.compact_soon)
        t0 = time.perf_counter()
        ws.wait_compacted()
        compaction = time.perf_counter() - t0
        time.sleep(1.0)   # the allocator's background threads hand freed memory back
        held_after = measure.rss()
        check = A.load_check(timing.result)
        if spec.get("snapshot"):
            A.save_snapshot(ws, Path(spec["snapshot"]))
        size = Path(spec["csv"]).stat().st_size
        read = None if before is None or after is None else round((after - before) / size, 2)
        return {"check": check, "file_bytes": size, "reads_of_file": read, "readers": A.readers(log[0], size),
                "compaction_seconds": compaction, "rss_after_compaction": held_after,
                "slowest": A.slowest(log[0]), **_timing(timing)}
    ws = A.open_snapshot(Path(spec["snapshot"]))
    step, check = A.STEPS[spec["step"]]
    run, log = A.with_statement_log(ws, lambda: step(ws))
    gc.collect()
    timing = measure.timed(run, repeat=spec.get("repeat", 1), budget=spec.get("budget"),
                           setup=lambda: A.forget(ws))
    # once more without forgetting: what a re-render with the same data and parameters costs
    warm = measure.timed(run, reset=False)
    return {"check": check(timing.result), "slowest": A.slowest(log[0]), "warm_seconds": warm.seconds[0],
            **_timing(timing)}


def _pandas(spec: dict[str, Any]) -> dict[str, Any]:
    from bench import pandas_ref as P

    kind = spec["kind"]
    if spec["step"] == "load":
        timing = measure.timed(lambda: P.read_csv(kind, spec["csv"]), reset=False)
        return {"check": {"rows": int(len(timing.result))}, **_timing(timing)}
    df = P.read_parquet(spec["parquet"])
    run, check = {"cohorts": (P.cohort_matrix, P.cohort_check), "funnel": (P.ordered_funnel, P.funnel_check),
                  "kpis": (P.KPIS[kind], dict)}[spec["step"]]
    gc.collect()
    timing = measure.timed(lambda: run(df), repeat=spec.get("repeat", 1), budget=spec.get("budget"))
    return {"check": check(timing.result), **_timing(timing)}


def _timing(t: measure.Timing) -> dict[str, Any]:
    return {"seconds": t.seconds, "peak_rss": t.peak_rss, "base_rss": t.base_rss}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[0])
    if spec["impl"] == "app":
        data = _app(spec)
    elif spec["impl"] == "pandas":
        data = _pandas(spec)
    elif spec["impl"] == "ui":
        from bench import ui_steps
        data = ui_steps.run(spec)
    elif spec["impl"] == "big":
        from bench import big
        data = big.analysis(spec)
    else:
        raise ValueError(spec["impl"])
    measure.emit(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
