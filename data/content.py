"""Social content audit queries (issue 12). SQL only: the maths and the findings live in kpi/content.py.

Every query reads canonical views (columns named by role, see data/session.py) and binds its values.
Topics are hashtags (``#word``, any script: Latin, Cyrillic, CJK) and title keywords (words of three or
more Latin/Cyrillic/Greek letters, stop words removed; titles in Chinese rely on hashtags), lower-cased
and counted once per post. The analysed posts are those with a post time and views, posted inside the
date range; the others are counted (``skipped``) and shown, never dropped silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from data.db import query, quote_ident, scalar
from data.session import Dataset, Workspace
from kpi.content import ContentConfig, ContentInputs, Finding, analyse

TAG_RE = r"#([\p{L}\p{N}_]+)"
TAG_STRIP_RE = r"#[\p{L}\p{N}_]+"
WORD_RE = r"[\p{Latin}\p{Cyrillic}\p{Greek}]{3,}"
MAX_POSTS = 100_000
GRAINS = {"day": "1 day", "week": "1 week", "month": "1 month"}
NO_RANGE = date(2000, 1, 1)  # stands in for the range when no post falls in the filter

STOP_WORDS: tuple[str, ...] = tuple(sorted(set("""
the and for are but not you your yours our ours out all any can had has have her his him its was were will
with this that these those from they them their there then than what when where which who whom why how
into onto over under about after before again just only also very more most much many some such too one
two three four five six seven eight nine ten first last new now get got let lets make made off via per
day days week today tonight here yes don doesn didn isn aren wasn won can't cannot been being did does
doing would could should may might must shall let's it's i'm you're we're they're that's what's who's
she he him her me my mine myself yourself ourselves themselves itself each every other another both
either neither own same so no nor only than too very s t just ever never always still even back down
up way well like love best good great part video videos watch see look try use using let vs via amp
http https www com
это как так что все всё она они оно его её ему ей нам вам вас нас мне меня тебя тебе себя себе
наш наша наше наши ваш ваша ваше ваши мой моя моё мои твой твоя твоё твои свой своя своё свои
был была было были быть будет будут есть нет без для при про под над перед после через между
или или либо если чтобы когда где куда откуда почему зачем тоже также уже еще ещё даже только
вот вон тут там здесь чем тем кто кого кому какой какая какое какие который которая которое которые
этот эта эти этого этой этих тот той тех того том сам сама само сами весь вся всех всем очень
можно нужно надо раз два три день дня дней неделя сегодня завтра вчера новый новая новое новые
видео смотри смотрите часть лучший лучшие самый самая самое самые ещё больше меньше
один одна одно одни новой новую нового новых новым новом
""".split())))

DURATION_CASE = ("CASE WHEN duration < 15 THEN 'lt15' WHEN duration < 30 THEN '15_30' "
                 "WHEN duration < 60 THEN '30_60' WHEN duration < 180 THEN '60_180' ELSE '180plus' END")

POST_COLUMNS = {"title": "VARCHAR", "link": "VARCHAR", "likes": "DOUBLE", "comments": "DOUBLE",
                "shares": "DOUBLE", "format": "VARCHAR", "duration": "DOUBLE"}
INTERACTION_ROLES = ("likes", "comments", "shares")


@dataclass(frozen=True)
class ContentData:
    """Everything the Content page needs, aggregated in DuckDB."""

    dataset: Dataset
    inputs: ContentInputs           # for kpi.content.analyse
    heatmap: pd.DataFrame           # dow (1 = Monday), hour, posts, mean_views (NULL when no posts)
    cadence: pd.DataFrame           # period, posts, post_views, account_views, new_followers, full (page grain)
    skipped: int                    # posts without a post time or views (left out, shown on the page)
    range: tuple[date, date] | None # the analysed range: the filter intersected with the posts' dates
    follower_dates: tuple[date, date, int] | None  # first and last day of the follower-activity file, days
    roles: frozenset[str]           # roles of the posts dataset (title, link, format, duration, ...)
    views_source: str | None = None      # file the cadence's account views come from (None: post views)
    followers_source: str | None = None  # file the cadence's follower growth comes from


# ---- picking datasets --------------------------------------------------------------------------------

def posts_datasets(ws: Workspace) -> list[Dataset]:
    """Loaded social_posts datasets with the required roles, largest first."""
    found = [d for d in ws.of_kind("social_posts") if {"post_time", "views"} <= d.roles.keys()]
    return sorted(found, key=lambda d: -d.rows)


def _daily_with(ws: Workspace, *roles: str) -> Dataset | None:
    return next((d for d in ws.of_kind("social_daily") if "date" in d.roles and any(r in d.roles for r in roles)),
                None)


def _label(ds: Dataset | None) -> str | None:
    return None if ds is None else ds.label


def _activity(ws: Workspace) -> Dataset | None:
    return next((d for d in ws.of_kind("followers_activity")
                 if {"hour", "active_followers"} <= d.roles.keys()), None)


# ---- SQL pieces ------------------------------------------------------------------------------------

def _q(con, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    """Run with only the named parameters the statement uses (DuckDB refuses extra ones)."""
    used = set(re.findall(r"\$([a-z_]+)", sql))
    return query(con, sql, {k: v for k, v in params.items() if k in used})


def _posts_cte(ds: Dataset) -> str:
    """CTE ``p``: one row per analysed post with every column the queries use (NULL when not mapped)."""
    cols = [quote_ident(r) if r in ds.roles else f"CAST(NULL AS {t}) AS {quote_ident(r)}"
            for r, t in POST_COLUMNS.items()]
    parts = [f"coalesce({quote_ident(r)}, 0)" for r in INTERACTION_ROLES if r in ds.roles]
    inter = " + ".join(parts) if parts else "CAST(NULL AS DOUBLE)"
    return (f"p AS (SELECT row_number() OVER (ORDER BY post_time, views, title, link) AS pid, * FROM "
            f"(SELECT post_time, views, {', '.join(cols)}, {inter} AS interactions FROM {quote_ident(ds.view)} "
            f"WHERE post_time IS NOT NULL AND views IS NOT NULL AND post_time >= $lo AND post_time < $hi))")


def _bounds(con, ds: Dataset, date_range: tuple[date, date] | None) -> tuple[date, date] | None:
    row = con.execute(f"SELECT min(post_time)::DATE, max(post_time)::DATE FROM {quote_ident(ds.view)} "
                      f"WHERE post_time IS NOT NULL").fetchone()
    if row is None or row[0] is None:
        return None
    lo, hi = row
    if date_range is not None:
        lo, hi = max(lo, date_range[0]), min(hi, date_range[1])
    return (lo, hi) if lo <= hi else None


def _params(rng: tuple[date, date], grain: str = "week", config: ContentConfig = ContentConfig()) -> dict:
    lo, hi = rng
    return {"lo": datetime.combine(lo, datetime.min.time()),
            "hi": datetime.combine(hi + timedelta(days=1), datetime.min.time()),
            "lo_d": lo, "hi_d": hi, "grain": grain, "step": GRAINS[grain], "width": config.window_hours,
            "tag_re": TAG_RE, "tag_strip": TAG_STRIP_RE, "word_re": WORD_RE, "stop": list(STOP_WORDS)}


# ---- one function per insight ------------------------------------------------------------------------

def posts(con, ds: Dataset, params: dict) -> pd.DataFrame:
    """The analysed posts, oldest first."""
    sql = (f"WITH {_posts_cte(ds)} SELECT post_time, title, link, views, likes, comments, shares, format, "
           f"duration, interactions FROM p ORDER BY post_time, views, title, link LIMIT {MAX_POSTS}")
    return _q(con, sql, params)


def skipped_posts(con, ds: Dataset, params: dict) -> int:
    """Rows without a post time, or inside the range without views."""
    sql = (f"SELECT count(*) FROM {quote_ident(ds.view)} WHERE post_time IS NULL "
           f"OR (views IS NULL AND post_time >= $lo AND post_time < $hi)")
    return int(scalar(con, sql, {k: params[k] for k in ("lo", "hi")}) or 0)


def topic_stats(con, ds: Dataset, params: dict) -> pd.DataFrame:
    """Per hashtag / title keyword: posts, median views, Σ views, Σ interactions, the posts' ids."""
    if "title" not in ds.roles:
        return pd.DataFrame(columns=["topic", "kind", "posts", "median_views", "views", "interactions", "post_ids"])
    sql = f"""WITH {_posts_cte(ds)},
    tags AS (SELECT DISTINCT pid, '#' || tag AS topic FROM
             (SELECT pid, unnest(regexp_extract_all(lower(title), $tag_re, 1)) AS tag FROM p WHERE title IS NOT NULL)),
    words AS (SELECT DISTINCT pid, word FROM
              (SELECT pid, unnest(regexp_extract_all(lower(regexp_replace(title, $tag_strip, ' ', 'g')), $word_re))
                      AS word FROM p WHERE title IS NOT NULL)
              WHERE NOT list_contains($stop, word)),
    t AS (SELECT pid, topic, 'hashtag' AS kind FROM tags
          UNION ALL
          SELECT pid, word AS topic, 'keyword' AS kind FROM words
          WHERE '#' || word NOT IN (SELECT topic FROM tags))
    SELECT t.topic, t.kind, count(*) AS posts, median(p.views) AS median_views, sum(p.views) AS views,
           sum(p.interactions) AS interactions, list(p.pid ORDER BY p.pid) AS post_ids
    FROM t JOIN p USING (pid)
    GROUP BY t.topic, t.kind
    ORDER BY posts DESC, median_views DESC, t.topic"""
    return _q(con, sql, params)


