"""KPI presentation without streamlit: localised numbers, benchmark gauges, contribution and channel charts.

Numbers follow ``kpi.registry.format_value`` (English: ``5.0 %``, ``1,234``, ``2:34:13``); Russian
groups thousands with a narrow no-break space and uses a decimal comma; Chinese writes ``5.0%``.
Every chart gets a small, already aggregated frame.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd

from kpi.benchmarks import Status, status
from kpi.change import Change
from kpi.registry import Band, Benchmark, Direction, Metric, Unit, format_duration, format_value
from ui.i18n import tr

NBSP = "\u202f"
STATUS_ORDER: tuple[str, ...] = tuple(s.value for s in Status)
STATUS_COLOURS = {"below_market": "#e45756", "market": "#f2a93b", "optimal": "#54a24b", "above_optimal": "#4c78a8"}
BADGE_COLOURS = {"below_market": "red", "market": "orange", "optimal": "green", "above_optimal": "blue"}
GOOD = "#54a24b"
BAD = "#e45756"
MUTED = "#c9d3df"
INK = "#31333f"
GREY = "#808495"


# ---- numbers --------------------------------------------------------------------------------------

def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def localise(text: str, lang: str) -> str:
    """An English-formatted number (``1,234.5 %``) in the language's conventions."""
    if lang == "ru":
        return text.replace(",", "\x00").replace(".", ",").replace("\x00", NBSP).replace(" %", f"{NBSP}%")
    if lang == "zh":
        return text.replace(" %", "%")
    return text


def fmt_duration(seconds: float, lang: str) -> str:
    text = format_duration(seconds)
    if "d " in text:
        text = text.replace("d ", tr("overview.unit.day", lang) + " ", 1)
    return text


def fmt_value(metric: Metric, value: float | None, lang: str) -> str:
    """A KPI value as on its card; "—" when there is none."""
    if _missing(value):
        return "—"
    assert value is not None
    if metric.unit is Unit.DURATION:
        return fmt_duration(value, lang)
    return localise(format_value(metric, value), lang)


def fmt_number(x: float | None, lang: str, digits: int = 0) -> str:
    if _missing(x):
        return "—"
    return localise(f"{x:,.{digits}f}", lang)


def fmt_pct(x: float | None, lang: str, digits: int = 1) -> str:
    if _missing(x):
        return "—"
    assert x is not None
    return localise(f"{x * 100:,.{digits}f} %", lang)


def _trim(x: float, digits: int = 2) -> str:
    text = f"{x:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_bound(x: float, unit: Unit, lang: str) -> str:
    """A band edge: ``6 %``, ``15,000``, ``1 min``, ``24 h``."""
    if unit is Unit.RATIO:
        return localise(f"{_trim(x * 100)} %", lang)
    if unit is Unit.DURATION:
        for size, key in ((86_400, "day"), (3_600, "h"), (60, "min")):
            if x >= size and x % size == 0 and (key != "day" or x >= 2 * size):
                return f"{_trim(x / size)}{NBSP}{tr(f'overview.unit.{key}', lang)}"
        return f"{_trim(x)}{NBSP}{tr('overview.unit.s', lang)}"
    return localise(_trim(x), lang)


def fmt_band(band: Band, unit: Unit, lang: str) -> str:
    """``4–6 %``, ``≥ 15,000``, ``≤ 1 min`` (a rate's upper edge of 100 % and a duration's 0 are open)."""
    lo = None if band.lo is None or (unit is Unit.DURATION and band.lo == 0) or band.lo == 0 else band.lo
    hi = None if band.hi is None or (unit is Unit.RATIO and band.hi == 1.0) else band.hi
    if lo is None and hi is None:
        return tr("overview.band.any", lang)
    if lo is None:
        return f"≤{NBSP}{fmt_bound(hi, unit, lang)}"  # type: ignore[arg-type]
    if hi is None:
        return f"≥{NBSP}{fmt_bound(lo, unit, lang)}"
    if unit is Unit.RATIO:
        return localise(f"{_trim(lo * 100)}–{_trim(hi * 100)} %", lang)
    return f"{fmt_bound(lo, unit, lang)}–{fmt_bound(hi, unit, lang)}"


def _signed(text: str, x: float) -> str:
    """A sign Streamlit reads (ASCII minus), "+" for growth."""
    body = text.lstrip("-−")
    if x > 0:
        return "+" + body
    if x < 0:
        return "-" + body
    return body


