"""Overview: the audit summary. Headline findings, KPI cards by category, channel quality, and the
breakdown explorer (which segments moved a KPI between two periods)."""
from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from data.breakdown import BREAKDOWN_BY_ID, breakdown_options, breakdown_span, compare_segments, segment_sums
from data.kpis import channel_breakdown, data_range
from kpi.attribution import (ChannelFlag, ChannelRow, attribute, channel_flags, group_small, segment_rates,
                             volume_shares)
from kpi.change import covers, period_days, previous_period, same_period_last_year
from kpi.registry import METRICS, Unit
from ui.cards import (FINDING_ICONS, ChannelVerdict, active_profile, benchmark_applies, card_grid, card_order, cached,
                      finding_text, headline_findings, inputs_panel, kpi_settings, kpi_sparklines, kpi_values,
                      md_escape)
from ui.charts import show
from ui.charts.kpi import channel_chart, contribution_chart, fmt_contribution, fmt_number, fmt_pct, fmt_value
from ui.state import grain, lang, t, workspace
from ui.widgets import empty_state

KINDS = ("social_daily", "social_posts", "events", "orders", "tickets", "spend", "content", "funnel_counts", "users")
QUICK_RANGES = (30, 90)
MAX_SEGMENTS = 8

st.title(t("page.overview.title"))
st.caption(t("page.overview.subtitle"))
if not empty_state("overview", KINDS, ("tiktok", "shop", "app", "support")):
    st.stop()

ws = workspace()
L = lang()
G = grain()
state = kpi_values(ws)
if not state.ids:
    st.info(t("overview.no_kpis"), icon=":material/info:")
    st.page_link("pages/load.py", label=t("page.load.title"), icon=":material/upload_file:")
    st.stop()
profile = active_profile()
settings = kpi_settings(ws)


def fmt_range(r) -> str:
    return t("overview.range", start=f"{r[0]:%Y-%m-%d}", end=f"{r[1]:%Y-%m-%d}", days=period_days(*r))


def set_last_days(n: int) -> None:
    span = data_range(workspace())
    if span is not None:
        st.session_state["date_range_value"] = (max(span[0], span[1] - timedelta(days=n - 1)), span[1])


# ---- period ---------------------------------------------------------------------------------------
if state.period is not None:
    line = t("overview.period", current=fmt_range(state.period))
    if state.compared and state.previous_period:
        line += " " + t("overview.period_vs", previous=fmt_range(state.previous_period))
    st.markdown(f":material/date_range: {line}")
    span = data_range(ws)
    if not state.compared and span is not None:
        fits = [n for n in QUICK_RANGES if 2 * n <= period_days(*span)]
        with st.container(border=True):
            st.markdown(t("overview.no_comparison"))
            if fits:
                cols = st.columns(len(fits) + 2)
                for col, n in zip(cols, fits):
                    col.button(t("overview.last_days", n=n), key=f"ov_last_{n}", on_click=set_last_days, args=(n,),
                               icon=":material/history:", width="stretch")
else:
    st.caption(t("overview.undated"))

inputs_panel(state.ids, ws)
sparks = kpi_sparklines(state, G, ws)


# ---- channel quality (computed first: the headline findings use it) ----------------------------------
def channel_table() -> tuple[pd.DataFrame, dict]:
    start, end = state.period if state.period else (None, None)
    frame = channel_breakdown(ws, start, end, effective_days=settings["effective_days"])
    d7: dict = {}
    if not frame.empty and state.period and "retention_d7" in breakdown_options(ws):
        sums = segment_sums(ws, "retention_d7", "channel", *state.period)
        d7 = segment_rates(list(sums["segment"]), list(sums["num"]), list(sums["den"]))
    return frame, d7


channel_frame, channel_d7 = cached("channels", channel_table, state.period, settings["effective_days"])
verdicts: list[ChannelVerdict] = []
if not channel_frame.empty:
    rows = [ChannelRow(c, float(n or 0), e, channel_d7.get(c)) for c, n, e in
            zip(channel_frame["channel"], channel_frame["new_users"], channel_frame["effective_share"])]
    overall_eff = state.values.get("effective_new_user_share")
    overall_d7 = state.values.get("retention_d7")
    flags = channel_flags(rows, overall_eff.value if overall_eff else None, overall_d7.value if overall_d7 else None)
    verdicts = [ChannelVerdict(r.channel, r.new_users, share, r.effective_share, f)
                for r, share, f in zip(rows, volume_shares(rows), flags)]

