"""SMART goals: the five checks, the goal statement, suggestions, action plans and tracking.

Pure: no streamlit, no duckdb, no file reads, no clock ("today" is always a parameter). Nothing
here holds user-facing text: a check carries a stable ``code`` and the numbers its sentence needs;
the UI translates ``goals.check.<name>.<code>``, task codes as ``goals.task.<code>``.

Values are in the metric's own unit (a ratio 0.052 is 5.2 %; durations in seconds).

The checks, each pass / warn / fail:

* Specific: one known KPI, a target, one scope; the target moves the KPI (and in the better
  direction, or the user is told).
* Measurable: the KPI is computable from the loaded data and the baseline is known; the target is
  a possible value (a ratio between 0 and 100 %, nothing negative).
* Achievable: the improvement per period the target needs (compound, from today to the deadline)
  against the historical improvement per period (a least-squares fit of log(value) over a window as
  long as the horizon, at least ``MIN_HISTORY_PERIODS``, ending at the baseline's end). Pass up to
  1.5× the historical pace, warn up to 3×, fail above. With no growth in the history there is
  nothing to scale: warn. The check's ``required`` and ``historical`` are shown as the change of the
  value per period (negative for a response time that must fall). A note gives last year's change
  over the same dates when the data has it.
* Relevant: the KPI serves the chosen business goal (fail if not), and is a focus KPI of the
  business stage (warn if not, naming the stage's focus KPIs).
* Time-bound: a deadline after today; under ``MIN_HORIZON_DAYS`` or over ``COMFORT_HORIZON_DAYS``
  warns, over ``MAX_HORIZON_DAYS`` fails.
"""
from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from kpi.benchmarks import Status, status as band_status
from kpi.registry import METRICS, Band, Benchmark, Direction, Unit


class BusinessGoal(StrEnum):
    SALES = "sales"
    CUSTOMER_BASE = "customer_base"
    BRAND_AWARENESS = "brand_awareness"
    OTHER = "other"


class BusinessStage(StrEnum):
    STARTUP = "startup"
    GROWTH = "growth"
    MATURE = "mature"


class TargetMode(StrEnum):
    ABSOLUTE = "absolute"   # the target value itself
    PERCENT = "percent"     # a % change of the baseline: +10 means baseline × 1.10


class GoalStatus(StrEnum):
    ACTIVE = "active"
    DONE = "done"
    DROPPED = "dropped"


class TaskStatus(StrEnum):
    TODO = "todo"
    DOING = "doing"
    DONE = "done"


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"


class CheckName(StrEnum):
    SPECIFIC = "specific"
    MEASURABLE = "measurable"
    ACHIEVABLE = "achievable"
    RELEVANT = "relevant"
    TIME_BOUND = "time_bound"


class TrackStatus(StrEnum):
    ACHIEVED = "achieved"
    ON_TRACK = "on_track"
    OFF_TRACK = "off_track"
    MISSED = "missed"       # the deadline has passed without reaching the target
    NO_DATA = "no_data"     # the KPI cannot be computed from the data loaded now


class Review(StrEnum):
    NOT_YET = "not_yet"
    DUE = "due"             # one month since creation (or the last review)
    OVERDUE = "overdue"     # more than two months


# ---- constants ---------------------------------------------------------------------------------

MIN_HORIZON_DAYS = 7          # a deadline sooner than a week cannot show a trend
COMFORT_HORIZON_DAYS = 183    # beyond six months: set a nearer milestone
MAX_HORIZON_DAYS = 365        # beyond a year is not time-bound in any useful sense
ACHIEVABLE_WARN = 1.5         # required pace above 1.5 × the historical pace warns
ACHIEVABLE_FAIL = 3.0         # … above 3 × fails
MIN_HISTORY_PERIODS = 4       # the comparable window has at least four periods
REVIEW_DAYS = 30              # the article: review KPIs every one to two months
REVIEW_OVERDUE_DAYS = 61
SMALL_GAP = 0.20              # a suggestion closes a gap of up to 20 % in one month, else two
PERIOD_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
BASELINE_DAYS = 28            # the default baseline: the last four weeks of data
DEFAULT_CHANGE = 0.10         # a target 10 % better than the baseline when no band says more
MAX_SCOPE = 200

# KPIs whose value is a sum over the period: "GMV" needs "per 28 days" to mean anything.
PERIOD_SUMS = frozenset({"gmv", "net_revenue", "new_users", "impressions"})

_ALL = frozenset(METRICS)

