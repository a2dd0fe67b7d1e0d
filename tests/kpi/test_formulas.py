"""Every formula with literal inputs and outputs, the no-value rules, and property tests."""
from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi import formulas as f
from kpi.registry import METRICS
from kpi.result import Outcome, Reason

# (kpi id, inputs, expected value)
VALUES = [
    ("follower_growth_weekly", {"followers_gained": 120, "followers_at_start": 2_000, "weeks": 2}, 0.06),
    ("engagement_rate", {"likes": 400, "comments": 50, "shares": 50, "views": 10_000}, 0.05),
    ("engagement_rate", {"likes": 400, "comments": None, "shares": None, "views": 10_000}, 0.04),
    ("engagement_rate_followers", {"likes": 90, "comments": 6, "shares": 4, "follower_days": 5_000}, 0.02),
    ("views_per_video", {"views": 45_000, "videos": 3}, 15_000.0),
    ("lead_conversion_rate", {"leads": 30, "visitors": 1_200}, 0.025),
    ("new_users", {"new_users": 412}, 412.0),
    ("effective_new_user_share", {"effective_new_users": 30, "new_users": 120}, 0.25),
    ("cac", {"spend": 1_500.0, "new_users": 300}, 5.0),
    ("channel_conversion_rate", {"converted_users": 18, "visitors": 600}, 0.03),
    ("retention_d1", {"retained": 35, "base": 100}, 0.35),
    ("retention_d7", {"retained": 12, "base": 80}, 0.15),
    ("retention_d30", {"retained": 5, "base": 50}, 0.1),
    ("churn_rate", {"retained": 5, "base": 50}, 0.9),
    ("dau", {"user_days": 310, "days": 31}, 10.0),
    ("mau", {"monthly_active": 250, "months": 2}, 125.0),
    ("stickiness", {"user_days": 620, "mau_days": 3_100}, 0.2),
    ("gmv", {"gmv": 1_234.5}, 1_234.5),
    ("net_revenue", {"gmv": 1_000.0, "cancelled_returned": 150.0}, 850.0),
    ("refund_rate", {"cancelled_returned": 150.0, "gmv": 1_000.0}, 0.15),
    ("arr", {"net_revenue": 3_000.0, "days": 30}, 36_500.0),
    ("funnel_conversion", {"last_step": 40, "first_step": 1_000}, 0.04),
    ("repurchase_rate", {"repeat_customers": 30, "paying_customers": 120}, 0.25),
    ("aov", {"gmv": 900.0, "paid_orders": 12}, 75.0),
    ("arpu", {"revenue": 500.0, "active_users": 200}, 2.5),
    ("ltv", {"revenue": 9_000.0, "paying_customers": 60}, 150.0),
    ("gmv_per_head", {"gmv": 120_000.0, "ops_headcount": 4}, 30_000.0),
    ("users_per_agent", {"active_users": 1_500, "support_agents": 6}, 250.0),
    ("first_response_time", {"total_seconds": 600, "tickets": 4}, 150.0),
    ("resolution_time", {"total_seconds": 864_000, "tickets": 5}, 172_800.0),
    ("impressions", {"impressions": 50_000}, 50_000.0),
    ("ctr", {"clicks": 900, "impressions": 30_000}, 0.03),
    ("interaction_rate", {"likes": 300, "comments": 120, "shares": 80, "impressions": 25_000}, 0.02),
    ("content_conversion_rate", {"conversions": 45, "impressions": 30_000}, 0.0015),
]


@pytest.mark.parametrize("kpi_id, inputs, expected", VALUES)
def test_formula_values(kpi_id, inputs, expected):
    got = METRICS[kpi_id].compute(inputs)
    assert got.reason is None
    assert got.value == pytest.approx(expected, rel=1e-12)


def test_every_kpi_has_a_literal_value_case():
    assert {k for k, _, _ in VALUES} == set(METRICS)


