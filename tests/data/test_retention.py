"""data/retention.py: retention triangles from declarative journeys, and SQL against a pandas reference."""
from __future__ import annotations

import random
from datetime import date, datetime

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data import retention as R
from data.session import Workspace
from kpi.result import Reason
from tests.helpers import csv_bytes

D = date.fromisoformat


def events_csv(journeys: dict[str, list[tuple[str, str]]]) -> bytes:
    """{"u1": [("open", "2026-03-02 10:00:00"), ...]} -> an event-log CSV."""
    rows = [[uid, event, ts] for uid, steps in journeys.items() for event, ts in steps]
    return csv_bytes(["user_id", "event", "timestamp"], rows)


def load(name: str, content: bytes) -> tuple[Workspace, R.Dataset]:
    ws = Workspace()
    # offsets in the file are turned into UTC wall-clock times: make that independent of the machine
    ws.con.execute("SET TimeZone = 'UTC'")
    res = ws.add_file(name, content)
    assert not res.issues, res.issues
    (ds,) = res.datasets
    return ws, ds


def triangle(matrix) -> list[tuple[str, int, list]]:
    return [(c.start.isoformat(), c.size, c.rates) for c in matrix.cohorts]


WEEKLY = {
    "u1": [("open", "2026-03-02 08:00:00"), ("open", "2026-03-03 09:00:00"),   # twice in week 0
           ("open", "2026-03-10 10:00:00"), ("open", "2026-03-24 10:00:00")],  # weeks 1 and 3
    "u2": [("open", "2026-03-08 23:59:59"), ("open", "2026-03-09 00:00:00")],  # Sunday, then Monday: week 1
    "u3": [("open", "2026-03-11 12:00:00"), ("open", "2026-03-25 12:00:00")],  # gap in week 1
    "u4": [("open", "2026-03-29 18:00:00")],                                   # first event on the last day
}


@pytest.mark.parametrize("rule, expected", [
    ("on", [("2026-03-02", 2, [1.0, 1.0, 0.0, 0.5]),
            ("2026-03-09", 1, [1.0, 0.0, 1.0]),
            ("2026-03-23", 1, [1.0])]),
    ("on_or_after", [("2026-03-02", 2, [1.0, 1.0, 0.5, 0.5]),
                     ("2026-03-09", 1, [1.0, 1.0, 1.0]),
                     ("2026-03-23", 1, [1.0])]),
])
@pytest.mark.parametrize("method", ["auto", "pairs"])
def test_weekly_triangle(rule, expected, method):
    ws, ds = load("events.csv", events_csv(WEEKLY))
    m = R.cohort_matrix(ws.con, ds, "week", rule=rule, method=method)
    assert m.last_date == D("2026-03-29")          # a Sunday: every week in the data is complete
    assert triangle(m) == expected
    assert not any(any(c.incomplete) for c in m.cohorts)


DAILY = {
    "a": [("open", "2026-03-01 10:00:00"), ("open", "2026-03-01 18:00:00"), ("open", "2026-03-02 09:00:00"),
          ("open", "2026-03-04 07:00:00")],
    "b": [("open", "2026-03-02 23:59:59"), ("open", "2026-03-03 00:00:01")],  # two seconds apart: calendar D1
    "c": [("open", "2026-03-04 12:00:00")],
}


def test_daily_triangle_is_calendar_day_based():
    ws, ds = load("events.csv", events_csv(DAILY))
    m = R.cohort_matrix(ws.con, ds, "day")
    assert triangle(m) == [("2026-03-01", 1, [1.0, 1.0, 0.0, 1.0]),
                           ("2026-03-02", 1, [1.0, 1.0, 0.0]),
                           ("2026-03-04", 1, [1.0])]


def test_incomplete_week_is_none_with_a_flag_never_zero():
    journeys = dict(WEEKLY, u5=[("open", "2026-04-01 10:00:00")])  # data now ends on a Wednesday
    ws, ds = load("events.csv", events_csv(journeys))
    m = R.cohort_matrix(ws.con, ds, "week")
    assert triangle(m) == [("2026-03-02", 2, [1.0, 1.0, 0.0, 0.5, None]),
                           ("2026-03-09", 1, [1.0, 0.0, 1.0, None]),
                           ("2026-03-23", 1, [1.0, None]),
                           ("2026-03-30", 1, [1.0])]
    assert [c.incomplete for c in m.cohorts][-2:] == [[False, True], [True]]


