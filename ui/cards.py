"""KPI cards and the session-level KPI state shared by the Overview and Benchmarks pages.

* ``kpi_settings()`` / ``user_inputs()``: definitions (product type, goods type, days to count a new
  user as effective, lead denominator) and the numbers that are not in the data (spend, headcounts,
  leads), remembered in ``st.session_state`` for the whole session; ``inputs_panel`` asks for them.
* ``active_profile()``: the benchmark profile chosen on the Benchmarks page (``benchmark_profile``).
* ``kpi_values()`` / ``kpi_sparklines()``: ``compare_periods`` and ``kpi_series`` once per change of
  data, range, inputs or settings, cached in this session's state (never in a global cache).
* ``kpi_card``: value, change against the previous equal period, sparkline, benchmark status as a
  colour and a word, the definition on hover.
* ``headline_findings``: the 3–5 sentences an audit summary starts with (no widgets: a list of
  ``Finding``s, translated with the session's language).
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from data.kpis import available_kpis, compare_periods, compute_kpis, data_range, kpi_series
from data.session import Workspace
from kpi.attribution import ChannelFlag
from kpi.benchmarks import Assessment, BenchmarkProfile, Status, assess, builtin_profile, validate_benchmark
from kpi.change import PeriodComparison, period_days
from kpi.registry import METRICS, Band, Benchmark, Category, Direction, Metric, Unit
from kpi.report import reason_text
from kpi.result import KpiValue, Problem
from ui.charts.kpi import BADGE_COLOURS, fmt_band, fmt_change, fmt_pct, fmt_value, good_change
from ui.i18n import has, tr
from ui.state import date_filter, lang, t, workspace
from ui.text import md_escape

SETTINGS_KEY = "kpi_settings"
INPUTS_KEY = "kpi_user_inputs"
PROFILE_KEY = "benchmark_profile"
CACHE_KEY = "overview_cache"
DEFAULT_SETTINGS: dict[str, Any] = {"effective_days": 3, "product_type": "tools", "goods_type": "fmcg",
                                    "lead_denominator": "profile_views"}
PRODUCT_TYPES = ("tools", "social", "content")
GOODS_TYPES = ("fmcg", "durable")
LEAD_DENOMINATORS = ("profile_views", "link_clicks")
INPUT_NAMES = ("spend", "ops_headcount", "support_agents", "leads")
# activity KPIs whose bands are for app/product activity, not for purchases
ACTIVITY_BENCHMARKED = ("retention_d1", "retention_d7", "retention_d30", "churn_rate", "stickiness")
CARDS_PER_ROW = 4
# retention needs days after each day: its last periods are cut short, so no first-to-last trend
# (and repurchase or lifetime value within one week is not the same measure as over the range)
NO_TREND = ("retention_d1", "retention_d7", "retention_d30", "churn_rate", "repurchase_rate", "ltv")


# ---- session state ----------------------------------------------------------------------------------

def kpi_settings(ws: Workspace | None = None) -> dict[str, Any]:
    """The definitions in use: the user's choices, else the defaults (link clicks count as visitors
    for lead conversion when only a content file with clicks can give visitors)."""
    saved = st.session_state.get(SETTINGS_KEY)
    out = {**DEFAULT_SETTINGS, **(saved if isinstance(saved, dict) else {})}
    if ws is not None and "lead_denominator" not in (saved or {}):
        profile_views = any("profile_views" in d.roles for d in ws.of_kind("social_daily"))
        clicks = any("clicks" in d.roles for d in ws.of_kind("content"))
        if clicks and not profile_views:
            out["lead_denominator"] = "link_clicks"
    return out


def user_inputs() -> dict[str, float]:
    saved = st.session_state.get(INPUTS_KEY)
    if not isinstance(saved, dict):
        return {}
    return {k: float(v) for k, v in saved.items() if k in INPUT_NAMES and v is not None}


def active_profile() -> BenchmarkProfile:
    chosen = st.session_state.get(PROFILE_KEY)
    return chosen if isinstance(chosen, BenchmarkProfile) else builtin_profile()


def data_key(ws: Workspace) -> tuple:
    return tuple((d.name, d.rows, d.kind, tuple(sorted(d.roles.items()))) for d in ws.datasets)


def _cached(key: tuple, make: Callable[[], Any]) -> Any:
    """One result per key in this session's state (a few kept: moving between ranges stays fast)."""
    cache = st.session_state.setdefault(CACHE_KEY, {})
    if key not in cache:
        if len(cache) >= 16:
            cache.clear()
        cache[key] = make()
    return cache[key]


