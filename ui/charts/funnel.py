"""Funnel page presentation: number formats, finding sentences, tables and Altair charts.

No streamlit here (the report page can reuse it). Every chart gets small, already aggregated data
from kpi/funnel.py: one row per step, per segment × step (at most ``MAX_SEGMENTS`` segments), per
period, or per time-to-convert bin.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import altair as alt
import pandas as pd

from kpi import funnel as fk
from ui.i18n import tr
from ui.text import md_escape

BLUE = "#1f5fa8"
PALE_BLUE = "#9dbbe0"
RED = "#d1495b"
GREY = "#9aa5b1"
INK = "#31333f"
NBSP = "\u202f"
MAX_SEGMENTS = 8
MIN_BAR = 0.015            # share of the widest bar: narrower bars are drawn this wide
DASH = "—"


# ---- numbers ---------------------------------------------------------------------------------------

def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_int(x: float | None, lang: str) -> str:
    if _missing(x):
        return DASH
    text = f"{round(float(x)):,}"
    return text.replace(",", NBSP) if lang == "ru" else text


def fmt_num(x: float | None, lang: str, digits: int = 1) -> str:
    if _missing(x):
        return DASH
    text = f"{float(x):,.{digits}f}"
    return text.replace(",", NBSP).replace(".", ",") if lang == "ru" else text


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    """0.4213 -> "42.1%" (en, zh), "42,1 %" (ru); None -> "—"."""
    if _missing(x):
        return DASH
    num = fmt_num(100 * float(x), lang, digits)
    return f"{num}{NBSP}%" if lang == "ru" else f"{num}%"


def fmt_duration(seconds: float | None, lang: str) -> str:
    """45 s, 12 min, 3.5 h, 2.1 d (rounded to what a reader needs)."""
    if _missing(seconds):
        return DASH
    s = float(seconds)
    if s < 60:
        return tr("funnel.unit.s", lang, n=fmt_num(s, lang, 0))
    if s < 3600:
        return tr("funnel.unit.min", lang, n=fmt_num(s / 60, lang, 0))
    value, key = (s / 3600, "funnel.unit.h") if s < 86400 else (s / 86400, "funnel.unit.d")
    whole = value >= 10 or abs(value - round(value)) < 0.05
    return tr(key, lang, n=fmt_num(value, lang, 0 if whole else 1))


def fmt_edge(seconds: int, lang: str) -> str:
    """An exact duration in its largest whole unit: a histogram edge or a window (5 min, 3 h, 7 d)."""
    for key, size in (("funnel.unit.d", 86400), ("funnel.unit.h", 3600), ("funnel.unit.min", 60)):
        if seconds and seconds % size == 0:
            return tr(key, lang, n=fmt_int(seconds // size, lang))
    return tr("funnel.unit.s", lang, n=fmt_int(seconds, lang))


def bin_label(b: fk.TtcBin, lang: str) -> str:
    if b.lo == 0 and b.hi is not None:
        return tr("funnel.bin.lt", lang, hi=fmt_edge(b.hi, lang))
    if b.hi is None:
        return tr("funnel.bin.ge", lang, lo=fmt_edge(b.lo, lang))
    return tr("funnel.bin.range", lang, lo=fmt_edge(b.lo, lang), hi=fmt_edge(b.hi, lang))


def seg_label(seg: str | None, lang: str) -> str:
    return tr("funnel.segment_none", lang) if seg is None else str(seg)


# ---- sentences --------------------------------------------------------------------------------------

def finding_text(f: fk.Finding, lang: str, *, dimension: str = "") -> str:
    """The finding as a markdown sentence: names escaped, rates as %, counts grouped."""
    params: dict[str, str] = {"dimension": dimension}
    for key, value in f.params.items():
        if key in ("from_step", "to_step", "step"):
            params[key] = md_escape(value)
        elif key == "segment":
            params[key] = md_escape(seg_label(value, lang))
        elif key in ("drop_off", "rate", "overall", "from_previous"):
            params[key] = fmt_pct(value, lang)
        elif key in ("lost", "min"):
            params[key] = fmt_int(value, lang)
        else:
            params[key] = str(value)
    return tr(f.key, lang, **params)


def ttc_text(median: float | None, p90: float | None, lang: str) -> str:
    return tr("funnel.ttc_sentence", lang, median=fmt_duration(median, lang), p90=fmt_duration(p90, lang))


# ---- tables ------------------------------------------------------------------------------------------

def steps_table(f: fk.Funnel, lang: str) -> pd.DataFrame:
    """The funnel as text columns for st.dataframe: "—" where a ratio has no value (users lost are
    in the finding and the download)."""
    return pd.DataFrame({
        tr("funnel.col.step", lang): [f"{i}. {s.name}" for i, s in enumerate(f.steps, start=1)],
        tr("funnel.col.users", lang): [fmt_int(s.users, lang) for s in f.steps],
        tr("funnel.col.from_previous", lang): [fmt_pct(s.from_previous, lang) for s in f.steps],
        tr("funnel.col.drop_off", lang): [fmt_pct(s.drop_off, lang) for s in f.steps],
        tr("funnel.col.from_start", lang): [fmt_pct(s.from_start, lang) for s in f.steps],
    })


def download_table(report: fk.Report, lang: str, dimension: str | None = None) -> pd.DataFrame:
    """Numbers for the CSV download: the whole funnel, then every segment (all of them)."""
    rows = []
    groups: list[tuple[str, fk.Funnel]] = [(tr("funnel.all_users", lang), report.funnel)]
    if report.segments is not None:
        groups += [(seg_label(seg, lang), f) for seg, f in report.segments.funnels]
    for label, f in groups:
        for i, s in enumerate(f.steps, start=1):
            rows.append({"segment": label, "step_no": i, "step": s.name, "users": s.users,
                         "conversion_from_previous": fk.rounded(s.from_previous, 6),
                         "conversion_from_start": fk.rounded(s.from_start, 6),
                         "drop_off": fk.rounded(s.drop_off, 6), "users_lost": s.lost})
    out = pd.DataFrame(rows, columns=["segment", "step_no", "step", "users", "conversion_from_previous",
                                      "conversion_from_start", "drop_off", "users_lost"])
    names = {"segment": dimension or tr("funnel.col.segment", lang), "step_no": "#",
             "step": tr("funnel.col.step", lang), "users": tr("funnel.col.users", lang),
             "conversion_from_previous": tr("funnel.col.from_previous", lang),
             "conversion_from_start": tr("funnel.col.from_start", lang),
             "drop_off": tr("funnel.col.drop_off", lang), "users_lost": tr("funnel.col.lost", lang)}
    return out.rename(columns=names)


# ---- charts -------------------------------------------------------------------------------------------

def _fit_x(chart):
    """Fill the container's width, keep the plot's own height."""
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def _step_label(i: int, name: str) -> str:
    return f"{i}. {name}"


def funnel_chart(f: fk.Funnel, lang: str) -> alt.LayerChart:
    """Centred bars, one per step, width = users; the worst step in red; labels right of the
    widest bar: users · % of previous · % of first."""
    top = max([float(s.users) for s in f.steps] + [1.0])
    rows = []
    for i, s in enumerate(f.steps, start=1):
        users = float(s.users)
        parts = [fmt_int(s.users, lang)]
        if i > 1:
            parts.append(tr("funnel.label.of_prev", lang, pct=fmt_pct(s.from_previous, lang)))
            parts.append(tr("funnel.label.of_first", lang, pct=fmt_pct(s.from_start, lang)))
        drawn = max(users, top * MIN_BAR) if users > 0 else 0.0   # a thin bar stays visible
        rows.append({"step": _step_label(i, s.name), "x0": -drawn / 2, "x1": drawn / 2,
                     "worst": f.worst is not None and i - 1 == f.worst, "label": " · ".join(parts),
                     "users_text": fmt_int(s.users, lang), "prev_text": fmt_pct(s.from_previous, lang),
                     "first_text": fmt_pct(s.from_start, lang), "drop_text": fmt_pct(s.drop_off, lang),
                     "right": top / 2})
    df = pd.DataFrame(rows)
    order = list(df["step"])
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, minExtent=110, labelOverlap=False,
                                                              labelFontSize=12, ticks=False, domain=False))
    tooltip = [alt.Tooltip("step:N", title=tr("funnel.col.step", lang)),
               alt.Tooltip("users_text:N", title=tr("funnel.col.users", lang)),
               alt.Tooltip("prev_text:N", title=tr("funnel.col.from_previous", lang)),
               alt.Tooltip("first_text:N", title=tr("funnel.col.from_start", lang)),
               alt.Tooltip("drop_text:N", title=tr("funnel.col.drop_off", lang))]
    x_scale = alt.Scale(domain=[-top / 2, top / 2 + top * 1.9], nice=False)  # room for the labels
    bars = alt.Chart(df).mark_bar(cornerRadius=2, height={"band": 0.78}).encode(
        x=alt.X("x0:Q", scale=x_scale, axis=None), x2="x1:Q", y=y,
        color=alt.Color("worst:N", scale=alt.Scale(domain=[False, True], range=[BLUE, RED]), legend=None),
        tooltip=tooltip)
    text = alt.Chart(df).mark_text(align="left", dx=8, fontSize=12).encode(
        x=alt.X("right:Q", scale=x_scale, axis=None), y=y, text="label:N",
        color=alt.condition("datum.worst", alt.value(RED), alt.value(INK)), tooltip=tooltip)
    return _fit_x(alt.layer(bars, text).properties(height=max(120, 46 * len(rows))))


def segments_chart(segments: fk.Segments, lang: str, limit: int = MAX_SEGMENTS) -> alt.FacetChart:
    """Side-by-side funnels, one small multiple per segment (the largest ``limit``): bars = share of
    the segment's first-step users reaching each step; the worst segment in red."""
    shown = list(segments.funnels[:limit])
    rows = []
    titles = []
    for seg, f in shown:
        title = tr("funnel.segment_title", lang, segment=seg_label(seg, lang), rate=fmt_pct(f.overall, lang),
                   users=fmt_int(f.entered, lang))
        titles.append(title)
        for i, s in enumerate(f.steps, start=1):
            share = 0.0 if s.from_start is None else float(s.from_start)
            rows.append({"segment": title, "step": _step_label(i, s.name), "share": share,
                         "text": fmt_pct(s.from_start, lang, 0), "users_text": fmt_int(s.users, lang),
                         "prev_text": fmt_pct(s.from_previous, lang),
                         "worst": segments.worst is not None and seg == segments.worst})
    df = pd.DataFrame(rows)
    order = [_step_label(i, s.name) for i, s in enumerate(shown[0][1].steps, start=1)] if shown else []
    top = max([r["share"] for r in rows] + [1.0])
    y = alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=160, labelOverlap=False, ticks=False,
                                                              domain=False))
    x = alt.X("share:Q", scale=alt.Scale(domain=[0, top * 1.35], nice=False), axis=None)
    tooltip = [alt.Tooltip("segment:N", title=tr("funnel.col.segment", lang)),
               alt.Tooltip("step:N", title=tr("funnel.col.step", lang)),
               alt.Tooltip("users_text:N", title=tr("funnel.col.users", lang)),
               alt.Tooltip("prev_text:N", title=tr("funnel.col.from_previous", lang)),
               alt.Tooltip("text:N", title=tr("funnel.col.from_start", lang))]
    n = max(1, len(shown))
    per_row = n if n <= 5 else 4
    width = max(110, min(220, int((780 - 14 * (per_row - 1)) / per_row)))
    base = alt.Chart().encode(y=y, tooltip=tooltip)
    bars = base.mark_bar(cornerRadius=2).encode(
        x=x, color=alt.Color("worst:N", scale=alt.Scale(domain=[False, True], range=[PALE_BLUE, RED]),
                             legend=None))
    text = base.mark_text(align="left", dx=3, fontSize=11, color=INK).encode(x=x, text="text:N")
    layered = alt.layer(bars, text, data=df).properties(width=width, height=max(100, 30 * len(order)))
    return layered.facet(
        facet=alt.Facet("segment:N", sort=titles, title=None,
                        header=alt.Header(labelFontSize=12, labelFontWeight="bold", labelLimit=width + 40)),
        columns=per_row, spacing=14,
    )