def test_mixed_time_zones_are_compared_in_utc():
    journeys = {
        "u1": [("open", "2026-03-01T23:30:00-05:00"),   # 2026-03-02 04:30 UTC
               ("open", "2026-03-02T09:00:00+03:00"),   # 2026-03-02 06:00 UTC
               ("open", "2026-03-03T01:00:00+09:00")],  # 2026-03-02 16:00 UTC: still day 0
        "u2": [("open", "2026-03-02T22:00:00Z"),
               ("open", "2026-03-03T00:30:00-01:00")],  # 2026-03-03 01:30 UTC: day 1
    }
    ws, ds = load("events.csv", events_csv(journeys))
    assert triangle(R.cohort_matrix(ws.con, ds, "day")) == [("2026-03-02", 2, [1.0, 0.5])]


def test_active_events_define_the_cohort_and_the_return():
    journeys = {
        "u1": [("sign_up", "2026-03-02 10:00:00"), ("purchase", "2026-03-04 10:00:00"),
               ("app_open", "2026-03-10 10:00:00"), ("purchase", "2026-03-17 10:00:00")],
        "u2": [("sign_up", "2026-03-03 10:00:00"), ("app_open", "2026-03-10 10:00:00")],
        "u3": [("purchase", "2026-03-12 10:00:00"), ("app_open", "2026-03-22 10:00:00")],
    }
    ws, ds = load("events.csv", events_csv(journeys))
    any_event = R.cohort_matrix(ws.con, ds, "week")
    assert triangle(any_event) == [("2026-03-02", 2, [1.0, 1.0, 0.5]), ("2026-03-09", 1, [1.0, 1.0])]
    buying = R.cohort_matrix(ws.con, ds, "week", active_events=["purchase"])
    assert triangle(buying) == [("2026-03-02", 1, [1.0, 0.0, 1.0]), ("2026-03-09", 1, [1.0, 0.0])]
    assert R.event_names(ws.con, ds) == ["app_open", "purchase", "sign_up"]


ORDERS = csv_bytes(["order_id", "customer_id", "order_date", "amount", "status"], [
    [1, "c1", "2026-01-15 10:00:00", 10, "completed"],
    [2, "c1", "2026-02-03 10:00:00", 20, "cancelled"],     # not activity
    [3, "c1", "2026-03-01 10:00:00", -5, "completed"],     # a return line: not activity
    [4, "c1", "2026-03-10 10:00:00", 15, "Refunded"],      # not activity
    [5, "c1", "2026-04-02 10:00:00", 30, "completed"],
    [6, "c2", "2026-01-31 23:00:00", 5, "completed"],
    [7, "c2", "2026-02-01 10:00:00", 5, "Отменён"],
    [8, "c2", "2026-02-15 10:00:00", 7, "completed"],
    [9, "c3", "2026-02-10 10:00:00", 9, "已取消"],
    [10, "c3", "2026-03-05 10:00:00", 9, "completed"],     # first purchase: March, not February
    [11, "c4", "2026-04-20 10:00:00", 12, "cancelled"],    # never a customer; still the last date of the data
])


def test_orders_monthly_purchases_only():
    ws, ds = load("orders.csv", ORDERS)
    assert ds.kind == "orders"
    m = R.cohort_matrix(ws.con, ds, "month")
    assert m.last_date == D("2026-04-20")
    assert triangle(m) == [("2026-01-01", 2, [1.0, 0.5, 0.0, None]), ("2026-03-01", 1, [1.0, None])]
    assert R.dimensions(ds) == []


def test_orders_without_customers_cannot_give_retention():
    ws, ds = load("orders.csv", csv_bytes(["order_date", "amount"], [["2026-01-15 10:00:00", 10]]))
    assert ds.kind == "orders"
    assert R.check(ds).code == "retention_missing_role"
    assert R.usable_datasets(ws) == []
    doc = R.retention_json(ws)
    assert doc["issue"] == {"code": "retention_missing_role", "params": {"file": "orders.csv", "role": "customer_id"}}
    with pytest.raises(R.RetentionUnavailable):
        R.cohort_counts(ws.con, ds)