# Which KPIs serve which business goal (domain notes §3: sales, customer base, brand awareness).
GOAL_KPIS: dict[BusinessGoal, frozenset[str]] = {
    BusinessGoal.SALES: frozenset({
        "gmv", "net_revenue", "refund_rate", "arr", "aov", "arpu", "ltv", "repurchase_rate", "funnel_conversion",
        "channel_conversion_rate", "lead_conversion_rate", "content_conversion_rate", "cac", "gmv_per_head"}),
    BusinessGoal.CUSTOMER_BASE: frozenset({
        "new_users", "effective_new_user_share", "cac", "channel_conversion_rate", "retention_d1", "retention_d7",
        "retention_d30", "churn_rate", "dau", "mau", "stickiness", "repurchase_rate", "ltv",
        "follower_growth_weekly", "first_response_time", "resolution_time", "users_per_agent"}),
    BusinessGoal.BRAND_AWARENESS: frozenset({
        "follower_growth_weekly", "engagement_rate", "engagement_rate_followers", "views_per_video",
        "impressions", "ctr", "interaction_rate", "new_users"}),
    BusinessGoal.OTHER: _ALL,
}

# Focus KPIs by business stage (domain notes §3). The first ones are the notes' own examples;
# the rest are their analogues for social accounts and shops.
STAGE_FOCUS: dict[BusinessStage, tuple[str, ...]] = {
    # 0 → 1: user quality: retention and core-action conversion
    BusinessStage.STARTUP: ("retention_d1", "retention_d7", "retention_d30", "churn_rate", "funnel_conversion",
                            "channel_conversion_rate", "effective_new_user_share", "engagement_rate",
                            "engagement_rate_followers", "interaction_rate", "lead_conversion_rate"),
    # 1 → 10: growth plus retention: DAU/MAU, repurchase
    BusinessStage.GROWTH: ("stickiness", "dau", "mau", "repurchase_rate", "new_users", "follower_growth_weekly",
                           "views_per_video", "impressions", "ctr", "gmv", "content_conversion_rate"),
    # 10+: monetisation and efficiency: ARPU, output per head
    BusinessStage.MATURE: ("arpu", "gmv_per_head", "users_per_agent", "ltv", "aov", "net_revenue", "arr",
                           "refund_rate", "cac", "first_response_time", "resolution_time"),
}


def default_business_goal(kpi_id: str) -> BusinessGoal:
    """The business goal a KPI most likely serves (preset in the form and for accepted suggestions)."""
    for goal in (BusinessGoal.BRAND_AWARENESS, BusinessGoal.SALES, BusinessGoal.CUSTOMER_BASE):
        if kpi_id in GOAL_KPIS[goal]:
            return goal
    return BusinessGoal.OTHER


# Action-plan tasks suggested per KPI (codes; the UI translates goals.task.<code>).
_PLAN_ENGAGEMENT = ("content_plan", "format_tests", "posting_time", "reply_comments")
_PLAN_RETENTION = ("onboarding_review", "core_action_push", "reactivation_messages", "top_complaints")
_PLAN_CHANNELS = ("channel_review", "creative_tests", "cut_weak_channels")
_PLAN_SUPPORT = ("canned_replies", "shift_coverage", "ticket_triage")
TASK_PLANS: dict[str, tuple[str, ...]] = {
    "follower_growth_weekly": ("content_plan", "posting_frequency", "trend_formats", "follow_cta"),
    "engagement_rate": _PLAN_ENGAGEMENT,
    "engagement_rate_followers": _PLAN_ENGAGEMENT,
    "interaction_rate": _PLAN_ENGAGEMENT,
    "views_per_video": ("hook_first_seconds", "format_tests", "posting_time", "trend_formats"),
    "lead_conversion_rate": ("bio_link", "call_to_action", "landing_page", "offer_test"),
    "ctr": ("headline_tests", "thumbnail_tests", "call_to_action"),
    "content_conversion_rate": ("call_to_action", "landing_page", "offer_test"),
    "impressions": ("content_plan", "posting_frequency", "paid_boost"),
    "new_users": _PLAN_CHANNELS,
    "effective_new_user_share": ("channel_review", "onboarding_review", "cut_weak_channels"),
    "cac": ("channel_review", "creative_tests", "cut_weak_channels", "referral_programme"),
    "channel_conversion_rate": _PLAN_CHANNELS,
    "retention_d1": _PLAN_RETENTION,
    "retention_d7": _PLAN_RETENTION,
    "retention_d30": _PLAN_RETENTION,
    "churn_rate": _PLAN_RETENTION,
    "dau": ("core_action_push", "reactivation_messages", "habit_features"),
    "mau": ("reactivation_messages", "content_plan", "channel_review"),
    "stickiness": ("core_action_push", "habit_features", "reactivation_messages"),
    "gmv": ("bundles_upsell", "promo_calendar", "channel_review"),
    "net_revenue": ("return_reasons", "product_pages", "bundles_upsell"),
    "refund_rate": ("return_reasons", "product_pages", "delivery_review"),
    "arr": ("bundles_upsell", "loyalty_programme", "pricing_test"),
    "funnel_conversion": ("fix_worst_step", "checkout_simplify", "ab_test_step"),
    "repurchase_rate": ("post_purchase_messages", "loyalty_programme", "second_order_offer"),
    "aov": ("bundles_upsell", "free_shipping_threshold", "pricing_test"),
    "arpu": ("bundles_upsell", "pricing_test", "loyalty_programme"),
    "ltv": ("loyalty_programme", "post_purchase_messages", "second_order_offer"),
    "gmv_per_head": ("automate_routine", "process_review"),
    "users_per_agent": ("canned_replies", "self_service", "automate_routine"),
    "first_response_time": _PLAN_SUPPORT,
    "resolution_time": ("ticket_triage", "self_service", "canned_replies"),
}
REVIEW_TASK = "review_progress"


