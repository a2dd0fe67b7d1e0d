"""Retention page presentation: number formats, small frames and Altair charts.

No streamlit here (audit reports can reuse the charts). Every chart gets already aggregated data from
``data/retention.py`` and ``kpi/retention.py``: at most ``COHORTS_PER_PAGE × MAX_COLUMNS`` heatmap cells,
one row per day for DAU, one per period elsewhere.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd

from kpi import retention as kr
from kpi.registry import Band
from kpi.result import Outcome
from ui.i18n import tr

MAX_COLUMNS = 31            # heatmap periods 0..30
ROW_HEIGHT = 24
BLUE = "#1f5fa8"
PALE = "#eef1f5"
PALE_TEXT = "#6b7785"
INK = "#262730"
GREEN = "#2e9d57"
RED = "#d1495b"
ORANGE = "#f2a541"
GREY = "#9aa5b1"
NBSP = "\u202f"
SERIES_COLORS = {"cohort": BLUE, "active": ORANGE, "dau": BLUE, "wau": GREEN, "mau": ORANGE,
                 "new": BLUE, "returning": GREEN, "resurrecting": ORANGE, "dormant": GREY}


# ---- numbers ---------------------------------------------------------------------------------------

def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_int(x: float | None, lang: str) -> str:
    if _missing(x):
        return "—"
    text = f"{round(x):,}"
    return text.replace(",", NBSP) if lang == "ru" else text


def fmt_num(x: float | None, lang: str, digits: int = 2) -> str:
    if _missing(x):
        return "—"
    text = f"{x:,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",") if lang == "ru" else text


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    """0.4213 -> "42.1%" (en, zh), "42,1 %" (ru); None -> "—". Under 1 %, one more decimal (0.02%)."""
    if _missing(x):
        return "—"
    if 0 < abs(x) < 0.01:
        digits += 1
    num = fmt_num(100 * x, lang, digits)
    return f"{num}{NBSP}%" if lang == "ru" else f"{num}%"


def fmt_band(band: Band, lang: str) -> str:
    """30–50 %, or "70 %+" for an open band."""
    lo = fmt_num(100 * (band.lo or 0), lang, 0)
    if band.hi is None:
        return f"≥{NBSP}{lo}{NBSP}%" if lang == "ru" else f"≥{lo}%"
    hi = fmt_num(100 * band.hi, lang, 0)
    return f"{lo}–{hi}{NBSP}%" if lang == "ru" else f"{lo}–{hi}%"


def fmt_date(d: date) -> str:
    return d.isoformat()


def period_label(period: str, k: int, lang: str) -> str:
    return tr(f"retention.short.{period}", lang, k=k)


def cohort_label(c: kr.Cohort, lang: str) -> str:
    return f"{fmt_date(c.start)} · {fmt_int(c.size, lang)}"


def time_axis(lang: str) -> alt.Axis:
    """Date ticks: Vega's default English month names for English; numeric dates otherwise."""
    if lang == "en":
        return alt.Axis(labelAngle=0)
    return alt.Axis(labelAngle=0, format="%d.%m" if lang == "ru" else "%m-%d")


def reason_text(outcome: Outcome, lang: str) -> str:
    """Why a value is missing, in the user's language (kpi.reason.* sentences)."""
    if outcome.reason is None:
        return ""
    return tr(f"kpi.reason.{outcome.reason}", lang, **dict(outcome.params))


# ---- heatmap ---------------------------------------------------------------------------------------

def heatmap_frame(matrix: kr.CohortMatrix, page: kr.CohortPage, lang: str,
                  max_columns: int = MAX_COLUMNS) -> pd.DataFrame:
    """One row per shown cell: cohort label, period label, rate, text, tooltip fields."""
    rows = []
    for order, c in enumerate(matrix.cohorts[page.first:page.stop]):
        for cell in c.cells[:max_columns]:
            rows.append({
                "row": order,
                "cohort": cohort_label(c, lang),
                "k": cell.k,
                "period": period_label(str(matrix.period), cell.k, lang),
                "rate": cell.rate,
                "label": "…" if cell.rate is None else fmt_pct(cell.rate, lang, 0),
                "incomplete": cell.rate is None,
                "dark": cell.rate is not None and cell.rate >= 0.55,
                "t_cohort": fmt_date(c.start),
                "t_size": fmt_int(c.size, lang),
                "t_start": fmt_date(cell.start),
                "t_active": fmt_int(cell.active, lang),
                "t_rate": fmt_pct(cell.rate, lang) if cell.rate is not None
                else tr("retention.cell.incomplete", lang),
            })
    return pd.DataFrame(rows)


