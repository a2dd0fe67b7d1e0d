"""Literal facts about the sample files in data/samples/ (made by make_samples.py, seed 42).

The numbers are what the generator produces, written out. If make_samples.py changes on purpose,
regenerate with `python data/samples/make_samples.py` and update the numbers in the same commit.
The helpers below are small pandas reference computations, independent of the app's kpi/ code.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
FUNNEL = ["sign_up", "view_product", "add_to_cart", "begin_checkout", "purchase"]


def read(name: str, **kwargs) -> pd.DataFrame:
    return pd.read_csv(SAMPLES / name, **kwargs)


@pytest.fixture(scope="module")
def events() -> pd.DataFrame:
    return read("app_events.csv", parse_dates=["timestamp"])


def funnel_users(events: pd.DataFrame) -> list[int]:
    """Users reaching each step, each step's first time no earlier than the previous step's."""
    first = events[events.event.isin(FUNNEL)].groupby(["user_id", "event"]).timestamp.min().unstack()
    reached = first["sign_up"].notna()
    previous = first["sign_up"]
    counts = [int(reached.sum())]
    for step in FUNNEL[1:]:
        reached &= first[step].notna() & (first[step] >= previous)
        previous = first[step]
        counts.append(int(reached.sum()))
    return counts


def active_days(events: pd.DataFrame) -> pd.DataFrame:
    """One row per user and active calendar day, with k = days since the sign-up day."""
    days = events.assign(day=events.timestamp.dt.normalize())[["user_id", "day"]].drop_duplicates()
    signup = events[events.event == "sign_up"].set_index("user_id").timestamp.dt.normalize()
    return days.assign(k=(days.day - days.user_id.map(signup)).dt.days, signup=days.user_id.map(signup))


def cohort_retention(act: pd.DataFrame, k: int) -> float:
    """Share of users active on calendar day k after their sign-up day (cohorts old enough)."""
    last = act.day.max()
    eligible = act.loc[act.signup <= last - pd.Timedelta(days=k), "user_id"].unique()
    back = act[(act.k == k) & act.user_id.isin(eligible)].user_id.nunique()
    return back / len(eligible)


# --------------------------------------------------------------------------------------------
# Every file


@pytest.mark.parametrize(
    "name, columns, rows",
    [
        ("tiktok_overview.csv", ["Date", "Video Views", "Profile Views", "Likes", "Comments", "Shares"], 180),
        ("tiktok_follower_history.csv", ["Date", "Followers", "Difference in followers from previous day"], 180),
        ("tiktok_content.csv", ["Time", "Video title", "Video link", "Post time", "Total likes",
                                "Total comments", "Total shares", "Total views"], 131),
        ("tiktok_follower_activity.csv", ["Date", "Hour", "Active followers"], 168),
        ("shop_orders.csv", ["order_id", "customer_id", "order_date", "amount", "status", "channel", "coupon"],
         25_163),
        ("app_events.csv", ["user_id", "event", "timestamp", "channel", "device", "region", "revenue"], 81_485),
        ("ad_spend.csv", ["date", "channel", "cost"], 552),
        ("support_tickets.csv", ["ticket_id", "created_at", "first_response_at", "resolved_at", "agent",
                                 "channel"], 6_028),
    ],
)
def test_header_rows_and_size(name, columns, rows):
    df = read(name)
    assert list(df.columns) == columns
    assert len(df) == rows
    assert (SAMPLES / name).stat().st_size < 5_000_000
    assert not (SAMPLES / name).read_bytes().startswith(b"\xef\xbb\xbf")  # plain UTF-8, no BOM


@pytest.mark.parametrize(
    "name, column, first, last",
    [
        ("tiktok_overview.csv", "Date", "2026-05-25", "2026-11-20"),
        ("tiktok_follower_history.csv", "Date", "2026-05-25", "2026-11-20"),
        ("tiktok_content.csv", "Post time", "2026-05-25 13:47", "2026-11-19 09:58"),
        ("tiktok_follower_activity.csv", "Date", "2026-11-14", "2026-11-20"),
        ("shop_orders.csv", "order_date", "2025-11-01 05:50:16", "2026-11-20 23:23:21"),
        ("app_events.csv", "timestamp", "2026-05-21 00:26:35", "2026-11-20 23:59:56"),
        ("ad_spend.csv", "date", "2026-05-21", "2026-11-20"),
        ("support_tickets.csv", "created_at", "2026-05-21 05:00:33", "2026-11-20 22:31:11"),
    ],
)
def test_date_range(name, column, first, last):
    values = read(name)[column]
    assert (values.min(), values.max()) == (first, last)


def test_generator_is_deterministic(tmp_path):
    script = SAMPLES / "make_samples.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    made = sorted(p.name for p in tmp_path.glob("*.csv"))
    assert made == sorted(p.name for p in SAMPLES.glob("*.csv"))
    for name in made:
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


# --------------------------------------------------------------------------------------------
# TikTok account


def test_tiktok_engagement_rate_is_in_the_market_band():
    ov = read("tiktok_overview.csv")
    interactions = (ov.Likes + ov.Comments + ov.Shares).sum()
    assert (int(ov["Video Views"].sum()), int(interactions)) == (2_719_994, 135_645)
    assert interactions / ov["Video Views"].sum() == pytest.approx(0.0499, abs=1e-4)
    assert ov.loc[ov["Video Views"].idxmax(), "Date"] == "2026-09-19"  # the biggest viral day


def test_tiktok_followers_grow_about_four_percent_a_week_with_three_flat_weeks():
    fh = read("tiktok_follower_history.csv", parse_dates=["Date"])
    assert (fh.Followers.iloc[0], fh.Followers.iloc[-1]) == (11_864, 31_806)
    assert (fh.Followers.diff().iloc[1:] == fh["Difference in followers from previous day"].iloc[1:]).all()
    sundays = fh[fh.Date.dt.day_of_week == 6].Followers
    weekly = sundays.pct_change().dropna()
    assert len(weekly) == 24
    assert (weekly < 0.01).sum() == 3
    assert weekly.median() == pytest.approx(0.0414, abs=1e-4)


def test_tiktok_unboxing_and_evening_posts_win():
    ct = read("tiktok_content.csv")
    views = ct["Total views"]
    unboxing = ct["Video title"].str.contains("#unboxing")
    sale = ct["Video title"].str.contains("#sale")
    evening = pd.to_datetime(ct["Post time"]).dt.hour.between(18, 21)
    assert (unboxing.sum(), sale.sum(), evening.sum()) == (14, 21, 47)
    assert views.median() == 9_567
    assert views[unboxing].median() / views.median() == pytest.approx(2.47, abs=0.01)
    assert views[sale].median() / views.median() == pytest.approx(0.68, abs=0.01)
    assert views[evening].median() > 1.7 * views[~evening].median()
    assert ct["Video link"].str.fullmatch(r"https://www\.tiktok\.com/@demo_shop/video/\d{19}").all()


def test_tiktok_followers_are_most_active_at_8_pm():
    fa = read("tiktok_follower_activity.csv")
    assert fa.groupby("Date").size().tolist() == [24] * 7
    assert fa.groupby("Hour")["Active followers"].sum().idxmax() == 20


# --------------------------------------------------------------------------------------------
# Shop orders


def test_shop_status_aov_and_repurchase():
    so = read("shop_orders.csv")
    assert so.status.value_counts().to_dict() == {"completed": 22_741, "refunded": 1_373, "cancelled": 1_049}
    assert so.amount.mean() == pytest.approx(60.23, abs=0.01)  # AOV = GMV / orders
    orders_per_customer = so.groupby("customer_id").size()
    assert len(orders_per_customer) == 15_442
    assert (orders_per_customer >= 2).mean() == pytest.approx(0.3671, abs=1e-4)
    assert so.order_id.is_unique


def test_shop_november_grows_year_over_year_and_refunds_creep_up():
    so = read("shop_orders.csv", parse_dates=["order_date"])
    nov = {year: so[so.order_date.between(f"{year}-11-01", f"{year}-11-20 23:59:59")] for year in (2025, 2026)}
    assert (len(nov[2025]), len(nov[2026])) == (1_278, 1_584)
    refunded = so.status.eq("refunded").groupby(so.order_date.dt.quarter.where(so.order_date.dt.year == 2026)).mean()
    assert refunded.loc[1] < refunded.loc[3]


# --------------------------------------------------------------------------------------------
# App events and ad spend


def test_app_funnel_worst_step_is_add_to_cart_to_begin_checkout(events):
    counts = funnel_users(events)
    assert counts == [3_833, 2_648, 1_783, 738, 547]
    drop_off = [1 - b / a for a, b in zip(counts, counts[1:])]
    worst = max(range(len(drop_off)), key=drop_off.__getitem__)
    assert (FUNNEL[worst], FUNNEL[worst + 1]) == ("add_to_cart", "begin_checkout")
    assert drop_off[worst] == pytest.approx(0.586, abs=1e-3)
    assert all(0.2 <= d <= 0.4 for i, d in enumerate(drop_off) if i != worst)


def test_app_every_user_signs_up_once_and_revenue_is_only_on_purchases(events):
    signups = events[events.event == "sign_up"]
    assert signups.user_id.is_unique and len(signups) == events.user_id.nunique() == 3_833
    assert events.groupby("user_id").event.first().eq("sign_up").all()
    assert events.loc[events.event != "purchase", "revenue"].isna().all()
    assert events.loc[events.event == "purchase", "revenue"].gt(0).all()


def test_app_cohort_retention_and_stickiness(events):
    act = active_days(events)
    assert [round(cohort_retention(act, k), 3) for k in (1, 7, 30)] == [0.322, 0.167, 0.091]
    dau = act.groupby("day").size()
    month = dau.index.to_period("M")
    stickiness = dau.groupby(month).mean() / act.groupby(act.day.dt.to_period("M")).user_id.nunique()
    full_months = stickiness.loc["2026-06":"2026-10"]
    assert full_months.between(0.12, 0.25).all()
    assert full_months.mean() == pytest.approx(0.179, abs=1e-3)


def test_app_influencer_brings_twice_the_sign_ups_but_few_effective_users(events):
    signups = events[events.event == "sign_up"].set_index("user_id")
    per_channel = signups.channel.value_counts()
    assert per_channel.to_dict() == {"influencer": 1_443, "organic": 865, "paid_social": 706,
                                     "search_ads": 507, "referral": 312}
    first_purchase = events[events.event == "purchase"].groupby("user_id").timestamp.min()
    bought_in_3_days = (first_purchase.reindex(signups.index) - signups.timestamp) <= pd.Timedelta(days=3)
    act = active_days(events)
    active_after_7 = signups.index.isin(act.loc[act.k >= 7, "user_id"])
    effective = (bought_in_3_days.fillna(False).astype(bool) | active_after_7).groupby(signups.channel).mean()
    assert effective.round(3).to_dict() == {"influencer": 0.11, "organic": 0.57, "paid_social": 0.449,
                                            "referral": 0.667, "search_ads": 0.564}


def test_ad_spend_cac_per_channel(events):
    spend = read("ad_spend.csv")
    channels_per_day = spend.groupby("date").channel.agg(lambda c: ",".join(sorted(c)))
    assert channels_per_day.eq("influencer,paid_social,search_ads").all()
    signups = events[events.event == "sign_up"].channel.value_counts()
    cac = (spend.groupby("channel").cost.sum() / signups).dropna().round(2)
    assert cac.to_dict() == {"influencer": 1.89, "paid_social": 4.41, "search_ads": 5.94}


# --------------------------------------------------------------------------------------------
# Support tickets


def test_support_response_and_resolution_times():
    t = read("support_tickets.csv", parse_dates=["created_at", "first_response_at", "resolved_at"])
    first_minutes = (t.first_response_at - t.created_at).dt.total_seconds() / 60
    medians = first_minutes.groupby(t.channel).median()
    assert medians["phone"] < 1.5 < medians["chat"] < 5 and medians["email"] > 120
    resolution_hours = (t.resolved_at - t.created_at).dt.total_seconds() / 3600
    assert resolution_hours.median() == pytest.approx(12.5, abs=0.05)
    assert resolution_hours.quantile(0.9) > 24
    assert (int(t.resolved_at.isna().sum()), t.agent.nunique()) == (185, 8)
    by_agent = resolution_hours.groupby(t.agent).median()
    assert by_agent.idxmax() == "Diego Santos" and by_agent.max() > 2 * by_agent.drop("Diego Santos").median()
