"""kpi/content.py: rankings, topic statistics, posting windows, cadence and findings on small literal inputs."""
from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi.content import (ContentConfig, ContentInputs, GroupStat, Overall, analyse, best_windows, build_findings,
                         cadence_effect, follower_peak, group_engagement, group_stats, merge_same_posts, post_stats,
                         rank_posts)
from kpi.result import Outcome, Reason


def posts_frame(rows: list[tuple[str, str, float, float | None]]) -> pd.DataFrame:
    """(post time, title, views, likes+comments+shares) -> the posts frame data/content.py returns."""
    return pd.DataFrame({
        "post_time": pd.to_datetime([r[0] for r in rows]),
        "title": [r[1] for r in rows], "link": [f"https://t.example/{i}" for i in range(len(rows))],
        "views": [float(r[2]) for r in rows], "interactions": [r[3] for r in rows],
    })


POSTS = posts_frame([
    ("2026-03-02 19:00", "a", 1000, 50),    # ER 5 %
    ("2026-03-03 12:00", "b", 4000, 120),   # ER 3 %
    ("2026-03-04 20:00", "c", 0, 0),        # no views: no ER
    ("2026-03-05 09:00", "d", 2500, 250),   # ER 10 %
    ("2026-03-06 21:00", "e", 4000, 40),    # ER 1 %, same views as b but newer
])


def titles(posts) -> list[str]:
    return [p.title for p in posts]


def test_rank_posts_literal_order():
    r = rank_posts(post_stats(POSTS), n=3)
    assert titles(r.top_views) == ["e", "b", "d"]        # tie 4000: the newer post first
    assert titles(r.bottom_views) == ["c", "a", "d"]
    assert titles(r.top_engagement) == ["d", "a", "b"]
    assert titles(r.bottom_engagement) == ["e", "b", "a"]
    assert r.without_rate == 1


def test_zero_views_post_has_no_rate_not_inf():
    (c,) = [p for p in post_stats(POSTS) if p.title == "c"]
    assert c.engagement_rate.value is None
    assert c.engagement_rate.reason == Reason.ZERO_DENOMINATOR


@pytest.mark.parametrize("interactions, views, expected, reason", [
    (590.0, 8000.0, 0.07375, None),
    (0.0, 0.0, None, Reason.ZERO_DENOMINATOR),
    (None, 100.0, None, Reason.MISSING_DATA),    # no likes/comments/shares column
    (5.0, 0.0, None, Reason.ZERO_DENOMINATOR),
])
def test_group_engagement_is_a_ratio_of_sums(interactions, views, expected, reason):
    out = group_engagement(interactions, views)
    assert out.value == (pytest.approx(expected) if expected is not None else None)
    assert out.reason == reason


def test_no_interaction_columns_gives_missing_rate_everywhere():
    posts = post_stats(POSTS, has_interactions=False)
    r = rank_posts(posts)
    assert r.top_engagement == [] and r.without_rate == 5
    assert all(p.engagement_rate.reason == Reason.MISSING_DATA for p in posts)


TOPICS = pd.DataFrame({
    "topic": ["#unboxing", "#sale", "#fyp", "gift", "#once"],
    "kind": ["hashtag", "hashtag", "hashtag", "keyword", "hashtag"],
    "posts": [9, 6, 12, 3, 1],
    "median_views": [24000.0, 5000.0, 10000.0, 15000.0, 900000.0],
    "views": [300000.0, 36000.0, 150000.0, 45000.0, 900000.0],
    "interactions": [15000.0, 720.0, 7500.0, 4500.0, 1.0],
    "post_ids": [list(range(1, 10)), [10, 11, 12, 13, 14, 15], list(range(1, 13)), [16, 17, 18], [19]],
})


def test_group_stats_literal_lift_rate_and_order():
    got = group_stats(TOPICS, 10000.0, min_posts=3)
    assert [(g.key, g.posts, g.median_views, g.lift) for g in got] == [
        ("#unboxing", 9, 24000.0, 2.4),
        ("gift", 3, 15000.0, 1.5),
        ("#fyp", 12, 10000.0, 1.0),
        ("#sale", 6, 5000.0, 0.5),
    ]
    assert [round(g.engagement_rate.value, 4) for g in got] == [0.05, 0.1, 0.05, 0.02]
    assert got[0].post_ids == frozenset(range(1, 10))


