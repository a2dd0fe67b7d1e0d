"""The benchmark's markdown: machine, steps against pandas, targets met or missed (by how much, why)."""
from __future__ import annotations

import math
import os
import platform
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bench.measure import ChildResult

GB = 1024 ** 3
MB = 1024 ** 2
TARGET_ROWS = 10_000_000
UI_ROWS = 1_000_000

KIND_LABEL = {"events": "event log", "orders": "orders"}
STEP_LABEL = {
    "load": "load the CSV into the session's DuckDB",
    "cohorts": "monthly cohort matrix",
    "funnel": "6-step ordered funnel, 7-day window",
    "kpis": "all Overview KPIs",
}
TIME_TARGETS = {"load": 3.0, "cohorts": 0.5, "funnel": 2.0, "kpis": 1.0}   # seconds, 10M-row event log
LOAD_RSS_TARGET = 1.5 * GB
SPEEDUP_TARGET = 1.5
MEMORY_TARGET = 0.5
APPTEST_TARGET = 0.3
BROWSER_TARGET = 6.0

# What a slow statement is, recognised from its SQL (the profile run records the slowest ones).
CAUSES: list[tuple[str, str]] = [
    (r"^WITH repeated AS MATERIALIZED", "the duplicate-row check (data/parse/checks.py `duplicates`): every "
     "row's hash grouped to find the repeated ones, whose rows alone are then compared column by column"),
    (r"row_number\(\) OVER \(PARTITION BY .* WHERE hash\(", "the duplicate-row check (data/parse/checks.py "
     "`duplicates`) finding its example rows: every row is hashed again and grouped to find the repeated hashes"),
    (r"row_number\(\) OVER \(PARTITION BY ", "the duplicate-row check (data/parse/checks.py `duplicates`) "
     "partitions the whole table by every column to find five example rows"),
    (r"count\(DISTINCT hash\(", "the duplicate-row check's count: every row hashed into a DISTINCT aggregate"),
    (r"read_csv\(", "DuckDB parsing the CSV (on 2 threads)"),
    (r"sniff_csv\(", "DuckDB's type sniffer"),
    (r"regexp_replace\(lower\(trim\(event\)\)", "each KPI query rebuilds the same per-user CTEs (sign-ups, "
     "purchases, activity) from the raw view, and tests every row's event name with a regex"),
    (r"^WITH act AS \(SELECT DISTINCT user_id", "each activity KPI (DAU/MAU/retention) recomputes the distinct "
     "(user, day) pairs from the raw view"),
    (r"o_lines AS \(SELECT \*, row_number\(\) OVER \(\)", "each orders KPI query regroups order lines into "
     "orders (a window over the whole table and a regex on every status)"),
    (r"_funnel_users", "the per-user matching statement: one ASOF join per step after the first (each sorting "
     "every attempt against that step's events) and one scan of the table per step"),
    (r"bit_or\(", "the cohort bitmask aggregation over every row"),
    (r"CREATE TABLE .* ORDER BY R\.rowid", "rebuilding the typed table in file order"),
]


# ---- numbers -----------------------------------------------------------------------------------------

def fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s" if x < 10 else f"{x:.1f} s"


def fmt_mem(b: float | None) -> str:
    if not b:
        return "—"
    return f"{b / GB:.2f} GB" if b >= GB else f"{b / MB:.0f} MB"


def fmt_x(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}×"


def fmt_rows(n: int) -> str:
    return f"{n // 1_000_000}M" if n % 1_000_000 == 0 else f"{n:,}"


def same(a: Any, b: Any, rel: float = 1e-6) -> bool:
    """Whether two result summaries agree (floats to ``rel``; keys present in both)."""
    if isinstance(a, dict) and isinstance(b, dict):
        keys = a.keys() & b.keys()
        return bool(keys) and all(same(a[k], b[k], rel) for k in keys)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=1e-9)
    return a == b


# ---- what was measured ---------------------------------------------------------------------------------

