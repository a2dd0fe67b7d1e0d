"""Period-over-period and year-over-year date maths and changes."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi.change import (Change, covers, growth, growth_per_period, period_change, period_days, previous_period,
                        same_period_last_year)
from kpi.result import Reason


@pytest.mark.parametrize("start, end, expected", [
    (date(2026, 3, 1), date(2026, 3, 31), (date(2026, 1, 29), date(2026, 2, 28))),
    (date(2026, 3, 9), date(2026, 3, 15), (date(2026, 3, 2), date(2026, 3, 8))),
    (date(2026, 1, 1), date(2026, 1, 1), (date(2025, 12, 31), date(2025, 12, 31))),
    (date(2024, 3, 1), date(2024, 3, 31), (date(2024, 1, 30), date(2024, 2, 29))),
])
def test_previous_period_has_equal_length_and_ends_the_day_before(start, end, expected):
    assert previous_period(start, end) == expected
    assert period_days(*expected) == period_days(start, end)


@pytest.mark.parametrize("start, end, expected", [
    (date(2026, 6, 1), date(2026, 6, 30), (date(2025, 6, 1), date(2025, 6, 30))),
    (date(2024, 2, 1), date(2024, 2, 29), (date(2023, 2, 1), date(2023, 2, 28))),
    (date(2026, 12, 25), date(2027, 1, 7), (date(2025, 12, 25), date(2026, 1, 7))),
])
def test_same_period_last_year(start, end, expected):
    assert same_period_last_year(start, end) == expected


def test_reversed_range_is_an_error():
    with pytest.raises(ValueError):
        previous_period(date(2026, 2, 1), date(2026, 1, 1))


@pytest.mark.parametrize("data, period, expected", [
    ((date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)), True),
    ((date(2026, 1, 2), date(2026, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)), False),
    ((date(2026, 1, 1), date(2026, 1, 30)), (date(2026, 1, 1), date(2026, 1, 31)), False),
    (None, (date(2026, 1, 1), date(2026, 1, 31)), False),
])
def test_covers(data, period, expected):
    assert covers(data, period) is expected


@pytest.mark.parametrize("current, previous, expected", [
    (110.0, 100.0, Change(110.0, 100.0, 10.0, 0.1)),
    (0.06, 0.05, Change(0.06, 0.05, pytest.approx(0.01), pytest.approx(0.2))),
    (-50.0, -100.0, Change(-50.0, -100.0, 50.0, 0.5)),
    (5.0, 0.0, Change(5.0, 0.0, 5.0, None, "zero_denominator")),
    (None, 3.0, Change(None, 3.0, None, None, "missing_value")),
])
def test_period_change(current, previous, expected):
    assert period_change(current, previous) == expected


@given(value=st.floats(min_value=0.001, max_value=1e9), n=st.integers(min_value=2, max_value=60))
def test_growth_of_a_constant_series_is_zero(value, n):
    assert growth([value] * n).value == 0.0
    assert growth_per_period([value] * n).value == pytest.approx(0.0, abs=1e-12)
    assert period_change(value, value).relative == 0.0


@pytest.mark.parametrize("values, total, per_step", [
    ([100.0, 110.0, 121.0], 0.21, 0.1),
    ([200.0, 150.0], -0.25, -0.25),
])
def test_growth_literals(values, total, per_step):
    assert growth(values).value == pytest.approx(total)
    assert growth_per_period(values).value == pytest.approx(per_step)


def test_growth_needs_two_values_and_a_nonzero_start():
    assert growth([5.0]).reason is Reason.MISSING_VALUE
    assert growth([0.0, 5.0]).reason is Reason.ZERO_DENOMINATOR
