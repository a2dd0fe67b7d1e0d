"""KPI values from small inline files, asserted as literal numbers."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from data.kpis import (VARIANTS, available_kpis, channel_breakdown, compare_periods, compute_kpis, data_range,
                       kpi_series)
from kpi.registry import METRICS
from tests.helpers import csv_bytes, workspace_with
from ui.i18n import catalogs

# ---- fixtures: one small account per scenario --------------------------------------------------

OVERVIEW = csv_bytes(["Date", "Video Views", "Profile Views", "Likes", "Comments", "Shares"], [
    ["2026-03-02", 1000, 50, 40, 5, 5],
    ["2026-03-03", 3000, 150, 100, 15, 35],
])
FOLLOWERS = csv_bytes(["Date", "Followers"], [
    ["2026-03-01", 1000], ["2026-03-02", 1010], ["2026-03-03", 1020], ["2026-03-08", 1100], ["2026-03-15", 1155],
])
POSTS = csv_bytes(["Video title", "Post time", "Total views", "Total likes", "Total comments", "Total shares"], [
    ["a", "2026-02-20 10:00:00", 5000, 100, 10, 10],
    ["b", "2026-03-02 10:00:00", 10000, 300, 30, 20],
    ["c", "2026-03-04 10:00:00", 20000, 500, 50, 50],
    ["d", "2026-03-06 10:00:00", 30000, 900, 60, 40],
])
ORDERS = csv_bytes(["order_id", "customer_id", "order_date", "amount", "status", "coupon"], [
    ["o1", "c1", "2026-03-02 10:00:00", 100, "completed", None],
    ["o1", "c1", "2026-03-02 10:00:00", 50, "completed", None],
    ["o2", "c1", "2026-03-05 12:00:00", 80, "completed", "SPRING"],
    ["o3", "c2", "2026-03-03 09:00:00", 200, "cancelled", None],
    ["o4", "c2", "2026-03-04 09:00:00", 60, "completed", None],
    ["o5", "c3", "2026-03-06 15:00:00", 120, "returned", None],
    ["o6", None, "2026-03-07 16:00:00", 40, "completed", None],
    ["o7", "c4", "2026-03-08 17:00:00", -30, "completed", None],
    ["o8", "c4", "2026-03-01 08:00:00", 90, "completed", None],
])
EVENTS = csv_bytes(["user_id", "event", "timestamp", "channel", "revenue"], [
    ["u1", "sign_up", "2026-03-02 09:00:00", "organic", None],
    ["u1", "app_open", "2026-03-03 10:00:00", "organic", None],
    ["u1", "purchase", "2026-03-04 11:00:00", "organic", 30],
    ["u1", "app_open", "2026-03-09 12:00:00", "organic", None],
    ["u2", "sign_up", "2026-03-02 10:00:00", "paid", None],
    ["u2", "app_open", "2026-03-02 11:00:00", "paid", None],
    ["u3", "sign_up", "2026-03-03 08:00:00", "paid", None],
    ["u3", "app_open", "2026-03-04 09:00:00", "paid", None],
    ["u4", "sign_up", "2026-03-04 08:00:00", "paid", None],
    ["u4", "purchase", "2026-03-11 09:00:00", "paid", 20],
])
SPEND = csv_bytes(["date", "channel", "cost"], [
    ["2026-03-02", "organic", 0], ["2026-03-02", "paid", 30], ["2026-03-03", "paid", 50],
])
USERS = csv_bytes(["user_id", "signup_time", "channel"], [
    ["u1", "2026-03-02 09:00:00", "organic"], ["u2", "2026-03-02 10:00:00", "paid"],
    ["u3", "2026-03-03 08:00:00", "paid"], ["u4", "2026-03-04 08:00:00", "paid"],
    ["u5", "2026-03-05 08:00:00", "paid"],
])
TICKETS = csv_bytes(["ticket_id", "created_at", "first_response_at", "resolved_at", "agent"], [
    ["T1", "2026-03-02 10:00:00", "2026-03-02 10:00:30", "2026-03-02 12:00:00", "Ann"],
    ["T2", "2026-03-02 11:00:00", "2026-03-02 11:02:00", "2026-03-03 11:00:00", "Bob"],
    ["T3", "2026-03-03 09:00:00", "2026-03-03 09:00:45", None, "Ann"],
    ["T4", "2026-03-04 09:00:00", "2026-03-04 08:59:00", "2026-03-04 10:00:00", "Cy"],
])
CONTENT = csv_bytes(["Title", "Impressions", "Clicks", "Likes", "Comments", "Shares", "Conversions"], [
    ["A", 10000, 300, 100, 20, 30, 15],
    ["B", 20000, 600, 200, 40, 10, 30],
])
FUNNEL = csv_bytes(["step", "users", "segment"], [
    ["view", 300, "ios"], ["view", 200, "android"], ["signup", 350, "ios"], ["signup", 250, "android"],
    ["pay", 30, "ios"], ["pay", 20, "android"],
])


def values(ws, start=None, end=None, **kw):
    got = compute_kpis(ws, start, end, **kw)
    return {k: v.value for k, v in got.items()}, got


def approx(x):
    return pytest.approx(x, rel=1e-9)


# ---- social -------------------------------------------------------------------------------------

def test_social_account_kpis():
    ws = workspace_with(overview__csv=OVERVIEW, followers__csv=FOLLOWERS, content__csv=POSTS)
    v, full = values(ws, date(2026, 3, 2), date(2026, 3, 15))
    assert v["follower_growth_weekly"] == approx(155 / 2100)
    assert full["follower_growth_weekly"].inputs == {"followers_gained": 155.0, "followers_at_start": 2100.0,
                                                     "weeks": 2.0}
    assert v["engagement_rate"] == approx(0.05)
    assert full["engagement_rate"].variant == "daily"
    assert v["engagement_rate_followers"] == approx(200 / 2030)
    assert v["views_per_video"] == approx(20000.0)
    assert full["views_per_video"].details["engagement_rate"] == approx(0.05)
    assert full["lead_conversion_rate"].reason_code == "missing_input"


def test_follower_growth_counts_only_full_weeks_in_range():
    ws = workspace_with(followers__csv=FOLLOWERS)
    v, _ = values(ws, date(2026, 3, 3), date(2026, 3, 15))
    assert v["follower_growth_weekly"] == approx(55 / 1100)
    _, full = values(ws, date(2026, 3, 3), date(2026, 3, 14))
    assert full["follower_growth_weekly"].reason_code == "no_full_week"


def test_reuploaded_daily_export_does_not_count_twice():
    ws = workspace_with(overview__csv=OVERVIEW, again__csv=OVERVIEW)
    v, _ = values(ws)
    assert v["engagement_rate"] == approx(0.05)


def test_engagement_rate_falls_back_to_posts():
    ws = workspace_with(content__csv=POSTS)
    v, full = values(ws, date(2026, 3, 1), date(2026, 3, 31))
    assert v["engagement_rate"] == approx((1700 + 140 + 110) / 60000)
    assert full["engagement_rate"].variant == "posts"


def test_lead_conversion_uses_entered_leads_or_orders():
    ws = workspace_with(overview__csv=OVERVIEW)
    v, full = values(ws, user_inputs={"leads": 10})
    assert v["lead_conversion_rate"] == approx(10 / 200)
    assert full["lead_conversion_rate"].variant == "leads_profile_views"
    ws.add_file("orders.csv", ORDERS)
    v, full = values(ws, date(2026, 3, 2), date(2026, 3, 3))
    assert v["lead_conversion_rate"] == approx(2 / 200)
    assert full["lead_conversion_rate"].variant == "sales_profile_views"


# ---- shop -------------------------------------------------------------------------------------------

def test_order_kpis_over_all_data():
    ws = workspace_with(orders__csv=ORDERS)
    v, full = values(ws, user_inputs={"ops_headcount": 2})
    assert v["gmv"] == approx(740.0)
    assert v["net_revenue"] == approx(390.0)
    assert v["refund_rate"] == approx(350 / 740)
    assert v["aov"] == approx(740 / 7)
    assert v["repurchase_rate"] == approx(1 / 3)
    assert full["repurchase_rate"].details == {"coupon_repeat_customers": 1.0}
    assert v["ltv"] == approx(130.0)
    assert v["arr"] == approx(390 / 8 * 365)
    assert v["gmv_per_head"] == approx(370.0)
    assert full["gmv"].details == {"refund_rate": approx(350 / 740)}
    # customers' purchases are activity: c1 on 2 and 5 March, c2 on 4 March, c4 on 1 March
    assert v["dau"] == approx(4 / 8)
    assert v["arpu"] == approx(390 / 3)
    assert full["arpu"].variant == "paying_customers"


def test_order_kpis_in_a_range():
    ws = workspace_with(orders__csv=ORDERS)
    v, _ = values(ws, date(2026, 3, 2), date(2026, 3, 8))
    assert (v["gmv"], v["net_revenue"]) == (approx(650.0), approx(300.0))
    assert v["repurchase_rate"] == approx(0.5)
    assert v["arr"] == approx(300 / 7 * 365)


def test_missing_and_empty_ranges_have_reasons():
    ws = workspace_with(orders__csv=ORDERS)
    _, full = values(ws, date(2025, 1, 1), date(2025, 1, 31))
    assert (full["gmv"].value, full["gmv"].reason_code) == (None, "no_data_in_range")
    assert full["aov"].reason_code == "no_data_in_range"
    assert full["gmv_per_head"].reason_code == "no_data_in_range"
    _, full = values(ws)
    assert (full["gmv_per_head"].reason_code, full["gmv_per_head"].reason_params) == ("missing_input",
                                                                                       {"input": "ops_headcount"})
    assert full["ctr"].reason_code == "missing_data"
    assert full["ctr"].reason_params == {"kinds": "content", "roles": "impressions, clicks"}
    assert all(x.value is None or x.value == x.value for x in full.values())  # never nan


# ---- app -------------------------------------------------------------------------------------------

def test_app_kpis_over_all_data():
    ws = workspace_with(events__csv=EVENTS, spend__csv=SPEND)
    v, full = values(ws)
    assert v["new_users"] == 4.0
    assert full["new_users"].variant == "first_event"
    assert full["new_users"].details == {"effective_new_users": 2.0, "effective_new_user_share": 0.5}
    assert v["effective_new_user_share"] == approx(0.5)
    assert v["cac"] == approx(20.0)
    assert v["channel_conversion_rate"] == approx(0.5)
    assert v["funnel_conversion"] == approx(0.5)
    assert full["funnel_conversion"].variant == "signup_to_purchase"
    assert v["dau"] == approx(9 / 10)
    assert v["mau"] == approx(4.0)
    assert v["stickiness"] == approx(9 / 40)
    assert v["retention_d1"] == approx(3 / 8)
    assert full["retention_d1"].inputs == {"retained": 3.0, "base": 8.0}
    assert v["retention_d7"] == approx(2 / 7)
    assert (full["retention_d30"].reason_code, full["retention_d30"].reason_params) == ("range_too_short",
                                                                                         {"days": 30})
    assert full["churn_rate"].reason_code == "range_too_short"
    assert v["arpu"] == approx(50 / 4)
    assert full["users_per_agent"].reason_code == "missing_input"


def test_app_kpis_in_a_range():
    ws = workspace_with(events__csv=EVENTS)
    v, _ = values(ws, date(2026, 3, 3), date(2026, 3, 4))
    assert v["new_users"] == 2.0
    assert v["dau"] == approx(2.5)
    assert v["retention_d1"] == approx(2 / 5)


def test_user_inputs_and_settings():
    ws = workspace_with(events__csv=EVENTS, spend__csv=SPEND)
    v, full = values(ws, user_inputs={"spend": 100.0, "support_agents": 2})
    assert v["cac"] == approx(25.0)
    assert full["cac"].variant == "user_input"
    assert v["users_per_agent"] == approx(2.0)
    v, _ = values(ws, active_events=["app_open"])
    assert v["dau"] == approx(4 / 10)
    v, _ = values(ws, effective_days=7)
    assert v["effective_new_user_share"] == approx(0.5)
    v, _ = values(ws, effective_days=0)
    assert v["effective_new_user_share"] == approx(0.5)  # u1 and u4 still active a week later


def test_users_file_gives_the_signups():
    ws = workspace_with(events__csv=EVENTS, users__csv=USERS)
    v, full = values(ws)
    assert v["new_users"] == 5.0 and full["new_users"].variant == "signups"
    assert v["effective_new_user_share"] == approx(2 / 5)


def test_retention_per_product_type_sets_the_benchmark_variant():
    ws = workspace_with(events__csv=EVENTS)
    _, full = values(ws, product_type="social", goods_type="durable")
    assert full["retention_d1"].benchmark_variant == "social"
    assert full["repurchase_rate"].benchmark_variant == "durable"
    assert full["dau"].benchmark_variant is None


def test_channel_breakdown_pairs_volume_with_quality():
    ws = workspace_with(events__csv=EVENTS, spend__csv=SPEND)
    got = channel_breakdown(ws)
    assert got.to_dict("records") == [
        {"channel": "paid", "new_users": 3.0, "effective_new_users": 1.0, "effective_share": approx(1 / 3),
         "spend": 80.0, "cac": approx(80 / 3), "visitors": 3.0, "converted_users": 1.0,
         "conversion_rate": approx(1 / 3)},
        {"channel": "organic", "new_users": 1.0, "effective_new_users": 1.0, "effective_share": 1.0,
         "spend": 0.0, "cac": 0.0, "visitors": 1.0, "converted_users": 1.0, "conversion_rate": 1.0},
    ]
    assert channel_breakdown(workspace_with(orders__csv=ORDERS)).empty


# ---- support, content, funnel ---------------------------------------------------------------------------

def test_ticket_times_report_mean_median_and_p90():
    ws = workspace_with(events__csv=EVENTS, tickets__csv=TICKETS)
    v, full = values(ws)
    assert v["first_response_time"] == approx(65.0)
    assert full["first_response_time"].details == {"median": 45.0, "p90": approx(105.0), "negative_durations": 1.0}
    assert v["resolution_time"] == approx(32400.0)
    assert full["resolution_time"].details == {"median": 7200.0, "p90": approx(70560.0), "negative_durations": 0.0}
    assert v["users_per_agent"] == approx(4 / 3)
    assert full["users_per_agent"].variant == "agents_in_tickets"


def test_content_kpis():
    ws = workspace_with(content__csv=CONTENT)
    assert ws.datasets[0].kind == "content"
    v, full = values(ws, date(2026, 3, 1), date(2026, 3, 2))
    assert v["impressions"] == 30000.0
    assert full["impressions"].details == {"ctr": approx(0.03)}
    assert v["ctr"] == approx(0.03)
    assert v["interaction_rate"] == approx(400 / 30000)
    assert v["content_conversion_rate"] == approx(0.0015)


def test_funnel_counts_use_file_order_and_sum_segments():
    ws = workspace_with(funnel__csv=FUNNEL)
    v, full = values(ws)
    assert v["funnel_conversion"] == approx(50 / 500)
    assert full["funnel_conversion"].inputs == {"last_step": 50.0, "first_step": 500.0}
    assert full["funnel_conversion"].variant == "funnel_counts"


# ---- series and comparisons ---------------------------------------------------------------------------------

def test_weekly_series_is_computed_per_period():
    ws = workspace_with(events__csv=EVENTS)
    got = kpi_series(ws, "dau", "week")
    assert got["period"].tolist() == [date(2026, 3, 2), date(2026, 3, 9)]
    assert got["value"].tolist() == [approx(1.0), approx(2 / 3)]
    daily = kpi_series(ws, "new_users", "day", date(2026, 3, 2), date(2026, 3, 5))
    assert daily["value"].tolist() == [2.0, 1.0, 1.0, 0.0]  # no sign-ups on 5 March: a real zero
    d1 = kpi_series(ws, "retention_d1", "day", date(2026, 3, 9), date(2026, 3, 11))
    assert d1["value"].tolist() == [0.0, None, None]
    assert d1["reason"].tolist() == [None, "zero_denominator", "range_too_short"]


def test_series_of_undated_data_is_empty():
    ws = workspace_with(content__csv=CONTENT)
    assert kpi_series(ws, "ctr", "month").empty


def test_monthly_series_of_orders():
    ws = workspace_with(orders__csv=ORDERS)
    got = kpi_series(ws, "gmv", "month")
    assert got.to_dict("records") == [{"period": date(2026, 3, 1), "value": approx(740.0), "reason": None}]


def test_compare_with_previous_period():
    ws = workspace_with(events__csv=EVENTS)
    got = compare_periods(ws, date(2026, 3, 4), date(2026, 3, 5))
    dau = got["dau"]
    assert dau.previous_period == (date(2026, 3, 2), date(2026, 3, 3))
    assert (dau.current.value, dau.previous.value) == (approx(1.5), approx(2.0))
    assert (dau.change.absolute, dau.change.relative) == (approx(-0.5), approx(-0.25))
    assert dau.last_year is None and dau.last_year_change is None
    assert got["new_users"].partner == "effective_new_user_share"
    assert compare_periods(ws, date(2026, 3, 2), date(2026, 3, 3))["dau"].previous is None


def test_compare_with_last_year_when_covered():
    orders = csv_bytes(["order_id", "order_date", "amount"], [
        ["a", "2025-03-02 10:00:00", 100], ["b", "2026-02-20 10:00:00", 50], ["c", "2026-03-02 10:00:00", 150],
    ])
    ws = workspace_with(orders__csv=orders)
    gmv = compare_periods(ws, date(2026, 3, 1), date(2026, 3, 31))["gmv"]
    assert gmv.last_year_period == (date(2025, 3, 1), date(2025, 3, 31))
    assert gmv.last_year is None  # the data starts on 2 March 2025: the year-earlier month is not covered
    gmv = compare_periods(ws, date(2026, 3, 2), date(2026, 3, 2))["gmv"]
    assert (gmv.last_year.value, gmv.last_year_change.relative) == (approx(100.0), approx(0.5))
    assert gmv.previous.value == 0.0  # 1 March 2026: covered, no orders


# ---- bookkeeping ---------------------------------------------------------------------------------------------

def test_every_metric_is_returned_and_available_ones_listed():
    ws = workspace_with(orders__csv=ORDERS)
    assert list(compute_kpis(ws)) == list(METRICS)
    assert available_kpis(ws) == ["retention_d1", "retention_d7", "retention_d30", "churn_rate", "dau", "mau",
                                  "stickiness", "gmv", "net_revenue", "refund_rate", "arr", "repurchase_rate",
                                  "aov", "arpu", "ltv", "gmv_per_head", "users_per_agent"]
    assert data_range(ws) == (date(2026, 3, 1), date(2026, 3, 8))


def test_variants_are_translated():
    keys = set(catalogs()["en"])
    assert {f"kpi.variant.{v}" for v in VARIANTS} <= keys


# ---- properties on generated logs ---------------------------------------------------------------------------------

journeys = st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["sign_up", "app_open", "purchase"]),
                              st.integers(0, 40)), min_size=1, max_size=40)
SHARES = ("effective_new_user_share", "channel_conversion_rate", "retention_d1", "retention_d7", "retention_d30",
          "churn_rate", "stickiness", "funnel_conversion")


def _log(rows: list[tuple[int, str, int]], prefix: str = "u") -> list[list[object]]:
    """(user, event, day offset) -> event rows from 1 January 2026 on."""
    return [[f"{prefix}{u}", ev, f"{date(2026, 1, 1) + timedelta(days=d)} 12:00:00", "organic"] for u, ev, d in rows]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=journeys)
def test_generated_logs_keep_shares_in_range_and_copies_keep_rates(rows):
    header = ["user_id", "event", "timestamp", "channel"]
    one = compute_kpis(workspace_with(events__csv=csv_bytes(header, _log(rows))))
    two = compute_kpis(workspace_with(events__csv=csv_bytes(header, _log(rows) + _log(rows, "copy"))))
    for kpi_id in SHARES:
        a, b = one[kpi_id].value, two[kpi_id].value
        assert a is None or 0.0 <= a <= 1.0, kpi_id
        assert (a is None) == (b is None), kpi_id
        if a is not None:
            assert b == pytest.approx(a), kpi_id
    assert two["dau"].value == pytest.approx(2 * one["dau"].value)
    assert two["new_users"].value == 2 * one["new_users"].value


def test_event_names_are_matched_whatever_their_case_and_separators():
    ws = workspace_with(events__csv=csv_bytes(["user_id", "event", "timestamp"], [
        ["u1", "Sign Up", "2026-03-01 10:00:00"],
        ["u2", "sign-up", "2026-03-01 11:00:00"],
        ["u3", "SIGN_UP", "2026-03-02 11:00:00"],
        ["u1", "Order-Paid", "2026-03-02 12:00:00"],
        ["u2", "view", "2026-03-02 12:00:00"],
    ]))
    v = compute_kpis(ws)
    assert v["funnel_conversion"].inputs == {"last_step": 1.0, "first_step": 3.0}
    assert v["funnel_conversion"].value == pytest.approx(1 / 3)
