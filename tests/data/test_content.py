"""data/content.py: the content audit's SQL on small declarative post lists."""
from __future__ import annotations

from datetime import date

import pytest

from data.content import content_findings, content_json, load_content, posts_datasets
from data.session import Workspace
from kpi.content import ContentConfig
from tests.helpers import csv_bytes, workspace_with

HEADER = ["Post time", "Title", "Link", "Views", "Likes", "Comments", "Shares"]


def posts_csv(rows: list[tuple[str, str, int, int]]) -> bytes:
    """(post time, title, views, likes) -> a TikTok-like Content.csv; comments and shares fixed small."""
    return csv_bytes(HEADER, [[t, title, f"https://t.example/{i}", v, likes, 1 if v else 0, 1 if v else 0]
                              for i, (t, title, v, likes) in enumerate(rows, start=1)])


MULTILINGUAL = posts_csv([
    ("2026-03-02 19:10", "Распаковка новой сумки #распаковка", 3000, 198),
    ("2026-03-03 19:40", "Ещё одна распаковка #Распаковка #fyp", 5000, 298),
    ("2026-03-04 20:05", "新品开箱 #开箱", 4000, 98),
    ("2026-03-05 12:00", "Обзор сумки #обзор", 1000, 48),
    ("2026-03-06 12:30", "今天的 #开箱 视频 #开箱", 6000, 0),
    ("2026-03-07 12:45", "Unboxing the NEW lamp #Unboxing #开箱", 0, 0),
])


def topics_of(ws: Workspace, **kw) -> list[tuple]:
    frame = load_content(ws, **kw).inputs.topics
    return [(r.topic, r.kind, int(r.posts), float(r.median_views), float(r.views)) for r in frame.itertuples()]


def test_hashtags_in_russian_and_chinese_are_counted_once_per_post_lower_cased():
    ws = workspace_with(posts__csv=MULTILINGUAL)
    assert topics_of(ws) == [
        ("#开箱", "hashtag", 3, 4000.0, 10000.0),       # one post has #开箱 twice: counted once
        ("#распаковка", "hashtag", 2, 4000.0, 8000.0),   # #Распаковка lower-cased
        ("сумки", "keyword", 2, 2000.0, 4000.0),
        ("#fyp", "hashtag", 1, 5000.0, 5000.0),
        ("#обзор", "hashtag", 1, 1000.0, 1000.0),
        ("#unboxing", "hashtag", 1, 0.0, 0.0),
        ("lamp", "keyword", 1, 0.0, 0.0),
    ]


def test_keywords_skip_stop_words_hashtag_words_and_chinese_runs():
    ws = workspace_with(posts__csv=MULTILINGUAL)
    words = {t for t, kind, *_ in topics_of(ws) if kind == "keyword"}
    # "the", "new", "одна", "новой", "ещё" are stop words; "распаковка"/"unboxing"/"обзор" are hashtags
    assert words == {"сумки", "lamp"}


def test_posts_ranked_and_zero_views_post_has_no_engagement_rate():
    ws = workspace_with(posts__csv=MULTILINGUAL)
    doc = content_json(ws)
    assert [p["title"][:12] for p in doc["top_posts"]] == ["今天的 #开箱 视频 #", "Ещё одна рас", "新品开箱 #开箱",
                                                           "Распаковка н", "Обзор сумки "]
    zero = [p for p in doc["bottom_posts"] if p["views"] == 0]
    assert zero == [{"post_time": "2026-03-07 12:45:00", "title": "Unboxing the NEW lamp #Unboxing #开箱",
                     "link": "https://t.example/6", "views": 0.0, "engagement_rate": None}]
    assert doc["engagement_rate"] == round((198 + 298 + 98 + 48 + 0 + 2 * 5) / 19000, 4)
    assert doc["posts"] == 6 and doc["median_views"] == 3500.0


def test_topic_with_one_post_is_never_a_finding_and_min_posts_is_configurable():
    ws = workspace_with(posts__csv=MULTILINGUAL)
    assert content_findings(ws) == []                        # no topic has 3 posts with a clear lift
    found = content_findings(ws, config=ContentConfig(min_posts=2, lift_up=1.1))
    assert [(f.code, f.params.get("topic"), f.params["posts"], f.caveats) for f in found] == [
        ("tag_best", "#开箱", 3, ("small_sample",)),
        ("window_best", None, 3, ("small_sample",)),
        ("word_worst", "сумки", 2, ("small_sample",)),
        ("tag_engagement", "#распаковка", 2, ("small_sample",)),
        ("tag_best", "#распаковка", 2, ("small_sample",)),
    ]
    assert found[1].params["start"] == 18 and found[1].params["end"] == 21