def selected_period(ws: Workspace) -> tuple[date, date] | None:
    """The sidebar's range, else the span of the data (None when nothing is dated)."""
    return date_filter() or data_range(ws)


@dataclass(frozen=True)
class KpiState:
    """What the Overview and Benchmarks pages show: the loaded KPIs for the selected range."""

    ids: tuple[str, ...]
    period: tuple[date, date] | None
    values: Mapping[str, KpiValue]
    comparisons: Mapping[str, PeriodComparison] = field(default_factory=dict)

    @property
    def previous_period(self) -> tuple[date, date] | None:
        first = next(iter(self.comparisons.values()), None)
        return None if first is None else first.previous_period

    @property
    def compared(self) -> bool:
        """Whether at least one KPI has a previous-period value."""
        return any(c.previous is not None for c in self.comparisons.values())


def kpi_values(ws: Workspace | None = None) -> KpiState:
    """Every available KPI for the selected range, with the previous period and last year (cached)."""
    ws = ws or workspace()
    ids = tuple(available_kpis(ws))
    period = selected_period(ws)
    settings = kpi_settings(ws)
    inputs = user_inputs()
    key = ("values", data_key(ws), period, tuple(sorted(inputs.items())), tuple(sorted(settings.items())), ids)

    def make() -> KpiState:
        if not ids:
            return KpiState(ids, period, {})
        if period is None:   # nothing dated (content files only): values without comparison
            values = compute_kpis(ws, None, None, user_inputs=inputs, ids=list(ids), **settings)
            return KpiState(ids, None, values)
        comps = compare_periods(ws, *period, user_inputs=inputs, ids=list(ids), **settings)
        return KpiState(ids, period, {k: c.current for k, c in comps.items()}, comps)
    return _cached(key, make)


def kpi_sparklines(state: KpiState, grain: str, ws: Workspace | None = None) -> dict[str, list[tuple[date, float]]]:
    """Each dated KPI per day/week/month of the range: [(period start, value)] without empty periods."""
    ws = ws or workspace()
    settings = kpi_settings(ws)
    inputs = user_inputs()
    key = ("series", data_key(ws), state.period, grain, tuple(sorted(inputs.items())),
           settings["effective_days"], settings["lead_denominator"], state.ids)

    def make() -> dict[str, list[tuple[date, float]]]:
        out: dict[str, list[tuple[date, float]]] = {}
        if state.period is None:
            return out
        for kpi_id in state.ids:
            if not METRICS[kpi_id].dated or not state.values[kpi_id].ok:
                continue
            frame = kpi_series(ws, kpi_id, grain, *state.period, user_inputs=inputs,
                               effective_days=settings["effective_days"],
                               lead_denominator=settings["lead_denominator"])
            points = [(p, float(v)) for p, v in zip(frame["period"], frame["value"])
                      if v is not None and not (isinstance(v, float) and math.isnan(v))]
            full = [(p, v) for p, v in points if _complete(p, grain, *state.period)]
            out[kpi_id] = full if len(full) >= 3 else points   # a cut-off first or last period misleads
        return out
    return _cached(key, make)


def cached(name: str, make: Callable[[], Any], *parts: Any) -> Any:
    """A page's own data call, cached like the KPI values (keyed by the data and ``parts``)."""
    return _cached((name, data_key(workspace()), *parts), make)


# ---- inputs and settings ----------------------------------------------------------------------------

def _save_input(name: str, widget_key: str) -> None:
    saved = dict(st.session_state.get(INPUTS_KEY) or {})
    value = st.session_state.get(widget_key)
    if value is None:
        saved.pop(name, None)
    else:
        saved[name] = float(value)
    st.session_state[INPUTS_KEY] = saved


def _save_setting(name: str, widget_key: str) -> None:
    saved = dict(st.session_state.get(SETTINGS_KEY) or {})
    value = st.session_state.get(widget_key)
    if value is not None:
        saved[name] = int(value) if name == "effective_days" else value
    st.session_state[SETTINGS_KEY] = saved