def heatmap(matrix: kr.CohortMatrix, page: kr.CohortPage, lang: str, max_columns: int = MAX_COLUMNS) -> alt.Chart:
    """Cohort rows (oldest on top) × periods since the first activity; colour 0–100 %, % labels,
    grey "…" cells for periods that are not over yet."""
    df = heatmap_frame(matrix, page, lang, max_columns)
    p = str(matrix.period)
    ys = df.drop_duplicates("row").sort_values("row")["cohort"].tolist()
    xs = [period_label(p, k, lang) for k in range(int(df["k"].max()) + 1)] if len(df) else []
    tooltip = [alt.Tooltip("t_cohort:N", title=tr("retention.tip.cohort", lang)),
               alt.Tooltip("t_size:N", title=tr("retention.tip.size", lang)),
               alt.Tooltip("period:N", title=tr(f"retention.axis.period.{p}", lang)),
               alt.Tooltip("t_start:N", title=tr("retention.tip.start", lang)),
               alt.Tooltip("t_active:N", title=tr("retention.tip.active", lang)),
               alt.Tooltip("t_rate:N", title=tr("retention.tip.rate", lang))]
    x = alt.X("period:O", sort=xs, title=tr(f"retention.axis.period.{p}", lang),
              axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=11))
    y = alt.Y("cohort:O", sort=ys, title=tr("retention.axis.cohort", lang),
              axis=alt.Axis(labelFontSize=11, labelLimit=220, labelOverlap=False))
    base = alt.Chart(df).encode(x=x, y=y, tooltip=tooltip)
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color("rate:Q", scale=alt.Scale(domain=[0, 1], scheme="blues"),
                        legend=alt.Legend(title=tr("retention.legend.rate", lang), format=".0%",
                                          orient="right", gradientLength=160)))
    pending = base.transform_filter("datum.incomplete").mark_rect(stroke="white", strokeWidth=1, color=PALE)
    text = base.mark_text(fontSize=10 if len(xs) > 16 else 11).encode(
        text="label:N",
        color=alt.when(alt.datum.dark).then(alt.value("white"))
                 .when(alt.datum.incomplete).then(alt.value(PALE_TEXT)).otherwise(alt.value(INK)))
    return (cells + pending + text).properties(height=alt.Step(ROW_HEIGHT), width="container")


def matrix_csv_frame(matrix: kr.CohortMatrix, lang: str) -> pd.DataFrame:
    """The whole matrix as a table: cohort, size, one column of rates per period ("" when incomplete)."""
    width = matrix.max_k + 1
    rows = []
    for c in matrix.cohorts:
        row = {tr("retention.tip.cohort", lang): fmt_date(c.start), tr("retention.tip.size", lang): c.size}
        for k in range(width):
            rate = c.cells[k].rate if k < len(c.cells) else None
            row[period_label(str(matrix.period), k, lang)] = None if rate is None else round(rate, 4)
        rows.append(row)
    return pd.DataFrame(rows)


# ---- retention curve -------------------------------------------------------------------------------