# ---- goals and tasks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    title: str = ""                 # the user's own words; empty when ``code`` names a suggested task
    code: str | None = None         # a suggested task (translated as goals.task.<code>)
    owner: str = ""
    due: date | None = None
    status: TaskStatus = TaskStatus.TODO
    id: str = ""
    goal_id: str = ""
    position: int = 0


@dataclass(frozen=True)
class Goal:
    kpi_id: str
    baseline: float | None
    target: float | None
    deadline: date | None
    created: date
    id: str = ""
    workspace: str = "default"
    scope: str = ""
    baseline_start: date | None = None
    baseline_end: date | None = None
    data_baseline: float | None = None       # what the data said when the goal was set
    target_mode: TargetMode = TargetMode.ABSOLUTE
    target_input: float | None = None        # what the user typed: the value, or the % change
    owner: str = ""
    business_goal: BusinessGoal = BusinessGoal.OTHER
    stage: BusinessStage = BusinessStage.GROWTH
    notes: str = ""
    grain: str = "week"
    reviewed: date | None = None
    status: GoalStatus = GoalStatus.ACTIVE
    tasks: tuple[Task, ...] = ()

    @property
    def period_days(self) -> int | None:
        """Days in the baseline period (inclusive), when known."""
        if self.baseline_start is None or self.baseline_end is None:
            return None
        return (self.baseline_end - self.baseline_start).days + 1


def target_value(mode: TargetMode | str, entered: float | None, baseline: float | None) -> float | None:
    """The target in the KPI's unit: the value itself, or the baseline changed by ``entered`` %."""
    if entered is None or (isinstance(entered, float) and math.isnan(entered)):
        return None
    if TargetMode(mode) is TargetMode.ABSOLUTE:
        return float(entered)
    if baseline is None:
        return None
    return baseline * (1.0 + entered / 100.0)


def baseline_window(lo: date, hi: date, days: int = BASELINE_DAYS) -> tuple[date, date]:
    """The last ``days`` days of lo..hi (all of it when shorter)."""
    return max(lo, hi - timedelta(days=days - 1)), hi


def default_target(kpi_id: str, value: float | None, benchmark: Benchmark | None = None) -> float | None:
    """A first target to edit: the next band up (market, then optimal), else 10 % better."""
    metric = METRICS.get(kpi_id)
    if metric is None or value is None:
        return None
    if benchmark is not None:
        state = band_status(value, benchmark, metric.direction)
        edge = None
        if state is Status.BELOW_MARKET:
            edge = _near_edge(benchmark.market, metric.direction)
        elif state is Status.MARKET:
            edge = _near_edge(benchmark.optimal, metric.direction)
        if edge is not None:
            return float(edge)
    factor = 1 + DEFAULT_CHANGE if metric.direction is Direction.HIGHER_IS_BETTER else 1 - DEFAULT_CHANGE
    target = value * factor
    return min(target, 1.0) if metric.unit is Unit.RATIO else target


def measurement_windows(as_of: date, days: int, first_day: date, count: int = 6) -> list[tuple[date, date]]:
    """Back-to-back windows of ``days`` days ending at ``as_of``, oldest first, each inside the data.

    A goal is measured the way its baseline was: the KPI over a window as long as the baseline period.
    """
    out = []
    end = as_of
    for _ in range(count):
        start = end - timedelta(days=days - 1)
        if start < first_day:
            break
        out.append((start, end))
        end = start - timedelta(days=1)
    return out[::-1]


