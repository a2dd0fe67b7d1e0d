"""kpi/retention.py: calendars, cohort matrices, D1 bands, stickiness and lifecycle, with literal numbers."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi import retention as kr
from kpi.result import Reason

D = date.fromisoformat


@pytest.mark.parametrize("day, period, start", [
    ("2026-03-04", "day", "2026-03-04"),
    ("2026-03-04", "week", "2026-03-02"),   # Wednesday -> Monday
    ("2026-03-02", "week", "2026-03-02"),   # Monday stays
    ("2026-03-08", "week", "2026-03-02"),   # Sunday belongs to the week that started on Monday
    ("2026-01-01", "week", "2025-12-29"),   # across a year boundary
    ("2026-03-31", "month", "2026-03-01"),
])
def test_period_start(day, period, start):
    assert kr.period_start(D(day), period) == D(start)


@pytest.mark.parametrize("start, period, n, expected", [
    ("2026-03-02", "day", 1, "2026-03-03"),
    ("2026-03-02", "week", 2, "2026-03-16"),
    ("2026-01-31", "month", 1, "2026-02-28"),
    ("2026-11-01", "month", 3, "2027-02-01"),
    ("2026-03-01", "month", -1, "2026-02-01"),
])
def test_add_periods(start, period, n, expected):
    assert kr.add_periods(D(start), period, n) == D(expected)


@pytest.mark.parametrize("start, period, end", [
    ("2026-03-02", "day", "2026-03-02"),
    ("2026-03-02", "week", "2026-03-08"),
    ("2026-02-01", "month", "2026-02-28"),
    ("2024-02-01", "month", "2024-02-29"),
])
def test_period_end(start, period, end):
    assert kr.period_end(D(start), period) == D(end)


@pytest.mark.parametrize("a, b, period, n", [
    ("2026-03-01", "2026-03-31", "day", 30),
    ("2026-03-08", "2026-03-09", "week", 1),    # Sunday -> Monday: next week
    ("2026-03-02", "2026-03-08", "week", 0),
    ("2025-12-31", "2026-01-01", "month", 1),
    ("2026-01-01", "2026-12-31", "month", 11),
])
def test_periods_between(a, b, period, n):
    assert kr.periods_between(D(a), D(b), period) == n


@given(st.dates(date(2000, 1, 1), date(2040, 12, 31)), st.sampled_from(list(kr.Period)),
       st.integers(0, 60))
@settings(max_examples=80, deadline=None)
def test_periods_between_inverts_add_periods(d, period, n):
    start = kr.period_start(d, period)
    assert kr.periods_between(start, kr.add_periods(start, period, n), period) == n


# ---- cohort matrix --------------------------------------------------------------------------------
# rows: (cohort start, k, users active in k, users whose last active period is k)

WEEKLY = [
    (D("2026-03-02"), 0, 10, 2), (D("2026-03-02"), 1, 5, 3), (D("2026-03-02"), 2, 4, 4),
    (D("2026-03-02"), 3, 1, 1),
    (D("2026-03-09"), 0, 4, 2), (D("2026-03-09"), 2, 2, 2),   # nobody in week 1: a gap, not missing
    (D("2026-03-16"), 0, 5, 5),
]


@pytest.mark.parametrize("rule, last, rates, incomplete", [
    # the last date is a Sunday: every started week is complete
    ("on", "2026-03-22", [[1.0, 0.5, 0.4], [1.0, 0.0], [1.0]],
     [[False, False, False], [False, False], [False]]),
    ("on_or_after", "2026-03-22", [[1.0, 0.8, 0.5], [1.0, 0.5], [1.0]],
     [[False, False, False], [False, False], [False]]),
    # the last date is a Wednesday: the current week is incomplete (None), never 0
    ("on", "2026-03-25", [[1.0, 0.5, 0.4, None], [1.0, 0.0, None], [1.0, None]],
     [[False, False, False, True], [False, False, True], [False, True]]),
    ("on_or_after", "2026-03-25", [[1.0, 0.8, 0.5, None], [1.0, 0.5, None], [1.0, None]],
     [[False, False, False, True], [False, False, True], [False, True]]),
    # the last date is inside the newest cohort's first week: its size may still grow
    ("on", "2026-03-17", [[1.0, 0.5, None], [1.0, None], [1.0]],
     [[False, False, True], [False, True], [True]]),
])
def test_weekly_triangle(rule, last, rates, incomplete):
    m = kr.cohort_matrix(WEEKLY, "week", rule, D(last))
    assert [c.size for c in m.cohorts] == [10, 4, 5]
    assert [c.rates for c in m.cohorts] == rates
    assert [c.incomplete for c in m.cohorts] == incomplete


def test_cells_keep_counts_of_incomplete_periods():
    m = kr.cohort_matrix(WEEKLY, "week", "on", D("2026-03-25"))
    cell = m.cohorts[0].cells[3]
    assert (cell.k, cell.start, cell.active, cell.rate, cell.incomplete) == (3, D("2026-03-23"), 1, None, True)


def test_cohorts_after_the_last_date_and_empty_cohorts_are_dropped():
    rows = [(D("2026-03-02"), 0, 3, 3), (D("2026-04-06"), 0, 2, 2), (D("2026-03-09"), 1, 1, 1)]
    m = kr.cohort_matrix(rows, "week", "on", D("2026-03-22"))
    assert [(c.start, c.size) for c in m.cohorts] == [(D("2026-03-02"), 3)]


def test_no_last_date_is_an_empty_matrix():
    m = kr.cohort_matrix(WEEKLY, "week", "on", None)
    assert m.empty and m.max_k == -1


def test_first_cohort_in_data_is_flagged():
    m = kr.cohort_matrix(WEEKLY, "week", "on", D("2026-03-22"), first_date=D("2026-03-04"))
    assert [c.first_in_data for c in m.cohorts] == [True, False, False]


def test_lumped_periods_count_for_on_or_after_only():
    # max_k = 1: k = 2 holds everyone whose activity goes on after period 1
    rows = [(D("2026-03-02"), 0, 10, 2), (D("2026-03-02"), 1, 5, 3), (D("2026-03-02"), 2, 0, 5)]
    on = kr.cohort_matrix(rows, "week", "on", D("2026-05-31"), max_k=1)
    after = kr.cohort_matrix(rows, "week", "on_or_after", D("2026-05-31"), max_k=1)
    assert on.cohorts[0].rates == [1.0, 0.5]
    assert after.cohorts[0].rates == [1.0, 0.8]


MONTHLY = [(D("2026-01-01"), 0, 100, 50), (D("2026-01-01"), 1, 30, 20), (D("2026-01-01"), 2, 30, 30),
           (D("2026-02-01"), 0, 50, 40), (D("2026-02-01"), 1, 10, 10),
           (D("2026-03-01"), 0, 20, 20)]


@pytest.mark.parametrize("k, rate, retained, base, cohorts", [
    (0, 1.0, 170, 170, 3),
    (1, 40 / 150, 40, 150, 2),      # March's month 1 (April) is not in the data
    (2, 0.3, 30, 100, 1),
])
def test_pooled_curve_uses_complete_cells_only(k, rate, retained, base, cohorts):
    m = kr.cohort_matrix(MONTHLY, "month", "on", D("2026-03-31"))
    point = kr.pooled_curve(m)[k]
    assert (point.k, point.retained, point.base, point.cohorts) == (k, retained, base, cohorts)
    assert point.rate == pytest.approx(rate)


def test_cohort_retention_reasons():
    m = kr.cohort_matrix(MONTHLY, "month", "on", D("2026-03-31"))
    assert kr.cohort_retention(m, 1).value == pytest.approx(40 / 150)
    too_far = kr.cohort_retention(m, 5)
    assert (too_far.value, too_far.reason, dict(too_far.params)) == (None, Reason.RANGE_TOO_SHORT, {"days": 5})
    empty = kr.cohort_retention(kr.cohort_matrix([], "day", "on", D("2026-03-31")), 1)
    assert (empty.value, empty.reason) == (None, Reason.NO_DATA_IN_RANGE)


@pytest.mark.parametrize("retained, base, value, reason", [
    (42, 100, 0.42, None),
    (0, 100, 0.0, None),
    (0, 0, None, Reason.RANGE_TOO_SHORT),      # no day N with N + k in the data
    (0, None, None, Reason.NO_DATA_IN_RANGE),
])
def test_active_user_retention(retained, base, value, reason):
    out = kr.active_user_retention(retained, base, 7)
    assert out.reason == reason
    assert out.value == (None if value is None else pytest.approx(value))


def test_churn_is_one_minus_retention_and_keeps_the_reason():
    assert kr.churn(kr.active_user_retention(30, 100, 1)).value == pytest.approx(0.7)
    assert kr.churn(kr.active_user_retention(0, 0, 30)).reason == Reason.RANGE_TOO_SHORT


@pytest.mark.parametrize("n, pages", [
    (0, []),
    (5, [(0, 5)]),
    (24, [(0, 24)]),
    (30, [(6, 30), (0, 6)]),
    (50, [(26, 50), (2, 26), (0, 2)]),
])
def test_cohort_pages_newest_first(n, pages):
    assert [(p.first, p.stop) for p in kr.cohort_pages(n)] == pages


# ---- bands ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("product, lo, hi", [("tools", 0.30, 0.50), ("social", 0.40, 0.60), ("content", 0.70, None)])
def test_d1_bands_from_the_guide(product, lo, hi):
    band = kr.d1_band(product)
    assert (band.lo, band.hi) == (lo, hi)


@pytest.mark.parametrize("value, product, status", [
    (None, "tools", None),
    (0.19, "tools", kr.D1Status.ALARM),
    (0.19, "content", kr.D1Status.ALARM),
    (0.20, "tools", kr.D1Status.BELOW),
    (0.30, "tools", kr.D1Status.IN_BAND),
    (0.50, "tools", kr.D1Status.IN_BAND),
    (0.55, "tools", kr.D1Status.ABOVE),
    (0.35, "social", kr.D1Status.BELOW),
    (0.65, "content", kr.D1Status.BELOW),
    (0.95, "content", kr.D1Status.IN_BAND),
])
def test_d1_status(value, product, status):
    assert kr.d1_status(value, product) == status


@pytest.mark.parametrize("value, status", [(None, None), (0.05, "below"), (0.1, "typical"), (0.3, "typical"),
                                           (0.8, "above")])
def test_stickiness_status(value, status):
    assert kr.stickiness_status(value) == status


# ---- activity -------------------------------------------------------------------------------------

def test_monthly_activity_uses_days_in_the_data():
    rows = [(D("2026-03-01"), 10, 60), (D("2026-04-01"), 20, 150)]
    months = kr.monthly_activity(rows, first=D("2026-03-17"), last=D("2026-04-30"))
    got = [(m.month, m.days, m.complete, m.avg_dau, m.stickiness) for m in months]
    assert got == [(D("2026-03-01"), 15, False, 4.0, 0.4), (D("2026-04-01"), 30, True, 5.0, 0.25)]
    summary = kr.activity_summary(months)
    assert summary.dau.value == pytest.approx(210 / 45)
    assert summary.mau.value == pytest.approx(15.0)
    assert summary.stickiness.value == pytest.approx(210 / (15 * 10 + 30 * 20))


def test_activity_summary_of_nothing_has_a_reason():
    s = kr.activity_summary(())
    assert (s.dau.value, s.dau.reason, s.stickiness.reason) == (None, Reason.NO_DATA_IN_RANGE, Reason.NO_DATA_IN_RANGE)


def test_lifecycle_fills_empty_periods_and_computes_churn():
    rows = [(D("2026-03-02"), 4, 4, 0, 0, 0), (D("2026-03-09"), 3, 1, 2, 0, 2),
            (D("2026-03-23"), 1, 0, 0, 1, 1), (D("2026-03-30"), 0, 0, 0, 0, 1)]
    got = kr.lifecycle(rows, "week", D("2026-03-02"), D("2026-03-25"))
    assert [(p.start, p.active, p.new, p.returning, p.resurrecting, p.dormant, p.churn, p.complete)
            for p in got] == [
        (D("2026-03-02"), 4, 4, 0, 0, 0, None, True),
        (D("2026-03-09"), 3, 1, 2, 0, 2, 0.5, True),
        (D("2026-03-16"), 0, 0, 0, 0, 0, 0.0, True),       # no row for the week: zeros
        (D("2026-03-23"), 1, 0, 0, 1, 1, None, False),     # nobody was active the week before
    ]


def test_lifecycle_churn_of_the_first_shown_period_uses_history():
    rows = [(D("2026-02-01"), 10, 10, 0, 0, 0), (D("2026-03-01"), 6, 2, 4, 0, 6)]
    (march,) = kr.lifecycle(rows, "month", D("2026-03-05"), D("2026-03-31"))
    assert (march.churn, march.complete) == (0.6, True)
