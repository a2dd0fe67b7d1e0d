"""Content audit presentation: number formats, finding sentences and Altair charts.

No streamlit here, so the report and audit.py can reuse ``finding_text``. Charts get small, already
aggregated frames (at most 168 rows for the heatmap).
"""
from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from kpi.content import FollowerPeak, GroupStat, Finding
from ui.i18n import has, tr

ACCENT = "#e4572e"
BASE = "#4c78a8"
MUTED = "#c9d3df"
MUTED_DARK = "#72879c"
GREEN = "#54a24b"
EMPTY = "#f0f2f6"
NBSP = "\u202f"


# ---- numbers ---------------------------------------------------------------------------------------

def _group(text: str, lang: str) -> str:
    return text.replace(",", NBSP) if lang == "ru" else text


def fmt_int(x: float | None, lang: str) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return _group(f"{round(x):,}", lang)


def fmt_num(x: float | None, lang: str, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    text = f"{x:,.{digits}f}"
    if lang == "ru":
        text = text.replace(",", NBSP).replace(".", ",")
    return text


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    num = fmt_num(100 * x, lang, digits)
    return f"{num}{NBSP}%" if lang == "ru" else f"{num}%"


def fmt_compact(x: float | None, lang: str) -> str:
    """Short labels for heatmap cells: 14k / 14к / 1.4万."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if lang == "zh":
        if x >= 10_000:
            return f"{x / 10_000:.1f}万".replace(".0万", "万")
        return f"{x:.0f}"
    suffix = "к" if lang == "ru" else "k"
    if x >= 1_000_000:
        text = f"{x / 1_000_000:.1f}".rstrip("0").rstrip(".") + (" млн" if lang == "ru" else "M")
    elif x >= 10_000:
        text = f"{x / 1000:.0f}{suffix}"
    elif x >= 1_000:
        text = f"{x / 1000:.1f}".rstrip("0").rstrip(".") + suffix
    else:
        text = f"{x:.0f}"
    return text.replace(".", ",") if lang == "ru" else text


def fmt_hour(h: int) -> str:
    return f"{int(h) % 24:02d}:00"


def days_label(days: str, lang: str) -> str:
    return tr(f"content.days.{days}", lang)


def duration_label(bucket: str, lang: str) -> str:
    return tr(f"content.duration.{bucket}", lang) if has(f"content.duration.{bucket}", lang) else bucket


def group_label(g: GroupStat, lang: str) -> str:
    return duration_label(g.key, lang) if g.kind == "duration" else g.key


# ---- findings --------------------------------------------------------------------------------------

MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()<>#+\-.!|~$])")


def md_escape(text: str) -> str:
    """Backslash-escape Markdown so a user's value shows literally in st.markdown."""
    return MD_SPECIAL.sub(r"\\\1", text)


def join_sentences(parts: Sequence[str], lang: str) -> str:
    return ("" if lang == "zh" else " ").join(p for p in parts if p)


def finding_params(f: Finding, lang: str, *, markdown: bool = False) -> dict[str, str]:
    """The finding's numbers formatted for ``lang`` (views as integers, rates as %, hours as 19:00).

    ``markdown``: hashtags become code spans and other user text is escaped, for st.markdown.
    """
    out: dict[str, str] = {}
    for k, v in f.params.items():
        if k == "lift":
            out[k] = fmt_num(v, lang, 1)
        elif k in ("median_views", "overall_median", "median_more", "median_less"):
            out[k] = fmt_int(v, lang)
        elif k in ("er", "overall_er", "posts_share", "followers_share"):
            out[k] = fmt_pct(v, lang, 1 if k in ("er", "overall_er") else 0)
        elif k in ("start", "end", "f_start", "f_end"):
            out[k] = fmt_hour(v)
        elif k == "days":
            out[k] = tr(f"content.days_phrase.{v}", lang)
        elif k == "key" and f.code == "duration_best":
            out[k] = duration_label(str(v), lang)
        elif k in ("topic", "key"):
            text = str(v)
            out[k] = (f"`{text}`" if text.startswith("#") else md_escape(text)) if markdown else text
        elif isinstance(v, float):
            out[k] = fmt_num(v, lang, 1)
        else:
            out[k] = str(v)
    return out


def finding_text(f: Finding, lang: str, *, markdown: bool = False, caveats: bool = True) -> str:
    """One finding as a sentence (plus its caveats) in ``lang``.

    ``markdown`` formats for st.markdown: a hashtag such as #a_b_c stays literal (code span).
    """
    params = finding_params(f, lang, markdown=markdown)
    key = f"content.finding.{f.code}"
    metric = f.params.get("metric")
    if metric and has(f"{key}.{metric}", lang):
        key = f"{key}.{metric}"
    parts = [tr(key, lang, **params)]
    if caveats:
        parts += [tr(f"content.caveat.{c}", lang, **params) for c in f.caveats]
    return join_sentences(parts, lang)


# ---- charts ----------------------------------------------------------------------------------------

def _fit_x(chart):
    """Fill the container's width but keep the plot's own height (Streamlit's default "fit" squeezes
    the plot so that axes and legends fit into the given height)."""
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _dow_names(lang: str) -> list[str]:
    return [tr(f"content.dow.{d}", lang) for d in range(1, 8)]


def heatmap_chart(cells: pd.DataFrame, lang: str) -> alt.LayerChart:
    """Day of week × hour: colour = average views (clamped at the 90th percentile so one viral post
    does not wash out the rest), text = the average in short form; empty cells stay grey."""
    names = _dow_names(lang)
    df = cells.copy()
    df["day"] = [names[int(d) - 1] for d in df["dow"]]
    df["label"] = [fmt_compact(v if p else None, lang) for v, p in zip(df["mean_views"], df["posts"])]
    df["views_text"] = [fmt_int(v, lang) if p else "—" for v, p in zip(df["mean_views"], df["posts"])]
    filled = df[df["posts"] > 0]
    top = float(filled["mean_views"].quantile(0.9)) if not filled.empty else 1.0
    top = top if top > 0 else 1.0
    df["dark"] = [bool(p) and float(v) > 0.6 * top for v, p in zip(df["mean_views"], df["posts"])]
    x = alt.X("hour:O", title=tr("content.axis.hour", lang), scale=alt.Scale(domain=list(range(24))),
              axis=alt.Axis(labelAngle=0))
    y = alt.Y("day:O", title=None, sort=names, scale=alt.Scale(domain=names),
              axis=alt.Axis(minExtent=70, labelOverlap=False))
    tooltip = [alt.Tooltip("day:O", title=tr("content.axis.day", lang)),
               alt.Tooltip("hour:O", title=tr("content.axis.hour", lang)),
               alt.Tooltip("posts:Q", title=tr("content.axis.posts", lang)),
               alt.Tooltip("views_text:N", title=tr("content.axis.mean_views", lang))]
    base = alt.Chart(df).encode(x=x, y=y, tooltip=tooltip)
    empty = base.mark_rect(color=EMPTY, stroke="white", strokeWidth=1)
    colour = base.transform_filter("datum.posts > 0").mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("mean_views:Q", title=tr("content.axis.mean_views", lang),
                        scale=alt.Scale(scheme="blues", domain=[0, top], clamp=True),
                        legend=alt.Legend(orient="bottom", format="~s", gradientLength=220)))
    text = base.transform_filter("datum.posts > 0").mark_text(fontSize=10).encode(
        text="label:N",
        color=alt.condition("datum.dark", alt.value("white"), alt.value("#31333f")))
    return _fit_x((empty + colour + text).properties(height=7 * 30))