def input_scale(unit: Unit) -> float:
    """Factor from the KPI's unit to what a person types: ratios in %, durations in minutes."""
    if unit is Unit.RATIO:
        return 100.0
    if unit is Unit.DURATION:
        return 1.0 / 60.0
    return 1.0


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day (31 Jan + 1 → 28/29 Feb)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, min(d.day, day))
        except ValueError:
            continue
    raise ValueError(d)  # pragma: no cover


def _better(direction: Direction, a: float, b: float) -> bool:
    """Whether ``a`` is strictly better than ``b``."""
    return a > b if direction is Direction.HIGHER_IS_BETTER else a < b


# ---- the five checks ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    name: CheckName
    verdict: Verdict
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[Note, ...] = ()

    @property
    def key(self) -> str:
        return f"goals.check.{self.name}.{self.code}"


def _scopes(scope: str) -> list[str]:
    parts = [scope]
    for sep in (",", ";", "+", "/", "|", "，", "；", "、"):
        parts = [q for p in parts for q in p.split(sep)]
    return [p.strip() for p in parts if p.strip()]


def check_specific(goal: Goal) -> Check:
    n = CheckName.SPECIFIC
    metric = METRICS.get(goal.kpi_id)
    if metric is None:
        return Check(n, Verdict.FAIL, "no_kpi")
    if goal.target is None:
        return Check(n, Verdict.FAIL, "no_target", {"kpi": goal.kpi_id})
    scopes = _scopes(goal.scope)
    if not scopes:
        return Check(n, Verdict.WARN, "no_scope", {"kpi": goal.kpi_id})
    if len(scopes) > 1:
        return Check(n, Verdict.WARN, "many_scopes", {"kpi": goal.kpi_id, "n": len(scopes)})
    if goal.baseline is not None:
        if goal.target == goal.baseline:
            return Check(n, Verdict.WARN, "no_change", {"kpi": goal.kpi_id})
        if _better(metric.direction, goal.baseline, goal.target):
            return Check(n, Verdict.WARN, "worse_target", {"kpi": goal.kpi_id,
                                                           "direction": metric.direction.value})
    return Check(n, Verdict.PASS, "ok", {"kpi": goal.kpi_id, "scope": scopes[0]})


def check_measurable(goal: Goal, available: Collection[str]) -> Check:
    n = CheckName.MEASURABLE
    metric = METRICS.get(goal.kpi_id)
    if metric is None or goal.kpi_id not in available:
        kinds = sorted({str(s.kind) for s in metric.sources}) if metric else []
        return Check(n, Verdict.FAIL, "not_in_data", {"kpi": goal.kpi_id, "kinds": kinds})
    if goal.baseline is None:
        return Check(n, Verdict.FAIL, "no_baseline", {"kpi": goal.kpi_id})
    if goal.target is not None:
        high = 1.0 if metric.unit is Unit.RATIO else math.inf
        if not (0.0 <= goal.target <= high) or not math.isfinite(goal.target):
            return Check(n, Verdict.FAIL, "impossible_target", {"kpi": goal.kpi_id, "target": goal.target})
    if goal.data_baseline is not None and not math.isclose(goal.baseline, goal.data_baseline,
                                                           rel_tol=1e-9, abs_tol=1e-12):
        return Check(n, Verdict.WARN, "baseline_edited", {"kpi": goal.kpi_id, "baseline": goal.baseline,
                                                          "data_baseline": goal.data_baseline})
    return Check(n, Verdict.PASS, "ok", {"kpi": goal.kpi_id, "baseline": goal.baseline,
                                         "start": goal.baseline_start, "end": goal.baseline_end})


def log_growth_per_period(values: Sequence[float]) -> float | None:
    """Compound growth per period from a least-squares line through log(value); None under 2 points.

    [100, 110, 121] → 0.10. Non-positive values are left out (a log needs a positive number).
    """
    pts = [(i, math.log(v)) for i, v in enumerate(values) if v is not None and v > 0 and math.isfinite(v)]
    if len(pts) < 2:
        return None
    mx = sum(i for i, _ in pts) / len(pts)
    my = sum(y for _, y in pts) / len(pts)
    sxx = sum((i - mx) ** 2 for i, _ in pts)
    if sxx == 0:
        return None
    slope = sum((i - mx) * (y - my) for i, y in pts) / sxx
    return math.exp(slope) - 1.0