@dataclass
class Measured:
    kind: str
    step: str
    rows: int
    app: ChildResult
    pandas: ChildResult | None = None
    slowest: list[tuple[float, str]] = field(default_factory=list)

    @staticmethod
    def _best(r: ChildResult | None) -> float | None:
        return min(r.data["seconds"]) if r is not None and r.ok else None

    @staticmethod
    def _peak(r: ChildResult | None) -> int | None:
        return r.data.get("peak_rss") if r is not None and r.ok else None

    @property
    def app_time(self) -> float | None:
        return self._best(self.app)

    @property
    def pandas_time(self) -> float | None:
        return self._best(self.pandas)

    @property
    def app_peak(self) -> int | None:
        return self._peak(self.app)

    @property
    def pandas_peak(self) -> int | None:
        return self._peak(self.pandas)

    @property
    def speedup(self) -> float | None:
        a, p = self.app_time, self.pandas_time
        return p / a if a and p else None

    @property
    def memory_ratio(self) -> float | None:
        a, p = self.app_peak, self.pandas_peak
        return a / p if a and p else None

    @property
    def agree(self) -> bool | None:
        if self.pandas is None or not (self.app.ok and self.pandas.ok):
            return None
        return same(self.app.data.get("check"), self.pandas.data.get("check"))


@dataclass
class Interactive:
    name: str            # "apptest" | "browser"
    rows: int
    result: ChildResult


@dataclass
class Big:
    rows: int
    path: str
    command: str
    result: ChildResult | None
    analysis: ChildResult | None = None
    note: str = ""


@dataclass
class TargetLine:
    text: str
    measured: str
    goal: str
    ok: bool | None        # None: not measured
    note: str = ""


# ---- targets -------------------------------------------------------------------------------------------

def _causes(slowest: list[tuple[float, str]]) -> str:
    found = []
    for seconds, sql in slowest:
        for pattern, why in CAUSES:
            if re.search(pattern, sql) and why not in [w for _, w in found]:
                found.append((seconds, why))
                break
    if not found:
        return ""
    return "Slowest statements: " + "; ".join(f"{fmt_s(s)}: {why}" for s, why in found) + "."


def _missed(value: float, goal: float, unit: str) -> str:
    if unit == "s":
        return f"missed by {fmt_s(value - goal)} ({value / goal:.1f}× the target)"
    if unit == "mem":
        return f"missed by {fmt_mem(value - goal)}"
    return f"missed: {value:.2f} against {goal:.2f}"


