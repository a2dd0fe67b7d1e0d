"""Funnel: where users are lost, step by step, and in which channel/device/region."""
from __future__ import annotations

import streamlit as st

from data.db import DatabaseError
from data.sandbox import safe_csv

from data import funnel as dfun
from kpi import funnel as fk
from ui.charts import funnel as ch
from ui.charts import show
from ui.state import date_filter, grain, lang, t, workspace
from ui.widgets import empty_state, show_issues

st.title(t("page.funnel.title"))
st.caption(t("page.funnel.subtitle"))
if not empty_state("funnel", ("events", "funnel_counts", "social_daily", "content"), ("app",)):
    st.stop()

ws = workspace()
L = lang()
sources = dfun.sources(ws)
if not sources:  # e.g. social data without profile views, or a log whose columns are not mapped
    st.warning(t("funnel.needs_roles"), icon=":material/warning:")
    st.page_link("pages/load.py", label=t("page.load.title"), icon=":material/upload_file:")
    st.stop()

source = sources[0]
if len(sources) > 1:
    source_labels = [t(f"funnel.source.{s.kind}", label=s.label) for s in sources]
    pick = st.selectbox(t("funnel.source"), range(len(sources)), key="funnel_source",
                        format_func=source_labels.__getitem__)
    source = sources[pick]

report: fk.Report
dimension = ""
if source.kind == "events":
    ds = ws.get(source.datasets[0])
    key = ds.name
    events = [str(e) for e in dfun.event_counts(ws.con, ds.view)["event"]]
    dims = dfun.breakdown_roles(ds)
    with st.container(border=True):
        st.markdown(f"**:material/tune: {t('funnel.settings')}**")
        known = set(events)
        if f"funnel_steps_{key}" not in st.session_state:  # a first funnel to start from
            st.session_state[f"funnel_steps_{key}"] = fk.default_steps(events)
        for name, value in list(st.session_state.items()):  # the mapping may have changed the events
            if name == f"funnel_steps_{key}" or (isinstance(name, str) and name.startswith(f"funnel_alt_{key}_")):
                st.session_state[name] = [e for e in value if e in known]
            elif name == f"funnel_exclude_{key}" and value and value not in known:
                del st.session_state[name]
        steps = st.multiselect(t("funnel.steps"), events, key=f"funnel_steps_{key}", max_selections=dfun.MAX_STEPS,
                               help=t("funnel.steps_help"), placeholder=t("funnel.steps_placeholder"))
        with st.expander(t("funnel.alternatives"), icon=":material/call_split:"):
            st.caption(t("funnel.alternatives_help"))
            alternatives: dict[str, list[str]] = {}
            for i, ev in enumerate(steps, start=1):
                others = [e for e in events if e not in steps]
                alternatives[ev] = st.multiselect(t("funnel.alt_label", n=i, event=ev), others,
                                                  key=f"funnel_alt_{key}_{ev}",
                                                  placeholder=t("funnel.steps_placeholder"))
            if not steps:
                st.caption(t("funnel.pick_steps"))
        c1, c2, c3, c4, c5 = st.columns([1, 1, 1.4, 1.4, 1.4])
        number0, unit0 = fk.split_window(fk.DEFAULT_WINDOW)
        number = c1.number_input(t("funnel.window"), min_value=1, max_value=525_600, value=number0, step=1,
                                 key=f"funnel_window_{key}", help=t("funnel.window_help"))
        # labels are computed here, not in format_func: AppTest formats outside the script run
        unit_names = {u: t(f"funnel.unit_name.{u}") for u in fk.WIDGET_UNITS}
        unit = c2.selectbox(t("funnel.window_unit"), fk.WIDGET_UNITS, index=fk.WIDGET_UNITS.index(unit0),
                            key=f"funnel_unit_{key}", format_func=unit_names.__getitem__)
        order_names = {o: t(f"funnel.order.{o}") for o in dfun.ORDERS}
        order = c3.selectbox(t("funnel.order"), dfun.ORDERS, key=f"funnel_order_{key}",
                             format_func=order_names.__getitem__, help=t("funnel.order_help"))
        used = set(steps) | {e for alts in alternatives.values() for e in alts}
        if st.session_state.get(f"funnel_exclude_{key}") in used:  # it just became a step
            del st.session_state[f"funnel_exclude_{key}"]
        none = t("funnel.none")
        # "" stands for "none" (a None option cannot be picked in AppTest)
        exclude = c4.selectbox(t("funnel.exclude"), ["", *[e for e in events if e not in used]],
                               key=f"funnel_exclude_{key}", help=t("funnel.exclude_help"),
                               format_func=lambda e: e or none) or None
        dim_names = {"": none, **{r: t(f"role.{r}") for r in dims}}
        breakdown = c5.selectbox(t("funnel.breakdown"), ["", *dims], index=1 if dims else 0,
                                 key=f"funnel_breakdown_{key}", help=t("funnel.breakdown_help"),
                                 format_func=dim_names.__getitem__) or None
    if len(steps) < dfun.MIN_STEPS:
        st.info(t("funnel.pick_steps"), icon=":material/touch_app:")
        st.stop()
    spec = dfun.FunnelSpec(tuple((ev, *alternatives.get(ev, [])) for ev in steps),
                           int(number) * fk.UNIT_SECONDS[unit], order, exclude)
    try:
        data = dfun.event_funnel(ws.con, ds.view, spec, date_range=date_filter(), breakdown=breakdown,
                                 grain=grain(), seg_roles=tuple(dims))
    except DatabaseError as exc:
        st.error(t("funnel.query_failed", detail=str(exc).splitlines()[0][:200]), icon=":material/error:")
        st.stop()
    if data.issues:
        show_issues(data.issues, kind="error")
        st.stop()
    report = fk.event_report(data.step_names, data.depths, breakdown=breakdown is not None,
                             over_time_rows=data.over_time, ttc_bin_rows=data.ttc_bins,
                             ttc_median=data.ttc_median, ttc_p90=data.ttc_p90,
                             window_seconds=spec.window_seconds, grain=grain(), data_end=data.data_end)
    dimension = t(f"role.{breakdown}") if breakdown else ""
    st.caption(t("funnel.window_note", window=ch.fmt_edge(spec.window_seconds, L),
                 order=t(f"funnel.order.{order}"), file=ds.label))
    skipped = dfun.unusable_rows(ws.con, ds.view)
    if skipped:
        st.caption(t("funnel.skipped", n=ch.fmt_int(skipped, L)))