TIMED = posts_csv([
    ("2026-03-02 19:05", "a #x", 100, 5),    # Monday 19h
    ("2026-03-02 19:55", "b #x", 300, 5),    # Monday 19h
    ("2026-03-03 20:30", "c #x", 500, 5),    # Tuesday 20h
    ("2026-03-07 23:10", "d #y", 700, 5),    # Saturday 23h
    ("2026-03-08 00:20", "e #y", 900, 5),    # Sunday 0h
])


def test_heatmap_has_all_168_cells_with_average_views():
    ws = workspace_with(posts__csv=TIMED)
    cells = load_content(ws).heatmap
    assert len(cells) == 168 and int(cells["posts"].sum()) == 5
    filled = cells[cells["posts"] > 0]
    assert [(int(r.dow), int(r.hour), int(r.posts), float(r.mean_views)) for r in filled.itertuples()] == [
        (1, 19, 2, 200.0), (2, 20, 1, 500.0), (6, 23, 1, 700.0), (7, 0, 1, 900.0)]


def test_posting_windows_cross_midnight_and_split_weekdays_from_weekends():
    ws = workspace_with(posts__csv=TIMED)
    w = load_content(ws).inputs.windows
    got = {(r.days, int(r.start)): (int(r.posts), float(r.median_views)) for r in w.itertuples()}
    assert got[("all", 18)] == (3, 300.0)      # 18-21: a, b, c
    assert got[("all", 22)] == (2, 800.0)      # 22-01: d (Sat 23h) and e (Sun 0h)
    assert got[("weekdays", 19)] == (3, 300.0)
    assert got[("weekend", 23)] == (2, 800.0)
    assert ("weekdays", 22) not in got


def test_date_filter_limits_posts_and_reports_range():
    ws = workspace_with(posts__csv=TIMED)
    data = load_content(ws, date_range=(date(2026, 3, 3), date(2026, 3, 7)))
    assert data.range == (date(2026, 3, 3), date(2026, 3, 7))
    assert list(data.inputs.posts["title"]) == ["c #x", "d #y"]
    empty = load_content(ws, date_range=(date(2025, 1, 1), date(2025, 1, 31)))
    assert empty.range is None and empty.inputs.posts.empty and int(empty.heatmap["posts"].sum()) == 0


FOLLOWERS = csv_bytes(["Date", "Followers"], [
    ["2026-03-01", 1000], ["2026-03-02", 1010], ["2026-03-08", 1040], ["2026-03-09", 1100], ["2026-03-15", 1120],
    ["2026-03-16", 1130],
])
WEEKLY_POSTS = posts_csv([
    ("2026-03-02 10:00", "p1", 100, 1), ("2026-03-04 10:00", "p2", 100, 1),
    ("2026-03-10 10:00", "p3", 100, 1),
    ("2026-03-16 10:00", "p4", 100, 1),
])


def test_cadence_per_week_with_follower_growth():
    ws = workspace_with(posts__csv=WEEKLY_POSTS, followers__csv=FOLLOWERS)
    cad = load_content(ws).cadence
    rows = [(str(r.period)[:10], int(r.posts), float(r.post_views), r.new_followers, bool(r.full))
            for r in cad.itertuples()]
    assert rows == [
        ("2026-03-02", 2, 200.0, 40.0, True),    # 1010-1000 on the 2nd + 1040-1010 on the 8th
        ("2026-03-09", 1, 100.0, 80.0, True),    # 60 + 20
        ("2026-03-16", 1, 100.0, 10.0, False),   # the range ends on the 16th: a partial week
    ]


def test_cadence_by_month_and_no_follower_file():
    ws = workspace_with(posts__csv=WEEKLY_POSTS)
    data = load_content(ws, grain="month")
    assert [(str(r.period)[:10], int(r.posts), r.new_followers is None or r.new_followers != r.new_followers)
            for r in data.cadence.itertuples()] == [("2026-03-01", 4, True)]
    assert data.views_source is None and data.followers_source is None


