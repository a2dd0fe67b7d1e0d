"""Retention and activity maths: cohort matrices, D1/D7/D30, stickiness, lifecycle. Pure Python.

The data layer (``data/retention.py``) counts users in DuckDB; the functions here turn those small
count tables into rates, mark what the data cannot tell yet, and compare with the guide's bands.

Definitions used everywhere (and shown next to the numbers on the page):

* **Cohort**: users grouped by the calendar day, week (Monday start) or month of their first activity.
  Period ``k`` of a cohort starting on ``c`` is ``[c + k periods, c + (k + 1) periods)``.
* **Rule "on"**: a cohort user counts in period ``k`` when active in period ``k``.
  **Rule "on or after"**: when active in period ``k`` or any later period.
* **Incomplete**: period ``k`` of a cohort has started but ends after the last date in the data; its
  rate is ``None`` (the data cannot tell yet), never a drop to 0. Periods that start after the last
  date are not listed at all.
* **Cohort Dk** (calendar-day based): of the users whose first activity is on day ``c``, the share
  active on calendar day ``c + k``, pooled over the cohorts whose day ``c + k`` is in the data:
  Σ active / Σ cohort size. Being active at 23:59 and again at 00:01 counts as day 1: this is not the
  "24 to 48 hours after the first event" definition some tools use.
* **Active-user Dk** (the guide's definition): of the users active on day ``N``, the share also active
  on day ``N + k``, pooled over every ``N`` with ``N + k`` in the data.
* **Stickiness**: average DAU of a month / MAU of that month, pooled over months as
  Σ user-days / Σ (days of the month in the data × MAU).
* **Lifecycle** of period ``t``: *new* (first activity ever in ``t``), *returning* (active in ``t`` and
  ``t − 1``), *resurrecting* (active in ``t``, not in ``t − 1``, active before), *dormant* (active in
  ``t − 1``, not in ``t``); churn = dormant(t) / active(t − 1).
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kpi import formulas as f
from kpi.registry import METRICS, Band
from kpi.result import Outcome, Reason


class Period(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Rule(StrEnum):
    ON = "on"
    ON_OR_AFTER = "on_or_after"


class ProductType(StrEnum):
    """Product types the guide gives D1 bands for (variants of ``retention_d1`` in the registry)."""

    TOOLS = "tools"
    SOCIAL = "social"
    CONTENT = "content"


class D1Status(StrEnum):
    ALARM = "alarm"          # below 20 %: the guide says the core value is in doubt
    BELOW = "below"          # below the product type's band
    IN_BAND = "in_band"
    ABOVE = "above"


D1_ALARM = 0.20
STICKINESS_BAND = Band(0.10, 0.30)
RETENTION_DAYS = (1, 7, 30)
COHORTS_PER_PAGE = 24


# ---- calendar ----------------------------------------------------------------------------------

def period_start(d: date, period: Period | str) -> date:
    """The start of the day, week (Monday) or month that contains ``d``."""
    p = Period(period)
    if p is Period.DAY:
        return d
    if p is Period.WEEK:
        return d - timedelta(days=d.weekday())
    return d.replace(day=1)


def add_periods(start: date, period: Period | str, n: int) -> date:
    """``start`` moved by ``n`` days, weeks or months (months keep the day, clipped to month end)."""
    p = Period(period)
    if p is Period.DAY:
        return start + timedelta(days=n)
    if p is Period.WEEK:
        return start + timedelta(days=7 * n)
    months = start.year * 12 + (start.month - 1) + n
    year, month = divmod(months, 12)
    day = min(start.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def period_end(start: date, period: Period | str) -> date:
    """The last day of the period that starts on ``start``."""
    return add_periods(start, period, 1) - timedelta(days=1)


def periods_between(first: date, later: date, period: Period | str) -> int:
    """Whole periods from the period of ``first`` to the period of ``later``."""
    a, b = period_start(first, period), period_start(later, period)
    p = Period(period)
    if p is Period.DAY:
        return (b - a).days
    if p is Period.WEEK:
        return (b - a).days // 7
    return (b.year - a.year) * 12 + (b.month - a.month)


# ---- cohort matrix -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    k: int
    start: date
    active: int               # users counted in period k under the rule (so far, when incomplete)
    rate: float | None        # active / size; None when incomplete
    incomplete: bool


@dataclass(frozen=True)
class Cohort:
    start: date
    size: int
    cells: tuple[Cell, ...]   # k = 0 .. the last period that has started by the last date
    first_in_data: bool = False  # holds users who were active before the data starts (left-censored)

    @property
    def rates(self) -> list[float | None]:
        return [c.rate for c in self.cells]

    @property
    def incomplete(self) -> list[bool]:
        return [c.incomplete for c in self.cells]


@dataclass(frozen=True)
class CohortMatrix:
    period: Period
    rule: Rule
    last_date: date | None
    cohorts: tuple[Cohort, ...]  # oldest first

    @property
    def empty(self) -> bool:
        return not self.cohorts

    @property
    def max_k(self) -> int:
        return max((len(c.cells) - 1 for c in self.cohorts), default=-1)


CountRow = tuple[date, int, int, int]  # (cohort start, k, users active in k, users whose last active period is k)


def cohort_matrix(counts: Iterable[CountRow], period: Period | str, rule: Rule | str, last_date: date | None,
                  first_date: date | None = None, max_k: int | None = None) -> CohortMatrix:
    """Shape cohort counts into rates.

    ``counts`` has one row per cohort and period index with any user: users active in period k, and
    users whose *last* active period is k (for the "on or after" rule). Period 0 holds every cohort user.
    With ``max_k``, rows for k > max_k may be lumped into k = max_k + 1 (their ``last`` still counts
    toward "on or after"; their ``active`` is ignored) and cells stop at ``max_k``.
    """
    p, r = Period(period), Rule(rule)
    by_cohort: dict[date, dict[int, tuple[int, int]]] = {}
    for cohort, k, active, last in counts:
        by_cohort.setdefault(cohort, {})[int(k)] = (int(active), int(last))
    if last_date is None:
        return CohortMatrix(p, r, None, ())
    first_cohort = period_start(first_date, p) if first_date is not None else None
    cohorts = []
    for start in sorted(by_cohort):
        rows = by_cohort[start]
        size = rows.get(0, (0, 0))[0]
        if size == 0 or start > last_date:
            continue
        n_started = periods_between(start, last_date, p) + 1
        if max_k is not None:
            n_started = min(n_started, max_k + 1)
        after: dict[int, int] = {}  # users whose last active period is >= k ("on or after")
        tail = 0
        for k in range(max(max(rows), n_started), -1, -1):
            tail += rows.get(k, (0, 0))[1]
            after[k] = tail
        cells = []
        for k in range(n_started):
            k_start = add_periods(start, p, k)
            incomplete = period_end(k_start, p) > last_date
            active = rows.get(k, (0, 0))[0] if r is Rule.ON else after[k]
            if k == 0:
                active, rate = size, 1.0
            else:
                rate = None if incomplete else active / size
            cells.append(Cell(k, k_start, active, rate, incomplete))
        cohorts.append(Cohort(start, size, tuple(cells), first_cohort is not None and start == first_cohort))
    return CohortMatrix(p, r, last_date, tuple(cohorts))


@dataclass(frozen=True)
class CurvePoint:
    k: int
    rate: float | None   # Σ active / Σ size over the cohorts whose period k is complete
    retained: int
    base: int
    cohorts: int


def pooled_curve(matrix: CohortMatrix, max_k: int | None = None) -> tuple[CurvePoint, ...]:
    """The retention curve of all cohorts together: for each k, Σ active / Σ size over complete cells."""
    top = matrix.max_k if max_k is None else min(max_k, matrix.max_k)
    out = []
    for k in range(top + 1):
        retained = base = n = 0
        for c in matrix.cohorts:
            if k < len(c.cells) and (k == 0 or not c.cells[k].incomplete):
                retained += c.cells[k].active
                base += c.size
                n += 1
        out.append(CurvePoint(k, retained / base if base else None, retained, base, n))
    return tuple(out)


def cohort_retention(matrix: CohortMatrix, k: int) -> Outcome:
    """Pooled share of cohort users counted in period k (cohort Dk for a daily matrix)."""
    if matrix.empty:
        return Outcome.missing(Reason.NO_DATA_IN_RANGE)
    retained = base = 0
    for c in matrix.cohorts:
        if k < len(c.cells) and not c.cells[k].incomplete:
            retained += c.cells[k].active
            base += c.size
    if base == 0:
        return Outcome.missing(Reason.RANGE_TOO_SHORT, days=k)
    return Outcome.of(retained / base)


def active_user_retention(retained: int | None, base: int | None, k: int) -> Outcome:
    """The guide's Dk: Σ users active on day N and N + k / Σ users active on day N (N + k in the data)."""
    if base is None:
        return Outcome.missing(Reason.NO_DATA_IN_RANGE)
    if base == 0:
        return Outcome.missing(Reason.RANGE_TOO_SHORT, days=k)
    return f.retention(retained, base)