def targets(steps: list[Measured], ui: list[Interactive], big: Big | None,
            target_rows: int = TARGET_ROWS, ui_rows: int = UI_ROWS) -> list[TargetLine]:
    out: list[TargetLine] = []
    by = {(m.kind, m.step, m.rows): m for m in steps}
    rows_seen = sorted({m.rows for m in steps if m.kind == "events"})
    at = target_rows if target_rows in rows_seen else (rows_seen[-1] if rows_seen else target_rows)
    size_note = "" if at == target_rows else f" (measured at {fmt_rows(at)} rows: {fmt_rows(target_rows)} not run)"
    for step, goal in TIME_TARGETS.items():
        m = by.get(("events", step, at))
        text = f"{STEP_LABEL[step]}, {fmt_rows(target_rows)}-row event log ≤ {fmt_s(goal)}{size_note}"
        if m is None or m.app_time is None:
            out.append(TargetLine(text, "—", f"≤ {fmt_s(goal)}", None,
                                  "not measured" if m is None else f"failed: {m.app.error}"))
            continue
        ok = m.app_time <= goal
        note = "" if ok else _missed(m.app_time, goal, "s") + ". " + _causes(m.slowest)
        out.append(TargetLine(text, fmt_s(m.app_time), f"≤ {fmt_s(goal)}", ok, note.strip()))
        if step == "load":
            peak = m.app_peak or 0
            ok = peak <= LOAD_RSS_TARGET
            out.append(TargetLine(f"load peak RSS, {fmt_rows(target_rows)}-row event log{size_note}", fmt_mem(peak),
                                  f"≤ {fmt_mem(LOAD_RSS_TARGET)}", ok,
                                  "" if ok else _missed(peak, LOAD_RSS_TARGET, "mem")))
    for m in steps:
        if m.rows != at or m.pandas is None:
            continue
        text = f"{KIND_LABEL[m.kind]}: {STEP_LABEL[m.step]} vs pandas, {fmt_rows(m.rows)} rows"
        if m.speedup is None or m.memory_ratio is None:
            out.append(TargetLine(text, "—", f"≥ {SPEEDUP_TARGET}× faster, ≤ {MEMORY_TARGET}× memory", None,
                                  "a side failed"))
            continue
        ok_speed, ok_mem = m.speedup >= SPEEDUP_TARGET, m.memory_ratio <= MEMORY_TARGET
        notes = []
        if not ok_speed:
            notes.append(f"speed missed: {m.speedup:.2f}× against {SPEEDUP_TARGET}×"
                         + (" (the app is slower)" if m.speedup < 1 else ""))
        if not ok_mem:
            held = ""
            if m.step != "load":
                held = (f" (before the step the app already held {fmt_mem(m.app.data.get('base_rss'))}: the "
                        f"interpreter and the whole table in DuckDB memory; pandas "
                        f"{fmt_mem(m.pandas.data.get('base_rss'))})")
            notes.append(f"memory missed: {m.memory_ratio:.2f}× of pandas' peak against {MEMORY_TARGET}×{held}")
        out.append(TargetLine(text, f"{m.speedup:.2f}× faster, {m.memory_ratio:.2f}× memory",
                              f"≥ {SPEEDUP_TARGET}× faster, ≤ {MEMORY_TARGET}× memory", ok_speed and ok_mem,
                              "; ".join(notes)))
    for name, goal, text in (("apptest", APPTEST_TARGET, "Retention re-render after a filter change, warm cache, "
                                                          f"{fmt_rows(ui_rows)} rows (AppTest)"),
                             ("browser", BROWSER_TARGET, "drop the file on Load data → first chart on Overview, "
                                                         f"{fmt_rows(ui_rows)} rows (headless Chromium)")):
        got = next((u for u in ui if u.name == name), None)
        if got is None:
            out.append(TargetLine(text, "—", f"≤ {fmt_s(goal)}", None, "not run"))
            continue
        if not got.result.ok:
            out.append(TargetLine(text, "—", f"≤ {fmt_s(goal)}", False, f"failed: {got.result.error}"))
            continue
        value = min(got.result.data["seconds"])
        ok = value <= goal
        out.append(TargetLine(text, fmt_s(value), f"≤ {fmt_s(goal)}", ok, "" if ok else
                              _missed(value, goal, "s") + ". " + _ui_note(got)))
    if big is None:
        out.append(TargetLine("100M-row event log through audit.py (cohorts and a funnel, no out-of-memory)", "—",
                              "completes", None, "not run: opt-in with `make bench BIG=1` (`bench/run.py --big`)"))
    else:
        ok = big.result is not None and big.result.ok
        measured = (f"{fmt_s(big.result.wall)}, peak {fmt_mem(big.result.lifetime_peak)}"
                    if big.result is not None else "—")
        error = (big.result.error if big.result else None) or "not run"
        note = "" if ok else f"audit.py did not complete: {error.rstrip('.')}."
        a = big.analysis
        if a is not None and a.ok:
            note += (f" The analysis alone (bypassing ingest) completes without running out of memory: cohorts "
                     f"{fmt_s(a.data['cohorts_seconds'])}, funnel {fmt_s(a.data['funnel_seconds'])}, peak "
                     f"{fmt_mem(a.lifetime_peak)}.")
        elif a is not None:
            note += f" The analysis alone (bypassing ingest) did not complete either: {a.error}."
        out.append(TargetLine(f"{fmt_rows(big.rows)}-row event log through audit.py (cohorts and a funnel, "
                              "no out-of-memory)", measured, "completes", ok, note.strip()))
    return out


