"""Fuzzing with a time budget: mutated uploads through the loader *and* the audit CLI's computations.

tests/data/test_fuzz_loader.py fuzzes the loader alone with random bytes and random CSV dialects.
Here real files (the samples' first lines and the bad corpus) are damaged byte by byte, loaded next
to a good dataset, and every KPI, the retention matrix and the content report are computed from
whatever loaded, as ``audit.py`` does. Anything but a LoadError-with-message is a bug.

Each test stops drawing new examples after ``KPIWB_FUZZ_SECONDS`` (default 15 s), so CI time is
bounded whatever the machine; the examples are derandomised, so a run is repeatable.
"""
from __future__ import annotations

import os
import time
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit
from data.session import Workspace
from tests.badcorpus.make_bad_corpus import OUT, SMALL
from tests.reliability.conftest import assert_clear_message

BUDGET = float(os.environ.get("KPIWB_FUZZ_SECONDS", "15"))
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
TODAY = date(2026, 11, 23)


def _seed_files() -> list[tuple[str, bytes]]:
    out = []
    for p in sorted(SAMPLES.glob("*.csv")):
        with open(p, "rb") as fh:
            out.append((p.name, b"".join(fh.readline() for _ in range(120))))
    out += [(c.upload_name, (OUT / c.file).read_bytes()) for c in SMALL if (OUT / c.file).stat().st_size < 8000]
    return out


SEEDS = _seed_files()
MUTATION = st.tuples(st.sampled_from(["flip", "insert", "delete", "truncate", "dup_line", "quote"]),
                     st.integers(0, 10 ** 6), st.binary(min_size=1, max_size=4))


def _mutate(data: bytes, mutations) -> bytes:
    b = bytearray(data)
    for kind, at, junk in mutations:
        i = at % (len(b) + 1)
        if kind == "flip" and b:
            b[i % len(b)] ^= junk[0] or 1
        elif kind == "insert":
            b[i:i] = junk
        elif kind == "delete":
            del b[i:i + len(junk)]
        elif kind == "truncate":
            del b[i:]
        elif kind == "dup_line":
            end = b.find(b"\n", i)
            start = b.rfind(b"\n", 0, i) + 1
            if end > start:
                b[end:end] = b"\n" + b[start:end] * (1 + junk[0] % 3)
        elif kind == "quote":
            b[i:i] = b'"'
    return bytes(b)


class _Budget:
    def __init__(self) -> None:
        self.end = None

    def spent(self) -> bool:
        if self.end is None:
            self.end = time.monotonic() + BUDGET
        return time.monotonic() > self.end


_GOOD = b"date,views,likes,comments,shares\n2026-01-01,100,5,1,0\n2026-01-02,120,6,2,1\n"
_ARGS = audit._parser().parse_args(["x", "--period", "week", "--today", TODAY.isoformat()])
_budget_loader, _budget_audit = _Budget(), _Budget()


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(MUTATION, min_size=1, max_size=6))
def test_mutated_uploads_load_or_say_why(seed, mutations):
    if _budget_loader.spent():
        return
    name, data = seed
    ws = Workspace()
    ws.add_file("good.csv", _GOOD, today=TODAY)
    res = ws.add_file(name, _mutate(data, mutations), today=TODAY)
    for issue in res.issues:
        assert issue.code != "load_failed", issue
        assert_clear_message(issue)
    for ds in res.datasets:
        for w in ds.warnings:
            assert_clear_message(w)
    assert ws.row_count(ws.datasets[0].name) == 2


@FUZZ
@given(st.sampled_from(SEEDS), st.lists(MUTATION, min_size=1, max_size=4), st.sampled_from(["en", "ru", "zh"]))
def test_audit_computes_on_whatever_loaded(seed, mutations, lang):
    if _budget_audit.spent():
        return
    name, data = seed
    ws = Workspace()
    res = ws.add_file(name, _mutate(data, mutations), today=TODAY)
    if not res.datasets:
        return
    _ARGS.lang = lang
    doc = audit.build(ws, _ARGS)
    assert {d["file"] for d in doc["datasets"]} == {d.label for d in ws.datasets}