def fmt_change(metric: Metric, change: Change | None, lang: str) -> str | None:
    """The delta on a card: fraction points for a rate (``+1.2 pp``), else relative (``+12.3 %``)."""
    if change is None or change.absolute is None:
        return None
    if metric.unit is Unit.RATIO:
        points = localise(f"{abs(change.absolute) * 100:,.1f}", lang)
        return tr("kpi.change.points", lang, value=_signed(points, round(change.absolute * 100, 1)))
    if change.relative is not None:
        return _signed(fmt_pct(abs(change.relative), lang), round(change.relative * 100, 1))
    return _signed(fmt_value(metric, abs(change.absolute), lang), change.absolute)


def fmt_contribution(metric: Metric, x: float | None, lang: str) -> str:
    """A segment's contribution in the KPI's units (points for a rate), signed."""
    if _missing(x):
        return "—"
    assert x is not None
    if metric.unit is Unit.RATIO:
        points = localise(f"{abs(x) * 100:,.{max(metric.decimals, 1)}f}", lang)
        return tr("kpi.change.points", lang, value=_signed(points, round(x * 100, max(metric.decimals, 1))))
    return _signed(fmt_value(metric, abs(x), lang), x)


def good_change(metric: Metric, x: float | None) -> bool | None:
    """Whether a change is an improvement (None for no change)."""
    if _missing(x) or x == 0:
        return None
    assert x is not None
    return (x > 0) == (metric.direction is Direction.HIGHER_IS_BETTER)


# ---- gauges ---------------------------------------------------------------------------------------

GAUGE_WIDTH = 230
GAUGE_HEIGHT = 150
_CX, _CY = GAUGE_WIDTH / 2, 118
_OUTER, _INNER = 100, 68


def gauge_axis(metric: Metric, benchmark: Benchmark, value: float | None) -> tuple[float, float]:
    """The gauge's scale: from 0 to past the highest finite band edge (a rate's 100 % counts as open),
    stretched to show the value, but at most three times the top edge (a needle beyond stays at the end)."""
    edges = [e for b in (benchmark.market, benchmark.optimal) for e in (b.lo, b.hi)
             if e is not None and not (metric.unit is Unit.RATIO and e >= 1.0)]
    top = max([e for e in edges if e > 0], default=0.0)
    if top <= 0:
        top = 1.0 if metric.unit is Unit.RATIO else max(abs(value or 0.0), 1.0)
    hi = top * 1.5
    if value is not None and value > hi:
        hi = min(value * 1.15, top * 3)
    if metric.unit is Unit.RATIO:
        hi = min(hi, 1.0)
    return 0.0, hi


def gauge_bands(metric: Metric, benchmark: Benchmark, lo: float, hi: float) -> list[dict[str, Any]]:
    """Intervals of the scale with the status a value there would get ([{lo, hi, status}], merged)."""
    cuts = sorted({lo, hi, *(e for b in (benchmark.market, benchmark.optimal) for e in (b.lo, b.hi)
                             if e is not None and lo < e < hi)})
    out: list[dict[str, Any]] = []
    for a, b in zip(cuts, cuts[1:]):
        st = status((a + b) / 2, benchmark, metric.direction).value
        if out and out[-1]["status"] == st:
            out[-1]["hi"] = b
        else:
            out.append({"lo": a, "hi": b, "status": st})
    return out


def _angle(x: float, lo: float, hi: float) -> float:
    share = 0.0 if hi <= lo else min(max((x - lo) / (hi - lo), 0.0), 1.0)
    return -math.pi / 2 + math.pi * share