def followers_chart(hours: pd.DataFrame, peak: FollowerPeak | None, lang: str, width_hours: int = 3) -> alt.Chart:
    """Average active followers by hour; the busiest window highlighted."""
    df = hours.copy()
    df["hour"] = df["hour"].astype(int)
    inside = set() if peak is None else {(peak.start + i) % 24 for i in range(width_hours)}
    df["peak"] = [tr("content.legend.peak", lang) if int(h) in inside else tr("content.legend.other", lang)
                  for h in df["hour"]]
    df["value_text"] = [fmt_int(v, lang) for v in df["active_followers"]]
    chart = alt.Chart(df).mark_bar().encode(
        x=alt.X("hour:O", title=tr("content.axis.hour", lang), scale=alt.Scale(domain=list(range(24))),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y("active_followers:Q", title=None, axis=alt.Axis(minExtent=70, format="~s", tickCount=4)),
        color=alt.Color("peak:N", scale=alt.Scale(domain=[tr("content.legend.peak", lang),
                                                          tr("content.legend.other", lang)],
                                                  range=[ACCENT, MUTED]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("hour:O", title=tr("content.axis.hour", lang)),
                 alt.Tooltip("value_text:N", title=tr("content.axis.active_followers", lang))],
    ).properties(height=140)
    return _fit_x(chart)


def groups_chart(groups: Sequence[GroupStat], overall_median: float | None, lang: str, *,
                 limit: int = 12, keep_order: bool = False) -> alt.LayerChart:
    """Horizontal bars: median views per topic/format/length, a rule at the median of all posts,
    labels "2.5× · 14" (lift · posts). Topics with the most posts are shown, sorted by median views."""
    chosen = list(groups) if keep_order else sorted(groups, key=lambda g: (-g.posts, g.key))[:limit]
    if not keep_order:
        chosen.sort(key=lambda g: (-g.median_views, g.key))
    rows = []
    for g in chosen:
        label = " · ".join([group_label(g, lang), *g.aliases])
        lift = g.lift
        rows.append({
            "label": label, "median_views": g.median_views, "posts": g.posts,
            "tone": ("up" if lift is not None and lift >= 1.0 else "down"),
            "text": tr("content.bar_label", lang, lift=fmt_num(lift, lang, 1), posts=g.posts),
            "median_text": fmt_int(g.median_views, lang), "er_text": fmt_pct(g.engagement_rate.value, lang),
        })
    df = pd.DataFrame(rows)
    order = [r["label"] for r in rows]
    top = max([r["median_views"] for r in rows] + [overall_median or 0.0, 1.0])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=240, minExtent=120, labelOverlap=False))
    tooltip = [alt.Tooltip("label:N", title=tr("content.col.topic", lang)),
               alt.Tooltip("posts:Q", title=tr("content.col.posts", lang)),
               alt.Tooltip("median_text:N", title=tr("content.col.median_views", lang)),
               alt.Tooltip("er_text:N", title=tr("content.col.er", lang))]
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("median_views:Q", title=tr("content.col.median_views", lang), axis=alt.Axis(format="~s", tickCount=6),
                scale=alt.Scale(domain=[0, top * 1.15])),  # room for the labels right of the longest bar
        y=y, color=alt.Color("tone:N", scale=alt.Scale(domain=["up", "down"], range=[BASE, MUTED]), legend=None),
        tooltip=tooltip)
    text = alt.Chart(df).mark_text(align="left", dx=4, fontSize=11, color="#31333f").encode(
        x="median_views:Q", y=y, text="text:N")
    layers = [bars]
    if overall_median:
        rule_df = pd.DataFrame({"m": [overall_median], "t": [tr("content.median_rule", lang,
                                                                  median=fmt_int(overall_median, lang))]})
        layers.append(alt.Chart(rule_df).mark_rule(color=ACCENT, strokeDash=[4, 3], size=2).encode(
            x="m:Q", tooltip=alt.Tooltip("t:N", title=None)))
    layers.append(text)
    return _fit_x(alt.layer(*layers).properties(height=max(90, 28 * len(rows))))