def test_follower_activity_by_hour_is_averaged_over_days():
    activity = csv_bytes(["Date", "Hour", "Active followers"],
                         [["2026-03-01", 19, 100], ["2026-03-02", 19, 300], ["2026-03-01", 20, 50],
                          ["2026-03-02", 20, 70]])
    ws = workspace_with(posts__csv=TIMED, activity__csv=activity)
    data = load_content(ws)
    hours = data.inputs.follower_hours
    assert [(int(h), float(v)) for h, v in zip(hours["hour"], hours["active_followers"])] == [(19, 200.0),
                                                                                             (20, 60.0)]
    assert data.follower_dates == (date(2026, 3, 1), date(2026, 3, 2), 2)


def test_format_and_duration_groups():
    content = csv_bytes(["Post time", "Title", "Views", "Likes", "Post type", "Duration"], [
        ["2026-03-02 10:00", "a", 100, 1, "Reel", 12], ["2026-03-03 10:00", "b", 300, 1, "Reel", 20],
        ["2026-03-04 10:00", "c", 50, 1, "Carousel", 45], ["2026-03-05 10:00", "d", 80, 1, " Reel ", 200],
    ])
    ws = workspace_with(posts__csv=content)
    (ds,) = ws.datasets
    assert {"format", "duration"} <= ds.roles.keys()
    inputs = load_content(ws).inputs
    assert [(r.key, int(r.posts), float(r.median_views)) for r in inputs.formats.itertuples()] == [
        ("Reel", 3, 100.0), ("Carousel", 1, 50.0)]
    assert [(r.key, int(r.posts)) for r in inputs.durations.itertuples()] == [
        ("lt15", 1), ("15_30", 1), ("30_60", 1), ("180plus", 1)]


def test_without_interaction_columns_the_rate_is_missing_not_zero():
    content = csv_bytes(["Post time", "Title", "Views"], [["2026-03-02 10:00", "a #x", 100],
                                                          ["2026-03-03 10:00", "b #x", 0]])
    ws = workspace_with(posts__csv=content)
    data = load_content(ws)
    assert data.inputs.has_interactions is False
    doc = content_json(ws, config=ContentConfig(min_posts=2))
    assert doc["engagement_rate"] is None and doc["topics"][0]["engagement_rate"] is None


def test_rows_without_post_time_or_views_are_counted_not_silently_dropped():
    content = csv_bytes(["Post time", "Title", "Views", "Likes"], [
        ["2026-03-02 10:00", "ok", 100, 1], ["", "no time", 100, 1], ["2026-03-03 10:00", "no views", "", 1]])
    ws = workspace_with(posts__csv=content)
    data = load_content(ws)
    assert (len(data.inputs.posts), data.skipped) == (1, 2)


def test_titles_are_values_not_sql():
    evil = posts_csv([("2026-03-02 10:00", "'); DROP TABLE x; -- #ok", 10, 1)] * 3)
    ws = workspace_with(posts__csv=evil)
    assert topics_of(ws)[0][:3] == ("#ok", "hashtag", 3)


def test_no_social_posts_gives_none_and_no_findings():
    ws = workspace_with(followers__csv=FOLLOWERS)
    assert posts_datasets(ws) == []
    assert load_content(ws) is None and content_json(ws) is None and content_findings(ws) == []


def test_content_json_shape_on_the_sample_account(tiktok_ws):
    doc = content_json(tiktok_ws)
    assert set(doc) >= {"top_posts", "topics", "best_posting_windows", "findings"}
    assert doc["posts"] == 131 and len(doc["top_posts"]) == 5
    assert set(doc["topics"][0]) >= {"topic", "posts", "median_views", "engagement_rate"}
    assert all(t["posts"] >= 3 for t in doc["topics"])
    assert doc["best_posting_windows"][0].keys() >= {"days", "start_hour", "end_hour", "posts", "median_views"}
    assert [f["code"] for f in doc["findings"]][:3] == ["tag_best", "window_matches_followers", "tag_worst"]
    assert doc["findings"][0]["params"]["topic"] == "#unboxing"


@pytest.fixture(scope="module")
def tiktok_ws():
    from data.demo import SAMPLE_BY_KEY, load_sample, sample_paths
    if not all(p.exists() for p in sample_paths("tiktok")):
        pytest.skip("sample files not generated")
    ws = Workspace()
    load_sample(ws, SAMPLE_BY_KEY["tiktok"].key)
    yield ws
    ws.close()