def gauge_chart(metric: Metric, benchmark: Benchmark, value: float | None, lang: str) -> alt.LayerChart:
    """A semicircle with the bands coloured by status, a needle at the value and the value below."""
    lo, hi = gauge_axis(metric, benchmark, value)
    bands = gauge_bands(metric, benchmark, lo, hi)
    band_df = pd.DataFrame([{
        "t0": _angle(b["lo"], lo, hi), "t1": _angle(b["hi"], lo, hi), "status": b["status"],
        "name": tr(f"kpi.status.{b['status']}", lang),
        "range": fmt_band(Band(b["lo"] if b["lo"] > lo else None, b["hi"] if b["hi"] < hi else None), metric.unit,
                          lang),
    } for b in bands])
    pos = {"x": alt.value(_CX), "y": alt.value(_CY)}
    arcs = alt.Chart(band_df).mark_arc(innerRadius=_INNER, outerRadius=_OUTER, stroke="white", strokeWidth=1.5).encode(
        theta=alt.Theta("t0:Q", scale=None), theta2="t1:Q",
        color=alt.Color("status:N", scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
                        legend=None),
        tooltip=[alt.Tooltip("name:N", title=tr("overview.gauge.band", lang)),
                 alt.Tooltip("range:N", title=tr("overview.gauge.range", lang))],
        **pos)
    ends = pd.DataFrame({"x": [_CX - (_OUTER + _INNER) / 2, _CX + (_OUTER + _INNER) / 2],
                         "label": [fmt_bound(lo, metric.unit, lang) if lo else "0", fmt_bound(hi, metric.unit, lang)]})
    scale = alt.Chart(ends).mark_text(fontSize=10, color=GREY, baseline="top").encode(
        x=alt.X("x:Q", scale=None), y=alt.value(_CY + 4), text="label:N")
    layers: list[alt.Chart] = [arcs, scale]
    if value is not None:
        theta = _angle(value, lo, hi)
        tip = _OUTER - 4
        needle = pd.DataFrame({"x": [_CX], "y": [_CY], "x2": [_CX + tip * math.sin(theta)],
                               "y2": [_CY - tip * math.cos(theta)]})
        layers.append(alt.Chart(needle).mark_rule(color=INK, strokeWidth=3, strokeCap="round").encode(
            x=alt.X("x:Q", scale=None), y=alt.Y("y:Q", scale=None), x2="x2:Q", y2="y2:Q"))
        layers.append(alt.Chart(needle).mark_circle(color=INK, size=90, opacity=1).encode(
            x=alt.X("x:Q", scale=None), y=alt.Y("y:Q", scale=None)))
    text = pd.DataFrame({"text": [fmt_value(metric, value, lang)]})
    layers.append(alt.Chart(text).mark_text(fontSize=17, fontWeight="bold", color=INK, baseline="bottom").encode(
        x=alt.value(_CX), y=alt.value(GAUGE_HEIGHT - 2), text="text:N"))
    return alt.layer(*layers).properties(width=GAUGE_WIDTH, height=GAUGE_HEIGHT, padding=0,
                                         autosize=alt.AutoSizeParams(type="none")).configure_view(strokeWidth=0)


# ---- breakdown --------------------------------------------------------------------------------------

