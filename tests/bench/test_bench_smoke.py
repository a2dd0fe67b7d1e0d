"""`make bench` machinery on 10,000 rows: every step runs on both sides, agrees, and is reported.

No timing assertions: the numbers depend on the machine. The browser measurement is skipped here
(tests/e2e covers the upload in Chromium); the report must still list its target as not run.
"""
from __future__ import annotations

import re

import pytest

from bench import gen, pandas_ref
from bench.report import fmt_mem, fmt_s, same
from bench.run import main

ROWS = 10_000


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("bench")
    doc = out / "benchmarks.md"
    assert main(["--sizes", str(ROWS), "--ui-rows", str(ROWS), "--repeat", "1", "--no-browser",
                 "--out", str(out), "--doc", str(doc)]) == 0
    return doc.read_text(encoding="utf-8")


def table(doc: str, heading: str) -> list[list[str]]:
    """The body rows of the markdown table under ``## heading``."""
    part = doc.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in part.splitlines() if ln.startswith("|")][2:]
    return [[c.strip() for c in r.strip("|").split("|")] for r in rows]


def test_every_step_is_measured_on_both_sides_and_agrees(report):
    rows = table(report, "Steps: app against pandas")
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("event log", "load the CSV into the session's DuckDB", "10,000"),
        ("event log", "monthly cohort matrix", "10,000"),
        ("event log", "6-step ordered funnel, 7-day window", "10,000"),
        ("event log", "all Overview KPIs", "10,000"),
        ("orders", "load the CSV into the session's DuckDB", "10,000"),
        ("orders", "all Overview KPIs", "10,000"),
    ]
    for r in rows:
        assert re.fullmatch(r"\d+ ms|\d+\.\d+ s", r[3]) and re.fullmatch(r"\d+ ms|\d+\.\d+ s", r[5]), r
        assert r[9] == "yes", r


def test_every_target_has_a_line(report):
    rows = table(report, "Targets")
    assert len(rows) == 14   # 4 times + load RSS, 6 against pandas, AppTest, Chromium, 100M
    met = {r[0].split(",")[0]: r[3] for r in rows}
    assert met["drop the file on Load data → first chart on Overview"] == "—"
    assert rows[-1][0].startswith("100M-row event log through audit.py") and "not run" in rows[-1][4]
    for r in rows[:-2]:
        assert r[3] in ("yes", "**no**"), r


def test_interactive_table_has_the_apptest_row(report):
    (row,) = table(report, "Interactive")
    assert row[0].startswith("Retention: filter change") and row[1] == "10,000"
    assert re.search(r"\d+ charts, the largest sends [\d,]+ rows", row[4])


def test_machine_and_method_are_described(report):
    assert "**Machine:**" in report and "cores" in report and "DuckDB 2." in report
    assert "Load average" in report


@pytest.mark.parametrize("a, b, expected", [
    ({"rows": 10}, {"rows": 10, "kind": "events"}, True),
    ({"x": 0.1 + 0.2}, {"x": 0.3}, True),
    ({"x": 0.3}, {"x": 0.31}, False),
    ({"x": None}, {"x": None}, True),
    ({"x": None}, {"x": 0.0}, False),
    ({"depths": {"1": 5, "2": 3}}, {"depths": {"1": 5, "2": 4}}, False),
    ({}, {"rows": 1}, False),
])
def test_same(a, b, expected):
    assert same(a, b) is expected


@pytest.mark.parametrize("value, text", [(0.0123, "12 ms"), (1.5, "1.50 s"), (12.34, "12.3 s"), (None, "—")])
def test_fmt_s(value, text):
    assert fmt_s(value) == text


@pytest.mark.parametrize("value, text", [(0, "—"), (512 * 1024 ** 2, "512 MB"), (1.5 * 1024 ** 3, "1.50 GB")])
def test_fmt_mem(value, text):
    assert fmt_mem(value) == text


def test_generated_event_log_has_the_asked_rows_and_a_funnel(tmp_path):
    files = gen.generate("events", 5_000, tmp_path)
    df = pandas_ref.read_csv("events", files.csv)
    assert len(df) == 5_000
    assert list(df.columns) == ["user_id", "event", "timestamp", "channel", "device", "region", "revenue"]
    assert set(df["event"]) == set(gen.FUNNEL)
    depths = pandas_ref.funnel_check(pandas_ref.ordered_funnel(df))["depths"]
    assert set(depths) == {"1", "2", "3", "4", "5", "6"}