def curve_chart(curve: Sequence[kr.CurvePoint], active_points: Sequence[tuple[int, float | None]], band: Band,
                product_label: str, lang: str) -> alt.Chart:
    """Daily cohort curve (days 0–30) with the guide's active-user D1/D7/D30 points, the product type's
    D1 band at day 1 and the 20 % line."""
    cohort_name = tr("retention.series.cohort", lang)
    active_name = tr("retention.series.active", lang)
    pts = [{"day": p.k, "rate": p.rate, "series": cohort_name, "t_rate": fmt_pct(p.rate, lang),
            "t_base": fmt_int(p.base, lang)} for p in curve if p.rate is not None]
    pts += [{"day": k, "rate": v, "series": active_name, "t_rate": fmt_pct(v, lang), "t_base": ""}
            for k, v in active_points if v is not None]
    df = pd.DataFrame(pts, columns=["day", "rate", "series", "t_rate", "t_base"])
    color = alt.Color("series:N", scale=alt.Scale(domain=[cohort_name, active_name], range=[BLUE, ORANGE]),
                      legend=alt.Legend(title=None, orient="top", labelLimit=320))
    x = alt.X("day:Q", scale=alt.Scale(domain=[0, 30]), title=tr("retention.axis.day", lang),
              axis=alt.Axis(values=[0, 1, 7, 14, 21, 30]))
    y = alt.Y("rate:Q", scale=alt.Scale(domain=[0, 1]), title=tr("retention.axis.retained", lang),
              axis=alt.Axis(format=".0%"))
    tips = [alt.Tooltip("series:N", title=" "), alt.Tooltip("day:Q", title=tr("retention.axis.day", lang)),
            alt.Tooltip("t_rate:N", title=tr("retention.tip.rate", lang)),
            alt.Tooltip("t_base:N", title=tr("retention.tip.base", lang))]
    hi = 1.0 if band.hi is None else band.hi
    band_df = pd.DataFrame([{"x": 0.45, "x2": 1.55, "lo": band.lo, "hi": hi,
                             "label": tr("retention.curve.band", lang, product=product_label,
                                         band=fmt_band(band, lang))}])
    band_rect = alt.Chart(band_df).mark_rect(color=GREEN, opacity=0.18).encode(
        x="x:Q", x2="x2:Q", y="lo:Q", y2="hi:Q")
    band_text = alt.Chart(band_df).mark_text(align="left", dx=4, dy=-6, color=GREEN, fontSize=11).encode(
        x="x2:Q", y="hi:Q", text="label:N")
    alarm_df = pd.DataFrame([{"y": kr.D1_ALARM, "label": tr("retention.curve.alarm", lang)}])
    alarm = alt.Chart(alarm_df).mark_rule(color=RED, strokeDash=[5, 4]).encode(y="y:Q")
    alarm_text = alt.Chart(alarm_df).mark_text(align="right", dy=-6, color=RED, fontSize=11).encode(
        x=alt.datum(30), y="y:Q", text="label:N")
    cohort_line = alt.Chart(df).transform_filter(alt.datum.series == cohort_name).mark_line(
        point=alt.OverlayMarkDef(size=28)).encode(x=x, y=y, color=color, tooltip=tips)
    active_dots = alt.Chart(df).transform_filter(alt.datum.series == active_name).mark_point(
        shape="diamond", size=110, filled=True).encode(x=x, y=y, color=color, tooltip=tips)
    return (band_rect + band_text + alarm + alarm_text + cohort_line + active_dots).properties(
        height=300, width="container")


# ---- activity --------------------------------------------------------------------------------------

def activity_chart(daily: pd.DataFrame, weekly: pd.DataFrame, months: Sequence[kr.MonthActivity],
                   lang: str) -> alt.Chart:
    """DAU per day, WAU per week and MAU per month as lines over time (WAU and MAU as steps)."""
    names = {s: tr(f"retention.series.{s}", lang) for s in ("dau", "wau", "mau")}
    parts = [pd.DataFrame({"start": pd.to_datetime(daily["start"]), "users": daily["users"], "series": names["dau"]}),
             pd.DataFrame({"start": pd.to_datetime(weekly["start"]), "users": weekly["users"],
                           "series": names["wau"]}),
             pd.DataFrame({"start": pd.to_datetime([m.month for m in months]), "users": [m.mau for m in months],
                           "series": names["mau"]})]
    df = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=["start", "users", "series"])
    df["t_users"] = [fmt_int(u, lang) for u in df["users"]]
    color = alt.Color("series:N", scale=alt.Scale(domain=list(names.values()),
                                                  range=[SERIES_COLORS[s] for s in names]),
                      legend=alt.Legend(title=None, orient="top"))
    return alt.Chart(df).mark_line(interpolate="step-after", strokeWidth=2).encode(
        x=alt.X("start:T", title=None, axis=time_axis(lang)),
        y=alt.Y("users:Q", title=tr("retention.axis.users", lang)),
        color=color,
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("start:T", title=tr("retention.tip.start", lang)),
                 alt.Tooltip("t_users:N", title=tr("retention.axis.users", lang))],
    ).properties(height=260, width="container")


