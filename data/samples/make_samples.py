"""Make the sample export files in data/samples/.

Deterministic: one fixed seed, fixed calendar dates, never the clock. Running it twice gives
byte-identical files. From the repository root:

    python data/samples/make_samples.py             # writes next to this script
    python data/samples/make_samples.py --out DIR   # writes into DIR (the tests use this)

Each generator gets its own child of ``SeedSequence(SEED)``, so changing one file's recipe does not
change the others. The stories the files tell are described in README.md next to this script.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 42
HERE = Path(__file__).resolve().parent

TIKTOK_START, TIKTOK_END = "2026-05-25", "2026-11-20"
SHOP_START, SHOP_END = "2025-11-01", "2026-11-20"
APP_START, APP_END = "2026-05-21", "2026-11-20"

TS = "%Y-%m-%d %H:%M:%S"
DAY = 86_400


def _rngs(n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(n)]


def _smooth_noise(rng: np.random.Generator, n: int, sigma: float) -> np.ndarray:
    """Multiplicative day-to-day noise with a little memory (AR(1) on the log scale)."""
    eps = rng.normal(0.0, sigma, n)
    out = np.empty(n)
    acc = 0.0
    for i in range(n):
        acc = 0.5 * acc + eps[i]
        out[i] = acc
    return np.exp(out)


def _seconds_to_text(origin: str, seconds: np.ndarray, fmt: str = TS) -> pd.Series:
    stamps = pd.Timestamp(origin) + pd.to_timedelta(np.asarray(seconds, dtype=np.int64), unit="s")
    return pd.Series(stamps).dt.strftime(fmt)


# --------------------------------------------------------------------------------------------
# 1. TikTok-style account
# --------------------------------------------------------------------------------------------

TOPIC_TITLES = {
    "unboxing": [
        "Unboxing our new {p} 📦 #unboxing #newin #fyp",
        "What's inside? {p} edition 🎁 #unboxing #asmr",
        "ASMR unboxing: the {p} ✨ #unboxing #asmr #fyp",
        "First look, first unboxing: {p} 😍 #unboxing #newdrop",
    ],
    "tutorial": [
        "How to style a {p} in 3 ways 👗 #tutorial #howto",
        "{P} care tips in 60 seconds ⏱️ #tutorial #lifehack",
        "3 mistakes people make with a {p} ❌ #tutorial #tips",
        "Step by step: gift-wrapping a {p} 🎀 #tutorial #diy",
    ],
    "behindthescenes": [
        "Packing 200 orders before the weekend 😅 #behindthescenes #smallbusiness",
        "Meet the team behind the {p} 👋 #behindthescenes",
        "Photo shoot day for the {p} 📸 #behindthescenes #bts",
        "A day in our studio, coffee included ☕ #behindthescenes #dayinthelife",
    ],
    "review": [
        "Honest review: {p} after one month ⭐ #review",
        "You asked, we answered: is the {p} worth it? 🤔 #review #fyp",
        "Customer reviews, read out loud 💬 #review #customerlove",
        "{P} vs. the cheap one, side by side 🔍 #review #comparison",
    ],
    "sale": [
        "-30% on every {p} this weekend only 🔥 #sale #deal",
        "Last day of the sale, don't miss it ⏰ #sale",
        "Flash sale: {p} for half price 💸 #sale #fyp",
        "Bundle deal: {p} + gift box 🛍️ #sale #giftideas",
    ],
}
TOPIC_SHARE = {"unboxing": 0.12, "tutorial": 0.24, "behindthescenes": 0.2, "review": 0.24, "sale": 0.2}
TOPIC_VIEWS = {"unboxing": 2.2, "tutorial": 1.2, "behindthescenes": 0.9, "review": 1.0, "sale": 0.55}
PRODUCTS = [
    "linen shirt", "canvas tote", "ceramic mug", "wool scarf", "desk lamp",
    "travel bottle", "phone case", "rain jacket", "scented candle", "leather wallet",
]
# Day offsets (from TIKTOK_START) of the viral videos, their topic and how far they lift the day.
VIRAL = [(38, "unboxing", 4.2), (81, "tutorial", 3.4), (117, "unboxing", 5.0), (152, "unboxing", 3.8)]


def make_tiktok(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    days = pd.date_range(TIKTOK_START, TIKTOK_END, freq="D")
    n = len(days)
    t = np.arange(n) / (n - 1)
    dow = days.day_of_week.to_numpy()
    weekday = np.array([0.9, 0.88, 0.92, 0.96, 1.06, 1.22, 1.26])[dow]

    spike = np.ones(n)
    for offset, _, lift in VIRAL:
        spike[offset] *= lift
        spike[offset + 1] *= 1 + (lift - 1) * 0.55
        spike[offset + 2] *= 1 + (lift - 1) * 0.2

    # ---- Overview.csv: daily views with growth, weekends higher, viral spikes ----
    base = 8_000 * np.exp(np.log(2.4) * t)
    views = np.round(base * weekday * spike * _smooth_noise(rng, n, 0.1)).astype(np.int64)
    likes = np.round(views * rng.normal(0.0405, 0.004, n)).astype(np.int64)
    comments = np.round(views * rng.normal(0.0034, 0.0006, n)).astype(np.int64)
    shares = np.round(views * rng.normal(0.0062, 0.0010, n)).astype(np.int64)
    # viral viewers rarely open the profile: the profile-view rate drops on spike days
    profile_rate = np.where(spike > 1.5, 0.017, 0.026) * rng.lognormal(0.0, 0.1, n)
    profile_views = np.round(views * profile_rate).astype(np.int64)
    overview = pd.DataFrame({
        "Date": days.strftime("%Y-%m-%d"),
        "Video Views": views,
        "Profile Views": profile_views,
        "Likes": likes,
        "Comments": comments,
        "Shares": shares,
    })

    # ---- FollowerHistory.csv: ~4-5 % a week, three flat weeks, bumps after viral days ----
    n_weeks = (n + 6) // 7
    week_rate = np.clip(rng.normal(0.041, 0.006, n_weeks), 0.034, 0.062)
    flat_weeks = [7, 14, 20]
    week_rate[flat_weeks] = rng.uniform(0.0, 0.006, len(flat_weeks))
    week = np.arange(n) // 7
    day_share = weekday / 7.0  # weekend days bring more followers
    followers = np.empty(n, dtype=np.int64)
    prev = 11_800
    start_followers = prev
    for i in range(n):
        expected = prev * week_rate[week[i]] * day_share[i] / day_share[week == week[i]].mean() / 7
        expected *= 1 + 0.2 * (spike[i] - 1)  # a viral day brings a wave of follows
        inc = int(round(expected + rng.normal(0.0, 9.0)))
        prev += inc
        followers[i] = prev
    difference = np.diff(np.concatenate([[start_followers], followers]))
    follower_history = pd.DataFrame({
        "Date": days.strftime("%Y-%m-%d"),
        "Followers": followers,
        "Difference in followers from previous day": difference,
    })

    # ---- FollowerActivity.csv: last 7 days, 24 rows each, peak 19-21h ----
    hours = np.arange(24)
    dist_evening = np.minimum(np.abs(hours - 20), 24 - np.abs(hours - 20))
    shape = (0.035 + 0.30 * np.exp(-(dist_evening**2) / (2 * 2.0**2))
             + 0.08 * np.exp(-((hours - 12.5) ** 2) / (2 * 1.5**2)))
    act_rows = []
    for i in range(n - 7, n):
        boost = 1.08 if dow[i] >= 5 else 1.0
        active = np.round(followers[i] * shape * boost * rng.lognormal(0.0, 0.04, 24)).astype(np.int64)
        act_rows.append(pd.DataFrame({
            "Date": days[i].strftime("%Y-%m-%d"), "Hour": hours, "Active followers": active,
        }))
    follower_activity = pd.concat(act_rows, ignore_index=True)

    # ---- Content.csv: one row per video, 4-6 a week ----
    viral_by_day = {offset: (topic, lift) for offset, topic, lift in VIRAL}
    topics = list(TOPIC_SHARE)
    topic_p = np.array(list(TOPIC_SHARE.values()))
    other_hours = np.array([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 22, 23])
    other_w = np.array([1, 2, 2, 2, 2, 3, 3, 2, 2, 2, 3, 3, 2], dtype=float)
    rows = []
    for w in range(n_weeks):
        week_days = np.arange(w * 7, min(w * 7 + 7, n))
        k = min(int(rng.integers(4, 7)), len(week_days) - 1)  # the last, short week gets fewer
        chosen = set(rng.choice(week_days, size=k, replace=False).tolist())
        for offset in week_days:  # a viral day always has its video
            if int(offset) in viral_by_day and int(offset) not in chosen:
                chosen.discard(min(chosen))
                chosen.add(int(offset))
        for offset in sorted(chosen):
            if offset in viral_by_day:
                topic, lift = viral_by_day[offset]
                hour = 19
            else:
                topic = topics[int(rng.choice(len(topics), p=topic_p))]
                lift = 1.0
                if rng.random() < 0.4:
                    hour = int(rng.integers(18, 22))
                else:
                    hour = int(rng.choice(other_hours, p=other_w / other_w.sum()))
            minute = int(rng.integers(0, 60))
            evening = 1.35 if 18 <= hour <= 21 else 0.85
            growth = 0.75 + 0.6 * offset / (n - 1)
            v = 9_000 * TOPIC_VIEWS[topic] * evening * growth * rng.lognormal(0.0, 0.45)
            if lift > 1:
                v *= 3 * lift
            product = PRODUCTS[int(rng.integers(len(PRODUCTS)))]
            template = TOPIC_TITLES[topic][int(rng.integers(len(TOPIC_TITLES[topic])))]
            title = template.format(p=product, P=product.capitalize())
            posted = days[offset] + pd.Timedelta(hours=hour, minutes=minute)
            # TikTok video ids carry the post time (unix seconds) in their upper 32 bits
            unix = int((posted - pd.Timestamp("1970-01-01")) // pd.Timedelta(seconds=1))
            video_id = (unix << 32) + int(rng.integers(0, 2**32))
            views_v = int(round(v))
            rows.append({
                "Time": posted.strftime("%Y-%m-%d"),
                "Video title": title,
                "Video link": f"https://www.tiktok.com/@demo_shop/video/{video_id}",
                "Post time": posted.strftime("%Y-%m-%d %H:%M"),
                "Total likes": int(round(views_v * rng.lognormal(np.log(0.046), 0.25))),
                "Total comments": int(round(views_v * rng.lognormal(np.log(0.0038), 0.35))),
                "Total shares": int(round(views_v * rng.lognormal(np.log(0.0065), 0.4))),
                "Total views": views_v,
            })
    content = pd.DataFrame(rows).sort_values("Post time", ascending=False, kind="stable")

    return {
        "tiktok_overview.csv": overview,
        "tiktok_follower_history.csv": follower_history,
        "tiktok_content.csv": content,
        "tiktok_follower_activity.csv": follower_activity,
    }


# --------------------------------------------------------------------------------------------
# 2. Shop orders
# --------------------------------------------------------------------------------------------

SHOP_CHANNELS = ["organic", "paid_search", "social", "email", "referral"]
COUPON_DISCOUNT = {
    "WELCOME10": 0.10, "COMEBACK15": 0.15, "BLACKFRIDAY25": 0.25,
    "XMAS15": 0.15, "SUMMER10": 0.10, "SINGLES11": 0.11,
}
# (first day, last day, code, share of orders using it)
COUPON_CAMPAIGNS = [
    ("2025-11-10", "2025-11-12", "SINGLES11", 0.35),
    ("2025-11-24", "2025-12-01", "BLACKFRIDAY25", 0.45),
    ("2025-12-02", "2025-12-20", "XMAS15", 0.25),
    ("2026-07-01", "2026-08-31", "SUMMER10", 0.18),
    ("2026-11-10", "2026-11-12", "SINGLES11", 0.35),
]


def _black_friday(year: int) -> pd.Timestamp:
    nov1 = pd.Timestamp(year=year, month=11, day=1)
    thanksgiving = nov1 + pd.Timedelta(days=(3 - nov1.day_of_week) % 7 + 21)
    return thanksgiving + pd.Timedelta(days=1)


def _shop_season(days: pd.DatetimeIndex) -> np.ndarray:
    m = days.month.to_numpy()
    d = days.day.to_numpy()
    s = np.select(
        [m == 11, m == 12, m == 1, m == 2, np.isin(m, [7, 8])],
        [1.15, 1.4, 0.8, 0.85, 0.9],
        1.0,
    ).astype(float)
    s[(m == 12) & (d >= 21) & (d <= 23)] = 1.2
    s[(m == 12) & (d >= 26)] = 0.9
    special = {(11, 11): 1.8, (12, 24): 0.7, (12, 25): 0.45, (1, 1): 0.5}
    for (month, day), factor in special.items():
        s[(m == month) & (d == day)] = factor
    for year in sorted(set(days.year)):
        bf = _black_friday(year)
        for offset, factor in enumerate([1.6, 3.2, 2.2, 1.8, 2.6]):  # Thursday .. Cyber Monday
            s[days == bf + pd.Timedelta(days=offset - 1)] = factor
    return s


def make_shop_orders(rng: np.random.Generator, n_customers: int = 24_000) -> pd.DataFrame:
    """Orders of a shop that already had customers: a warm-up year runs before SHOP_START."""
    days = pd.date_range(pd.Timestamp(SHOP_START) - pd.Timedelta(days=365), SHOP_END, freq="D")
    n = len(days)
    start = 365  # index of SHOP_START in days
    t = (np.arange(n) - start) / 365.0
    weekday = np.array([0.95, 1.0, 1.0, 1.0, 1.03, 1.06, 0.97])[days.day_of_week.to_numpy()]
    weight = _shop_season(days) * np.exp(np.log(1.35) * t) * weekday * _smooth_noise(rng, n, 0.08)

    # new customers per day, then each customer's repeat orders
    first_day = np.sort(rng.choice(n, size=n_customers, p=weight / weight.sum()))
    max_repeats = 8
    repeater = rng.random(n_customers) < 0.42
    n_repeats = np.where(repeater, rng.geometric(0.5, n_customers), 0).clip(0, max_repeats)
    gaps = rng.lognormal(np.log(38.0), 0.8, (n_customers, max_repeats))
    repeat_day = first_day[:, None] + np.cumsum(gaps, axis=1)
    keep = (np.arange(max_repeats)[None, :] < n_repeats[:, None]) & (repeat_day < n)

    cust = np.concatenate([np.arange(n_customers), np.nonzero(keep)[0]])
    day = np.concatenate([first_day, np.floor(repeat_day[keep]).astype(np.int64)])
    nth = np.concatenate([np.zeros(n_customers, dtype=np.int64), np.nonzero(keep)[1] + 1])
    in_window = day >= start
    cust, day, nth = cust[in_window], day[in_window] - start, nth[in_window]
    days = days[start:]
    n = len(days)
    m = len(cust)

    # time of day: lunch and evening peaks
    hour_w = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4.5,
                       5.5, 5, 4.5, 4.5, 4.5, 5, 6, 7, 7.5, 6.5, 4.5, 2.5])
    hour = rng.choice(24, size=m, p=hour_w / hour_w.sum())
    secs = day * DAY + hour * 3600 + rng.integers(0, 3600, m)
    order = np.lexsort((cust, secs))
    cust, day, nth, secs = cust[order], day[order], nth[order], secs[order]
    is_repeat = nth > 0

    channel = np.where(
        is_repeat,
        rng.choice(len(SHOP_CHANNELS), size=m, p=[0.35, 0.10, 0.12, 0.35, 0.08]),
        rng.choice(len(SHOP_CHANNELS), size=m, p=[0.32, 0.24, 0.20, 0.10, 0.14]),
    )

    coupon = np.full(m, "", dtype=object)
    u = rng.random(m)
    coupon[~is_repeat & (u < 0.14)] = "WELCOME10"
    coupon[is_repeat & (u < 0.25)] = "COMEBACK15"
    order_days = days[day]
    u2 = rng.random(m)
    for first, last, code, share in COUPON_CAMPAIGNS:
        in_campaign = (order_days >= pd.Timestamp(first)) & (order_days <= pd.Timestamp(last))
        coupon[in_campaign & (u2 < share)] = code
    discount = np.array([COUPON_DISCOUNT.get(c, 0.0) for c in coupon])

    basket = rng.lognormal(np.log(52.0), 0.55, m) * np.where(is_repeat, 1.08, 1.0)
    basket *= np.where(coupon == "BLACKFRIDAY25", 1.15, 1.0)
    amount = np.round(np.maximum(basket * (1 - discount), 5.0), 2)

    # refunds creep up over the year: GMV grows faster than revenue
    tt = day / (n - 1)
    p_cancel = 0.04 + np.where(channel == SHOP_CHANNELS.index("paid_search"), 0.01, 0.0)
    p_refund = 0.035 + 0.06 * tt**2 + np.where(coupon == "BLACKFRIDAY25", 0.03, 0.0)
    us = rng.random(m)
    status = np.where(us < p_cancel, "cancelled", np.where(us < p_cancel + p_refund, "refunded", "completed"))

# customer ids in order of first purchase
    first_seen = pd.unique(cust)
    rank = np.full(n_customers, -1, dtype=np.int64)
    rank[first_seen] = np.arange(len(first_seen))
    return pd.DataFrame({
        "order_id": np.arange(100_001, 100_001 + m),
        "customer_id": [f"c{10_001 + r}" for r in rank[cust]],
        "order_date": _seconds_to_text(SHOP_START, secs),
        "amount": amount,
        "status": status,
        "channel": np.array(SHOP_CHANNELS)[channel],
        "coupon": coupon.astype(str),
    })


# --------------------------------------------------------------------------------------------
# 3. App event log + 5. ad spend
# --------------------------------------------------------------------------------------------

APP_CHANNELS = ["organic", "paid_social", "search_ads", "referral", "influencer"]
DEVICES = ["ios", "android", "web"]
REGIONS = ["EU", "US", "APAC", "LATAM"]
EVENTS = ["sign_up", "app_open", "view_product", "add_to_cart", "begin_checkout", "purchase"]


class _Quality:
    """Per-channel user behaviour: one-and-done share, lifetime, activity, funnel."""

    def __init__(self, gone, scale, beta, activity, funnel, device_p, region_p):
        self.gone = gone          # share of users never seen after sign-up day
        self.scale = scale        # Lomax lifetime in days: P(alive after k days) = (1 + k/scale)^-beta
        self.beta = beta
        self.activity = activity  # mean chance to open the app on a day while alive
        self.funnel = funnel      # ever reach: view | sign_up, cart | view, checkout | cart, purchase | checkout
        self.device_p = device_p
        self.region_p = region_p


QUALITY = {
    "organic": _Quality(0.18, 2.4, 0.28, 0.68, (0.80, 0.73, 0.43, 0.74), (0.4, 0.35, 0.25), (0.4, 0.3, 0.18, 0.12)),
    "paid_social": _Quality(0.24, 2.0, 0.36, 0.62, (0.76, 0.70, 0.40, 0.70), (0.45, 0.45, 0.1), (0.38, 0.34, 0.16, 0.12)),
    "search_ads": _Quality(0.2, 2.4, 0.3, 0.66, (0.82, 0.74, 0.44, 0.74), (0.3, 0.3, 0.4), (0.42, 0.34, 0.14, 0.1)),
    "referral": _Quality(0.15, 2.8, 0.25, 0.72, (0.84, 0.76, 0.45, 0.76), (0.38, 0.37, 0.25), (0.4, 0.28, 0.2, 0.12)),
    "influencer": _Quality(0.45, 2.0, 1.2, 0.45, (0.60, 0.55, 0.30, 0.58), (0.46, 0.5, 0.04), (0.3, 0.22, 0.2, 0.28)),
}
# Paid acquisition: cost per sign-up. Influencer is the cheapest per sign-up and the worst per user kept.
CPA = {"paid_social": 4.3, "search_ads": 5.6, "influencer": 1.8}
# Expected sign-ups per day at the start of the period (before growth); influencer adds campaigns.
SIGNUPS_PER_DAY = {"organic": 3.5, "paid_social": 3.0, "search_ads": 2.25, "referral": 1.25, "influencer": 2.0}
INFLUENCER_CAMPAIGNS = [5, 18, 33, 45, 61, 74, 89, 102, 117, 131, 144, 158, 172]  # day offsets
CAMPAIGN_SIGNUPS = 64
CAMPAIGN_PROFILE = np.array([0.38, 0.26, 0.16, 0.11, 0.09])
APP_WEEKDAY = np.array([0.92, 0.9, 0.93, 0.96, 1.02, 1.17, 1.12])
APP_HOURS = np.array([1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 1, 2.2, 3, 2.8, 2.6, 2.8,
                      3.4, 3.2, 2.8, 2.7, 2.8, 3.2, 3.8, 4.6, 5.4, 5.6, 4.4, 2.6])


def _signups(rng: np.random.Generator, n: int, dow: np.ndarray) -> tuple[dict, dict]:
    """Daily sign-ups per channel and daily spend per paid channel."""
    t = np.arange(n) / (n - 1)
    growth = 1 + 0.6 * t
    weekday = APP_WEEKDAY[dow]
    counts, spend = {}, {}
    for ch in APP_CHANNELS:
        lam = SIGNUPS_PER_DAY[ch] * growth * weekday * _smooth_noise(rng, n, 0.12)
        cost = np.zeros(n)
        if ch == "influencer":
            campaign = np.zeros(n)
            for start in INFLUENCER_CAMPAIGNS:
                size = CAMPAIGN_SIGNUPS * rng.lognormal(0.0, 0.3) * (1 + 0.4 * start / n)
                stop = min(start + len(CAMPAIGN_PROFILE), n)
                campaign[start:stop] += size * CAMPAIGN_PROFILE[: stop - start]
                cost[start] += size * CPA[ch] * rng.lognormal(0.0, 0.08)  # the creator's fee, booked on launch
            cost += lam * CPA[ch] * rng.lognormal(0.0, 0.1, n)  # affiliate commissions, daily
            lam = lam + campaign
        elif ch in CPA:
            cost = lam * CPA[ch] * rng.lognormal(0.0, 0.1, n)
        counts[ch] = rng.poisson(lam)
        if ch in CPA:
            spend[ch] = cost
    return counts, spend


def make_app(rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    days = pd.date_range(APP_START, APP_END, freq="D")
    n = len(days)
    dow = days.day_of_week.to_numpy()
    counts, spend = _signups(rng, n, dow)

    # users, ordered by sign-up time
    ch_idx = np.concatenate([np.full(counts[ch].sum(), i) for i, ch in enumerate(APP_CHANNELS)])
    su_day = np.concatenate([np.repeat(np.arange(n), counts[ch]) for ch in APP_CHANNELS])
    hour_p = APP_HOURS / APP_HOURS.sum()
    su_sec = su_day * DAY + rng.choice(24, len(su_day), p=hour_p) * 3600 + rng.integers(0, 3600, len(su_day))
    order = np.lexsort((ch_idx, su_sec))
    ch_idx, su_day, su_sec = ch_idx[order], su_day[order], su_sec[order]
    n_users = len(ch_idx)
    device = np.empty(n_users, dtype=np.int64)
    region = np.empty(n_users, dtype=np.int64)
    for i, ch in enumerate(APP_CHANNELS):
        sel = ch_idx == i
        q = QUALITY[ch]
        device[sel] = rng.choice(3, sel.sum(), p=q.device_p)
        region[sel] = rng.choice(4, sel.sum(), p=q.region_p)

    ev_user, ev_code, ev_sec, ev_rev = [], [], [], []
    end_sec = n * DAY
    for u in range(n_users):
        q = QUALITY[APP_CHANNELS[ch_idx[u]]]
        d0 = int(su_day[u])
        # ---- which days the user comes back ----
        days_back = np.empty(0, dtype=np.int64)
        if rng.random() >= q.gone:
            lifetime = (rng.random() ** (-1.0 / q.beta) - 1.0) * q.scale
            a = rng.beta(q.activity * 5, (1 - q.activity) * 5)
            kmax = min(int(lifetime), n - 1 - d0)
            if kmax >= 1:
                k = np.arange(1, kmax + 1)
                p = a * (1 + k) ** -0.15 * APP_WEEKDAY[(dow[d0] + k) % 7]
                days_back = k[rng.random(kmax) < p]
        # sessions: sign-up session, then one (sometimes two) per day back
        extra = rng.random(len(days_back)) < 0.15
        sess_days = np.concatenate([days_back, days_back[extra]])
        sess_sec = np.sort((d0 + sess_days) * DAY + rng.choice(24, len(sess_days), p=hour_p) * 3600
                           + rng.integers(0, 3600, len(sess_days)))
        starts = np.concatenate([[su_sec[u]], sess_sec])
        n_sess = len(starts)

        # ---- how deep into the funnel the user ever gets, and in which session first ----
        engaged = 0.85 + 0.3 * min(n_sess - 1, 10) / 10
        cap = 0
        for step, p in enumerate(q.funnel):
            if rng.random() < min(0.97, p * (engaged if step != 2 else 1.0)):
                cap += 1
            else:
                break
        first = [0] * 5
        for s in range(1, cap + 1):
            stay = (0.7, 0.55, 0.7, 0.75)[s - 1]
            later = n_sess - 1 - first[s - 1]
            if later == 0 or rng.random() < stay:
                first[s] = first[s - 1]
            else:
                first[s] = first[s - 1] + min(int(rng.geometric(0.45)), later)

        for i in range(n_sess):
            allowed = max(s for s in range(cap + 1) if first[s] <= i)
            forced = max((s for s in range(cap + 1) if first[s] == i), default=0)
            depth = 0
            for s, p in enumerate((0.7, 0.3, 0.35, 0.7), start=1):
                if s <= allowed and depth == s - 1 and rng.random() < p:
                    depth = s
            depth = max(depth, forced)
            codes = [0 if i == 0 else 1]
            if depth >= 1:
                codes += [2] * (1 + int(rng.poisson(0.35)))
            if depth >= 2:
                codes += [3] * (2 if rng.random() < 0.15 else 1)
            if depth >= 3:
                codes.append(4)
            if depth >= 4:
                codes.append(5)
            gaps = np.concatenate([[0], 8 + rng.exponential(50.0, len(codes) - 1)]).astype(np.int64)
            secs = starts[i] + np.cumsum(gaps)
            for c, s_ in zip(codes, secs):
                if s_ >= end_sec:
                    break
                ev_user.append(u)
                ev_code.append(c)
                ev_sec.append(int(s_))
                ev_rev.append(round(float(rng.lognormal(np.log(42.0), 0.5)), 2) if c == 5 else np.nan)

    ev_user = np.array(ev_user)
    ev_sec = np.array(ev_sec, dtype=np.int64)
    ev_code = np.array(ev_code)
    order = np.lexsort((ev_code, ev_user, ev_sec))
    ev_user, ev_sec, ev_code = ev_user[order], ev_sec[order], ev_code[order]
    revenue = np.array(ev_rev)[order]
    events = pd.DataFrame({
        "user_id": [f"u{10_001 + u}" for u in ev_user],
        "event": np.array(EVENTS)[ev_code],
        "timestamp": _seconds_to_text(APP_START, ev_sec),
        "channel": np.array(APP_CHANNELS)[ch_idx[ev_user]],
        "device": np.array(DEVICES)[device[ev_user]],
        "region": np.array(REGIONS)[region[ev_user]],
        "revenue": revenue,
    })

    spend_rows = []
    for ch in ["paid_social", "search_ads", "influencer"]:
        spend_rows.append(pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "channel": ch,
                                        "cost": np.round(spend[ch], 2)}))
    ad_spend = (pd.concat(spend_rows, ignore_index=True)
                .sort_values(["date", "channel"], kind="stable").reset_index(drop=True))
    return {"app_events.csv": events, "ad_spend.csv": ad_spend}


# --------------------------------------------------------------------------------------------
# 4. Support tickets
# --------------------------------------------------------------------------------------------

AGENTS = ["Anna Petrova", "Ben Carter", "Chen Wei", "Diego Santos",
          "Emma Schulz", "Farid Haddad", "Grace Kim", "Hiro Tanaka"]
SLOW_AGENT = "Diego Santos"


def make_support_tickets(rng: np.random.Generator) -> pd.DataFrame:
    days = pd.date_range(APP_START, APP_END, freq="D")
    n = len(days)
    t = np.arange(n) / (n - 1)
    weekday = np.array([1.2, 1.12, 1.08, 1.05, 1.0, 0.65, 0.6])[days.day_of_week.to_numpy()]
    lam = 26.5 * (1 + 0.45 * t) * weekday * _smooth_noise(rng, n, 0.12)
    day = np.repeat(np.arange(n), rng.poisson(lam))
    m = len(day)
    hour_w = np.array([0.4, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.5, 3, 4, 4.5, 4.5,
                       4, 4.2, 4.4, 4.2, 3.8, 3.2, 2.5, 2.1, 1.8, 1.4, 1, 0.6])
    hour = rng.choice(24, m, p=hour_w / hour_w.sum())
    created = day * DAY + hour * 3600 + rng.integers(0, 3600, m)
    created.sort()
    hour = (created % DAY) // 3600

    channels = np.array(["email", "chat", "phone"])
    ch = rng.choice(3, m, p=[0.45, 0.40, 0.15])
    agents = np.array(AGENTS)
    agent = rng.choice(len(AGENTS), m)
    phone_team = np.array([1, 4, 7])  # only three agents take calls
    agent = np.where(ch == 2, phone_team[rng.integers(0, 3, m)], agent)

    # first response: seconds for phone, minutes for chat, hours for email (nights wait for 08:00)
    first = np.select(
        [ch == 0, ch == 1],
        [rng.lognormal(np.log(3.2 * 3600), 1.0, m), rng.lognormal(np.log(170.0), 0.85, m)],
        rng.lognormal(np.log(50.0), 0.6, m),
    )
    night = (ch == 0) & ((hour < 8) | (hour >= 20))
    wait_to_morning = ((8 - hour) % 24) * 3600 - (created % 3600)
    first = np.where(night, np.maximum(first, wait_to_morning + rng.lognormal(np.log(1800.0), 0.8, m)), first)
    first_at = created + np.round(first).astype(np.int64)

    # resolution, counted from the first response
    resolve = np.select(
        [ch == 0, ch == 1],
        [rng.lognormal(np.log(17 * 3600), 1.0, m), rng.lognormal(np.log(6 * 3600), 1.3, m)],
        rng.lognormal(np.log(3 * 3600), 1.3, m),
    )
    resolve *= np.where(agents[agent] == SLOW_AGENT, 2.2, 1.0)
    resolved_at = first_at + np.round(resolve).astype(np.int64)

    end = n * DAY
    never = rng.random(m) < 0.025  # closed without a resolution / still waiting on the customer
    resolved_txt = _seconds_to_text(APP_START, resolved_at).where((resolved_at < end) & ~never, "")
    first_txt = _seconds_to_text(APP_START, first_at).where(first_at < end, "")
    return pd.DataFrame({
        "ticket_id": [f"T{10_001 + i}" for i in range(m)],
        "created_at": _seconds_to_text(APP_START, created),
        "first_response_at": first_txt,
        "resolved_at": resolved_txt.where(first_at < end, ""),
        "agent": agents[agent],
        "channel": channels[ch],
    })


# --------------------------------------------------------------------------------------------


def write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE, help="output folder (default: next to this script)")
    out = parser.parse_args(argv).out
    out.mkdir(parents=True, exist_ok=True)
    r_tiktok, r_shop, r_app, r_tickets = _rngs(4)
    files: dict[str, pd.DataFrame] = {}
    files.update(make_tiktok(r_tiktok))
    files["shop_orders.csv"] = make_shop_orders(r_shop)
    files.update(make_app(r_app))
    files["support_tickets.csv"] = make_support_tickets(r_tickets)
    for name, df in files.items():
        write_csv(df, out / name)
        size = (out / name).stat().st_size
        print(f"{name:32s} {len(df):>8,d} rows {size / 1e6:6.2f} MB")


if __name__ == "__main__":
    main()