def _ui_note(u: Interactive) -> str:
    d = u.result.data
    if u.name == "apptest":
        return (f"Cold change (new filter value): {fmt_s(d.get('range_cold'))}; warm runs "
                f"{', '.join(fmt_s(x) for x in d.get('range_warm', []))}. With every query cached, a re-run still "
                "rebuilds and schema-validates each of the page's Altair charts in Python (the largest share of a "
                "warm run when profiled).")
    return (f"File loaded and listed in the sidebar after {fmt_s(d.get('loaded'))}; the Overview showed its "
            f"first chart {fmt_s((d.get('chart_shown') or 0) - (d.get('loaded') or 0))} later: before it, the page "
            "computes every KPI (compare_periods) and one kpi_series per KPI for the sparklines, each series with "
            "its own queries over the whole log.")


# ---- the document ----------------------------------------------------------------------------------------

def _load(r: ChildResult | None) -> str:
    return "—" if r is None or r.load is None else f"{r.load:.1f}"


def machine() -> dict[str, str]:
    import duckdb
    import numpy
    import pandas
    import streamlit

    cpu = platform.processor() or "unknown CPU"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    mem = "unknown"
    try:
        with open("/proc/meminfo") as fh:
            kb = int(next(ln for ln in fh if ln.startswith("MemTotal")).split()[1])
            mem = f"{kb / 1024 / 1024:.0f} GB"
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "memory": mem,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "duckdb": duckdb.__version__, "pandas": pandas.__version__, "numpy": numpy.__version__,
            "streamlit": streamlit.__version__}


def loadavg() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "—"