RANGE = {
    "old": [("open", "2026-03-01 10:00:00"), ("open", "2026-03-10 10:00:00")],
    "new": [("open", "2026-03-09 10:00:00"), ("open", "2026-03-16 10:00:00")],
    "late": [("open", "2026-03-22 10:00:00")],  # a Sunday: the week of 03-16 is complete
}


def test_date_range_picks_cohorts_and_follows_them_up_after_the_range():
    ws, ds = load("events.csv", events_csv(RANGE))
    m = R.cohort_matrix(ws.con, ds, "week", date_range=(D("2026-03-09"), D("2026-03-15")))
    # "old" was active before the range: not new in it; "new" is followed into the next week
    assert triangle(m) == [("2026-03-09", 1, [1.0, 1.0])]


ACTIVE = {
    "a": [("open", "2026-03-01 10:00:00"), ("open", "2026-03-02 10:00:00"), ("open", "2026-03-08 10:00:00")],
    "b": [("open", "2026-03-01 11:00:00"), ("open", "2026-03-08 11:00:00")],
    "c": [("open", "2026-03-02 12:00:00"), ("open", "2026-03-03 12:00:00")],
}


def test_active_user_retention_counts():
    ws, ds = load("events.csv", events_csv(ACTIVE))
    assert R.active_retention_counts(ws.con, ds) == {1: (2, 5), 7: (2, 2), 30: (0, 0)}
    ranged = R.active_retention_counts(ws.con, ds, date_range=(D("2026-03-02"), D("2026-03-02")))
    assert ranged == {1: (1, 2), 7: (0, 0), 30: (0, 0)}


def test_day_retention_both_definitions():
    ws, ds = load("events.csv", events_csv(ACTIVE))
    got = {d.k: d for d in R.day_retention(ws.con, ds)}
    assert got[1].active_users.value == pytest.approx(0.4) and got[1].active_inputs == (2, 5)
    assert got[7].active_users.value == 1.0
    assert got[30].active_users.reason == Reason.RANGE_TOO_SHORT
    # cohorts: 03-01 = {a, b}, 03-02 = {c}; D1: a and c of 3; D7: a and b of 2 (03-02 + 7 is after the data)
    assert (got[1].cohort.value, got[1].cohort_inputs) == (pytest.approx(2 / 3), (2, 3))
    assert (got[7].cohort.value, got[7].cohort_inputs) == (1.0, (2, 2))
    assert got[30].cohort.reason == Reason.RANGE_TOO_SHORT


LIFE = {
    "a": [("open", "2026-03-02 10:00:00"), ("open", "2026-03-10 10:00:00"), ("open", "2026-03-24 10:00:00")],
    "b": [("open", "2026-03-03 10:00:00"), ("open", "2026-03-18 10:00:00")],
    "c": [("open", "2026-03-12 10:00:00")],
    "d": [("open", "2026-03-25 10:00:00")],
}


def test_lifecycle_weekly():
    ws, ds = load("events.csv", events_csv(LIFE))
    got = [(p.start.isoformat(), p.active, p.new, p.returning, p.resurrecting, p.dormant, p.churn, p.complete)
           for p in R.lifecycle(ws.con, ds, "week")]
    assert got == [("2026-03-02", 2, 2, 0, 0, 0, None, True),
                   ("2026-03-09", 2, 1, 1, 0, 1, 0.5, True),
                   ("2026-03-16", 1, 0, 0, 1, 2, 1.0, True),
                   ("2026-03-23", 2, 1, 0, 1, 1, 1.0, False)]   # the data ends on a Wednesday


def test_lifecycle_in_a_range_keeps_earlier_history():
    ws, ds = load("events.csv", events_csv(LIFE))
    got = [(p.start.isoformat(), p.new, p.returning, p.resurrecting, p.dormant)
           for p in R.lifecycle(ws.con, ds, "week", date_range=(D("2026-03-16"), D("2026-03-29")))]
    assert got == [("2026-03-16", 0, 0, 1, 2), ("2026-03-23", 1, 0, 1, 1)]