# ---- headline findings ----------------------------------------------------------------------------
findings = headline_findings(state, profile, sparks, G, verdicts, L, applies=lambda k: benchmark_applies(k, ws))
with st.container(border=True, key="ov_findings"):
    st.markdown(f"#### :material/lightbulb: {t('overview.findings_title')}")
    st.markdown("\n".join(f"{i}. {FINDING_ICONS[f.tone]} {finding_text(f)}" for i, f in enumerate(findings, 1)))
    profile_name = t("kpi.band.builtin") if profile.name == "builtin" else profile.name
    st.caption(t("overview.findings_note", profile=profile_name))

# ---- cards ------------------------------------------------------------------------------------------
for category, ids in card_order(state.ids).items():
    st.subheader(t(f"kpi.category.{category}"))
    card_grid(ids, state, sparks, profile, ws)

# ---- channel quality table --------------------------------------------------------------------------
if verdicts:
    st.subheader(t("overview.ch.title"))
    st.caption(t("overview.ch.intro"))
    no_channel = t("overview.bd.no_value")
    flag_text = {ChannelFlag.VOLUME_WITHOUT_QUALITY: t("overview.ch.flag.volume_without_quality"),
                 ChannelFlag.LOW_QUALITY: t("overview.ch.flag.low_quality"), ChannelFlag.OK: t("overview.ch.flag.ok"),
                 None: "—"}
    table = []
    chart_rows = []
    for (_, r), v in zip(channel_frame.iterrows(), verdicts):
        name = r["channel"] if r["channel"] is not None else no_channel
        per_effective = (r["spend"] / r["effective_new_users"]
                         if r["spend"] is not None and r["effective_new_users"] else None)
        table.append({
            "channel": name, "new_users": fmt_number(r["new_users"], L),
            "share": fmt_pct(v.share_of_new_users, L, 0), "effective_share": fmt_pct(r["effective_share"], L, 0),
            "cac": fmt_number(r["cac"], L, 2), "cac_effective": fmt_number(per_effective, L, 2),
            "conversion": fmt_pct(r["conversion_rate"], L), "d7": fmt_pct(channel_d7.get(r["channel"]), L),
            "verdict": flag_text[v.flag], "_spend": r["spend"],
        })
        chart_rows.append({"label": name, "new_users": r["new_users"], "effective_new_users": r["effective_new_users"],
                           "share_text": t("overview.ch.bar_label", share=fmt_pct(r["effective_share"], L, 0)),
                           "flagged": v.flag is ChannelFlag.VOLUME_WITHOUT_QUALITY})
    has_spend = any(row["_spend"] is not None for row in table)
    columns = {
        "channel": st.column_config.TextColumn(t("overview.ch.col.channel")),
        "new_users": st.column_config.TextColumn(t("overview.ch.col.new_users")),
        "share": st.column_config.TextColumn(t("overview.ch.col.share")),
        "effective_share": st.column_config.TextColumn(t("overview.ch.col.effective_share"),
                                                       help=t("kpi.effective_new_user_share.definition")),
        "cac": st.column_config.TextColumn(t("overview.ch.col.cac"), help=t("kpi.cac.definition")),
        "cac_effective": st.column_config.TextColumn(t("overview.ch.col.cac_effective"),
                                                     help=t("overview.ch.cac_effective_help")),
        "conversion": st.column_config.TextColumn(t("overview.ch.col.conversion"),
                                                  help=t("kpi.channel_conversion_rate.definition")),
        "d7": st.column_config.TextColumn(t("overview.ch.col.d7"), help=t("kpi.retention_d7.definition")),
        "verdict": st.column_config.TextColumn(t("overview.ch.col.verdict"), width="medium"),
    }
    order = [c for c in columns if (has_spend or c not in ("cac", "cac_effective")) and (c != "d7" or channel_d7)]
    st.dataframe(pd.DataFrame(table), hide_index=True, column_config=columns, column_order=order)
    if not has_spend:
        st.caption(t("overview.ch.no_spend"))
    left, _ = st.columns([3, 2])
    show.altair(left, channel_chart, chart_rows, L)