def needed_inputs(ids: Sequence[str], ws: Workspace) -> list[str]:
    """The numbers the loaded KPIs need but the data cannot give."""
    out = []
    if "cac" in ids and not ws.of_kind("spend"):
        out.append("spend")
    if "gmv_per_head" in ids:
        out.append("ops_headcount")
    if "users_per_agent" in ids:
        out.append("support_agents")
    if "lead_conversion_rate" in ids:
        out.append("leads")
    return out


def needed_settings(ids: Sequence[str]) -> list[str]:
    out = []
    if "retention_d1" in ids:
        out.append("product_type")
    if "repurchase_rate" in ids:
        out.append("goods_type")
    if "effective_new_user_share" in ids:
        out.append("effective_days")
    if "lead_conversion_rate" in ids:
        out.append("lead_denominator")
    return out


def inputs_panel(ids: Sequence[str], ws: Workspace, *, where: str = "ov", expanded: bool | None = None) -> None:
    """The expander "Numbers not in your data": asked once, remembered for the session (open while a
    number a KPI needs is missing, unless ``expanded`` says otherwise)."""
    inputs_needed, settings_needed = needed_inputs(ids, ws), needed_settings(ids)
    if not inputs_needed and not settings_needed:
        return
    given = user_inputs()
    missing = [n for n in inputs_needed if n not in given]
    opened = bool(missing) if expanded is None else expanded
    with st.expander(t("overview.inputs.title"), icon=":material/edit_note:", expanded=opened):
        if inputs_needed:
            st.caption(t("overview.inputs.help"))
            cols = st.columns(len(inputs_needed))
            for col, name in zip(cols, inputs_needed):
                key = f"{where}_input_{name}"
                integer = name in ("ops_headcount", "support_agents", "leads")
                col.number_input(t(f"kpi.user_input.{name}.label"), min_value=0 if integer else 0.0,
                                 value=(int(given[name]) if integer else given[name]) if name in given else None,
                                 step=1 if integer else 100.0, key=key, help=t(f"kpi.user_input.{name}.help"),
                                 placeholder=t("overview.inputs.placeholder"), on_change=_save_input,
                                 args=(name, key))
        if settings_needed:
            st.caption(t("overview.inputs.settings_help"))
            settings = kpi_settings(ws)
            cols = st.columns(len(settings_needed))
            for col, name in zip(cols, settings_needed):
                key = f"{where}_setting_{name}"
                label, help_ = t(f"kpi.user_input.{name}.label"), t(f"kpi.user_input.{name}.help")
                with col:
                    if name == "effective_days":
                        st.number_input(label, min_value=1, max_value=60, value=int(settings[name]), step=1, key=key,
                                        help=help_, on_change=_save_setting, args=(name, key))
                    else:
                        options = {"product_type": PRODUCT_TYPES, "goods_type": GOODS_TYPES,
                                   "lead_denominator": LEAD_DENOMINATORS}[name]
                        prefix = "kpi.lead_denominator" if name == "lead_denominator" else "kpi.benchmark_variant"
                        st.selectbox(label, options, index=options.index(settings[name]), key=key, help=help_,
                                     format_func=lambda o, p=prefix: t(f"{p}.{o}"), on_change=_save_setting,
                                     args=(name, key))


# ---- cards ------------------------------------------------------------------------------------------

def benchmark_applies(kpi_id: str, ws: Workspace) -> bool:
    """Retention and stickiness bands are for product activity; with only an order file, activity is
    purchases and those bands do not apply."""
    return not (kpi_id in ACTIVITY_BENCHMARKED and not ws.of_kind("events"))


def card_order(ids: Sequence[str]) -> dict[Category, list[str]]:
    """Available KPIs by category in registry order, each volume KPI followed by its quality partner."""
    placed: set[str] = set()
    out: dict[Category, list[str]] = {}
    for kpi_id in (k for k in METRICS if k in ids):
        if kpi_id in placed:
            continue
        group = out.setdefault(METRICS[kpi_id].category, [])
        group.append(kpi_id)
        placed.add(kpi_id)
        partner = METRICS[kpi_id].quality_partner
        if partner and partner in ids and partner not in placed \
                and METRICS[partner].category == METRICS[kpi_id].category:
            group.append(partner)
            placed.add(partner)
    return {c: out[c] for c in Category if c in out}