def test_activity_series_and_stickiness():
    ws, ds = load("events.csv", events_csv(LIFE))
    act = R.activity(ws.con, ds)
    assert (act.span.first, act.span.last) == (D("2026-03-02"), D("2026-03-25"))
    assert act.daily["users"].tolist() == [1, 1, 1, 1, 1, 1, 1]
    assert [d.isoformat() for d in act.weekly["start"]] == ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]
    assert act.weekly["users"].tolist() == [2, 2, 1, 2]
    (march,) = act.months
    assert (march.mau, march.user_days, march.days, march.complete) == (4, 7, 24, False)
    assert act.summary.stickiness.value == pytest.approx(7 / (24 * 4))
    assert act.summary.dau.value == pytest.approx(7 / 24)


def test_segment_curves_by_first_value():
    content = csv_bytes(["user_id", "event", "timestamp", "channel"], [
        ["u1", "open", "2026-03-02 10:00:00", "ads"], ["u1", "open", "2026-03-09 10:00:00", "organic"],
        ["u2", "open", "2026-03-03 10:00:00", "ads"],
        ["u3", "open", "2026-03-03 10:00:00", "organic"], ["u3", "open", "2026-03-10 10:00:00", "organic"],
        ["u4", "open", "2026-03-04 10:00:00", ""], ["u4", "open", "2026-03-15 10:00:00", "ads"],
    ])
    ws, ds = load("events.csv", content)
    curves = R.segment_curves(ws.con, ds, "channel", "week", max_k=1)
    got = [(c.segment, c.other, c.users, [p.rate for p in c.curve]) for c in curves]
    assert got == [("ads", False, 2, [1.0, 0.5]), ("organic", False, 1, [1.0, 1.0]), (None, False, 1, [1.0, 1.0])]
    top1 = R.segment_curves(ws.con, ds, "channel", "week", max_k=1, top=1)
    assert [(c.segment, c.other, c.users) for c in top1] == [("ads", False, 2), (None, True, 2)]
    with pytest.raises(R.RetentionUnavailable):
        R.segment_curves(ws.con, ds, "coupon")


def test_retention_json_shape():
    ws, ds = load("events.csv", events_csv(WEEKLY))
    doc = R.retention_json(ws, period="week", rule="on_or_after")
    assert doc["cohorts"] == [
        {"cohort": "2026-03-02", "size": 2, "rates": [1.0, 1.0, 0.5, 0.5], "incomplete": [False] * 4},
        {"cohort": "2026-03-09", "size": 1, "rates": [1.0, 1.0, 1.0], "incomplete": [False] * 3},
        {"cohort": "2026-03-23", "size": 1, "rates": [1.0], "incomplete": [False]},
    ]
    assert (doc["period"], doc["rule"], doc["dataset"], doc["last_date"]) == (
        "week", "on_or_after", "events.csv", "2026-03-29")
    assert set(doc["kpis"]) == {"retention_d1", "retention_d7", "retention_d30", "cohort_retention_d1",
                                "cohort_retention_d7", "cohort_retention_d30", "dau", "mau", "stickiness"}
    assert doc["kpis"]["retention_d30"] == {"value": None, "reason": "range_too_short", "retained": 0, "base": 0}


def test_retention_json_without_data():
    assert R.retention_json(Workspace())["issue"] == {"code": "retention_no_dataset", "params": {}}


# ---- the SQL against a brute-force pandas reference -------------------------------------------

FREQ = {"day": "D", "week": "W-SUN", "month": "M"}


def reference(rows: list[tuple[str, str, datetime]], period: str, rule: str, active: list[str] | None,
              date_range) -> list[tuple[str, int, list]]:
    """The cohort triangle computed naively in pandas: one user and one period at a time."""
    df = pd.DataFrame(rows, columns=["uid", "event", "ts"])
    last_date = df["ts"].max().date()
    if active:
        df = df[df["event"].isin(active)]
    df = df.assign(p=df["ts"].dt.to_period(FREQ[period]).dt.start_time.dt.date)
    out = []
    firsts = df.groupby("uid")["ts"].min()
    if date_range:
        firsts = firsts[(firsts.dt.date >= date_range[0]) & (firsts.dt.date <= date_range[1])]
    users = {u: set(df.loc[df["uid"] == u, "p"]) for u in firsts.index}
    cohorts: dict[date, list[str]] = {}
    for u in users:
        cohorts.setdefault(min(users[u]), []).append(u)
    for c in sorted(cohorts):
        members = cohorts[c]
        starts = pd.period_range(pd.Timestamp(c), pd.Timestamp(last_date), freq=FREQ[period]).start_time.date
        rates: list = []
        for k, start in enumerate(starts):
            end = (pd.Timestamp(start).to_period(FREQ[period]).end_time).date()
            if k > 0 and end > last_date:
                rates.append(None)
                continue
            if rule == "on":
                n = sum(start in users[u] for u in members)
            else:
                n = sum(max(users[u]) >= start for u in members)
            rates.append(n / len(members))
        out.append((c.isoformat(), len(members), rates))
    return out