def required_pace(baseline: float, target: float, periods: float, direction: Direction) -> float:
    """Compound improvement per period from baseline to target (positive = better)."""
    factor = (target / baseline) ** (1.0 / periods)
    return factor - 1.0 if direction is Direction.HIGHER_IS_BETTER else 1.0 - factor


def historical_pace(history: Sequence[tuple[date, float | None]], end: date, periods: int,
                    direction: Direction) -> tuple[float | None, tuple[date, date] | None, int]:
    """Improvement per period over the last ``periods`` points of ``history`` up to ``end``.

    Returns (pace, (first, last) period dates used, number of points used).
    """
    pts = [(d, v) for d, v in sorted(history, key=lambda p: p[0])
           if d <= end and v is not None and math.isfinite(v) and v > 0]
    pts = pts[-periods:]
    if len(pts) < 2:
        return None, None, len(pts)
    growth = log_growth_per_period([v for _, v in pts])
    if growth is None:
        return None, None, len(pts)
    pace = growth if direction is Direction.HIGHER_IS_BETTER else -growth
    return pace, (pts[0][0], pts[-1][0]), len(pts)


def seasonal_change(history: Sequence[tuple[date, float | None]], start: date, end: date) -> Note | None:
    """Last year's change over the same dates (first to last value in the window), if the data has it."""
    lo, hi = _year_earlier(start), _year_earlier(end)
    pts = [(d, v) for d, v in sorted(history, key=lambda p: p[0]) if lo <= d <= hi and v is not None]
    if len(pts) < 2 or pts[0][1] == 0:
        return None
    first, last = pts[0][1], pts[-1][1]
    return Note("seasonal", {"change": (last - first) / abs(first), "start": pts[0][0], "end": pts[-1][0],
                             "first": first, "last": last})


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


def check_achievable(goal: Goal, history: Sequence[tuple[date, float | None]], today: date,
                     grain: str = "week") -> Check:
    n = CheckName.ACHIEVABLE
    metric = METRICS.get(goal.kpi_id)
    if (metric is None or goal.baseline is None or goal.target is None or goal.deadline is None
            or goal.deadline <= today):
        return Check(n, Verdict.WARN, "not_assessed")
    seasonal = seasonal_change(history, today, goal.deadline)
    notes = (seasonal,) if seasonal else ()
    if not _better(metric.direction, goal.target, goal.baseline):
        return Check(n, Verdict.PASS, "no_growth_needed", {"kpi": goal.kpi_id}, notes)
    if goal.baseline <= 0:
        return Check(n, Verdict.WARN, "zero_baseline", {"kpi": goal.kpi_id}, notes)
    if goal.target <= 0:
        return Check(n, Verdict.FAIL, "zero_target", {"kpi": goal.kpi_id}, notes)
    per = PERIOD_DAYS.get(grain, 7.0)
    periods = (goal.deadline - today).days / per
    required = required_pace(goal.baseline, goal.target, periods, metric.direction)
    window_periods = max(math.ceil(periods), MIN_HISTORY_PERIODS)
    end = goal.baseline_end or today
    hist, window, used = historical_pace(history, end, window_periods, metric.direction)
    # shown as the change of the value per period (a response time falling 2 % a week is −0.02)
    sign = 1.0 if metric.direction is Direction.HIGHER_IS_BETTER else -1.0
    params: dict[str, Any] = {"kpi": goal.kpi_id, "required": sign * required,
                              "historical": None if hist is None else sign * hist, "grain": grain,
                              "periods": used, "start": window[0] if window else None,
                              "end": window[1] if window else None}
    if hist is None:
        return Check(n, Verdict.WARN, "no_history", {**params, "needed": MIN_HISTORY_PERIODS}, notes)
    if hist <= 0:
        return Check(n, Verdict.WARN, "no_growth_history", params, notes)
    ratio = required / hist
    params["ratio"] = ratio
    if ratio > ACHIEVABLE_FAIL:
        return Check(n, Verdict.FAIL, "much_faster", params, notes)
    if ratio > ACHIEVABLE_WARN:
        return Check(n, Verdict.WARN, "faster", params, notes)
    return Check(n, Verdict.PASS, "ok", params, notes)