def _group_by(con, ds: Dataset, params: dict, key_expr: str, where: str, order: str) -> pd.DataFrame:
    sql = (f"WITH {_posts_cte(ds)} SELECT {key_expr} AS key, count(*) AS posts, median(views) AS median_views, "
           f"sum(views) AS views, sum(interactions) AS interactions, list(pid ORDER BY pid) AS post_ids "
           f"FROM p WHERE {where} GROUP BY 1 ORDER BY {order}")
    return _q(con, sql, params)


def format_stats(con, ds: Dataset, params: dict) -> pd.DataFrame:
    if "format" not in ds.roles:
        return pd.DataFrame(columns=["key", "posts", "median_views", "views", "interactions", "post_ids"])
    return _group_by(con, ds, params, "trim(format)", "format IS NOT NULL AND trim(format) <> ''",
                     "posts DESC, key")


def duration_stats(con, ds: Dataset, params: dict) -> pd.DataFrame:
    if "duration" not in ds.roles:
        return pd.DataFrame(columns=["key", "posts", "median_views", "views", "interactions", "post_ids"])
    return _group_by(con, ds, params, DURATION_CASE, "duration IS NOT NULL AND duration >= 0", "min(duration)")


def posting_heatmap(con, ds: Dataset, params: dict) -> pd.DataFrame:
    """Day of week (1 = Monday) × hour: posts and average views; all 168 cells, empty ones with 0 posts."""
    sql = f"""WITH {_posts_cte(ds)},
    grid AS (SELECT d.range AS dow, h.range AS hour FROM range(1, 8) d, range(0, 24) h),
    agg AS (SELECT isodow(post_time) AS dow, hour(post_time) AS hour, count(*) AS posts, avg(views) AS mean_views
            FROM p GROUP BY 1, 2)
    SELECT grid.dow, grid.hour, coalesce(agg.posts, 0) AS posts, agg.mean_views
    FROM grid LEFT JOIN agg ON grid.dow = agg.dow AND grid.hour = agg.hour
    ORDER BY grid.dow, grid.hour"""
    return _q(con, sql, params)