# (kpi id, inputs, reason, params)
NO_VALUE = [
    ("engagement_rate", {"likes": 10, "comments": 1, "shares": 0, "views": 0}, Reason.ZERO_DENOMINATOR,
     {"input": "views"}),
    ("engagement_rate", {"likes": None, "comments": None, "shares": None, "views": 100}, Reason.MISSING_VALUE,
     {"input": "numerator"}),
    ("engagement_rate", {"likes": 1, "comments": 1, "shares": 1, "views": None}, Reason.MISSING_VALUE,
     {"input": "views"}),
    ("follower_growth_weekly", {"followers_gained": 0, "followers_at_start": 0, "weeks": 0}, Reason.NO_FULL_WEEK, {}),
    ("follower_growth_weekly", {"followers_gained": 5, "followers_at_start": 0, "weeks": 1}, Reason.ZERO_DENOMINATOR,
     {"input": "followers_at_start"}),
    ("views_per_video", {"views": 0, "videos": 0}, Reason.ZERO_DENOMINATOR, {"input": "videos"}),
    ("lead_conversion_rate", {"leads": None, "visitors": 100}, Reason.MISSING_INPUT, {"input": "leads"}),
    ("effective_new_user_share", {"effective_new_users": 0, "new_users": 0}, Reason.ZERO_DENOMINATOR,
     {"input": "new_users"}),
    ("cac", {"spend": None, "new_users": 10}, Reason.MISSING_INPUT, {"input": "spend"}),
    ("cac", {"spend": 100.0, "new_users": 0}, Reason.ZERO_DENOMINATOR, {"input": "new_users"}),
    ("retention_d1", {"retained": 0, "base": 0}, Reason.ZERO_DENOMINATOR, {"input": "base"}),
    ("churn_rate", {"retained": 0, "base": 0}, Reason.ZERO_DENOMINATOR, {"input": "base"}),
    ("dau", {"user_days": 0, "days": 0}, Reason.ZERO_DENOMINATOR, {"input": "days"}),
    ("stickiness", {"user_days": 0, "mau_days": 0}, Reason.ZERO_DENOMINATOR, {"input": "mau_days"}),
    ("refund_rate", {"cancelled_returned": 0.0, "gmv": 0.0}, Reason.ZERO_DENOMINATOR, {"input": "gmv"}),
    ("net_revenue", {"gmv": None, "cancelled_returned": 0.0}, Reason.MISSING_VALUE, {"input": "gmv"}),
    ("arr", {"net_revenue": 10.0, "days": 0}, Reason.ZERO_DENOMINATOR, {"input": "days"}),
    ("aov", {"gmv": 0.0, "paid_orders": 0}, Reason.ZERO_DENOMINATOR, {"input": "paid_orders"}),
    ("gmv_per_head", {"gmv": 100.0, "ops_headcount": None}, Reason.MISSING_INPUT, {"input": "ops_headcount"}),
    ("gmv_per_head", {"gmv": 100.0, "ops_headcount": 0}, Reason.INVALID_INPUT, {"input": "ops_headcount", "value": 0}),
    ("users_per_agent", {"active_users": 10, "support_agents": -2}, Reason.INVALID_INPUT,
     {"input": "support_agents", "value": -2}),
    ("first_response_time", {"total_seconds": 0, "tickets": 0}, Reason.ZERO_DENOMINATOR, {"input": "tickets"}),
    ("impressions", {"impressions": None}, Reason.MISSING_VALUE, {"input": "count"}),
    ("ctr", {"clicks": 5, "impressions": float("nan")}, Reason.MISSING_VALUE, {"input": "impressions"}),
]


@pytest.mark.parametrize("kpi_id, inputs, reason, params", NO_VALUE)
def test_no_value_has_a_reason_never_zero_inf_or_nan(kpi_id, inputs, reason, params):
    got = METRICS[kpi_id].compute(inputs)
    assert got == Outcome(None, reason, params)


@pytest.mark.parametrize("values, expected", [
    ([1.0, 2.0, 10.0], (13 / 3, 2.0, 8.4)),
    ([60.0], (60.0, 60.0, 60.0)),
    ([10.0, 20.0, 30.0, 40.0], (25.0, 25.0, 37.0)),
    ([0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3600.0], (360.0, 0.0, 360.0)),
])
def test_duration_stats_mean_median_p90(values, expected):
    stats = f.duration_stats(values)
    assert stats is not None
    assert (stats.mean, stats.median, stats.p90) == pytest.approx(expected)


def test_duration_stats_of_nothing_is_none():
    assert f.duration_stats([]) is None


def test_total_ignores_missing_parts():
    assert f.total(1, None, 2.5) == 3.5
    assert f.total(None, None) is None


# ---- properties ---------------------------------------------------------------------------------

counts = st.integers(min_value=0, max_value=10**9)
positive = st.integers(min_value=1, max_value=10**9)


@st.composite
def part_and_whole(draw):
    whole = draw(positive)
    return draw(st.integers(min_value=0, max_value=whole)), whole


BOUNDED = {
    "effective_new_user_share": ("effective_new_users", "new_users"),
    "channel_conversion_rate": ("converted_users", "visitors"),
    "retention_d1": ("retained", "base"),
    "retention_d30": ("retained", "base"),
    "churn_rate": ("retained", "base"),
    "stickiness": ("user_days", "mau_days"),
    "refund_rate": ("cancelled_returned", "gmv"),
    "funnel_conversion": ("last_step", "first_step"),
    "repurchase_rate": ("repeat_customers", "paying_customers"),
    "ctr": ("clicks", "impressions"),
    "content_conversion_rate": ("conversions", "impressions"),
}


@pytest.mark.parametrize("kpi_id", sorted(BOUNDED))
@given(pw=part_and_whole())
def test_shares_stay_between_0_and_1(kpi_id, pw):
    part, whole = pw
    num, den = BOUNDED[kpi_id]
    value = METRICS[kpi_id].compute({num: part, den: whole}).value
    assert value is not None and 0.0 <= value <= 1.0


RATES = [m.id for m in METRICS.values() if m.kind.value == "ratio" and not m.user_inputs]


@pytest.mark.parametrize("kpi_id", RATES)
@given(base=st.lists(positive, min_size=6, max_size=6), k=st.integers(min_value=2, max_value=1000))
def test_scaling_every_count_leaves_rates_unchanged(kpi_id, base, k):
    metric = METRICS[kpi_id]
    names = [n for n in metric.inputs if n != "weeks"]
    inputs = dict(zip(names, base))
    scaled = {n: v * k for n, v in inputs.items()}
    if "weeks" in metric.inputs:
        inputs["weeks"] = scaled["weeks"] = 1
    a, b = metric.compute(inputs).value, metric.compute(scaled).value
    assert a is not None and b is not None
    assert math.isclose(a, b, rel_tol=1e-9)


@given(followers=positive, weeks=st.integers(min_value=1, max_value=52))
def test_follower_growth_of_a_constant_count_is_zero(followers, weeks):
    got = f.follower_growth_weekly(followers_gained=0, followers_at_start=followers * weeks, weeks=weeks)
    assert got.value == 0.0


@given(num=counts, den=counts)
def test_ratio_is_finite_or_has_a_reason(num, den):
    got = f.ratio(num, den)
    assert (got.value is None) == (got.reason is not None)
    assert got.value is None or math.isfinite(got.value)
