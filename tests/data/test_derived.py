"""The per-workspace derived tables and results (data/derived.py) that the KPI engine shares."""
from __future__ import annotations

from datetime import date

from pytest import approx

from data import derived
from data.kpis import compute_kpis, kpi_series
from tests.data.test_kpis import EVENTS
from tests.helpers import csv_bytes, workspace_with


def _kpiwb_tables(ws) -> set[str]:
    return {r[0] for r in ws.con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'kpiwb_%'")
            .fetchall()}


def test_tables_are_built_once_and_shared_by_ranges_and_series():
    ws = workspace_with(events__csv=EVENTS)
    compute_kpis(ws)
    built = set(derived.tables(ws))
    # distinct user-days (activity = any event, so visitors share it), purchase days, first events,
    # D1/D7/D30 counts per day
    assert sorted(n.rsplit("_", 1)[0] for n in built) == ["kpiwb_buys", "kpiwb_days", "kpiwb_first", "kpiwb_retdays"]
    assert _kpiwb_tables(ws) == built
    compute_kpis(ws, date(2026, 3, 3), date(2026, 3, 4))
    kpi_series(ws, "dau", "week")
    kpi_series(ws, "retention_d7", "day")
    assert set(derived.tables(ws)) == built


def test_results_are_reused_until_the_data_changes():
    ws = workspace_with(events__csv=EVENTS)
    calls = []
    assert derived.result(ws, ("k",), lambda: calls.append(1) or 7) == 7
    assert derived.result(ws, ("k",), lambda: calls.append(1) or 8) == 7
    assert calls == [1]
    old = set(derived.tables(ws))
    compute_kpis(ws)
    assert derived.tables(ws)
    ws.remove(ws.datasets[0].name)
    # the next use sees another state: the old tables are dropped, the results forgotten
    assert derived.result(ws, ("k",), lambda: 9) == 9
    assert derived.tables(ws) == []
    assert _kpiwb_tables(ws) == set()
    assert old.isdisjoint(_kpiwb_tables(ws))


def test_a_changed_mapping_rebuilds_the_tables():
    ws = workspace_with(events__csv=EVENTS)
    assert compute_kpis(ws)["mau"].value == approx(4.0)
    first = set(derived.tables(ws))
    ds = ws.datasets[0]
    roles = dict(ds.roles)
    roles["user_id"] = "channel"           # now the channel is the "user": two of them
    ws.set_mapping(ds.name, ds.kind, roles)
    assert compute_kpis(ws)["mau"].value == approx(2.0)
    assert first.isdisjoint(derived.tables(ws))


def test_clear_drops_everything_and_the_lru_is_bounded():
    ws = workspace_with(events__csv=EVENTS)
    compute_kpis(ws)
    derived.clear(ws)
    assert _kpiwb_tables(ws) == set()
    for i in range(derived.MAX_RESULTS + 10):
        derived.result(ws, ("n", i), lambda i=i: i)
    cache = ws.__dict__["_kpiwb_derived"]
    assert len(cache.results) == derived.MAX_RESULTS
    assert ("n", 0) not in cache.results and ("n", derived.MAX_RESULTS + 9) in cache.results
    assert compute_kpis(ws)["new_users"].value == 4.0


def test_rows_without_a_user_id_are_not_a_user():
    # hash(NULL) is a number in DuckDB: ids are filtered before hashing, so these rows count nowhere
    events = csv_bytes(["user_id", "event", "timestamp"], [
        ["u1", "sign_up", "2026-03-02 09:00:00"],
        [None, "app_open", "2026-03-02 10:00:00"],
        [None, "purchase", "2026-03-03 10:00:00"],
        ["u1", "app_open", "2026-03-03 11:00:00"],
    ])
    ws = workspace_with(events__csv=events)
    v = compute_kpis(ws)
    assert v["new_users"].value == 1.0
    assert v["mau"].value == approx(1.0)
    assert v["dau"].value == approx(1.0)
    assert v["retention_d1"].inputs == {"retained": 1.0, "base": 1.0}
    assert v["channel_conversion_rate"].value == approx(0.0)