def cadence_chart(frame: pd.DataFrame, column: str, title: str, lang: str, colour: str = BASE) -> alt.Chart:
    """One small bar chart per measure over periods; partial periods are drawn lighter."""
    df = frame[["period", column, "full"]].copy()
    df["period"] = pd.to_datetime(df["period"])
    df["value_text"] = [fmt_int(v, lang) for v in df[column]]
    df["part"] = [tr("content.legend.full", lang) if f else tr("content.legend.partial", lang) for f in df["full"]]
    chart = alt.Chart(df).mark_bar(color=colour).encode(
        x=alt.X("period:T", title=None, axis=alt.Axis(format="%d.%m", labelAngle=0, tickCount=6)),
        y=alt.Y(f"{column}:Q", title=None, axis=alt.Axis(format="~s")),
        opacity=alt.condition("datum.full", alt.value(1.0), alt.value(0.4)),
        tooltip=[alt.Tooltip("period:T", title=tr("content.axis.period", lang), format="%Y-%m-%d"),
                 alt.Tooltip("value_text:N", title=title), alt.Tooltip("part:N", title=" ")],
    ).properties(height=150, title=alt.TitleParams(title, anchor="start", fontSize=13))
    return _fit_x(chart)


def post_rows(posts: Sequence[Any], lang: str) -> pd.DataFrame:
    """Rows for st.dataframe: time, title, link, views, engagement rate (None shows as "—")."""
    return pd.DataFrame({
        "post_time": [p.post_time for p in posts],
        "title": [p.title or "" for p in posts],
        "link": [p.link for p in posts],
        "views": [p.views for p in posts],
        "er": [None if p.engagement_rate.value is None else 100 * p.engagement_rate.value for p in posts],
    })


def topic_rows(groups: Sequence[GroupStat], lang: str) -> pd.DataFrame:
    """Rows for the topics table: topic (with the topics found on the same posts), type, posts, median views,
    times the overall median, engagement rate in % (None shows as "—")."""
    return pd.DataFrame({
        "topic": [" · ".join([g.key, *g.aliases]) for g in groups],
        "kind": [tr(f"content.kind.{g.kind}", lang) for g in groups],
        "posts": [g.posts for g in groups],
        "median": [g.median_views for g in groups],
        "lift": [g.lift for g in groups],
        "er": [None if g.engagement_rate.value is None else 100 * g.engagement_rate.value for g in groups],
    })
