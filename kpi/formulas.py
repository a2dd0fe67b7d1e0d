"""KPI formulas as pure functions of already-aggregated numbers.

Every rate here is a ratio of sums: the data layer sums numerators and denominators over the whole
range and passes the two sums; nothing here averages daily ratios. A zero or missing denominator
gives ``Outcome(None, reason)``, never 0, inf or nan. Inputs that are ``None`` mean "not in the
data"; user inputs that are ``None`` mean "not given".
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from kpi.result import Outcome, Reason

Number = float | int | None

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365


def _is_missing(x: Number) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _present(x: Number) -> float | None:
    """x as a float, or None when missing (None or NaN)."""
    return None if x is None or _is_missing(x) else float(x)


def total(*parts: Number) -> float | None:
    """Sum of the parts that are present; None when none is (e.g. no likes, comments or shares column)."""
    present = [x for x in map(_present, parts) if x is not None]
    return sum(present) if present else None


def ratio(numerator: Number, denominator: Number, *, denominator_name: str = "denominator") -> Outcome:
    """numerator / denominator, or a reason: missing data, or a zero denominator."""
    num, den = _present(numerator), _present(denominator)
    if num is None or den is None:
        return Outcome.missing(Reason.MISSING_VALUE, input=denominator_name if den is None else "numerator")
    if den == 0:
        return Outcome.missing(Reason.ZERO_DENOMINATOR, input=denominator_name)
    return Outcome.of(num / den)


def count(n: Number) -> Outcome:
    value = _present(n)
    return Outcome.missing(Reason.MISSING_VALUE, input="count") if value is None else Outcome.of(value)


def _user_input(value: Number, name: str) -> Outcome | None:
    """A reason when a user input is absent or not positive; None when it is usable."""
    if value is None or _is_missing(value):
        return Outcome.missing(Reason.MISSING_INPUT, input=name)
    if value <= 0:
        return Outcome.missing(Reason.INVALID_INPUT, input=name, value=value)
    return None


# ---- social ------------------------------------------------------------------------------------

def follower_growth_weekly(followers_gained: Number, followers_at_start: Number, weeks: Number) -> Outcome:
    """Σ(followers at week end − at week start) / Σ followers at week start, over full weeks."""
    if _is_missing(weeks) or weeks == 0:
        return Outcome.missing(Reason.NO_FULL_WEEK)
    return ratio(followers_gained, followers_at_start, denominator_name="followers_at_start")


def engagement_rate(likes: Number, comments: Number, shares: Number, views: Number) -> Outcome:
    """(likes + comments + shares) / views."""
    return ratio(total(likes, comments, shares), views, denominator_name="views")


def engagement_rate_followers(likes: Number, comments: Number, shares: Number, follower_days: Number) -> Outcome:
    """Σ daily interactions / Σ daily follower counts (days where the follower count is known)."""
    return ratio(total(likes, comments, shares), follower_days, denominator_name="follower_days")


def views_per_video(views: Number, videos: Number) -> Outcome:
    return ratio(views, videos, denominator_name="videos")


def lead_conversion_rate(leads: Number, visitors: Number) -> Outcome:
    if _is_missing(leads):
        return Outcome.missing(Reason.MISSING_INPUT, input="leads")
    return ratio(leads, visitors, denominator_name="visitors")


# ---- users -------------------------------------------------------------------------------------

def new_users(new_users: Number) -> Outcome:
    return count(new_users)


def effective_new_user_share(effective_new_users: Number, new_users: Number) -> Outcome:
    return ratio(effective_new_users, new_users, denominator_name="new_users")


def cac(spend: Number, new_users: Number) -> Outcome:
    """Acquisition spend / new users."""
    if _is_missing(spend):
        return Outcome.missing(Reason.MISSING_INPUT, input="spend")
    return ratio(spend, new_users, denominator_name="new_users")


def channel_conversion_rate(converted_users: Number, visitors: Number) -> Outcome:
    return ratio(converted_users, visitors, denominator_name="visitors")


def retention(retained: Number, base: Number) -> Outcome:
    """Σ users active on day N and on day N+k / Σ users active on day N."""
    return ratio(retained, base, denominator_name="base")


def churn_rate(retained: Number, base: Number) -> Outcome:
    """1 − retention over the same pairs of days."""
    kept = retention(retained, base)
    return kept if kept.value is None else Outcome.of(1.0 - kept.value)


def dau(user_days: Number, days: Number) -> Outcome:
    """Average daily active users: Σ daily distinct active users / calendar days."""
    return ratio(user_days, days, denominator_name="days")


def mau(monthly_active: Number, months: Number) -> Outcome:
    """Average monthly active users: Σ monthly distinct active users / months."""
    return ratio(monthly_active, months, denominator_name="months")


def stickiness(user_days: Number, mau_days: Number) -> Outcome:
    """DAU / MAU pooled over months: Σ user-days / Σ (days in month × MAU of month)."""
    return ratio(user_days, mau_days, denominator_name="mau_days")


# ---- revenue -----------------------------------------------------------------------------------

def gmv(gmv: Number) -> Outcome:
    """Value of all orders with a positive amount, cancelled and returned ones included."""
    return count(gmv)


def net_revenue(gmv: Number, cancelled_returned: Number) -> Outcome:
    """GMV minus cancelled and returned orders (and refund lines)."""
    gross, lost = _present(gmv), _present(cancelled_returned)
    if gross is None or lost is None:
        return Outcome.missing(Reason.MISSING_VALUE, input="gmv" if gross is None else "cancelled_returned")
    return Outcome.of(gross - lost)


def refund_rate(cancelled_returned: Number, gmv: Number) -> Outcome:
    return ratio(cancelled_returned, gmv, denominator_name="gmv")


def arr(net_revenue: Number, days: Number) -> Outcome:
    """Annual run rate: net revenue per day of the range × 365."""
    per_day = ratio(net_revenue, days, denominator_name="days")
    return per_day if per_day.value is None else Outcome.of(per_day.value * DAYS_PER_YEAR)


def funnel_conversion(last_step: Number, first_step: Number) -> Outcome:
    return ratio(last_step, first_step, denominator_name="first_step")


def repurchase_rate(repeat_customers: Number, paying_customers: Number) -> Outcome:
    """Customers with two or more orders / customers with at least one order (positive amounts)."""
    return ratio(repeat_customers, paying_customers, denominator_name="paying_customers")


def aov(gmv: Number, paid_orders: Number) -> Outcome:
    """GMV / orders with a positive amount."""
    return ratio(gmv, paid_orders, denominator_name="paid_orders")


def arpu(revenue: Number, active_users: Number) -> Outcome:
    return ratio(revenue, active_users, denominator_name="active_users")


def ltv(revenue: Number, paying_customers: Number) -> Outcome:
    """Historical lifetime value: net revenue / paying customers over the range."""
    return ratio(revenue, paying_customers, denominator_name="paying_customers")


# ---- efficiency --------------------------------------------------------------------------------

def gmv_per_head(gmv: Number, ops_headcount: Number) -> Outcome:
    problem = _user_input(ops_headcount, "ops_headcount")
    return problem or ratio(gmv, ops_headcount, denominator_name="ops_headcount")


def users_per_agent(active_users: Number, support_agents: Number) -> Outcome:
    problem = _user_input(support_agents, "support_agents")
    return problem or ratio(active_users, support_agents, denominator_name="support_agents")


def mean_duration(total_seconds: Number, tickets: Number) -> Outcome:
    """Mean duration in seconds: Σ durations / tickets with a duration."""
    return ratio(total_seconds, tickets, denominator_name="tickets")


@dataclass(frozen=True)
class DurationStats:
    mean: float
    median: float
    p90: float


def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolation percentile (the same as DuckDB's ``quantile_cont``); ``values`` not empty."""
    if not values:
        raise ValueError("percentile of no values")
    xs = sorted(values)
    pos = q * (len(xs) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def duration_stats(seconds: Sequence[float]) -> DurationStats | None:
    """Mean, median and 90th percentile of durations; None for no durations."""
    if not seconds:
        return None
    return DurationStats(mean=sum(seconds) / len(seconds), median=percentile(seconds, 0.5),
                         p90=percentile(seconds, 0.9))


# ---- content -----------------------------------------------------------------------------------

def impressions(impressions: Number) -> Outcome:
    return count(impressions)


def ctr(clicks: Number, impressions: Number) -> Outcome:
    return ratio(clicks, impressions, denominator_name="impressions")


def interaction_rate(likes: Number, comments: Number, shares: Number, impressions: Number) -> Outcome:
    return ratio(total(likes, comments, shares), impressions, denominator_name="impressions")


def content_conversion_rate(conversions: Number, impressions: Number) -> Outcome:
    """Conversions / people reached; impressions stand in for reach (exports rarely give reach)."""
    return ratio(conversions, impressions, denominator_name="impressions")
