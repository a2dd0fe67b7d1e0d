"""Loaded tables are stored compressed in memory, compacted on a background thread after each load."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd

from data.db import DATA_CATALOG, compressed
from data.kpis import compute_kpis
from data.session import Workspace


def _events_csv(n: int = 200_000) -> bytes:
    rng = np.random.default_rng(7)
    ts = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 90 * 86_400, n), unit="s")
    frame = pd.DataFrame({"user_id": [f"u{i}" for i in rng.integers(0, 20_000, n)],
                          "event": rng.choice(["sign_up", "app_open", "view_product", "purchase"], n),
                          "timestamp": ts.strftime("%Y-%m-%d %H:%M:%S"),
                          "channel": rng.choice(["organic", "paid", "referral"], n)})
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _table_bytes(ws: Workspace) -> int:
    return int(ws.con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory() "
                              "WHERE tag = 'IN_MEMORY_TABLE'").fetchone()[0])


def test_tables_are_compressed_after_a_load_and_give_the_same_numbers():
    data = _events_csv()
    plain, packed = Workspace(compress=False), Workspace()
    assert not compressed(plain.con) and compressed(packed.con)
    for ws in (plain, packed):
        res = ws.add_file("events.csv", data)
        assert not res.issues and res.datasets[0].rows == 200_000
        assert ws.wait_compacted(timeout=60)
    catalog = packed.con.execute("SELECT database_name FROM duckdb_tables() WHERE table_name = ?",
                                 [packed.datasets[0].name]).fetchone()[0]
    assert catalog == DATA_CATALOG
    assert _table_bytes(packed) < 0.5 * _table_bytes(plain)
    a, b = compute_kpis(plain), compute_kpis(packed)
    assert {k: v.value for k, v in a.items()} == {k: v.value for k, v in b.items()}
    assert b["mau"].value is not None


def test_queries_run_while_compacting_and_a_removed_file_is_freed():
    ws = Workspace()
    ws.add_file("events.csv", _events_csv())
    # straight after the load, possibly while the compaction runs
    assert ws.row_count(ws.datasets[0].name) == 200_000
    assert ws.wait_compacted(timeout=60)
    held = _table_bytes(ws)
    ws.remove(ws.datasets[0].name)
    assert ws.wait_compacted(timeout=60)
    assert _table_bytes(ws) < held / 4
    ws.close()


def test_a_second_load_during_compaction_waits_and_both_are_kept():
    ws = Workspace()
    first = ws.add_file("a.csv", _events_csv(100_000))
    second = ws.add_file("b.csv", _events_csv(50_000))
    assert ws.wait_compacted(timeout=60)
    assert [d.rows for d in ws.datasets] == [100_000, 50_000]
    assert not first.issues and not second.issues


def test_a_script_that_ends_right_after_a_load_exits_cleanly(tmp_path):
    # the compaction thread must not be cut off by the interpreter's shutdown (it aborted the process)
    import subprocess
    import sys
    from pathlib import Path

    csv = tmp_path / "events.csv"
    csv.write_bytes(_events_csv(300_000))
    script = ("import sys; from pathlib import Path; from data.session import Workspace; ws = Workspace(); "
              f"res = ws.add_file('events.csv', Path({str(csv)!r})); print(res.datasets[0].rows)")
    root = Path(__file__).resolve().parents[2]
    for _ in range(3):
        got = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120)
        assert (got.returncode, got.stdout.strip()) == (0, "300000"), got.stderr[-500:]