def stickiness_chart(months: Sequence[kr.MonthActivity], lang: str) -> alt.Chart:
    """Monthly DAU/MAU bars over the typical 0.1–0.3 band; months only partly in the data are pale."""
    df = pd.DataFrame([{"month": m.month.strftime("%Y-%m"), "value": m.stickiness,
                        "label": fmt_num(m.stickiness, lang), "full": m.complete,
                        "t_dau": fmt_num(m.avg_dau, lang, 1), "t_mau": fmt_int(m.mau, lang),
                        "t_days": str(m.days)} for m in months if m.stickiness is not None],
                      columns=["month", "value", "label", "full", "t_dau", "t_mau", "t_days"])
    top = max([0.4, *(float(v) * 1.15 for v in df["value"])])
    band = pd.DataFrame([{"lo": kr.STICKINESS_BAND.lo, "hi": kr.STICKINESS_BAND.hi,
                          "label": tr("retention.stickiness.band", lang)}])
    band_rect = alt.Chart(band).mark_rect(color=GREEN, opacity=0.15).encode(y="lo:Q", y2="hi:Q")
    band_text = alt.Chart(band).mark_text(align="left", baseline="top", dx=4, dy=4, color=GREEN,
                                          fontSize=11).encode(x=alt.value(0), y="hi:Q", text="label:N")
    x = alt.X("month:O", title=None, axis=alt.Axis(labelAngle=0))
    y = alt.Y("value:Q", scale=alt.Scale(domain=[0, top]), title=tr("retention.axis.stickiness", lang))
    bars = alt.Chart(df).mark_bar(color=BLUE, size=22).encode(
        x=x, y=y, opacity=alt.condition("datum.full", alt.value(0.9), alt.value(0.35)),
        tooltip=[alt.Tooltip("month:N", title=tr("retention.tip.month", lang)),
                 alt.Tooltip("label:N", title=tr("retention.axis.stickiness", lang)),
                 alt.Tooltip("t_dau:N", title=tr("retention.tip.avg_dau", lang)),
                 alt.Tooltip("t_mau:N", title=tr("retention.series.mau", lang)),
                 alt.Tooltip("t_days:N", title=tr("retention.tip.days", lang))])
    labels = alt.Chart(df).mark_text(dy=-7, fontSize=11, color=INK).encode(x=x, y=y, text="label:N")
    return (band_rect + band_text + bars + labels).properties(height=260, width="container")


def churn_chart(periods: Sequence[kr.LifecyclePeriod], period: str, lang: str) -> alt.Chart:
    """Churn per period: dormant / active in the previous period; partial periods pale."""
    df = pd.DataFrame([{"start": pd.Timestamp(p.start), "value": p.churn, "full": p.complete,
                        "label": fmt_pct(p.churn, lang, 0), "t_start": fmt_date(p.start),
                        "t_gone": fmt_int(p.dormant, lang)} for p in periods if p.churn is not None],
                      columns=["start", "value", "full", "label", "t_start", "t_gone"])
    return alt.Chart(df).mark_line(color=RED, point=alt.OverlayMarkDef(color=RED, size=24)).encode(
        x=alt.X("start:T", title=None, axis=time_axis(lang)),
        y=alt.Y("value:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%"),
                title=tr("retention.axis.churn", lang)),
        opacity=alt.condition("datum.full", alt.value(1.0), alt.value(0.4)),
        tooltip=[alt.Tooltip("t_start:N", title=tr(f"retention.tip.period.{period}", lang)),
                 alt.Tooltip("label:N", title=tr("retention.axis.churn", lang)),
                 alt.Tooltip("t_gone:N", title=tr("retention.lifecycle.dormant", lang))],
    ).properties(height=260, width="container")


LIFECYCLE = ("new", "returning", "resurrecting", "dormant")


def lifecycle_frame(periods: Sequence[kr.LifecyclePeriod], period: str, lang: str) -> pd.DataFrame:
    rows = []
    for p in periods:
        end = kr.add_periods(p.start, period, 1)
        for part in LIFECYCLE:
            n = getattr(p, part)
            rows.append({"start": pd.Timestamp(p.start), "end": pd.Timestamp(end),
                         "part": tr(f"retention.lifecycle.{part}", lang),
                         "order": LIFECYCLE.index(part), "users": -n if part == "dormant" else n,
                         "full": p.complete, "t_start": fmt_date(p.start), "t_users": fmt_int(n, lang),
                         "t_churn": fmt_pct(p.churn, lang)})
    return pd.DataFrame(rows, columns=["start", "end", "part", "order", "users", "full", "t_start", "t_users",
                                       "t_churn"])