def translate(key: str, **params: Any) -> str:
    """``t`` as the ``translate`` callable ``kpi.report`` expects."""
    return t(key, **params)


def variant_text(value: KpiValue) -> str | None:
    return t(f"kpi.variant.{value.variant}") if value.variant else None


def band_text(metric: Metric, profile: BenchmarkProfile, value: KpiValue, L: str) -> str | None:
    """"Market 4–6 %, optimal 7–10 % (source)" or "Target ≤ 1 min (source)"; None without a band."""
    bench = profile.get(metric.id, value.benchmark_variant)
    if bench is None:
        return None
    source = t(f"kpi.source.{bench.source}") if bench.source in ("tiktok_audit", "ops_guide") else bench.source
    if bench.market == bench.optimal:
        return t("overview.band.target", band=fmt_band(bench.optimal, metric.unit, L), source=source)
    return t("overview.band.market_optimal", market=fmt_band(bench.market, metric.unit, L),
             optimal=fmt_band(bench.optimal, metric.unit, L), source=source)


def status_word(found: Assessment) -> str:
    """The badge word: the status, or "meets/misses the target" when market and optimal are one band."""
    if found.benchmark.market == found.benchmark.optimal:
        return t("overview.card.misses_target" if found.status is Status.BELOW_MARKET else "overview.card.meets_target")
    return t(f"kpi.status.{found.status}")


def kpi_card(kpi_id: str, state: KpiState, sparkline: Sequence[tuple[date, float]], profile: BenchmarkProfile,
             ws: Workspace) -> None:
    """One KPI in a bordered box: status badge, value, change, sparkline, notes; definition on hover."""
    L = lang()
    metric = METRICS[kpi_id]
    value = state.values[kpi_id]
    comp = state.comparisons.get(kpi_id)
    found = assess(kpi_id, value.value, profile, value.benchmark_variant) if benchmark_applies(kpi_id, ws) else None
    help_parts = [t(metric.definition_key)]
    if variant_text(value):
        help_parts.append(variant_text(value))  # type: ignore[arg-type]
    bands = band_text(metric, profile, value, L)
    if bands:
        help_parts.append(bands)
    if metric.alt_key:
        help_parts.append(t(metric.alt_key))
    with st.container(border=True):
        if found is not None:
            st.badge(status_word(found), color=BADGE_COLOURS[str(found.status)], icon=":material/speed:", help=bands)
        elif bands and not benchmark_applies(kpi_id, ws):
            st.badge(t("overview.card.band_not_for_purchases"), color="gray", icon=":material/speed:",
                     help=t("overview.card.band_not_for_purchases_help"))
        else:
            st.badge(t("overview.card.no_band"), color="gray", icon=":material/speed:")
        change = comp.change if comp is not None else None
        delta = fmt_change(metric, change, L)
        chart = [v for _, v in sparkline] if len(sparkline) >= 2 else None
        st.metric(t(metric.label_key), fmt_value(metric, value.value, L), delta=delta,
                  delta_color="inverse" if metric.direction is Direction.LOWER_IS_BETTER else "normal",
                  help="\n\n".join(help_parts), chart_data=chart, chart_type="area" if chart else "line")
        for line in card_notes(kpi_id, state, L):
            st.caption(line)


def card_notes(kpi_id: str, state: KpiState, L: str) -> list[str]:
    """The small print under a value: why it is missing, its quality partner, last year, medians."""
    metric = METRICS[kpi_id]
    value = state.values[kpi_id]
    comp = state.comparisons.get(kpi_id)
    notes = []
    if not value.ok:
        notes.append(reason_text(value, translate) or "")
        return notes
    if comp is not None and comp.change is None and comp.previous is None and state.compared:
        notes.append(t("overview.card.no_previous"))
    elif comp is not None and comp.change is not None and comp.change.absolute is None:
        notes.append(t("overview.card.previous_missing"))
    partner = metric.quality_partner
    if partner and partner in state.values:
        pv = state.values[partner]
        notes.append(t("kpi.change.read_with", partner=f"{t(METRICS[partner].label_key)} "
                                                         f"{fmt_value(METRICS[partner], pv.value, L)}"))
    if comp is not None and comp.last_year_change is not None:
        year = fmt_change(metric, comp.last_year_change, L)
        if year:
            notes.append(t("overview.card.last_year", change=year))
    if metric.unit is Unit.DURATION and value.details.get("median") is not None:
        notes.append(t("overview.card.median_p90", median=fmt_value(metric, value.details["median"], L),
                       p90=fmt_value(metric, value.details.get("p90"), L)))
    return notes