def contribution_chart(rows: Sequence[dict[str, Any]], metric: Metric, lang: str) -> alt.LayerChart:
    """Horizontal bars: each segment's contribution to the change, green when it helped, red when it hurt.

    ``rows``: {label, contribution (KPI units), previous_text, current_text}, in display order.
    """
    scale_by = 100.0 if metric.unit is Unit.RATIO else 1.0
    df = pd.DataFrame([{
        "label": r["label"], "x": (r["contribution"] or 0.0) * scale_by,
        "tone": {True: "good", False: "bad", None: "flat"}[good_change(metric, r["contribution"])],
        "text": fmt_contribution(metric, r["contribution"], lang),
        "previous": r["previous_text"], "current": r["current_text"],
    } for r in rows])
    order = list(df["label"])
    lo, hi = min([0.0, *df["x"]]), max([0.0, *df["x"]])
    pad = max(hi - lo, 1e-9) * 0.25   # room for the labels
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=220, minExtent=110, labelOverlap=False))
    axis_title = tr("overview.bd.axis_points", lang) if metric.unit is Unit.RATIO else tr("overview.bd.axis_units",
                                                                                         lang)
    tooltip = [alt.Tooltip("label:N", title=tr("overview.bd.col.segment", lang)),
               alt.Tooltip("previous:N", title=tr("overview.bd.col.previous", lang)),
               alt.Tooltip("current:N", title=tr("overview.bd.col.current", lang)),
               alt.Tooltip("text:N", title=tr("overview.bd.col.contribution", lang))]
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("x:Q", title=axis_title,
                scale=alt.Scale(domain=[lo - (pad if lo < 0 else 0), hi + (pad if hi > 0 else 0)]),
                axis=alt.Axis(format="~s" if metric.unit is not Unit.RATIO else "~r", tickCount=6)),
        y=y, color=alt.Color("tone:N", scale=alt.Scale(domain=["good", "bad", "flat"], range=[GOOD, BAD, MUTED]),
                             legend=None),
        tooltip=tooltip)
    right = alt.Chart(df).transform_filter("datum.x >= 0").mark_text(fontSize=11, color=INK, align="left", dx=4)
    left = alt.Chart(df).transform_filter("datum.x < 0").mark_text(fontSize=11, color=INK, align="right", dx=-4)
    labels = [c.encode(x="x:Q", y=y, text="text:N") for c in (right, left)]
    zero = alt.Chart(pd.DataFrame({"x": [0.0]})).mark_rule(color=GREY).encode(x="x:Q")
    return alt.layer(bars, zero, *labels).properties(height=max(90, 30 * len(df)),
                                                  autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def channel_chart(rows: Sequence[dict[str, Any]], lang: str) -> alt.LayerChart:
    """New users per channel split into effective and the rest, labelled with the effective share.

    ``rows``: {label, new_users, effective_new_users, share_text, flagged}, in display order.
    """
    eff_name, rest_name = tr("overview.ch.effective", lang), tr("overview.ch.not_effective", lang)
    records = []
    for r in rows:
        eff = r["effective_new_users"] or 0.0
        records.append({"label": r["label"], "part": eff_name, "users": eff, "order": 0,
                        "users_text": fmt_number(eff, lang)})
        records.append({"label": r["label"], "part": rest_name, "users": max((r["new_users"] or 0.0) - eff, 0.0),
                        "order": 1, "users_text": fmt_number(max((r["new_users"] or 0.0) - eff, 0.0), lang)})
    df = pd.DataFrame(records)
    order = [r["label"] for r in rows]
    top = max([r["new_users"] or 0.0 for r in rows] + [1.0])
    y = alt.Y("label:N", sort=order, title=None, axis=alt.Axis(labelLimit=200, minExtent=100, labelOverlap=False))
    bars = alt.Chart(df).mark_bar().encode(
        x=alt.X("users:Q", stack="zero", title=tr("overview.ch.axis", lang), scale=alt.Scale(domain=[0, top * 1.3]),
                axis=alt.Axis(format="~s" if top >= 10_000 else ",d", tickCount=6)),
        y=y, order=alt.Order("order:Q"),
        color=alt.Color("part:N", scale=alt.Scale(domain=[eff_name, rest_name], range=[GOOD, MUTED]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("label:N", title=tr("overview.ch.col.channel", lang)),
                 alt.Tooltip("part:N", title=" "), alt.Tooltip("users_text:N", title=tr("overview.ch.axis", lang))])
    labels = pd.DataFrame([{"label": r["label"], "x": r["new_users"] or 0.0, "text": r["share_text"],
                            "flagged": bool(r["flagged"])} for r in rows])
    text = alt.Chart(labels).mark_text(align="left", dx=5, fontSize=11).encode(
        x="x:Q", y=y, text="text:N",
        color=alt.condition("datum.flagged", alt.value(BAD), alt.value(INK)))
    return alt.layer(bars, text).properties(height=max(90, 34 * len(rows)),
                                            autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def gauge_sentence(metric: Metric, value: float | None, benchmark: Benchmark, lang: str) -> str:
    """"Engagement rate (ER) 5.1 % is at the market average (4–6 %); optimal is 7–10 %." """
    label = tr(metric.label_key, lang)
    market, optimal = fmt_band(benchmark.market, metric.unit, lang), fmt_band(benchmark.optimal, metric.unit, lang)
    if value is None:
        if benchmark.market == benchmark.optimal:
            return tr("overview.gauge.no_value_target", lang, label=label, target=optimal)
        return tr("overview.gauge.no_value", lang, label=label, market=market, optimal=optimal)
    found = status(value, benchmark, metric.direction)
    params = {"label": label, "value": fmt_value(metric, value, lang), "market": market, "optimal": optimal,
              "target": optimal}
    if benchmark.market == benchmark.optimal:
        kind = "misses_target" if found is Status.BELOW_MARKET else "meets_target"
    elif metric.direction is Direction.LOWER_IS_BETTER and found in (Status.BELOW_MARKET, Status.ABOVE_OPTIMAL):
        kind = "worse_than_market" if found is Status.BELOW_MARKET else "better_than_optimal"
    else:
        kind = found.value
    return tr(f"overview.gauge.sentence.{kind}", lang, **params)