else:
    names, rows = dfun.aggregated(ws, source, date_filter())
    if source.kind != "funnel_counts":  # steps are roles: show them in the user's language
        labels = {n: t(f"role.{n}") for n in names}
        names = [labels[n] for n in names]
        rows["step"] = [labels[s] for s in rows["step"]]
    if len(names) < dfun.MIN_STEPS:
        st.warning(t("funnel.needs_roles"), icon=":material/warning:")
        st.stop()
    report = fk.counts_report(names, rows)
    dimension = t("role.segment")
    st.caption(t(f"funnel.agg_note.{source.kind}", file=source.label))

f = report.funnel

# ---- the answer: where, and in which segment --------------------------------------------------------
with st.container(border=True):
    st.markdown(f"#### :material/lightbulb: {t('funnel.findings_title')}")
    lines = [ch.finding_text(x, L, dimension=dimension.lower()) for x in report.findings]
    if report.ttc_median is not None:
        lines.append(ch.ttc_text(report.ttc_median, report.ttc_p90, L))
    st.markdown("\n".join(f"- {line}" for line in lines))

m1, m2, m3, m4 = st.columns(4)
if source.kind == "events":
    m1.metric(t("funnel.metric.entered"), ch.fmt_int(f.entered, L), help=t("funnel.metric.entered_help"))
    m2.metric(t("funnel.metric.converted"), ch.fmt_int(f.converted, L))
else:
    m1.metric(t("funnel.metric.first", step=f.steps[0].name), ch.fmt_int(f.entered, L))
    m2.metric(t("funnel.metric.last", step=f.steps[-1].name), ch.fmt_int(f.converted, L))
m3.metric(t("funnel.metric.overall"), ch.fmt_pct(f.overall, L), help=t("funnel.metric.overall_help"))
if source.kind == "events":
    m4.metric(t("funnel.metric.median_ttc"), ch.fmt_duration(report.ttc_median, L),
              help=t("funnel.metric.median_ttc_help"))
if f.overall is None:
    st.caption(t("funnel.overall_none"))

# ---- the funnel -------------------------------------------------------------------------------------
left, right = st.columns([1.2, 1])
with left:
    st.markdown(f"**{t('funnel.chart_title')}**")
    show.altair(st, ch.funnel_chart, f, L)
    st.caption(t("funnel.chart_caption"))
with right:
    st.markdown(f"**{t('funnel.table_title')}**")
    st.dataframe(ch.steps_table(f, L), hide_index=True, width="stretch")
    notes = [t("funnel.dash_first")]
    if any(s.reason == "zero_denominator" for s in f.steps):
        notes.append(t("funnel.dash_zero"))
    st.caption(" ".join(notes))
    st.download_button(t("funnel.download"), safe_csv(ch.download_table(report, L, dimension or None)),
                       file_name="funnel.csv", mime="text/csv",
                       icon=":material/download:", key="funnel_download")

# ---- side-by-side funnels -------------------------------------------------------------------------------
if report.segments is not None and report.segments.funnels:
    st.subheader(t("funnel.breakdown_title", dimension=dimension.lower()))
    show.altair(st, ch.segments_chart, report.segments, L, width="content")
    notes = [t("funnel.breakdown_caption", min=report.segments.min_users)]
    if len(report.segments.funnels) > ch.MAX_SEGMENTS:
        notes.append(t("funnel.breakdown_more", n=ch.MAX_SEGMENTS, total=len(report.segments.funnels)))
    st.caption(" ".join(notes))
elif source.kind == "events":
    st.caption(t("funnel.breakdown_pick") if dfun.breakdown_roles(ws.get(source.datasets[0]))
               else t("funnel.breakdown_none"))

# ---- over time and time to convert ---------------------------------------------------------------------
if source.kind == "events" and f.entered:
    a, b = st.columns(2)
    with a:
        st.markdown(f"**{t(f'funnel.over_time_title.{grain()}')}**")
        if any(p.rate is not None for p in report.periods):
            show.altair(st, ch.over_time_chart, report.periods, L)
            st.caption(t("funnel.over_time_caption"))
    with b:
        st.markdown(f"**{t('funnel.ttc_title')}**")
        if report.ttc_median is None:
            st.info(t("funnel.ttc_none"), icon=":material/hourglass_empty:")
        else:
            show.altair(st, ch.ttc_chart, report.ttc, report.ttc_median, L)
            st.caption(t("funnel.ttc_caption", median=ch.fmt_duration(report.ttc_median, L),
                         p90=ch.fmt_duration(report.ttc_p90, L)))