def card_grid(ids: Sequence[str], state: KpiState, sparklines: Mapping[str, Sequence[tuple[date, float]]],
              profile: BenchmarkProfile, ws: Workspace) -> None:
    for start in range(0, len(ids), CARDS_PER_ROW):
        cols = st.columns(CARDS_PER_ROW)
        for col, kpi_id in zip(cols, ids[start:start + CARDS_PER_ROW]):
            with col:
                kpi_card(kpi_id, state, sparklines.get(kpi_id, ()), profile, ws)


# ---- headline findings --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    """One headline sentence: ``overview.finding.<kind>`` with formatted params; ``tone`` good/bad/info."""

    kind: str
    kpi_id: str | None
    params: Mapping[str, Any]
    tone: str = "info"


@dataclass(frozen=True)
class ChannelVerdict:
    channel: str | None
    new_users: float
    share_of_new_users: float | None
    effective_share: float | None
    flag: ChannelFlag | None


def _complete(period_start: date, grain: str, start: date, end: date) -> bool:
    if period_start < start:
        return False
    if grain == "day":
        last = period_start
    elif grain == "week":
        last = period_start + timedelta(days=6)
    else:
        nxt = date(period_start.year + (period_start.month == 12), period_start.month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
    return last <= end


def _shortfall(metric: Metric, value: float, bench: Benchmark) -> float:
    """How far a value is from the market band, relative to the band edge (larger is worse)."""
    if metric.direction is Direction.HIGHER_IS_BETTER:
        edge = bench.market.lo_or_inf
        return 1 - value / edge if edge and math.isfinite(edge) else 0.0
    edge = bench.market.hi_or_inf
    return value / edge - 1 if edge and math.isfinite(edge) else 0.0


def headline_findings(state: KpiState, profile: BenchmarkProfile,
                      sparklines: Mapping[str, Sequence[tuple[date, float]]], grain: str,
                      channels: Sequence[ChannelVerdict], L: str, *,
                      applies: Callable[[str], bool] = lambda _k: True, limit: int = 5) -> list[Finding]:
    """The audit summary's first sentences: what is below market, a channel that brings volume without
    quality, what moved most (against the previous period, else over the range), volume growing while
    quality falls, and one thing that is in the optimal range."""
    out: list[Finding] = []
    used: set[str] = set()

    def label(kpi_id: str) -> str:
        return t(METRICS[kpi_id].label_key)

    def fmt(kpi_id: str, x: float | None) -> str:
        return fmt_value(METRICS[kpi_id], x, L)

    assessed = []
    for kpi_id in state.ids:
        v = state.values[kpi_id]
        if not v.ok or not applies(kpi_id):
            continue
        found = assess(kpi_id, v.value, profile, v.benchmark_variant)
        if found is not None:
            assessed.append((kpi_id, v.value, found))
    below = sorted(((k, v, a) for k, v, a in assessed if a.status is Status.BELOW_MARKET),
                   key=lambda x: -_shortfall(METRICS[x[0]], x[1], x[2].benchmark))
    for kpi_id, v, a in below[:2]:
        m = METRICS[kpi_id]
        if a.benchmark.market == a.benchmark.optimal:
            out.append(Finding("misses_target", kpi_id, {"label": label(kpi_id), "value": fmt(kpi_id, v),
                                                          "target": fmt_band(a.benchmark.optimal, m.unit, L)}, "bad"))
        else:
            kind = "below_market" if m.direction is Direction.HIGHER_IS_BETTER else "worse_than_market"
            out.append(Finding(kind, kpi_id, {"label": label(kpi_id), "value": fmt(kpi_id, v),
                                              "market": fmt_band(a.benchmark.market, m.unit, L),
                                              "optimal": fmt_band(a.benchmark.optimal, m.unit, L)}, "bad"))
        used.add(kpi_id)

    flagged = [c for c in channels if c.flag is ChannelFlag.VOLUME_WITHOUT_QUALITY]
    overall = state.values.get("effective_new_user_share")
    if flagged and overall is not None and overall.ok:
        c = max(flagged, key=lambda c: c.new_users)
        out.append(Finding("channel", None, {"channel": c.channel or t("overview.bd.no_value"),
                                             "share": fmt_pct(c.share_of_new_users, L, 0),
                                             "effective": fmt_pct(c.effective_share, L, 0),
                                             "overall": fmt_pct(overall.value, L, 0)}, "bad"))

    movers = []
    for kpi_id, comp in state.comparisons.items():
        ch = comp.change
        if ch is None or ch.relative is None or not state.values[kpi_id].ok or kpi_id in used:
            continue
        movers.append((abs(ch.relative), kpi_id, ch))
    movers.sort(key=lambda x: (-x[0], x[1]))
    for _, kpi_id, ch in movers[:2]:
        if abs(ch.relative or 0) < 0.05:
            break
        m = METRICS[kpi_id]
        good = good_change(m, ch.absolute)
        text = (fmt_change(m, ch, L) or "").lstrip("+-")
        colour = "green" if good else "red"
        out.append(Finding("rose" if (ch.absolute or 0) > 0 else "fell", kpi_id, {
            "label": label(kpi_id), "change": f":{colour}[{text}]", "previous": fmt(kpi_id, ch.previous),
            "current": fmt(kpi_id, ch.current),
            "days": period_days(*state.comparisons[kpi_id].previous_period)}, "good" if good else "bad"))
        used.add(kpi_id)
    if not movers and state.period is not None:
        trends = []
        for kpi_id, points in sparklines.items():
            full = [(p, v) for p, v in points if _complete(p, grain, *state.period)]
            if len(full) < 3 or kpi_id in used or full[0][1] == 0 or kpi_id in NO_TREND:
                continue
            rel = (full[-1][1] - full[0][1]) / abs(full[0][1])
            trends.append((abs(rel), kpi_id, full[0][1], full[-1][1], rel))
        trends.sort(key=lambda x: (-x[0], x[1]))
        for _, kpi_id, first, last, rel in trends[:2]:
            if abs(rel) < 0.1:
                break
            good = good_change(METRICS[kpi_id], rel)
            out.append(Finding(f"trend_{grain}", kpi_id, {"label": label(kpi_id), "first": fmt(kpi_id, first),
                                                          "last": fmt(kpi_id, last)}, "good" if good else "bad"))
            used.add(kpi_id)

    for kpi_id, _, a in assessed:   # means hide the long tail: say when the slowest tenth misses the target
        details = state.values[kpi_id].details
        p90, median = details.get("p90"), details.get("median")
        top = a.benchmark.optimal.hi
        if METRICS[kpi_id].unit is Unit.DURATION and p90 is not None and top is not None and p90 > top \
                and kpi_id not in used:
            out.append(Finding("long_tail", kpi_id, {"label": label(kpi_id), "median": fmt(kpi_id, median),
                                                     "p90": fmt(kpi_id, p90),
                                                     "target": fmt_band(a.benchmark.optimal, Unit.DURATION, L)}, "bad"))
            break

    for kpi_id, comp in state.comparisons.items():
        partner = METRICS[kpi_id].quality_partner
        pc = state.comparisons.get(partner) if partner else None
        if comp.change is None or pc is None or pc.change is None:
            continue
        partner_drop = pc.change.relative if pc.change.relative is not None else -1.0
        if (comp.change.relative or 0) > 0.05 and good_change(METRICS[partner], pc.change.absolute) is False \
                and abs(partner_drop) >= 0.03:
            out.append(Finding("partner", kpi_id, {
                "volume": label(kpi_id), "volume_change": fmt_change(METRICS[kpi_id], comp.change, L),
                "partner": label(partner), "partner_change": fmt_change(METRICS[partner], pc.change, L)}, "bad"))
            break

    best = [(k, v, a) for k, v, a in assessed if a.status in (Status.OPTIMAL, Status.ABOVE_OPTIMAL) and k not in used]
    if best:
        kpi_id, v, a = best[0]
        target = a.benchmark.market == a.benchmark.optimal
        out.append(Finding("meets_target" if target else "optimal", kpi_id, {
            "label": label(kpi_id), "value": fmt(kpi_id, v),
            "optimal": fmt_band(a.benchmark.optimal, METRICS[kpi_id].unit, L),
            "target": fmt_band(a.benchmark.optimal, METRICS[kpi_id].unit, L)}, "good"))
    elif len(out) < 3:
        market = [(k, v, a) for k, v, a in assessed if a.status is Status.MARKET and k not in used]
        for kpi_id, v, a in market[:3 - len(out)]:
            out.append(Finding("at_market", kpi_id, {
                "label": label(kpi_id), "value": fmt(kpi_id, v),
                "market": fmt_band(a.benchmark.market, METRICS[kpi_id].unit, L),
                "optimal": fmt_band(a.benchmark.optimal, METRICS[kpi_id].unit, L)}, "info"))
    if not out:
        out.append(Finding("none", None, {}))
    return out[:limit]



FINDING_ICONS = {"bad": ":red[:material/error:]", "good": ":green[:material/check_circle:]",
                 "info": ":blue[:material/info:]"}


def finding_text(f: Finding) -> str:
    params = dict(f.params)
    if "channel" in params:
        params["channel"] = md_escape(str(params["channel"]))
    return t(f"overview.finding.{f.kind}", **params)


# ---- benchmark bands as an editable table -------------------------------------------------------------

BAND_EDGES = ("market_lo", "market_hi", "optimal_lo", "optimal_hi")


def table_scale(unit: Unit) -> float:
    """Table units: rates in %, durations in minutes, the rest as they are."""
    return {Unit.RATIO: 100.0, Unit.DURATION: 1 / 60}.get(unit, 1.0)


def unit_label(unit: Unit, L: str) -> str:
    return tr(f"overview.unit.col.{unit.value}", L)


def bands_table(profile: BenchmarkProfile, ids: Sequence[str], L: str, *, every_kpi: bool = False) -> pd.DataFrame:
    """One row per band of the loaded KPIs (of every KPI with ``every_kpi``), and an empty row for each
    loaded KPI without a band, to add one."""
    rows = []
    for metric in METRICS.values():
        benches = profile.benchmarks.get(metric.id, ())
        if metric.id not in ids and (not every_kpi or not benches):
            continue
        scale = table_scale(metric.unit)
        for b in benches or (None,):
            edges = (None, None, None, None) if b is None else (b.market.lo, b.market.hi, b.optimal.lo, b.optimal.hi)
            variant = "default" if b is None else b.variant
            rows.append({"kpi_id": metric.id, "variant": variant, "kpi": tr(metric.label_key, L),
                         "variant_label": tr(f"kpi.benchmark_variant.{variant}", L)
                         if has(f"kpi.benchmark_variant.{variant}", L) else variant,
                         "unit": unit_label(metric.unit, L),
                         **{k: None if e is None else round(e * scale, 10) for k, e in zip(BAND_EDGES, edges)}})
    columns = ["kpi_id", "variant", "kpi", "variant_label", "unit", *BAND_EDGES]
    return pd.DataFrame(rows, columns=columns).astype({k: "float64" for k in BAND_EDGES})


def _edge(x: Any, scale: float) -> float | None:
    if x is None:
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else round(value / scale, 12)


def profile_from_table(base: BenchmarkProfile, table: pd.DataFrame,
                       source: str) -> tuple[BenchmarkProfile, list[Problem]]:
    """The profile with the table's bands: unchanged rows keep their source, edited rows get ``source``,
    emptied rows drop the band. Rows with problems keep the old band and come back as ``Problem``s."""
    profile = base
    problems = []
    for row in table.to_dict("records"):
        metric = METRICS.get(str(row.get("kpi_id")))
        if metric is None:
            continue
        variant = str(row.get("variant") or "default")
        scale = table_scale(metric.unit)
        edges = [_edge(row.get(k), scale) for k in BAND_EDGES]
        old = next((b for b in base.benchmarks.get(metric.id, ()) if b.variant == variant), None)
        if all(e is None for e in edges):
            if old is not None:
                profile = profile.without(metric.id, variant)
            continue
        bench = Benchmark(Band(edges[0], edges[1]), Band(edges[2], edges[3]), source, variant)
        if old is not None and (old.market, old.optimal) == (bench.market, bench.optimal):
            continue
        found = validate_benchmark(metric.id, bench)
        if found:
            problems.extend(found)
            continue
        profile = profile.with_benchmark(metric.id, bench)
    return profile, problems