def test_group_stats_zero_overall_median_gives_no_lift():
    (g,) = group_stats(TOPICS.iloc[[0]], 0.0)
    assert g.lift is None


def test_topics_on_the_same_posts_are_merged_hashtag_first():
    groups = group_stats(pd.DataFrame({
        "topic": ["case", "phone", "#diy", "step", "lamp"], "kind": ["keyword", "keyword", "hashtag", "keyword",
                                                                      "keyword"],
        "posts": [3, 3, 4, 4, 3], "median_views": [5.0, 5.0, 7.0, 7.0, 1.0], "views": [15.0, 15.0, 28.0, 28.0, 3.0],
        "interactions": [1.0, 1.0, 2.0, 2.0, 0.0],
        "post_ids": [[1, 2, 3], [1, 2, 3], [4, 5, 6, 7], [4, 5, 6, 7], [1, 2, 8]]}), 5.0)
    merged = merge_same_posts(groups)
    assert [(g.key, g.aliases) for g in merged] == [("#diy", ("step",)), ("case", ("phone",)), ("lamp", ())]


WINDOWS = pd.DataFrame({
    "days": ["all", "all", "all", "weekdays", "weekdays", "weekend", "weekend"],
    "start": [18, 12, 22, 18, 9, 20, 10],
    "posts": [10, 8, 2, 7, 4, 2, 3],
    "median_views": [15000.0, 8000.0, 90000.0, 16000.0, 16000.0, 50000.0, 11000.0],
})


def test_best_windows_need_min_posts_and_sort_by_lift():
    got = best_windows(WINDOWS, 10000.0, ContentConfig(min_posts=3, window_hours=3))
    assert [(w.days, w.start, w.end, w.posts, w.lift) for w in got] == [
        ("weekdays", 18, 21, 7, 1.6),   # ties on median views go to more posts
        ("all", 18, 21, 10, 1.5),       # 22:00 has 90k views but only 2 posts
        ("weekend", 10, 13, 3, 1.1),
    ]


@pytest.mark.parametrize("active, post_hours, expected", [
    # peak 19-22, 2 of 4 posts inside
    ({18: 10, 19: 50, 20: 60, 21: 40, 22: 10}, [19, 21, 8, 12], (19, 22, 150 / 170, 0.5)),
    # the window crosses midnight: 23, 0, 1
    ({23: 30, 0: 40, 1: 30, 12: 20}, [0, 23], (23, 2, 100 / 120, 1.0)),
    # ties go to the earlier start
    ({3: 10, 4: 10, 5: 10, 6: 10}, [], (3, 6, 30 / 40, None)),
])
def test_follower_peak(active, post_hours, expected):
    hours = pd.DataFrame({"hour": list(active), "active_followers": [float(v) for v in active.values()]})
    peak = follower_peak(hours, post_hours, 3)
    assert (peak.start, peak.end) == expected[:2]
    assert peak.share == pytest.approx(expected[2])
    assert peak.posts_share == expected[3]


def test_follower_peak_without_activity_is_none():
    assert follower_peak(None, [19]) is None
    assert follower_peak(pd.DataFrame({"hour": [1, 2], "active_followers": [0.0, 0.0]}), [19]) is None


def weekly(posts: list[int], followers: list[float | None], full: list[bool] | None = None) -> pd.DataFrame:
    n = len(posts)
    return pd.DataFrame({"period": pd.date_range("2026-01-05", periods=n, freq="7D"), "posts": posts,
                         "post_views": [1000.0 * p for p in posts], "account_views": [None] * n,
                         "new_followers": followers, "full": full or [True] * n})


def test_cadence_effect_literal_split_and_medians():
    got = cadence_effect(weekly([3, 6, 4, 6, 3, 5, 6, 2], [100, 300, 150, 260, 90, 200, 280, 80]),
                         ContentConfig(min_weeks=3))
    # split at 5 posts: 4 weeks with >= 5 vs 4 weeks with fewer
    assert (got.metric, got.threshold, got.weeks_more, got.weeks_less) == ("new_followers", 5, 4, 4)
    assert (got.median_more, got.median_less) == (270.0, 95.0)
    assert got.lift == pytest.approx(270 / 95)