def posting_windows(con, ds: Dataset, params: dict) -> pd.DataFrame:
    """Every ``width``-hour window (crossing midnight allowed) × day group: posts and median views."""
    sql = f"""WITH {_posts_cte(ds)},
    starts AS (SELECT range AS start FROM range(0, 24)),
    groups AS (SELECT unnest(['all', 'weekdays', 'weekend']) AS days),
    x AS (SELECT g.days, s.start, p.views FROM p, starts s, groups g
          WHERE (hour(p.post_time) - s.start + 24) % 24 < $width
            AND (g.days = 'all' OR (g.days = 'weekdays' AND isodow(p.post_time) <= 5)
                 OR (g.days = 'weekend' AND isodow(p.post_time) >= 6)))
    SELECT days, start, count(*) AS posts, median(views) AS median_views
    FROM x GROUP BY days, start ORDER BY days, start"""
    return _q(con, sql, params)


def follower_hours(con, ds: Dataset | None) -> tuple[pd.DataFrame | None, tuple[date, date, int] | None]:
    """Mean active followers per hour over the file's days (not filtered by date: TikTok gives 7 days)."""
    if ds is None:
        return None, None
    v = quote_ident(ds.view)
    has_date = "date" in ds.roles
    frame = query(con, f"SELECT CAST(hour AS INTEGER) AS hour, avg(active_followers) AS active_followers "
                       f"FROM {v} WHERE hour >= 0 AND hour < 24 AND hour = floor(hour) "
                       f"AND active_followers IS NOT NULL "
                       f"GROUP BY 1 ORDER BY 1")
    if frame.empty:
        return None, None
    dates = None
    if has_date:
        row = con.execute(f"SELECT min(date), max(date), count(DISTINCT date) FROM {v} "
                          f"WHERE active_followers IS NOT NULL").fetchone()
        if row and row[0] is not None:
            dates = (row[0], row[1], int(row[2]))
    return frame, dates