def over_time_chart(periods: Sequence[fk.Period], lang: str) -> alt.LayerChart:
    """Conversion (first to last step) by the period users started; still-converting periods hollow."""
    rows = [{"period": p.start.isoformat(), "rate": p.rate, "entered": fmt_int(p.entered, lang),
             "converted": fmt_int(p.converted, lang), "rate_text": fmt_pct(p.rate, lang),
             "state": tr("funnel.legend.final" if p.complete else "funnel.legend.open", lang)}
            for p in periods if p.rate is not None]
    df = pd.DataFrame(rows, columns=["period", "rate", "entered", "converted", "rate_text", "state"])
    states = [tr("funnel.legend.final", lang), tr("funnel.legend.open", lang)]
    tooltip = [alt.Tooltip("period:T", title=tr("funnel.axis.period", lang), format="%Y-%m-%d"),
               alt.Tooltip("entered:N", title=tr("funnel.metric.entered", lang)),
               alt.Tooltip("converted:N", title=tr("funnel.metric.converted", lang)),
               alt.Tooltip("rate_text:N", title=tr("funnel.metric.overall", lang))]
    x = alt.X("period:T", title=None, axis=alt.Axis(format="%d.%m", labelAngle=0, tickCount=6))
    y = alt.Y("rate:Q", title=None, axis=alt.Axis(format="%", tickCount=5))
    line = alt.Chart(df).mark_line(color=BLUE, strokeWidth=2).encode(x=x, y=y)
    points = alt.Chart(df).mark_point(size=55, strokeWidth=2, color=BLUE).encode(
        x=x, y=y, tooltip=tooltip,
        fill=alt.Fill("state:N", scale=alt.Scale(domain=states, range=[BLUE, "white"]),
                      legend=alt.Legend(orient="bottom", title=None)))
    return _fit_x(alt.layer(line, points).properties(height=220))


def ttc_chart(bins: Sequence[fk.TtcBin], median: float | None, lang: str) -> alt.Chart:
    """Users who finished, by time from first to last step; the median's bin darker."""
    rows = []
    for b in bins:
        has_median = median is not None and b.lo <= median and (b.hi is None or median < b.hi)
        rows.append({"bin": bin_label(b, lang), "users": b.users, "users_text": fmt_int(b.users, lang),
                     "median": has_median})
    df = pd.DataFrame(rows, columns=["bin", "users", "users_text", "median"])
    order = list(df["bin"])
    chart = alt.Chart(df).mark_bar(cornerRadius=2).encode(
        x=alt.X("bin:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelOverlap=False, labelLimit=90)),
        y=alt.Y("users:Q", title=None, axis=alt.Axis(format="~s", tickCount=4)),
        color=alt.Color("median:N", scale=alt.Scale(domain=[False, True], range=[PALE_BLUE, BLUE]),
                        legend=None),
        tooltip=[alt.Tooltip("bin:N", title=tr("funnel.axis.time", lang)),
                 alt.Tooltip("users_text:N", title=tr("funnel.col.users", lang))])
    return _fit_x(chart.properties(height=220))