def churn(retention: Outcome) -> Outcome:
    """1 − retention, keeping the reason when there is no retention value."""
    return retention if retention.value is None else Outcome.of(1.0 - retention.value)


@dataclass(frozen=True)
class CohortPage:
    first: int   # index into matrix.cohorts (oldest first), inclusive
    stop: int    # exclusive


def cohort_pages(n_cohorts: int, size: int = COHORTS_PER_PAGE) -> tuple[CohortPage, ...]:
    """Pages of at most ``size`` cohorts, newest first (page 0 = the newest ``size`` cohorts)."""
    pages = []
    stop = n_cohorts
    while stop > 0:
        first = max(0, stop - size)
        pages.append(CohortPage(first, stop))
        stop = first
    return tuple(pages)


# ---- benchmarks --------------------------------------------------------------------------------

def d1_band(product: ProductType | str) -> Band:
    """The guide's D1 band for a product type (from the registry's ``retention_d1`` benchmarks)."""
    bench = METRICS["retention_d1"].benchmark(str(ProductType(product)))
    assert bench is not None
    band = bench.market
    return Band(band.lo, None) if ProductType(product) is ProductType.CONTENT else band


def d1_status(value: float | None, product: ProductType | str) -> D1Status | None:
    """Where a D1 value stands: below 20 % is an alarm whatever the product type."""
    if value is None:
        return None
    if value < D1_ALARM:
        return D1Status.ALARM
    band = d1_band(product)
    if value < band.lo_or_inf:
        return D1Status.BELOW
    if value > band.hi_or_inf:
        return D1Status.ABOVE
    return D1Status.IN_BAND