# ---- breakdown explorer ----------------------------------------------------------------------------
options = breakdown_options(ws)
if options and state.period is not None:
    st.subheader(t("overview.bd.title"))
    st.caption(t("overview.bd.intro"))
    c1, c2, c3 = st.columns(3)
    kpi_id = c1.selectbox(t("overview.bd.kpi"), list(options), key="ov_bd_kpi",
                          format_func=lambda k: t(METRICS[k].label_key))
    dimension = c2.selectbox(t("overview.bd.dimension"), options[kpi_id], key=f"ov_bd_dim_{kpi_id}",
                             format_func=lambda d: t(f"overview.dim.{d}"))
    compare = c3.segmented_control(t("overview.bd.compare"), ("previous", "last_year"), key="ov_bd_compare",
                                   default="previous", format_func=lambda c: t(f"overview.bd.compare.{c}"))
    metric = METRICS[kpi_id]
    mode = BREAKDOWN_BY_ID[kpi_id].mode
    before = (same_period_last_year if compare == "last_year" else previous_period)(*state.period)
    covered = covers(breakdown_span(ws, kpi_id), before)
    sums = cached("breakdown", lambda: compare_segments(ws, kpi_id, dimension, state.period,
                                                        before if covered else None,
                                                        effective_days=settings["effective_days"]),
                  kpi_id, dimension, state.period, before, covered, settings["effective_days"])
    result = attribute(group_small(sums, MAX_SEGMENTS, mode), mode, has_previous=covered)

    def seg_label(s) -> str:
        if s.merged:
            return t("overview.bd.other", n=s.merged)
        if s.segment is None:
            return t("overview.bd.no_value")
        if dimension == "weekday":
            return t(f"overview.bd.weekday.{s.segment}")
        if dimension == "hour":
            return f"{s.segment}:00"
        if dimension == "coupon":
            return t(f"overview.bd.coupon.{s.segment}")
        return s.segment

    label = t(metric.label_key)
    if not covered:
        st.info(t("overview.bd.not_covered", period=fmt_range(before)), icon=":material/event_busy:")
    elif result.change is None:
        st.info(t("overview.bd.no_change_value"), icon=":material/info:")
    else:
        top = result.top()
        sentence = t("overview.bd.summary", label=label, previous=fmt_value(metric, result.previous, L),
                     current=fmt_value(metric, result.current, L),
                     change=fmt_contribution(metric, result.change, L))
        if top is not None:
            key = "overview.bd.top_helped" if (top.contribution or 0) * result.change > 0 else "overview.bd.top_against"
            sentence += " " + t(key, segment=md_escape(seg_label(top)),
                                contribution=fmt_contribution(metric, top.contribution, L),
                                share=fmt_pct(abs(top.share_of_change) if top.share_of_change is not None else None,
                                              L, 0))
        st.markdown(sentence)
    seg_rows = []
    for s in result.segments:
        seg_rows.append({
            "segment": seg_label(s),
            "previous": fmt_value(metric, s.previous, L),
            "current": fmt_value(metric, s.current, L),
            "previous_weight": fmt_pct(s.previous_weight, L),
            "current_weight": fmt_pct(s.current_weight, L),
            "contribution": fmt_contribution(metric, s.contribution, L),
            "share_of_change": fmt_pct(s.share_of_change, L, 0),
        })
    if result.change is not None and result.segments:
        show.altair(st, contribution_chart, [{"label": r["segment"], "contribution": s.contribution,
                                             "previous_text": r["previous"], "current_text": r["current"]}
                                            for r, s in zip(seg_rows, result.segments)], metric, L)
    weight_help = t("overview.bd.weight_help_rate" if mode == "rate" else "overview.bd.weight_help_sum")
    shown = ["segment", "previous", "current", "previous_weight", "current_weight", "contribution", "share_of_change"]
    if result.change is None:
        shown = ["segment", "current", "current_weight"] if not covered else \
            ["segment", "previous", "current", "previous_weight", "current_weight"]
    st.dataframe(pd.DataFrame(seg_rows, columns=shown), hide_index=True, column_config={
        "segment": st.column_config.TextColumn(t(f"overview.dim.{dimension}")),
        "previous": st.column_config.TextColumn(t("overview.bd.col.previous")),
        "current": st.column_config.TextColumn(t("overview.bd.col.current")),
        "previous_weight": st.column_config.TextColumn(t("overview.bd.col.previous_weight"), help=weight_help),
        "current_weight": st.column_config.TextColumn(t("overview.bd.col.current_weight"), help=weight_help),
        "contribution": st.column_config.TextColumn(t("overview.bd.col.contribution"),
                                                    help=t("overview.bd.contribution_help")),
        "share_of_change": st.column_config.TextColumn(t("overview.bd.col.share_of_change")),
    })
    if mode == "rate":
        unit_note = t("overview.bd.points_note") if metric.unit is Unit.RATIO and result.change is not None else ""
        st.caption(" ".join(x for x in (t("overview.bd.method"), unit_note) if x))