def cadence(con, ws: Workspace, ds: Dataset, params: dict) -> pd.DataFrame:
    """Per period of the grain: posts, views of those posts, account views and new followers (when a
    social_daily file has them), and whether the period lies fully inside the range."""
    daily_views = _daily_with(ws, "views")
    daily_followers = _daily_with(ws, "followers", "new_followers")
    joins, cols = [], []
    if daily_views is not None and "views" in daily_views.roles:
        joins.append(f"LEFT JOIN (SELECT date_trunc($grain, date)::DATE AS period, sum(views) AS account_views "
                     f"FROM {quote_ident(daily_views.view)} WHERE date >= $lo_d AND date <= $hi_d "
                     f"GROUP BY 1) av USING (period)")
        cols.append("av.account_views")
    else:
        cols.append("CAST(NULL AS DOUBLE) AS account_views")
    if daily_followers is not None:
        fv = quote_ident(daily_followers.view)
        if "followers" in daily_followers.roles:
            gained = (f"SELECT date, followers - lag(followers) OVER (ORDER BY date) AS gained FROM "
                      f"(SELECT date, max(followers) AS followers FROM {fv} WHERE followers IS NOT NULL GROUP BY date)")
        else:
            gained = f"SELECT date, new_followers AS gained FROM {fv}"
        joins.append(f"LEFT JOIN (SELECT date_trunc($grain, date)::DATE AS period, sum(gained) AS new_followers, "
                     f"count(gained) AS follower_days FROM ({gained}) WHERE date >= $lo_d AND date <= $hi_d "
                     f"GROUP BY 1) nf USING (period)")
        cols.append("CASE WHEN nf.follower_days > 0 THEN nf.new_followers END AS new_followers")
    else:
        cols.append("CAST(NULL AS DOUBLE) AS new_followers")
    sql = f"""WITH {_posts_cte(ds)},
    periods AS (SELECT unnest(generate_series(date_trunc($grain, $lo_d), date_trunc($grain, $hi_d),
                                              CAST($step AS INTERVAL)))::DATE AS period),
    pp AS (SELECT date_trunc($grain, post_time)::DATE AS period, count(*) AS posts, sum(views) AS post_views
           FROM p GROUP BY 1)
    SELECT periods.period, coalesce(pp.posts, 0) AS posts, coalesce(pp.post_views, 0) AS post_views,
           {', '.join(cols)},
           periods.period >= $lo_d AND periods.period + CAST($step AS INTERVAL) - INTERVAL 1 DAY <= $hi_d AS full
    FROM periods LEFT JOIN pp USING (period) {' '.join(joins)}
    ORDER BY periods.period"""
    return _q(con, sql, params)


# ---- the whole audit ----------------------------------------------------------------------------------