def stickiness_status(value: float | None) -> str | None:
    """"below", "typical" (0.1–0.3) or "above" (habit products)."""
    if value is None:
        return None
    if value < STICKINESS_BAND.lo_or_inf:
        return "below"
    if value > STICKINESS_BAND.hi_or_inf:
        return "above"
    return "typical"


# ---- activity ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class MonthActivity:
    month: date
    mau: int
    user_days: int
    days: int            # days of the month inside the data (and the date range)
    complete: bool       # the whole calendar month is in the data
    avg_dau: float | None
    stickiness: float | None


def days_in_window(start: date, period: Period | str, first: date, last: date) -> int:
    """Days of the period starting at ``start`` that fall within [first, last]."""
    lo, hi = max(start, first), min(period_end(start, period), last)
    return max(0, (hi - lo).days + 1)


def monthly_activity(rows: Iterable[tuple[date, int, int]], first: date, last: date) -> tuple[MonthActivity, ...]:
    """Per month (month start, MAU, user-days): average DAU and stickiness = average DAU / MAU."""
    out = []
    for month, mau, user_days in sorted(rows):
        days = days_in_window(month, Period.MONTH, first, last)
        complete = days == days_in_window(month, Period.MONTH, month, period_end(month, Period.MONTH))
        avg = user_days / days if days else None
        stick = avg / mau if avg is not None and mau else None
        out.append(MonthActivity(month, int(mau), int(user_days), days, complete, avg, stick))
    return tuple(out)


@dataclass(frozen=True)
class ActivitySummary:
    dau: Outcome          # Σ daily active users / days in the data
    mau: Outcome          # Σ monthly active users / months
    stickiness: Outcome   # Σ user-days / Σ (days × MAU), over months


def activity_summary(months: Sequence[MonthActivity]) -> ActivitySummary:
    if not months:
        missing = Outcome.missing(Reason.NO_DATA_IN_RANGE)
        return ActivitySummary(missing, missing, missing)
    user_days = sum(m.user_days for m in months)
    days = sum(m.days for m in months)
    return ActivitySummary(
        dau=f.dau(user_days, days),
        mau=f.mau(sum(m.mau for m in months), len(months)),
        stickiness=f.stickiness(user_days, sum(m.days * m.mau for m in months)),
    )


@dataclass(frozen=True)
class LifecyclePeriod:
    start: date
    active: int
    new: int
    returning: int
    resurrecting: int
    dormant: int
    churn: float | None      # dormant / active in the previous period; None for the first period
    complete: bool           # the period ends on or before the last date


def lifecycle(rows: Iterable[tuple[date, int, int, int, int, int]], period: Period | str, first: date,
              last: date) -> tuple[LifecyclePeriod, ...]:
    """Rows (period start, active, new, returning, resurrecting, dormant) for periods in [first, last]."""
    p = Period(period)
    by_start = {r[0]: r for r in rows}
    lo, hi = period_start(first, p), period_start(last, p)
    out = []
    prev_active: int | None = None
    start = lo
    while start <= hi:
        _, active, new, ret, res, dormant = by_start.get(start, (start, 0, 0, 0, 0, 0))
        prev = by_start.get(add_periods(start, p, -1))
        if prev_active is None and prev is not None:
            prev_active = int(prev[1])
        churn_rate = dormant / prev_active if prev_active else None
        out.append(LifecyclePeriod(start, int(active), int(new), int(ret), int(res), int(dormant), churn_rate,
                                   period_end(start, p) <= last))
        prev_active = int(active)
        start = add_periods(start, p, 1)
    return tuple(out)