def check_relevant(goal: Goal, available: Collection[str] = ()) -> Check:
    n = CheckName.RELEVANT
    metric = METRICS.get(goal.kpi_id)
    if metric is None:
        return Check(n, Verdict.FAIL, "no_kpi")
    notes = (Note("pair", {"partner": metric.quality_partner}),) if metric.quality_partner else ()

    def ranked(ids: Collection[str]) -> list[str]:
        order = list(ids) if isinstance(ids, (list, tuple)) else sorted(ids)
        return [k for k in order if k in available] + [k for k in order if k not in available]

    fits_goal = goal.kpi_id in GOAL_KPIS[goal.business_goal]
    if not fits_goal:
        better = [k for k in ranked(GOAL_KPIS[goal.business_goal]) if k in available][:4]
        return Check(n, Verdict.FAIL, "not_for_goal", {"kpi": goal.kpi_id, "goal": str(goal.business_goal),
                                                         "suggested": better}, notes)
    focus = STAGE_FOCUS[goal.stage]
    if goal.kpi_id not in focus:
        return Check(n, Verdict.WARN, "not_stage_focus", {"kpi": goal.kpi_id, "stage": str(goal.stage),
                                                          "suggested": ranked(focus)[:4]}, notes)
    return Check(n, Verdict.PASS, "ok", {"kpi": goal.kpi_id, "goal": str(goal.business_goal),
                                         "stage": str(goal.stage)}, notes)


def check_time_bound(goal: Goal, today: date) -> Check:
    n = CheckName.TIME_BOUND
    if goal.deadline is None:
        return Check(n, Verdict.FAIL, "no_deadline")
    days = (goal.deadline - today).days
    params = {"days": days, "deadline": goal.deadline}
    if days <= 0:
        return Check(n, Verdict.FAIL, "past", params)
    if days < MIN_HORIZON_DAYS:
        return Check(n, Verdict.WARN, "too_soon", {**params, "min": MIN_HORIZON_DAYS})
    if days > MAX_HORIZON_DAYS:
        return Check(n, Verdict.FAIL, "too_far", {**params, "max": MAX_HORIZON_DAYS})
    if days > COMFORT_HORIZON_DAYS:
        return Check(n, Verdict.WARN, "far", {**params, "comfort": COMFORT_HORIZON_DAYS})
    return Check(n, Verdict.PASS, "ok", params)


def check_goal(goal: Goal, *, today: date, available: Collection[str],
               history: Sequence[tuple[date, float | None]] = (), grain: str = "week") -> list[Check]:
    """The five SMART checks in order: specific, measurable, achievable, relevant, time-bound."""
    return [check_specific(goal), check_measurable(goal, available),
            check_achievable(goal, history, today, grain), check_relevant(goal, available),
            check_time_bound(goal, today)]


BLOCKING = (CheckName.SPECIFIC, CheckName.MEASURABLE, CheckName.TIME_BOUND)


def blocking(checks: Sequence[Check]) -> list[Check]:
    """Failures that stop a goal from being saved: no KPI, target, baseline or usable deadline.

    Achievable and Relevant failures are advice: the goal can be saved and shows them.
    """
    return [c for c in checks if c.verdict is Verdict.FAIL and c.name in BLOCKING]


def summary(checks: Sequence[Check]) -> Verdict:
    if any(c.verdict is Verdict.FAIL for c in checks):
        return Verdict.FAIL
    if any(c.verdict is Verdict.WARN for c in checks):
        return Verdict.WARN
    return Verdict.PASS


# ---- the statement -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Statement:
    """Parts of "Increase weekly follower growth from 5.2 % to 8 % by 31 March 2027"."""

    verb: str                 # increase | decrease | keep | reach
    kpi_id: str
    baseline: float | None
    target: float | None
    deadline: date | None
    period_days: int | None   # "per 28 days" for KPIs that are sums over a period
    scope: str


def statement(goal: Goal) -> Statement:
    if goal.baseline is None or goal.target is None:
        verb = "reach"
    elif goal.target > goal.baseline:
        verb = "increase"
    elif goal.target < goal.baseline:
        verb = "decrease"
    else:
        verb = "keep"
    per = goal.period_days if goal.kpi_id in PERIOD_SUMS else None
    return Statement(verb, goal.kpi_id, goal.baseline, goal.target, goal.deadline, per,
                     " ".join(goal.scope.split())[:MAX_SCOPE])


# ---- suggestions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Suggestion:
    kpi_id: str
    baseline: float
    target: float          # the market band's near edge
    deadline: date         # one month for a small gap, else two
    stretch: float | None  # the optimal band's near edge
    stretch_deadline: date
    benchmark: Benchmark


def _near_edge(band: Band, direction: Direction) -> float | None:
    """The band edge a value below it must reach first: the low edge, or the high one when lower is better."""
    return band.lo if direction is Direction.HIGHER_IS_BETTER else band.hi


