#!/usr/bin/env python3
"""`make bench`: the app's code paths against plain pandas on seeded event logs and orders.

    python bench/run.py [--sizes 1000000,10000000] [--repeat 3] [--big] [--no-ui] [--out DIR] [--doc PATH]

For each size: generate (or reuse) the files, run every step through the app's code and through
bench/pandas_ref.py, each in a fresh interpreter, then the Retention filter change (AppTest) and
upload → first Overview chart (Chromium) at 1M rows. Prints a markdown report and writes it to
docs/benchmarks.md. ``--big`` (or ``make bench BIG=1``) adds the 100M-row audit.py run.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import gen, measure  # noqa: E402
from bench.report import (TARGET_ROWS, TIME_TARGETS, UI_ROWS, Big, Interactive, Measured, fmt_mem,  # noqa: E402
                          fmt_rows, fmt_s, loadavg, render)

EVENT_STEPS = ("load", "cohorts", "funnel", "kpis")
ORDER_STEPS = ("load", "kpis")
GB = 1024 ** 3


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default=f"1000000,{TARGET_ROWS}",
                   help="comma-separated row counts (default: 1000000,10000000)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each analysis step; the best counts (default 3)")
    p.add_argument("--budget", type=float, default=8.0,
                   help="stop repeating a step once its runs took this many seconds (default 8)")
    p.add_argument("--orders-kpis-max", type=int, default=1_000_000,
                   help="largest orders file whose KPIs are measured (default 1000000: keeps make bench short)")
    p.add_argument("--out", type=Path, default=gen.OUT, help="where generated files go (default bench/out)")
    p.add_argument("--doc", type=Path, default=ROOT / "docs" / "benchmarks.md",
                   help="where the report is written (default docs/benchmarks.md)")
    p.add_argument("--no-doc", action="store_true", help="print the report only")
    p.add_argument("--no-ui", action="store_true", help="skip the AppTest and Chromium measurements")
    p.add_argument("--no-browser", action="store_true", help="skip the Chromium measurement")
    p.add_argument("--ui-rows", type=int, default=UI_ROWS, help="rows for the AppTest and Chromium steps")
    p.add_argument("--big", action="store_true", default=bool(os.environ.get("BIG")),
                   help="also the 100M-row audit.py run (also: BIG=1 in the environment)")
    p.add_argument("--big-rows", type=int, default=100_000_000)
    p.add_argument("--big-cap-gb", type=float, default=8.0, help="memory cap of the big run (default 8 GB)")
    p.add_argument("--timeout", type=float, default=1800, help="seconds one step may take (default 1800)")
    return p


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _describe(r: measure.ChildResult) -> str:
    if not r.ok:
        return f"FAILED {r.error}"
    return f"{fmt_s(min(r.data['seconds']))}, peak {fmt_mem(r.data.get('peak_rss'))}"


def _measure_kind(kind: str, steps: tuple[str, ...], files: gen.Files, rows: int, args) -> list[Measured]:
    snapshot = args.out / f"{kind}_{rows}_v{gen.VERSION}.duckdb"
    out: list[Measured] = []
    for step in steps:
        common = {"kind": kind, "step": step, "rows": rows, "repeat": args.repeat, "budget": args.budget}
        if step == "load":
            app = measure.run_child({**common, "impl": "app", "csv": str(files.csv), "snapshot": str(snapshot)},
                                    args.timeout)
            pandas = measure.run_child({**common, "impl": "pandas", "csv": str(files.csv)}, args.timeout)
        else:
            app = measure.run_child({**common, "impl": "app", "snapshot": str(snapshot)}, args.timeout)
            pandas = measure.run_child({**common, "impl": "pandas", "parquet": str(files.parquet)}, args.timeout)
        m = Measured(kind, step, rows, app, pandas)
        goal = TIME_TARGETS.get(step)
        if app.ok and kind == "events" and goal is not None and m.app_time > goal:
            m.slowest = [tuple(x) for x in app.data.get("slowest", [])]
        _say(f"  {kind:6} {step:8} {fmt_rows(rows):>4}  app {_describe(app)}  |  pandas {_describe(pandas)}"
             + ("" if m.agree in (True, None) else "  RESULTS DIFFER"))
        out.append(m)
        if step == "load" and not app.ok:
            _say(f"  {kind} load failed: skipping the other {kind} steps at {fmt_rows(rows)}")
            break
    return out


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    args.sizes = sorted(int(x) for x in args.sizes.split(",") if x.strip())
    started, t0, load_start = datetime.now(timezone.utc), time.perf_counter(), loadavg()
    steps: list[Measured] = []
    ui: list[Interactive] = []
    for rows in args.sizes:
        _say(f"{fmt_rows(rows)} rows: generating (or reusing) files in {args.out}")
        events = gen.generate("events", rows, args.out)
        orders = gen.generate("orders", rows, args.out)
        steps += _measure_kind("events", EVENT_STEPS, events, rows, args)
        order_steps = ORDER_STEPS if rows <= args.orders_kpis_max else ("load",)
        steps += _measure_kind("orders", order_steps, orders, rows, args)
    if not args.no_ui:
        rows = args.ui_rows
        files = gen.generate("events", rows, args.out)
        snapshot = args.out / f"events_{rows}_v{gen.VERSION}.duckdb"
        if rows not in args.sizes:      # the snapshot is this run's load, never an older one
            measure.run_child({"impl": "app", "step": "load", "kind": "events", "csv": str(files.csv),
                               "snapshot": str(snapshot)}, args.timeout)
        _say(f"{fmt_rows(rows)} rows: Retention filter change in AppTest")
        got = measure.run_child({"impl": "ui", "step": "apptest", "snapshot": str(snapshot)}, args.timeout)
        _say(f"  apptest  {_describe(got)}")
        ui.append(Interactive("apptest", rows, got))
        if not args.no_browser:
            _say(f"{fmt_rows(rows)} rows: upload → first Overview chart in Chromium")
            got = measure.run_child({"impl": "ui", "step": "browser", "csv": str(files.csv),
                                     "screenshot": str(args.out / f"overview_{rows}.png")}, args.timeout)
            _say(f"  browser  {_describe(got)}")
            ui.append(Interactive("browser", rows, got))
    big: Big | None = None
    if args.big:
        from bench import big as big_run
        _say(f"{fmt_rows(args.big_rows)} rows: audit.py on a Parquet event log (this takes a while)")
        big = big_run.run(args.big_rows, args.out, int(args.big_cap_gb * GB), timeout=max(args.timeout, 3600))
        r = big.result
        _say(f"  audit.py {'completed' if r.ok else r.error} in {fmt_s(r.wall)}, peak {fmt_mem(r.lifetime_peak)}")
    command = "make bench" + (" BIG=1" if args.big else "")
    if argv:
        command = "bench/run.py " + " ".join(argv)
    doc = render(steps, ui, big, started=started, duration=time.perf_counter() - t0, load_start=load_start,
                 load_end=loadavg(), repeat=args.repeat, budget=args.budget, command=command,
                 target_rows=TARGET_ROWS, ui_rows=args.ui_rows)
    print(doc)
    if not args.no_doc:
        args.doc.parent.mkdir(parents=True, exist_ok=True)
        args.doc.write_text(doc, encoding="utf-8")
        _say(f"written to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or None))