def render(steps: list[Measured], ui: list[Interactive], big: Big | None, *, started: datetime,
           duration: float, load_start: str, load_end: str, repeat: int, budget: float, command: str,
           target_rows: int = TARGET_ROWS, ui_rows: int = UI_ROWS) -> str:
    m = machine()
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `{command}` (bench/run.py) on {started.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC "
        f"in {duration / 60:.1f} min. Do not edit by hand: run `make bench` again.",
        "",
        f"**Machine:** {m['cpu']}, {m['cores']} cores, {m['memory']} RAM, {m['os']}. Python {m['python']}, "
        f"DuckDB {m['duckdb']}, pandas {m['pandas']}, numpy {m['numpy']}, Streamlit {m['streamlit']}. "
        f"Load average (1, 5, 15 min) at the start: {load_start}; at the end: {load_end}. The *load avg* column "
        "gives the 1-minute load average when each side's step started (app / pandas): the benchmark itself "
        f"uses up to 2 cores, so values well above {m['cores']} mean other processes were competing for the "
        "CPU and the times are inflated.",
        "",
        "**Method.** bench/gen.py writes seeded event logs (user_id, event, timestamp, channel, device, region, "
        "revenue; ~12 events per user over 15 months, the funnel events sign_up → app_open → view_product → "
        "add_to_cart → begin_checkout → purchase) and orders (order_id, customer_id, order_date, amount, status, "
        "channel, coupon) with numpy, as CSV through DuckDB's `COPY`. Every step runs in a fresh interpreter. "
        "*app* is the app's own code: `Workspace().add_file` (data/ingest.py), `data.retention.cohort_matrix` "
        "(month), `data.funnel.event_funnel` (ordered, 7 days) and `data.kpis.compute_kpis` (every KPI the file "
        "gives, all dates). The analysis steps start from the loaded table, copied back into a new in-memory "
        "session from a snapshot the load step writes to bench/out/. *pandas* is bench/pandas_ref.py: "
        "`read_csv(parse_dates=...)`, then `groupby`/`merge`/`merge_asof` on the frame read from a Parquet copy. "
        f"Time: the step only; the best of up to {repeat} cold runs for analysis steps (fewer once a step has "
        f"taken {budget:.0f} s; before each run the session forgets what it cached for the data), one run for "
        "loads. Peak memory: the "
        "process's peak RSS during the step (Linux VmHWM, reset just before it), so it includes the loaded data "
        "each side holds; for loads it is the whole process's peak. *same result* compares the two sides' "
        "numbers (row counts, cohort sizes and cells, funnel depths and median time to convert, every KPI).",
        "",
        "## Steps: app against pandas",
        "",
        "| data | step | rows | app time | app peak RSS | pandas time | pandas peak RSS | app speed-up | "
        "app memory / pandas | same result | load avg |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|:---:|---:|",
    ]
    for s in steps:
        app_time = fmt_s(s.app_time) if s.app.ok else f"failed: {s.app.error}"
        pd_time = "—" if s.pandas is None else fmt_s(s.pandas_time) if s.pandas.ok else f"failed: {s.pandas.error}"
        agree = {True: "yes", False: "**no**", None: "—"}[s.agree]
        lines.append(f"| {KIND_LABEL[s.kind]} | {STEP_LABEL[s.step]} | {fmt_rows(s.rows)} | {app_time} | "
                     f"{fmt_mem(s.app_peak)} | {pd_time} | {fmt_mem(s.pandas_peak)} | {fmt_x(s.speedup)} | "
                     f"{fmt_x(s.memory_ratio)} | {agree} | {_load(s.app)} / {_load(s.pandas)} |")
    biggest = max((s.rows for s in steps), default=0)
    held = [s for s in steps if s.rows == biggest and s.step != "load" and s.app.ok and s.pandas and s.pandas.ok]
    if held:
        lines += ["", f"Resident before each step at {fmt_rows(biggest)} rows (interpreter plus the loaded data: the "
                  "in-memory DuckDB table, or the DataFrame): "
                  + "; ".join(f"{KIND_LABEL[s.kind]} {s.step}: app {fmt_mem(s.app.data.get('base_rss'))}, pandas "
                              f"{fmt_mem(s.pandas.data.get('base_rss'))}" for s in held) + "."]
    packed = [s for s in steps if s.step == "load" and s.app.ok and s.app.data.get("compaction_seconds") is not None]
    if packed:
        lines += ["", "After each load returns, the session compresses the new table on a background thread "
                  "(pages can already query it): time still spent after the load, and the process's resident "
                  "memory once done: "
                  + "; ".join(f"{KIND_LABEL[s.kind]} {fmt_rows(s.rows)}: {fmt_s(s.app.data['compaction_seconds'])}, "
                              f"{fmt_mem(s.app.data.get('rss_after_compaction'))}" for s in packed) + "."]
    warm = [s for s in steps if s.step != "load" and s.app.ok and s.app.data.get("warm_seconds") is not None]
    if warm:
        lines += ["", "Every app run above is a cold one: before each, the session forgets the tables and results "
                  "it keeps for the loaded data (data/derived.py). The same step once more with them kept, as a "
                  "page re-render with unchanged data and settings: "
                  + "; ".join(f"{KIND_LABEL[s.kind]} {s.step} {fmt_rows(s.rows)}: {fmt_s(s.app.data['warm_seconds'])}"
                              for s in warm) + "."]
    loads = [s for s in steps if s.step == "load" and s.app.ok and s.app.data.get("reads_of_file") is not None]
    if loads:
        def who(s: Measured) -> str:
            parts = []
            for share, sql in s.app.data.get("readers", []):
                fn = re.search(r"FROM (\w+)\(", sql)
                parts.append(f"`{fn.group(1) if fn else sql[:30]}` {share:.2f}")
            return f" ({', '.join(parts)})" if parts else ""
        lines += ["", "Bytes the load step read, as a multiple of the file's size (1.00 = the file is read once): "
                  + "; ".join(f"{KIND_LABEL[s.kind]} {fmt_rows(s.rows)} ({fmt_mem(s.app.data.get('file_bytes'))}): "
                              f"{s.app.data['reads_of_file']:.2f}{who(s)}" for s in loads) + "."]
    lines += ["", "## Interactive", "",
              "| measurement | rows | time | peak RSS | details |", "|---|---:|---:|---:|---|"]
    for u in ui:
        d = u.result.data
        if not u.result.ok:
            lines.append(f"| {u.name} | {fmt_rows(u.rows)} | failed | — | {u.result.error} |")
            continue
        if u.name == "apptest":
            detail = (f"first render of Retention {fmt_s(d['first_render'])}; date range changed to a new value "
                      f"{fmt_s(d['range_cold'])}, back and forth between seen values "
                      f"{', '.join(fmt_s(x) for x in d['range_warm'])}; \"active on\" rule new "
                      f"{fmt_s(d['rule_cold'])}, seen {', '.join(fmt_s(x) for x in d['rule_warm'])}; "
                      f"{d['check']['charts']} charts, the largest sends {d.get('largest_chart_rows', 0):,} rows")
            name = "Retention: filter change, warm cache (median), AppTest"
        else:
            detail = (f"sidebar lists the file after {fmt_s(d['loaded'])}; first Overview chart element "
                      f"{fmt_s(d['chart_shown'])}, drawn {fmt_s(min(d['seconds']))}; peak RSS is the Streamlit "
                      "server's")
            name = "Load data → first Overview chart, Chromium"
        lines.append(f"| {name} | {fmt_rows(u.rows)} | {fmt_s(min(d['seconds']))} | {fmt_mem(d.get('peak_rss'))} "
                     f"| {detail} |")
    if big is not None:
        lines += ["", f"## {fmt_rows(big.rows)}-row event log (opt-in)", "", f"`{big.command}`", ""]
        if big.result is not None:
            r = big.result
            lines.append(f"- audit.py: {'completed' if r.ok else 'did not complete: ' + str(r.error)} in "
                         f"{fmt_s(r.wall)}, peak RSS {fmt_mem(r.lifetime_peak)}.")
        if big.analysis is not None:
            a = big.analysis
            if a.ok:
                d = a.data
                lines.append(f"- The analysis alone, to tell a loading limit from an analysis limit (table created "
                             f"from the Parquet file with `read_parquet` in {fmt_s(d['load_seconds'])}, bypassing "
                             f"ingest; DuckDB limit {d.get('memory_limit', '?')}, spilling to disk): monthly cohorts "
                             f"{fmt_s(d['cohorts_seconds'])}, 6-step funnel {fmt_s(d['funnel_seconds'])}, peak RSS "
                             f"{fmt_mem(a.lifetime_peak)}; {d['check']['users']:,} users in "
                             f"{d['check']['cohorts']} monthly cohorts.")
            else:
                lines.append(f"- The analysis alone (bypassing ingest) did not complete: {a.error}.")
        if big.note:
            lines.append(f"- {big.note}")
    lines += ["", "## Targets", "", "| target | measured | goal | met | note |", "|---|---:|---:|:---:|---|"]
    for t in targets(steps, ui, big, target_rows, ui_rows):
        met = {True: "yes", False: "**no**", None: "—"}[t.ok]
        lines.append(f"| {t.text} | {t.measured} | {t.goal} | {met} | {t.note} |")
    slow = [s for s in steps if s.slowest and s.rows == biggest]
    if slow:
        lines += ["", "## Where the time goes", "",
                  "The slowest SQL statements of each event-log step that missed its time target, timed in its "
                  "first run:", ""]
        for s in slow:
            lines.append(f"- **{KIND_LABEL[s.kind]}, {STEP_LABEL[s.step]}, {fmt_rows(s.rows)}:** "
                         + "; ".join(f"{fmt_s(sec)} `{sql[:110]}…`" for sec, sql in s.slowest))
    lines += ["", "## Running it", "",
              "```bash",
              "make bench          # 1M and 10M rows, AppTest, Chromium: ~5 min (+2 min to generate files once)",
              "make bench BIG=1    # also 100M rows through audit.py: +3 min (+4 min and 1 GB of disk to "
              "generate once)",
              ".venv/bin/python bench/run.py --help",
              "```",
              "",
              "Generated files are cached in bench/out/ (gitignored) by size, seed and generator version.", ""]
    return "\n".join(lines)
