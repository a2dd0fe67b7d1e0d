"""Change over time: period-over-period, same period last year, and the date maths behind them."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from kpi.result import KpiValue, Outcome, Reason


def period_days(start: date, end: date) -> int:
    """Days in the inclusive range start..end."""
    return (end - start).days + 1


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The range of equal length that ends the day before ``start``."""
    if end < start:
        raise ValueError("end before start")
    length = period_days(start, end)
    return start - timedelta(days=length), start - timedelta(days=1)


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """The same calendar dates one year earlier (29 February becomes 28 February)."""
    if end < start:
        raise ValueError("end before start")
    return _year_earlier(start), _year_earlier(end)


def covers(data_range: tuple[date, date] | None, period: tuple[date, date]) -> bool:
    """Whether the data spans the whole period."""
    return data_range is not None and data_range[0] <= period[0] and period[1] <= data_range[1]


@dataclass(frozen=True)
class Change:
    """current − previous (``absolute``; fraction points for ratios) and (current − previous) / |previous|."""

    current: float | None
    previous: float | None
    absolute: float | None
    relative: float | None
    reason_code: str | None = None


def period_change(current: float | None, previous: float | None) -> Change:
    if current is None or previous is None:
        return Change(current, previous, None, None, str(Reason.MISSING_VALUE))
    absolute = current - previous
    if previous == 0:
        return Change(current, previous, absolute, None, str(Reason.ZERO_DENOMINATOR))
    return Change(current, previous, absolute, absolute / abs(previous))


def growth(values: Sequence[float]) -> Outcome:
    """(last − first) / |first| of a series: 0 for a constant series."""
    if len(values) < 2:
        return Outcome.missing(Reason.MISSING_VALUE, input="series")
    first, last = values[0], values[-1]
    if first == 0:
        return Outcome.missing(Reason.ZERO_DENOMINATOR, input="first")
    return Outcome.of((last - first) / abs(first))


def growth_per_period(values: Sequence[float]) -> Outcome:
    """Compound growth per step, (last / first) ** (1 / steps) − 1, for a positive series."""
    if len(values) < 2:
        return Outcome.missing(Reason.MISSING_VALUE, input="series")
    first, last = values[0], values[-1]
    if first <= 0 or last < 0:
        return Outcome.missing(Reason.ZERO_DENOMINATOR, input="first")
    return Outcome.of((last / first) ** (1 / (len(values) - 1)) - 1)


@dataclass(frozen=True)
class PeriodComparison:
    """A KPI in a range, the previous equal range and the same range a year earlier.

    ``previous``/``last_year`` are None when the data does not cover that range. ``partner`` is the
    quality KPI that a volume KPI must be read with (new users → effective new-user share).
    """

    id: str
    period: tuple[date, date]
    current: KpiValue
    previous_period: tuple[date, date]
    previous: KpiValue | None
    change: Change | None
    last_year_period: tuple[date, date]
    last_year: KpiValue | None
    last_year_change: Change | None
    partner: str | None = None