def load_content(ws: Workspace, dataset: str | None = None, date_range: tuple[date, date] | None = None,
                 grain: str = "week", config: ContentConfig = ContentConfig()) -> ContentData | None:
    """All aggregated frames for one social_posts dataset (by name; default: the largest), or None
    when no social_posts dataset with a post time and views is loaded."""
    candidates = posts_datasets(ws)
    ds = next((d for d in candidates if d.name == dataset), candidates[0] if candidates else None)
    if ds is None:
        return None
    grain = grain if grain in GRAINS else "week"
    con = ws.con
    rng = _bounds(con, ds, date_range)
    params = _params(rng or (NO_RANGE, NO_RANGE), grain, config)
    if rng is None:
        params["hi"] = params["lo"]  # nothing in the range: every query sees no posts
    weekly_params = dict(params, grain="week", step=GRAINS["week"])
    act_frame, act_dates = follower_hours(con, _activity(ws))
    weekly = cadence(con, ws, ds, weekly_params)
    inputs = ContentInputs(
        posts=posts(con, ds, params), topics=topic_stats(con, ds, params), formats=format_stats(con, ds, params),
        durations=duration_stats(con, ds, params), windows=posting_windows(con, ds, params),
        follower_hours=act_frame, weekly=weekly if rng else weekly.iloc[0:0],
        days=(rng[1] - rng[0]).days + 1 if rng else 0,
        has_interactions=any(r in ds.roles for r in INTERACTION_ROLES))
    page_cadence = weekly if grain == "week" else cadence(con, ws, ds, params)
    return ContentData(dataset=ds, inputs=inputs, heatmap=posting_heatmap(con, ds, params),
                       cadence=page_cadence if rng else page_cadence.iloc[0:0],
                       skipped=skipped_posts(con, ds, params), range=rng, follower_dates=act_dates,
                       roles=frozenset(ds.roles), views_source=_label(_daily_with(ws, "views")),
                       followers_source=_label(_daily_with(ws, "followers", "new_followers")))


def content_findings(ws: Workspace, date_range: tuple[date, date] | None = None, *, dataset: str | None = None,
                     config: ContentConfig = ContentConfig()) -> list[Finding]:
    """Language-independent findings (code + params) for the report and the goals' action plan.

    Empty when no social_posts data is loaded. Translate with ``ui.charts.content.finding_text``.
    """
    data = load_content(ws, dataset, date_range, "week", config)
    if data is None or data.range is None:
        return []
    return analyse(data.inputs, config).findings


def _round(x: float | None, digits: int = 4) -> float | None:
    return None if x is None else round(float(x), digits)


def content_json(ws: Workspace, date_range: tuple[date, date] | None = None,
                 config: ContentConfig = ContentConfig()) -> dict | None:
    """The "content" section of ``audit.py --json``; None when no social_posts data is loaded."""
    data = load_content(ws, None, date_range, "week", config)
    if data is None:
        return None
    audit = analyse(data.inputs, config)
    o = audit.overall

    def post(p) -> dict:
        return {"post_time": p.post_time.isoformat(sep=" ") if p.post_time else None, "title": p.title,
                "link": p.link, "views": p.views, "engagement_rate": _round(p.engagement_rate.value)}

    return {
        "file": data.dataset.label,
        "range": [data.range[0].isoformat(), data.range[1].isoformat()] if data.range else None,
        "posts": o.posts,
        "posts_skipped": data.skipped,
        "median_views": o.median_views,
        "engagement_rate": _round(o.engagement_rate.value),
        "posts_per_week": _round(o.posts_per_week, 2),
        "min_posts_per_topic": config.min_posts,
        "top_posts": [post(p) for p in audit.ranking.top_views],
        "bottom_posts": [post(p) for p in audit.ranking.bottom_views],
        "topics": [{"topic": g.key, "kind": g.kind, "posts": g.posts, "median_views": g.median_views,
                    "engagement_rate": _round(g.engagement_rate.value), "views_vs_median": _round(g.lift, 3),
                    "same_posts_as": list(g.aliases)}
                   for g in audit.topics],
        "best_posting_windows": [{"days": w.days, "start_hour": w.start, "end_hour": w.end, "posts": w.posts,
                                  "median_views": w.median_views, "views_vs_median": _round(w.lift, 3)}
                                 for w in audit.windows],
        "follower_peak": None if audit.follower_peak is None else {
            "start_hour": audit.follower_peak.start, "end_hour": audit.follower_peak.end,
            "posts_share": _round(audit.follower_peak.posts_share)},
        "findings": [{"code": f.code, "params": dict(f.params), "caveats": list(f.caveats), "kpis": list(f.kpis)}
                     for f in audit.findings],
    }