def lifecycle_chart(periods: Sequence[kr.LifecyclePeriod], period: str, lang: str) -> alt.Chart:
    """Stacked bars per period: new, returning, resurrecting above zero, dormant below."""
    df = lifecycle_frame(periods, period, lang)
    names = [tr(f"retention.lifecycle.{p}", lang) for p in LIFECYCLE]
    bars = alt.Chart(df).mark_bar(stroke="white", strokeWidth=0.5).encode(
        x=alt.X("start:T", title=None, axis=time_axis(lang)), x2="end:T",
        y=alt.Y("sum(users):Q", title=tr("retention.axis.users", lang), stack="zero"),
        color=alt.Color("part:N", scale=alt.Scale(domain=names, range=[SERIES_COLORS[p] for p in LIFECYCLE]),
                        legend=alt.Legend(title=None, orient="top")),
        order=alt.Order("order:Q"),
        # an encoded field (not a condition) so that the stacking aggregate keeps it
        opacity=alt.Opacity("full:N", scale=alt.Scale(domain=[True, False], range=[0.95, 0.4]), legend=None),
        tooltip=[alt.Tooltip("t_start:N", title=tr(f"retention.tip.period.{period}", lang)),
                 alt.Tooltip("part:N", title=" "), alt.Tooltip("t_users:N", title=tr("retention.axis.users", lang)),
                 alt.Tooltip("t_churn:N", title=tr("retention.axis.churn", lang))])
    zero = alt.Chart(pd.DataFrame([{"y": 0}])).mark_rule(color=INK, strokeWidth=1).encode(y="y:Q")
    return (bars + zero).properties(height=280, width="container")


# ---- breakdown -------------------------------------------------------------------------------------

def segment_name(segment: str | None, other: bool, lang: str) -> str:
    if other:
        return tr("retention.breakdown.other", lang)
    return tr("retention.breakdown.none", lang) if segment is None else segment


def segments_chart(curves, period: str, lang: str) -> alt.Chart:
    """Pooled retention curves per segment (complete periods only), from period 1 on."""
    rows = []
    for c in curves:
        name = f"{segment_name(c.segment, c.other, lang)} ({fmt_int(c.users, lang)})"
        for p in c.curve:
            if p.k >= 1 and p.rate is not None:
                rows.append({"segment": name, "k": p.k, "rate": p.rate, "t_rate": fmt_pct(p.rate, lang),
                             "t_base": fmt_int(p.base, lang), "period": period_label(period, p.k, lang)})
    df = pd.DataFrame(rows, columns=["segment", "k", "rate", "t_rate", "t_base", "period"])
    top = max([0.1, *(float(v) * 1.1 for v in df["rate"])])
    return alt.Chart(df).mark_line(point=alt.OverlayMarkDef(size=26)).encode(
        x=alt.X("k:Q", title=tr(f"retention.axis.period.{period}", lang), axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("rate:Q", scale=alt.Scale(domain=[0, min(1.0, top)]), axis=alt.Axis(format=".0%"),
                title=tr("retention.axis.retained", lang)),
        color=alt.Color("segment:N", legend=alt.Legend(title=None, orient="right", labelLimit=240),
                        sort=list(dict.fromkeys(df["segment"]))),
        tooltip=[alt.Tooltip("segment:N", title=" "), alt.Tooltip("period:N", title=" "),
                 alt.Tooltip("t_rate:N", title=tr("retention.tip.rate", lang)),
                 alt.Tooltip("t_base:N", title=tr("retention.tip.base", lang))],
    ).properties(height=300, width="container")


def segments_table(curves, period: str, lang: str, ks: Sequence[int] = (1, 2, 3, 4)) -> pd.DataFrame:
    """Segment, users, and the pooled rate at a few periods ("—" where no cohort has that period yet)."""
    rows = []
    for c in curves:
        by_k = {p.k: p.rate for p in c.curve}
        row = {tr("retention.breakdown.segment", lang): segment_name(c.segment, c.other, lang),
               tr("retention.tip.size", lang): fmt_int(c.users, lang)}
        for k in ks:
            row[period_label(period, k, lang)] = fmt_pct(by_k.get(k), lang)
        rows.append(row)
    return pd.DataFrame(rows)
