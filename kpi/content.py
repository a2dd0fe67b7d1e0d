"""Social content audit maths: post rankings, topic/format statistics, posting windows, cadence, findings.

Pure: no streamlit, no duckdb, no file reads. ``data/content.py`` runs the SQL and hands the aggregated
frames over as ``ContentInputs``; everything here works on those small frames.

Definitions used (shown on the page next to the numbers):

* engagement rate of a group of posts = Σ(likes + comments + shares) / Σ views (a ratio of sums);
  no views gives ``None`` with a reason, never ``inf``;
* a topic (hashtag or title keyword), format or posting window is judged by the **median** views of its
  posts against the median of all posts (``lift``), and only when it has at least ``min_posts`` posts,
  so one viral post cannot decide it;
* findings carry no text: a stable ``code`` plus the numbers behind it (translated by the UI as
  ``content.finding.<code>``).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from kpi.formulas import engagement_rate as _er_formula
from kpi.formulas import percentile, ratio
from kpi.result import Outcome, Reason

# Hashtags that say nothing about the content: kept in the topic table, never turned into advice.
GENERIC_TAGS = frozenset({
    "#fyp", "#foryou", "#foryoupage", "#fy", "#fypシ", "#viral", "#trending", "#trend", "#tiktok", "#reels",
    "#reel", "#shorts", "#explore", "#xyzbca", "#рекомендации", "#реки", "#рек", "#хочуврек", "#推荐",
    "#热门", "#上热门", "#抖音",
})

DAY_GROUPS = ("all", "weekdays", "weekend")
DURATION_BUCKETS = ("lt15", "15_30", "30_60", "60_180", "180plus")

# KPI ids (kpi/registry.py) each finding helps with: the goals page attaches findings as action-plan tasks.
FINDING_KPIS: dict[str, tuple[str, ...]] = {
    "tag_best": ("views_per_video", "engagement_rate", "follower_growth_weekly"),
    "word_best": ("views_per_video", "engagement_rate"),
    "tag_worst": ("views_per_video",),
    "word_worst": ("views_per_video",),
    "tag_engagement": ("engagement_rate",),
    "word_engagement": ("engagement_rate",),
    "format_best": ("views_per_video",),
    "duration_best": ("views_per_video",),
    "window_matches_followers": ("views_per_video", "follower_growth_weekly"),
    "window_best": ("views_per_video",),
    "followers_peak_unused": ("views_per_video", "follower_growth_weekly"),
    "cadence_more": ("follower_growth_weekly", "views_per_video"),
    "cadence_no_gain": ("follower_growth_weekly", "views_per_video"),
}


@dataclass(frozen=True)
class ContentConfig:
    """Thresholds of the audit. All of them are shown or settable on the page."""

    min_posts: int = 3          # a topic, format or window needs this many posts to be named
    small_sample: int = 8       # below this many posts (or weeks) a finding carries a caveat
    lift_up: float = 1.25       # median views at least this × the overall median: "gets more views"
    lift_down: float = 0.8      # at most this ×: "gets fewer views"
    er_lift: float = 1.2        # engagement rate at least this × the overall rate
    window_hours: int = 3       # width of a posting window
    top_n: int = 5              # posts in each top/bottom list
    min_weeks: int = 3          # cadence: weeks needed on each side of the split
    cadence_lift: float = 1.15  # cadence: effect needed to call "more posts, more results"
    max_findings: int = 5
    overlap: float = 0.8        # a topic sharing this share of its posts with a named one is not named again


@dataclass(frozen=True)
class Finding:
    """One plain sentence for a marketer, as a code plus the numbers behind it.

    ``caveats`` are codes too (``content.caveat.<code>``, same params); ``kpis`` are the registry ids the
    finding helps with, so the goals page can offer it as an action-plan task.
    """

    code: str
    params: Mapping[str, Any]
    caveats: tuple[str, ...] = ()
    kpis: tuple[str, ...] = ()


@dataclass(frozen=True)
class ContentInputs:
    """The aggregated frames data/content.py produces (see there for the SQL).

    posts:     post_time, title, link, views, likes, comments, shares, interactions (one row per post)
    topics:    topic, kind ('hashtag' | 'keyword'), posts, median_views, views, interactions, post_ids
    formats:   key, posts, median_views, views, interactions, post_ids (empty when no format column)
    durations: key (a DURATION_BUCKETS code), same columns (empty when no duration column)
    windows:   days ('all' | 'weekdays' | 'weekend'), start (hour), posts, median_views
    follower_hours: hour, active_followers (mean over the days of the file); None when not loaded
    weekly:    period, posts, post_views, account_views, new_followers, full (complete week in range)
    """

    posts: pd.DataFrame
    topics: pd.DataFrame
    formats: pd.DataFrame
    durations: pd.DataFrame
    windows: pd.DataFrame
    follower_hours: pd.DataFrame | None
    weekly: pd.DataFrame
    days: int = 0                  # calendar days of the analysed range (for posts per week)
    has_interactions: bool = True


@dataclass(frozen=True)
class PostStat:
    post_time: datetime | None
    title: str | None
    link: str | None
    views: float
    interactions: float | None
    engagement_rate: Outcome


@dataclass(frozen=True)
class PostRanking:
    top_views: list[PostStat]
    bottom_views: list[PostStat]
    top_engagement: list[PostStat]
    bottom_engagement: list[PostStat]
    without_rate: int  # posts left out of the engagement lists (no views, or no interaction columns)


@dataclass(frozen=True)
class GroupStat:
    """Posts sharing a topic, a format or a duration bucket."""

    key: str
    kind: str            # 'hashtag' | 'keyword' | 'format' | 'duration'
    posts: int
    median_views: float
    views: float
    interactions: float | None
    engagement_rate: Outcome
    lift: float | None   # median views / median views of all posts
    post_ids: frozenset[int] = frozenset()
    aliases: tuple[str, ...] = ()  # other topics found on exactly the same posts (e.g. "phone" for "case")


@dataclass(frozen=True)
class Window:
    """Posting window [start, end) in hours, end modulo 24 (22 → 1 crosses midnight)."""

    days: str
    start: int
    end: int
    posts: int
    median_views: float | None
    lift: float | None


@dataclass(frozen=True)
class FollowerPeak:
    start: int
    end: int
    share: float | None          # share of a day's follower activity inside the window
    posts_share: float | None    # share of posts published inside the window


@dataclass(frozen=True)
class CadenceEffect:
    metric: str                  # 'new_followers' | 'account_views' | 'post_views'
    threshold: int               # weeks with at least this many posts are "more posts" weeks
    weeks_more: int
    weeks_less: int
    median_more: float
    median_less: float
    lift: float | None


@dataclass(frozen=True)
class Overall:
    posts: int
    median_views: float | None
    views: float
    interactions: float | None
    engagement_rate: Outcome
    posts_per_week: float | None


@dataclass(frozen=True)
class ContentAudit:
    overall: Overall
    ranking: PostRanking
    topics: list[GroupStat]
    formats: list[GroupStat]
    durations: list[GroupStat]
    windows: list[Window]
    follower_peak: FollowerPeak | None
    cadence: CadenceEffect | None
    findings: list[Finding] = field(default_factory=list)


# ---- small helpers ---------------------------------------------------------------------------------

def _num(x: Any) -> float | None:
    if x is None or x is pd.NA:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _text(x: Any) -> str | None:
    if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)):
        return None
    return str(x)


def group_engagement(interactions: float | None, views: float | None) -> Outcome:
    """Σ interactions / Σ views; None interactions means no likes/comments/shares column."""
    if interactions is None:
        return Outcome.missing(Reason.MISSING_DATA, input="interactions")
    return _er_formula(interactions, None, None, views)


def median(values: Sequence[float]) -> float | None:
    return percentile(list(values), 0.5) if values else None


def lift(value: float | None, base: float | None) -> float | None:
    """value / base, None for a missing or zero base (a ratio with a zero denominator)."""
    return ratio(value, base, denominator_name="median").value


def _hours_in(start: int, width: int) -> set[int]:
    return {(start + i) % 24 for i in range(width)}


# ---- posts -----------------------------------------------------------------------------------------

def post_stats(posts: pd.DataFrame, has_interactions: bool = True) -> list[PostStat]:
    out = []
    for row in posts.itertuples(index=False):
        views = _num(row.views) or 0.0
        inter = _num(row.interactions) if has_interactions else None
        pt = row.post_time
        out.append(PostStat(post_time=None if pt is None or pd.isna(pt) else pd.Timestamp(pt).to_pydatetime(),
                            title=_text(row.title), link=_text(row.link), views=views, interactions=inter,
                            engagement_rate=group_engagement(inter, views)))
    return out


def _time_key(p: PostStat) -> float:
    return p.post_time.timestamp() if p.post_time else 0.0


def rank_posts(posts: Sequence[PostStat], n: int = 5) -> PostRanking:
    """Top and bottom ``n`` posts by views and by engagement rate.

    Ties: more recent post first in the top lists, older first in the bottom lists, then by title.
    Posts without an engagement rate (no views) are left out of the engagement lists and counted.
    """
    by_views_top = sorted(posts, key=lambda p: (-p.views, -_time_key(p), p.title or ""))
    by_views_bottom = sorted(posts, key=lambda p: (p.views, _time_key(p), p.title or ""))
    rated = [p for p in posts if p.engagement_rate.value is not None]
    by_er_top = sorted(rated, key=lambda p: (-(p.engagement_rate.value or 0.0), -p.views, p.title or ""))
    by_er_bottom = sorted(rated, key=lambda p: ((p.engagement_rate.value or 0.0), -p.views, p.title or ""))
    return PostRanking(top_views=by_views_top[:n], bottom_views=by_views_bottom[:n],
                       top_engagement=by_er_top[:n], bottom_engagement=by_er_bottom[:n],
                       without_rate=len(posts) - len(rated))


def overall_stats(posts: Sequence[PostStat], days: int, has_interactions: bool = True) -> Overall:
    """All posts together; posts per week = posts / (calendar days of the range / 7)."""
    views = [p.views for p in posts]
    inter = sum(p.interactions or 0.0 for p in posts) if has_interactions else None
    total_views = float(sum(views))
    per_day = ratio(len(posts), days, denominator_name="days").value
    return Overall(posts=len(posts), median_views=median(views), views=total_views, interactions=inter,
                   engagement_rate=group_engagement(inter, total_views),
                   posts_per_week=None if per_day is None else per_day * 7)


# ---- topics, formats, durations ----------------------------------------------------------------------

def group_stats(frame: pd.DataFrame, overall_median: float | None, *, kind: str | None = None,
                min_posts: int = 1, has_interactions: bool = True) -> list[GroupStat]:
    """One GroupStat per row with at least ``min_posts`` posts, sorted by median views (desc).

    ``frame`` has key (or topic), [kind], posts, median_views, views, interactions, [post_ids].
    """
    out: list[GroupStat] = []
    if frame is None or frame.empty:
        return out
    key_col = "topic" if "topic" in frame.columns else "key"
    for row in frame.to_dict("records"):
        posts = int(row["posts"])
        if posts < min_posts:
            continue
        med = _num(row["median_views"]) or 0.0
        views = _num(row["views"]) or 0.0
        inter = _num(row.get("interactions")) if has_interactions else None
        ids = row.get("post_ids")
        out.append(GroupStat(key=str(row[key_col]), kind=str(row.get("kind") or kind or ""), posts=posts,
                             median_views=med, views=views, interactions=inter,
                             engagement_rate=group_engagement(inter, views), lift=lift(med, overall_median),
                             post_ids=frozenset(int(i) for i in ids) if ids is not None else frozenset()))
    out.sort(key=lambda g: (-g.median_views, -g.posts, g.key))
    return out


def _topic_rank(g: GroupStat) -> tuple[bool, str]:
    return (g.kind != "hashtag", g.key)


def merge_same_posts(groups: Sequence[GroupStat]) -> list[GroupStat]:
    """Topics found on exactly the same posts become one (their statistics are identical).

    The hashtag (else the alphabetically first word) names the group; the others become ``aliases``.
    The order of ``groups`` is kept.
    """
    by_posts: dict[frozenset[int], list[GroupStat]] = {}
    for g in groups:
        if g.post_ids:
            by_posts.setdefault(g.post_ids, []).append(g)
    out: list[GroupStat] = []
    done: set[frozenset[int]] = set()
    for g in groups:
        if not g.post_ids:
            out.append(g)
            continue
        if g.post_ids in done:
            continue
        done.add(g.post_ids)
        same = sorted(by_posts[g.post_ids], key=_topic_rank)
        head = same[0]
        out.append(GroupStat(head.key, head.kind, head.posts, head.median_views, head.views, head.interactions,
                             head.engagement_rate, head.lift, head.post_ids, tuple(x.key for x in same[1:])))
    return out


# ---- posting windows and follower activity ------------------------------------------------------------

def best_windows(windows: pd.DataFrame, overall_median: float | None, config: ContentConfig) -> list[Window]:
    """The best window per day group ('all', 'weekdays', 'weekend') among windows with enough posts.

    Best = highest median views; ties go to more posts, then the earlier hour. Sorted by lift.
    """
    out: list[Window] = []
    if windows is None or windows.empty:
        return out
    for days in DAY_GROUPS:
        rows = windows[(windows["days"] == days) & (windows["posts"] >= config.min_posts)]
        if rows.empty:
            continue
        best = sorted(rows.to_dict("records"),
                      key=lambda r: (-(_num(r["median_views"]) or 0.0), -int(r["posts"]), int(r["start"])))[0]
        start = int(best["start"])
        med = _num(best["median_views"])
        out.append(Window(days=days, start=start, end=(start + config.window_hours) % 24, posts=int(best["posts"]),
                          median_views=med, lift=lift(med, overall_median)))
    out.sort(key=lambda w: (-(w.lift or 0.0), DAY_GROUPS.index(w.days)))
    return out


def follower_peak(hours: pd.DataFrame | None, post_hours: Iterable[int], width: int = 3) -> FollowerPeak | None:
    """The ``width``-hour window (may cross midnight) with the most active followers.

    ``hours``: hour, active_followers (mean per hour). Ties go to the earlier start.
    """
    if hours is None or hours.empty:
        return None
    by_hour = {int(h): _num(v) or 0.0 for h, v in zip(hours["hour"], hours["active_followers"]) if 0 <= int(h) < 24}
    total = sum(by_hour.values())
    if total <= 0:
        return None
    sums = [(sum(by_hour.get(h, 0.0) for h in _hours_in(s, width)), s) for s in range(24)]
    best_sum, start = max(sums, key=lambda x: (x[0], -x[1]))
    ph = list(post_hours)
    inside = sum(1 for h in ph if h in _hours_in(start, width))
    return FollowerPeak(start=start, end=(start + width) % 24, share=best_sum / total,
                        posts_share=ratio(inside, len(ph), denominator_name="posts").value)


def windows_overlap(a_start: int, b_start: int, width: int) -> bool:
    return bool(_hours_in(a_start, width) & _hours_in(b_start, width))


# ---- cadence ---------------------------------------------------------------------------------------

def cadence_effect(weekly: pd.DataFrame, config: ContentConfig) -> CadenceEffect | None:
    """Compare complete weeks with more posts against weeks with fewer.

    The split is the posts-per-week value that makes the two groups closest in size (ties: the lower
    value); each side needs ``min_weeks`` weeks. The outcome is new followers when known for every week,
    else account views, else views of the posts published that week. Medians, not means.
    """
    if weekly is None or weekly.empty:
        return None
    full = weekly[weekly["full"].astype(bool)] if "full" in weekly.columns else weekly
    if full.empty:
        return None
    metric = None
    for m in ("new_followers", "account_views", "post_views"):
        if m in full.columns and full[m].notna().all():
            metric = m
            break
    if metric is None:
        return None
    posts = [int(p) for p in full["posts"]]
    values = [float(v) for v in full[metric]]
    best: tuple[int, int] | None = None
    for v in sorted(set(posts))[1:]:
        n_more = sum(1 for p in posts if p >= v)
        imbalance = abs(n_more - (len(posts) - n_more))
        if best is None or imbalance < best[0]:
            best = (imbalance, v)
    if best is None:
        return None
    threshold = best[1]
    more = [x for p, x in zip(posts, values) if p >= threshold]
    less = [x for p, x in zip(posts, values) if p < threshold]
    if len(more) < config.min_weeks or len(less) < config.min_weeks:
        return None
    m_more, m_less = median(more), median(less)
    assert m_more is not None and m_less is not None
    return CadenceEffect(metric=metric, threshold=threshold, weeks_more=len(more), weeks_less=len(less),
                         median_more=m_more, median_less=m_less, lift=lift(m_more, m_less))


# ---- findings --------------------------------------------------------------------------------------

def _small(n: int, config: ContentConfig) -> tuple[str, ...]:
    return ("small_sample",) if n < config.small_sample else ()


def _finding(code: str, params: dict[str, Any], caveats: tuple[str, ...] = ()) -> Finding:
    return Finding(code, params, caveats, FINDING_KPIS.get(code, ()))


def _prefix(kind: str) -> str:
    return "tag" if kind == "hashtag" else "word"


def _distinct(candidates: Iterable[GroupStat], named: list[GroupStat], config: ContentConfig) -> GroupStat | None:
    """The first candidate that is not mostly the same posts as a topic already named."""
    for g in candidates:
        if any(g.post_ids and n.post_ids and len(g.post_ids & n.post_ids) >= config.overlap * len(g.post_ids)
               for n in named):
            continue
        return g
    return None


def _topic_params(g: GroupStat, overall: Overall) -> dict[str, Any]:
    return {"topic": g.key, "lift": g.lift, "posts": g.posts, "median_views": g.median_views,
            "overall_median": overall.median_views}


def build_findings(overall: Overall, topics: Sequence[GroupStat], formats: Sequence[GroupStat],
                   durations: Sequence[GroupStat], windows: Sequence[Window], peak: FollowerPeak | None,
                   cadence: CadenceEffect | None, config: ContentConfig) -> list[Finding]:
    """Three to five findings, most useful first (fewer when the data does not support more).

    Order: the best topic, when to post, the followers' peak when it is unused, the weakest topic,
    the best format or duration, the topic with the best engagement, posting cadence, a second topic.
    Only topics, formats and windows with at least ``config.min_posts`` posts are considered.
    """
    eligible = [g for g in topics if g.posts >= config.min_posts and g.key not in GENERIC_TAGS
                and g.lift is not None and g.posts < overall.posts]
    named: list[GroupStat] = []
    ordered: list[Finding] = []
    extra: list[Finding] = []

    # groups with enough posts to trust come first; a small group is named only when nothing else is
    ups = sorted((g for g in eligible if (g.lift or 0) >= config.lift_up),
                 key=lambda g: (g.posts < config.small_sample, -(g.lift or 0), -g.posts, g.kind != "hashtag", g.key))
    first = _distinct(ups, named, config)
    if first is not None:
        named.append(first)
        ordered.append(_finding(f"{_prefix(first.kind)}_best", _topic_params(first, overall),
                                _small(first.posts, config)))
    second = _distinct([g for g in ups if g is not first], named, config)
    if second is not None:
        named.append(second)
        extra.append(_finding(f"{_prefix(second.kind)}_best", _topic_params(second, overall),
                              _small(second.posts, config)))

    # when to post: the all-days window when it qualifies (simplest advice), else the best day group
    good = [w for w in windows if w.lift is not None and w.lift >= config.lift_up]
    best_window = next((w for w in good if w.days == "all"), next(iter(good), None))
    if best_window is not None:
        params = {"days": best_window.days, "start": best_window.start, "end": best_window.end,
                  "lift": best_window.lift, "posts": best_window.posts, "median_views": best_window.median_views,
                  "overall_median": overall.median_views}
        if peak is not None and windows_overlap(best_window.start, peak.start, config.window_hours):
            params.update(f_start=peak.start, f_end=peak.end)
            ordered.append(_finding("window_matches_followers", params, _small(best_window.posts, config)))
        else:
            ordered.append(_finding("window_best", params, _small(best_window.posts, config)))
    if (peak is not None and peak.posts_share is not None and peak.posts_share < 0.25
            and not (best_window is not None and windows_overlap(best_window.start, peak.start,
                                                                 config.window_hours))):
        ordered.append(_finding("followers_peak_unused", {"f_start": peak.start, "f_end": peak.end,
                                                          "posts_share": peak.posts_share,
                                                          "followers_share": peak.share}))

    downs = sorted((g for g in eligible if (g.lift or 0) <= config.lift_down),
                   key=lambda g: (g.posts < config.small_sample, (g.lift or 0), -g.posts, g.kind != "hashtag", g.key))
    worst = _distinct(downs, [], config)
    if worst is not None:
        ordered.append(_finding(f"{_prefix(worst.kind)}_worst", _topic_params(worst, overall),
                                _small(worst.posts, config)))

    # format or duration
    shapes = [g for g in [*formats, *durations] if g.posts >= config.min_posts and g.lift is not None
              and g.posts < overall.posts and (g.lift or 0) >= config.lift_up]
    if shapes:
        g = sorted(shapes, key=lambda g: (g.posts < config.small_sample, -(g.lift or 0), -g.posts, g.key))[0]
        code = "format_best" if g.kind == "format" else "duration_best"
        ordered.append(_finding(code, {"key": g.key, "lift": g.lift, "posts": g.posts,
                                       "median_views": g.median_views, "overall_median": overall.median_views},
                                _small(g.posts, config)))

    # engagement
    er_all = overall.engagement_rate.value
    if er_all:
        er_ups = sorted((g for g in eligible if g.engagement_rate.value is not None
                         and g.engagement_rate.value >= config.er_lift * er_all),
                        key=lambda g: (g.posts < config.small_sample, -(g.engagement_rate.value or 0), -g.posts,
                                       g.kind != "hashtag", g.key))
        g = next(iter(er_ups), None)
        if g is not None:
            ordered.append(_finding(f"{_prefix(g.kind)}_engagement",
                                    {"topic": g.key, "er": g.engagement_rate.value, "overall_er": er_all,
                                     "posts": g.posts}, _small(g.posts, config)))

    # cadence
    if cadence is not None and cadence.lift is not None:
        weeks = cadence.weeks_more + cadence.weeks_less
        params = {"metric": cadence.metric, "threshold": cadence.threshold, "lift": cadence.lift,
                  "weeks_more": cadence.weeks_more, "weeks_less": cadence.weeks_less, "weeks": weeks,
                  "median_more": cadence.median_more, "median_less": cadence.median_less}
        caveats = ("correlation", *(("few_weeks",) if weeks < config.small_sample else ()))
        code = "cadence_more" if cadence.lift >= config.cadence_lift else "cadence_no_gain"
        ordered.append(_finding(code, params, caveats))

    return [*ordered, *extra][: config.max_findings]


# ---- everything ------------------------------------------------------------------------------------

def analyse(inputs: ContentInputs, config: ContentConfig = ContentConfig()) -> ContentAudit:
    """The whole content audit from the aggregated frames."""
    posts = post_stats(inputs.posts, inputs.has_interactions)
    overall = overall_stats(posts, inputs.days, inputs.has_interactions)
    topics = merge_same_posts(group_stats(inputs.topics, overall.median_views, min_posts=config.min_posts,
                                          has_interactions=inputs.has_interactions))
    formats = group_stats(inputs.formats, overall.median_views, kind="format", min_posts=config.min_posts,
                          has_interactions=inputs.has_interactions)
    durations = group_stats(inputs.durations, overall.median_views, kind="duration", min_posts=config.min_posts,
                            has_interactions=inputs.has_interactions)
    durations.sort(key=lambda g: DURATION_BUCKETS.index(g.key) if g.key in DURATION_BUCKETS else 99)
    windows = best_windows(inputs.windows, overall.median_views, config)
    post_hours = [p.post_time.hour for p in posts if p.post_time is not None]
    peak = follower_peak(inputs.follower_hours, post_hours, config.window_hours)
    cadence = cadence_effect(inputs.weekly, config)
    findings = build_findings(overall, topics, formats, durations, windows, peak, cadence, config)
    return ContentAudit(overall=overall, ranking=rank_posts(posts, config.top_n), topics=topics, formats=formats,
                        durations=durations, windows=windows, follower_peak=peak, cadence=cadence,
                        findings=findings)