@st.composite
def logs(draw):
    n = draw(st.integers(1, 40))
    rng = random.Random(draw(st.integers(0, 10**6)))
    start = datetime(2026, 1, 1) + pd.Timedelta(days=draw(st.integers(0, 60)))
    span_days = draw(st.sampled_from([3, 20, 75, 200]))
    rows = [(f"u{rng.randrange(8)}", rng.choice(["open", "buy", "view"]),
             start + pd.Timedelta(seconds=rng.randrange(span_days * 86_400))) for _ in range(n)]
    period = draw(st.sampled_from(["day", "week", "month"]))
    rule = draw(st.sampled_from(["on", "on_or_after"]))
    active = draw(st.sampled_from([None, ["buy"], ["open", "view"]]))
    if draw(st.booleans()):
        days = sorted(r[2].date() for r in rows)
        a, b = sorted((rng.choice(days), rng.choice(days)))
        date_range = (a, b)
    else:
        date_range = None
    return rows, period, rule, active, date_range


@pytest.fixture(scope="module")
def shared_ws():
    ws = Workspace()
    yield ws
    ws.close()


def direct_dataset(ws: Workspace, rows: list[tuple[str, str, datetime]]) -> R.Dataset:
    """A canonical events view made straight from rows (the ingest path is covered above)."""
    frame = pd.DataFrame(rows, columns=["user_id", "event", "timestamp"])
    name = f"ds_h{len(ws.datasets)}"
    ws.con.register("_rows", frame)
    ws.con.execute(f"CREATE TABLE {name} AS SELECT user_id, event, CAST(timestamp AS TIMESTAMP) AS timestamp "
                   "FROM _rows")
    ws.con.unregister("_rows")
    ds = R.Dataset(name, "events.csv", "events", {"user_id": "user_id", "event": "event", "timestamp": "timestamp"},
                   len(rows), 0, [], None)
    ws.con.execute(f"CREATE VIEW {ds.view} AS SELECT user_id, event, timestamp FROM {name}")
    ws.datasets.append(ds)
    return ds


@given(logs(), st.sampled_from(["auto", "pairs"]))
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                               HealthCheck.function_scoped_fixture])
def test_sql_matches_brute_force_reference(shared_ws, case, method):
    rows, period, rule, active, date_range = case
    ds = direct_dataset(shared_ws, rows)
    m = R.cohort_matrix(shared_ws.con, ds, period, active, rule, date_range, method=method)
    want = reference(rows, period, rule, active, date_range)
    got = triangle(m)
    assert [(c, s) for c, s, _ in got] == [(c, s) for c, s, _ in want]
    for (_, _, g), (_, _, w) in zip(got, want):
        assert g == [None if x is None else pytest.approx(x) for x in w]


# ---- the same numbers as the KPI engine (Overview, audit.py) on the sample files ------------------

SAMPLES = {"app": "app_events.csv", "shop": "shop_orders.csv"}


@pytest.mark.parametrize("sample", ["app", "shop"])
@pytest.mark.parametrize("date_range", [None, (D("2026-07-01"), D("2026-09-30"))])
def test_kpis_match_the_kpi_engine(sample, date_range):
    from data.demo import SAMPLES_DIR, load_sample
    from data.kpis import compute_kpis

    if not (SAMPLES_DIR / SAMPLES[sample]).exists():
        pytest.skip("sample files not generated")
    ws = Workspace()
    load_sample(ws, sample)
    doc = R.retention_json(ws, "month", date_range=date_range)
    start, end = date_range or (None, None)
    engine = compute_kpis(ws, start, end, ids=["retention_d1", "retention_d7", "retention_d30", "dau", "mau",
                                               "stickiness"])
    for kpi_id, value in engine.items():
        assert doc["kpis"][kpi_id]["value"] == pytest.approx(value.value, abs=1e-6), kpi_id
