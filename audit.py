#!/usr/bin/env python3
"""Headless audit: the app's numbers as JSON (and, later, HTML), from the same code path.

    python audit.py FILE [FILE ...] --json [--lang en|ru|zh]
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from functools import partial

from data.content import content_json
from data.funnel import FunnelInputError, funnel_json
from data.kpis import available_kpis, compute_kpis
from data.retention import retention_json
from data.session import Dataset, Workspace
from kpi.report import kpi_report
from ui.i18n import LANGS, tr, tr_issue


def _csv_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="audit.py",
        description="KPI Workbench headless audit: load export files and print what the app shows.",
    )
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="exported data files: CSV, TSV, semicolon/pipe text, XLSX or ZIP")
    p.add_argument("--json", action="store_true", help="print one JSON document on stdout (default output)")
    p.add_argument("--lang", choices=LANGS, default="en",
                   help="language of labels, definitions and warnings (default: en)")
    g = p.add_argument_group("retention")
    g.add_argument("--period", choices=("day", "week", "month"),
                   help="add a cohort retention matrix with cohorts by day, week (Monday start) or month")
    g.add_argument("--active", metavar="EVENT[,EVENT...]", type=_csv_list, default=None,
                   help="events that count as activity for retention (default: any event; for orders, "
                        "a purchase with a positive amount)")
    g.add_argument("--retention-rule", choices=("on", "on_or_after"), default="on",
                   help="a user is retained in period k if active on period k (default) or on or after it")
    f = p.add_argument_group("funnel")
    f.add_argument("--funnel", nargs="+", metavar="STEP",
                   help="add an event-log funnel: STEP,STEP,... in order (a|b = either event)")
    f.add_argument("--window", default="7d",
                   help="conversion window for --funnel, from the first step: 30m, 12h, 7d (default 7d)")
    f.add_argument("--funnel-order", choices=("ordered", "strict", "any"), default="ordered",
                   help="ordered: other events may happen between steps (default); strict: the next event "
                        "must be the next step; any: steps in any order")
    f.add_argument("--funnel-exclude", metavar="EVENT", default=None,
                   help="drop attempts in which this event happens")
    p.add_argument("--html", type=Path, default=None, metavar="OUT",
                   help="write the audit report to OUT: one self-contained HTML file "
                        "(OUT ending in .zip: Markdown + PNG charts; .csv: every KPI)")
    p.add_argument("--today", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                   help="export date used to infer the year of year-less dates (default: today)")
    return p


def dataset_json(ds: Dataset, lang: str) -> dict[str, Any]:
    return {
        "file": ds.label,
        "kind": ds.kind,
        "rows": ds.rows,
        "rows_rejected": ds.rows_rejected,
        "columns": dict(ds.roles),
        "date_range": [ds.date_range[0].isoformat(), ds.date_range[1].isoformat()] if ds.date_range else None,
        "warnings": [tr_issue(w, lang) for w in ds.warnings],
    }


def build(ws: Workspace, args: argparse.Namespace) -> dict[str, Any]:
    doc: dict[str, Any] = {"datasets": [dataset_json(ds, args.lang) for ds in ws.datasets]}
    translate = partial(tr, lang=args.lang)
    doc["kpis"] = kpi_report(compute_kpis(ws, active_events=args.active), translate, only=available_kpis(ws))
    if args.funnel:
        steps = [s.strip() for arg in args.funnel for s in arg.split(",") if s.strip()]
        doc["funnel"] = funnel_json(ws, steps, args.window, args.funnel_order, exclude=args.funnel_exclude)
    if args.period:
        doc["retention"] = retention_json(ws, args.period, args.active, args.retention_rule)
    content = content_json(ws)
    if content is not None:
        doc["content"] = content
    return doc


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    ws = Workspace()
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"audit.py: {tr('cli.no_such_file', args.lang, file=name)}", file=sys.stderr)
            return 2
        res = ws.add_file(path.name, path, today=args.today)
        if res.issues:
            print(f"audit.py: {tr_issue(res.issues[0], args.lang)}", file=sys.stderr)
            return 2
    if args.html is not None:
        from data.report import ReportOptions
        from ui.report_render import write_report
        try:
            written = write_report(ws, args.html, args.lang, ReportOptions())
        except OSError as exc:
            print(f"audit.py: {tr('report.cli.cannot_write', args.lang, path=args.html, detail=exc.strerror or exc)}",
                  file=sys.stderr)
            return 2
        print(f"audit.py: {tr('report.cli.written', args.lang, path=written)}", file=sys.stderr)
        if not args.json:
            return 0
    try:
        doc = build(ws, args)
    except FunnelInputError as exc:
        print("audit.py: " + " ".join(tr_issue(i, args.lang) for i in exc.issues), file=sys.stderr)
        return 2
    json.dump(doc, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