def suggest_goals(values: Mapping[str, float | None], benchmarks: Mapping[str, Benchmark],
                  today: date) -> list[Suggestion]:
    """A proposed goal for each KPI below its market band, largest relative gap first."""
    out: list[tuple[float, Suggestion]] = []
    for kpi_id, value in values.items():
        metric = METRICS.get(kpi_id)
        bench = benchmarks.get(kpi_id)
        if metric is None or bench is None or value is None:
            continue
        if band_status(value, bench, metric.direction) is not Status.BELOW_MARKET:
            continue
        target = _near_edge(bench.market, metric.direction)
        if target is None:
            continue
        gap = abs(target - value) / abs(value) if value else math.inf
        months = 1 if gap <= SMALL_GAP else 2
        stretch = _near_edge(bench.optimal, metric.direction)
        if stretch is not None and stretch == target:
            stretch = None
        out.append((gap, Suggestion(kpi_id, value, target, add_months(today, months), stretch,
                                    add_months(today, 2), bench)))
    return [s for _, s in sorted(out, key=lambda p: (-p[0], p[1].kpi_id))]


# ---- action plan -------------------------------------------------------------------------------

def suggested_tasks(kpi_id: str) -> tuple[str, ...]:
    """Task codes for a KPI's action plan, ending with a progress review."""
    return (*TASK_PLANS.get(kpi_id, ()), REVIEW_TASK)


def default_tasks(goal: Goal, today: date, extra: Sequence[str] = ()) -> tuple[Task, ...]:
    """The suggested tasks, due dates spread evenly up to the deadline; the review after a month.

    ``extra`` are tasks in the user's words that come first, e.g. from the content audit's findings
    ("Post more #unboxing videos: 2.5x the median views across 14 posts")."""
    codes = suggested_tasks(goal.kpi_id)
    end = goal.deadline if goal.deadline and goal.deadline > today else today + timedelta(days=60)
    span = (end - today).days
    work: list[tuple[str | None, str]] = [(None, title) for title in extra if title.strip()]
    work += [(code, "") for code in codes[:-1]]
    tasks = []
    for i, (code, title) in enumerate(work):
        due = today + timedelta(days=max(1, round(span * (i + 1) / (len(work) + 1))))
        tasks.append(Task(title=title, code=code, owner=goal.owner, due=due, position=i))
    review = min(end, today + timedelta(days=REVIEW_DAYS))
    tasks.append(Task(code=REVIEW_TASK, owner=goal.owner, due=review, position=len(work)))
    return tuple(tasks)


# ---- tracking ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tracking:
    current: float | None
    as_of: date | None
    progress: float | None    # share of the way from baseline to target (1.0 = reached)
    expected: float | None    # share of the way a straight line from creation to deadline is at ``as_of``
    status: TrackStatus
    review: Review
    review_date: date


def review_state(goal: Goal, today: date) -> tuple[Review, date]:
    since = goal.reviewed or goal.created
    due = since + timedelta(days=REVIEW_DAYS)
    if (today - since).days > REVIEW_OVERDUE_DAYS:
        return Review.OVERDUE, due
    if today >= due:
        return Review.DUE, due
    return Review.NOT_YET, due


def track(goal: Goal, current: float | None, as_of: date | None, today: date) -> Tracking:
    """Where a goal stands on the data loaded now: progress, the straight-line path, review."""
    review, review_date = review_state(goal, today)
    metric = METRICS.get(goal.kpi_id)
    if (current is None or as_of is None or metric is None or goal.baseline is None or goal.target is None
            or goal.deadline is None):
        return Tracking(current, as_of, None, None, TrackStatus.NO_DATA, review, review_date)
    span = (goal.deadline - goal.created).days
    elapsed = (as_of - goal.created).days
    expected = 1.0 if span <= 0 else min(1.0, max(0.0, elapsed / span))
    gap = goal.target - goal.baseline
    progress = None if gap == 0 else (current - goal.baseline) / gap
    reached = not _better(metric.direction, goal.target, current)
    if reached:
        state = TrackStatus.ACHIEVED
    elif as_of > goal.deadline:
        state = TrackStatus.MISSED
    elif progress is not None and progress >= expected:
        state = TrackStatus.ON_TRACK
    else:
        state = TrackStatus.OFF_TRACK
    return Tracking(current, as_of, progress, expected, state, review, review_date)


# ---- plain dicts (JSON export, the report) ---------------------------------------------------------

_GOAL_ENUMS = {"target_mode": TargetMode, "business_goal": BusinessGoal, "stage": BusinessStage,
               "status": GoalStatus}