def test_cadence_uses_post_views_without_followers_and_skips_partial_weeks():
    got = cadence_effect(weekly([1, 2, 3, 4, 9], [None] * 5, [True, True, True, True, False]),
                         ContentConfig(min_weeks=2))
    assert (got.metric, got.threshold, got.weeks_more, got.weeks_less) == ("post_views", 3, 2, 2)


def test_cadence_needs_enough_weeks_on_each_side():
    assert cadence_effect(weekly([5, 5, 5, 5], [1, 2, 3, 4]), ContentConfig()) is None
    assert cadence_effect(weekly([1, 5, 5, 5], [1, 2, 3, 4]), ContentConfig(min_weeks=2)) is None


OVERALL = Overall(posts=40, median_views=10000.0, views=500000.0, interactions=25000.0,
                  engagement_rate=Outcome.of(0.05), posts_per_week=5.0)


def group(key: str, posts: int, median: float, *, ids: range, kind: str = "hashtag", er: float = 0.05) -> GroupStat:
    """A topic against OVERALL (median 10,000 views); ``ids`` are its posts (overlaps matter)."""
    assert len(ids) == posts
    return GroupStat(key=key, kind=kind, posts=posts, median_views=median, views=median * posts,
                     interactions=er * median * posts, engagement_rate=Outcome.of(er), lift=median / 10000.0,
                     post_ids=frozenset(ids))


def codes(findings) -> list[tuple[str, object]]:
    return [(f.code, f.params.get("topic", f.params.get("start"))) for f in findings]


def test_single_post_topic_is_not_a_finding_with_default_min_posts():
    topics = [group("#lucky", 1, 500000.0, ids=range(1, 2)), group("#unboxing", 9, 24000.0, ids=range(2, 11))]
    got = build_findings(OVERALL, topics, [], [], [], None, None, ContentConfig())
    assert codes(got) == [("tag_best", "#unboxing")]
    assert got[0].params == {"topic": "#unboxing", "lift": 2.4, "posts": 9, "median_views": 24000.0,
                             "overall_median": 10000.0}
    assert got[0].kpis[0] == "views_per_video"


def test_min_posts_is_configurable_and_small_samples_carry_a_caveat():
    topics = [group("#lucky", 1, 500000.0, ids=range(1, 2))]
    got = build_findings(OVERALL, topics, [], [], [], None, None, ContentConfig(min_posts=1))
    assert codes(got) == [("tag_best", "#lucky")]
    assert got[0].caveats == ("small_sample",)


def test_well_sampled_topic_beats_a_higher_small_one_and_subsets_are_not_repeated():
    topics = [group("#newin", 4, 36000.0, ids=range(1, 5)),         # inside #unboxing, small sample
              group("#unboxing", 14, 24000.0, ids=range(1, 15)),
              group("candle", 10, 14000.0, kind="keyword", ids=range(20, 30)),
              group("#fyp", 20, 30000.0, ids=range(30, 50)),         # generic: never advice
              group("#sale", 21, 6500.0, ids=range(50, 71))]
    got = build_findings(OVERALL, topics, [], [], [], None, None, ContentConfig())
    assert codes(got) == [("tag_best", "#unboxing"), ("tag_worst", "#sale"), ("word_best", "candle")]


def test_window_finding_mentions_followers_when_they_match():
    from kpi.content import FollowerPeak, Window
    windows = [Window("weekdays", 19, 22, 31, 14400.0, 1.44), Window("all", 18, 21, 38, 13000.0, 1.3)]
    peak = FollowerPeak(start=20, end=23, share=0.36, posts_share=0.3)
    got = build_findings(OVERALL, [], [], [], windows, peak, None, ContentConfig())
    assert [(f.code, f.params["days"], f.params["start"], f.params.get("f_start")) for f in got] == [
        ("window_matches_followers", "all", 18, 20)]