_GOAL_DATES = ("deadline", "created", "baseline_start", "baseline_end", "reviewed")
_GOAL_NUMBERS = ("baseline", "target", "data_baseline", "target_input")
GOAL_FIELDS = tuple(f.name for f in fields(Goal) if f.name != "tasks")
TASK_FIELDS = tuple(f.name for f in fields(Task))


def _plain(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return str(value)
    return value


def task_to_dict(task: Task) -> dict[str, Any]:
    return {name: _plain(getattr(task, name)) for name in TASK_FIELDS}


def goal_to_dict(goal: Goal) -> dict[str, Any]:
    out = {name: _plain(getattr(goal, name)) for name in GOAL_FIELDS}
    out["tasks"] = [task_to_dict(t) for t in goal.tasks]
    return out


class BadRecord(ValueError):
    """A goal or task record that cannot be read; ``code`` and ``field`` say why."""

    def __init__(self, code: str, field_name: str = "") -> None:
        super().__init__(f"{code}: {field_name}")
        self.code = code
        self.field = field_name


def _as_date(raw: Any, name: str) -> date | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise BadRecord("bad_date", name) from None


def _as_number(raw: Any, name: str) -> float | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise BadRecord("bad_number", name)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BadRecord("bad_number", name) from None
    if not math.isfinite(value):
        raise BadRecord("bad_number", name)
    return value


def _as_enum(raw: Any, enum: type[StrEnum], name: str, default: StrEnum) -> Any:
    if raw is None or raw == "":
        return default
    try:
        return enum(str(raw).strip())
    except ValueError:
        raise BadRecord("bad_value", name) from None


def _as_text(raw: Any, limit: int = 2000) -> str:
    if raw is None:
        return ""
    return str(raw)[:limit]


def task_from_dict(raw: Mapping[str, Any]) -> Task:
    if not isinstance(raw, Mapping):
        raise BadRecord("bad_task")
    code = raw.get("code") or None
    title = _as_text(raw.get("title"), 500)
    if not title.strip() and not code:
        raise BadRecord("empty_task", "title")
    return Task(title=title, code=None if code is None else _as_text(code, 60), owner=_as_text(raw.get("owner"), 200),
                due=_as_date(raw.get("due"), "due"),
                status=_as_enum(raw.get("status"), TaskStatus, "status", TaskStatus.TODO),
                id=_as_text(raw.get("id"), 64), goal_id=_as_text(raw.get("goal_id"), 64),
                position=int(_as_number(raw.get("position"), "position") or 0))


def goal_from_dict(raw: Mapping[str, Any]) -> Goal:
    """A goal from its plain dict; raises ``BadRecord`` for a record that cannot be a goal."""
    if not isinstance(raw, Mapping):
        raise BadRecord("bad_goal")
    kpi_id = _as_text(raw.get("kpi_id"), 60).strip()
    if kpi_id not in METRICS:
        raise BadRecord("unknown_kpi", "kpi_id")
    created = _as_date(raw.get("created"), "created")
    if created is None:
        raise BadRecord("bad_date", "created")
    tasks_raw = raw.get("tasks") or []
    if not isinstance(tasks_raw, list):
        raise BadRecord("bad_task", "tasks")
    values: dict[str, Any] = {
        "kpi_id": kpi_id, "created": created,
        "id": _as_text(raw.get("id"), 64), "workspace": _as_text(raw.get("workspace"), 64) or "default",
        "scope": _as_text(raw.get("scope"), MAX_SCOPE), "owner": _as_text(raw.get("owner"), 200),
        "notes": _as_text(raw.get("notes")),
        "grain": raw.get("grain") if raw.get("grain") in PERIOD_DAYS else "week",
        "tasks": tuple(task_from_dict(t) for t in tasks_raw),
    }
    for name in _GOAL_DATES:
        if name != "created":
            values[name] = _as_date(raw.get(name), name)
    for name in _GOAL_NUMBERS:
        values[name] = _as_number(raw.get(name), name)
    for name, enum in _GOAL_ENUMS.items():
        default = {"target_mode": TargetMode.ABSOLUTE, "business_goal": BusinessGoal.OTHER,
                   "stage": BusinessStage.GROWTH, "status": GoalStatus.ACTIVE}[name]
        values[name] = _as_enum(raw.get(name), enum, name, default)
    return Goal(**values)


def with_tasks(goal: Goal, tasks: Sequence[Task]) -> Goal:
    """The goal with ``tasks``, numbered in order and tied to the goal."""
    return replace(goal, tasks=tuple(replace(t, goal_id=goal.id, position=i) for i, t in enumerate(tasks)))