def test_unused_follower_peak_is_a_finding():
    from kpi.content import FollowerPeak, Window
    windows = [Window("all", 9, 12, 12, 11000.0, 1.1)]         # not better enough to advise
    peak = FollowerPeak(start=19, end=22, share=0.4, posts_share=0.1)
    got = build_findings(OVERALL, [], [], [], windows, peak, None, ContentConfig())
    assert [(f.code, f.params["f_start"], f.params["posts_share"]) for f in got] == [
        ("followers_peak_unused", 19, 0.1)]


def test_at_most_five_findings_best_first():
    from kpi.content import CadenceEffect, FollowerPeak, Window
    topics = [group("#unboxing", 14, 24000.0, ids=range(1, 15), er=0.09), group("#sale", 21, 6500.0, ids=range(20, 41)),
              group("#tutorial", 12, 14000.0, ids=range(50, 62))]
    formats = [group("Reel", 20, 15000.0, kind="format", ids=range(100, 120))]
    windows = [Window("all", 19, 22, 38, 14300.0, 1.43)]
    peak = FollowerPeak(19, 22, 0.36, 0.29)
    cadence = CadenceEffect("new_followers", 6, 9, 16, 865.0, 737.0, 865 / 737)
    got = build_findings(OVERALL, topics, formats, [], windows, peak, cadence, ContentConfig())
    assert [f.code for f in got] == ["tag_best", "window_matches_followers", "tag_worst", "format_best",
                                     "tag_engagement"]
    everything = build_findings(OVERALL, topics, formats, [], windows, peak, cadence, ContentConfig(max_findings=9))
    assert [f.code for f in everything][5:] == ["cadence_more", "tag_best"]
    assert everything[5].caveats == ("correlation",)


def test_analyse_end_to_end_on_small_frames():
    inputs = ContentInputs(posts=POSTS, topics=TOPICS, formats=pd.DataFrame(), durations=pd.DataFrame(),
                           windows=WINDOWS, follower_hours=None, weekly=weekly([5], [None]), days=14)
    audit = analyse(inputs, ContentConfig())
    assert (audit.overall.posts, audit.overall.median_views, audit.overall.posts_per_week) == (5, 2500.0, 2.5)
    assert audit.overall.engagement_rate.value == pytest.approx(460 / 11500)
    assert [g.key for g in audit.topics] == ["#unboxing", "gift", "#fyp", "#sale"]
    assert audit.follower_peak is None and audit.cadence is None


counts = st.integers(min_value=0, max_value=10**9)  # views and interactions are counts


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(counts, st.one_of(st.none(), counts)), min_size=0, max_size=30),
       st.integers(min_value=1, max_value=6))
def test_rankings_never_give_inf_and_are_ordered(rows, n):
    frame = pd.DataFrame({"post_time": pd.date_range("2026-01-01", periods=len(rows), freq="h"),
                          "title": [str(i) for i in range(len(rows))], "link": [None] * len(rows),
                          "views": [r[0] for r in rows], "interactions": [r[1] for r in rows]})
    r = rank_posts(post_stats(frame), n)
    assert len(r.top_views) == min(n, len(rows))
    views = [p.views for p in r.top_views]
    assert views == sorted(views, reverse=True)
    rates = [p.engagement_rate.value for p in r.top_engagement]
    assert all(v is not None and math.isfinite(v) for v in rates)
    assert rates == sorted(rates, reverse=True)
    assert r.without_rate == sum(1 for v, i in rows if v == 0 or i is None)


topic_lists = st.lists(st.tuples(st.integers(min_value=1, max_value=12), st.integers(min_value=0, max_value=50_000)),
                       min_size=0, max_size=12)


@settings(max_examples=60, deadline=None)
@given(topic_lists, st.integers(min_value=1, max_value=8))
def test_no_finding_names_a_group_with_fewer_than_min_posts(rows, min_posts):
    topics = [group(f"#t{i}", posts, float(median), ids=range(100 * i, 100 * i + posts))
              for i, (posts, median) in enumerate(rows)]
    config = ContentConfig(min_posts=min_posts, max_findings=9)
    for f in build_findings(OVERALL, topics, [], [], [], None, None, config):
        assert f.params["posts"] >= min_posts
        assert ("small_sample" in f.caveats) == (f.params["posts"] < config.small_sample)
