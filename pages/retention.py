"""Retention page: cohort heatmap, D1/D7/D30 against the product type's band, activity, lifecycle, segments."""
from __future__ import annotations

import streamlit as st

from data import retention as R
from data.db import DatabaseError
from data.sandbox import safe_csv
from kpi import retention as kr
from ui.charts import retention as charts
from ui.charts import show
from ui.state import date_filter, grain, lang, t, t_issue, workspace
from ui.widgets import empty_state, show_issues

st.title(t("page.retention.title"))
st.caption(t("page.retention.subtitle"))
if not empty_state("retention", ("events", "orders"), ("app", "shop")):
    st.stop()

ws = workspace()
LANG = lang()
datasets = R.usable_datasets(ws)
if not datasets:
    show_issues([R.check(d) for kind in R.KINDS for d in ws.of_kind(kind)])
    st.page_link("pages/load.py", label=t("retention.fix_mapping"), icon=":material/upload_file:")
    st.stop()


def _cached(name: str, make, *depends):
    """This session's query results, keyed by the dataset and what they depend on (a few kept)."""
    key = (name, ds.name, ds.rows, tuple(sorted(ds.roles.items())), *depends)
    cache = st.session_state.setdefault("retention_cache", {})
    if key not in cache:
        if len(cache) > 32:
            cache.clear()
        cache[key] = make()
    return cache[key]


# ---- controls --------------------------------------------------------------------------------------
c_data, c_active, c_rule, c_product = st.columns([2, 3, 2, 2])
with c_data:
    ds = st.selectbox(t("retention.control.dataset"), datasets, key="retention_dataset",
                      format_func=lambda d: f"{d.label} · {t(f'kind.{d.kind}')}")
with c_active:
    if ds.kind == "events":
        names = _cached("event_names", lambda: R.event_names(ws.con, ds))
        active = st.multiselect(t("retention.control.active"), names, key=f"retention_active_{ds.name}",
                                placeholder=t("retention.control.active_any"),
                                help=t("retention.control.active_help"))
    else:
        active = []
        st.markdown(f"**{t('retention.control.active')}**")
        st.caption(t("retention.control.orders_activity"))
with c_rule:
    rule = st.radio(t("retention.control.rule"), [str(r) for r in kr.Rule], key="retention_rule",
                    format_func=lambda r: t(f"retention.rule.{r}"), help=t("retention.control.rule_help"))
with c_product:
    product = st.selectbox(t("retention.control.product"), [str(p) for p in kr.ProductType],
                           key="retention_product", format_func=lambda p: t(f"retention.product.{p}"),
                           help=t("retention.control.product_help"))

period = grain()
date_range = date_filter()
events = tuple(active) or None
params = (period, events, rule, date_range)
st.caption(t(f"retention.scope.{period}", rule=t(f"retention.rule.{rule}")))

try:
    matrix = _cached("matrix", lambda: R.cohort_matrix(ws.con, ds, period, events, rule, date_range), *params)
    daily = matrix if period == "day" else _cached(
        "daily", lambda: R.cohort_matrix(ws.con, ds, "day", events, rule, date_range, max_k=30), *params)
    days = _cached("days", lambda: R.day_retention(ws.con, ds, events, rule, date_range, daily=daily), *params)
    act = _cached("activity", lambda: R.activity(ws.con, ds, events, date_range), *params)
    life = _cached("lifecycle", lambda: R.lifecycle(ws.con, ds, period, events, date_range), *params)
except R.RetentionUnavailable as exc:
    show_issues([exc.issue])
    st.stop()
except DatabaseError:
    st.error(t("retention.query_failed"), icon=":material/error:")
    st.stop()

# ---- D1 / D7 / D30 ---------------------------------------------------------------------------------
st.subheader(t("retention.days.title"))
band = kr.d1_band(product)
product_name = t(f"retention.product.{product}")
cols = st.columns(len(days))
for col, d in zip(cols, days):
    with col, st.container(border=True):
        st.markdown(f"**D{d.k}**")
        for which, outcome, (kept, base) in (("active", d.active_users, d.active_inputs),
                                             ("cohort", d.cohort, d.cohort_inputs)):
            definition = "cohort_def_on_or_after" if which == "cohort" and rule == "on_or_after" else f"{which}_def"
            st.metric(t(f"retention.days.{which}", k=d.k), charts.fmt_pct(outcome.value, LANG),
                      help=t(f"retention.days.{definition}", k=d.k))
            if outcome.value is None:
                st.caption(f":material/block: {charts.reason_text(outcome, LANG)}")
            else:
                st.caption(t("retention.days.of", kept=charts.fmt_int(kept, LANG), base=charts.fmt_int(base, LANG)))

d1 = days[0]
status = kr.d1_status(d1.active_users.value, product)
band_text = t("retention.band.text", product=product_name, band=charts.fmt_band(band, LANG),
              value=charts.fmt_pct(d1.active_users.value, LANG))
if status is None:
    st.info(t("retention.band.no_value", product=product_name, band=charts.fmt_band(band, LANG)),
            icon=":material/info:")
elif ds.kind == "orders":
    st.info(f"{band_text} {t('retention.band.orders_note')}", icon=":material/shopping_cart:")
elif status is kr.D1Status.ALARM:
    st.warning(f"{band_text} {t('retention.band.alarm')}", icon=":material/warning:")
elif status is kr.D1Status.BELOW:
    st.warning(f"{band_text} {t('retention.band.below')}", icon=":material/trending_down:")
elif status is kr.D1Status.ABOVE:
    st.success(f"{band_text} {t('retention.band.above')}", icon=":material/trending_up:")
else:
    st.success(f"{band_text} {t('retention.band.in_band')}", icon=":material/check_circle:")

with st.container(border=True):
    st.markdown(f"**{t('retention.curve.title')}**")
    st.caption(t("retention.curve.caption"))
    show.altair(st, charts.curve_chart, kr.pooled_curve(daily, 30), [(d.k, d.active_users.value) for d in days],
                band, product_name, LANG)

# ---- cohort heatmap ---------------------------------------------------------------------------------
st.subheader(t(f"retention.heatmap.title.{period}"))
pages = kr.cohort_pages(len(matrix.cohorts))
if not pages:
    st.info(t("retention.no_cohorts"), icon=":material/info:")
elif len(pages) > 1:
    labels = [t("retention.heatmap.page", first=charts.fmt_date(matrix.cohorts[pg.first].start),
                last=charts.fmt_date(matrix.cohorts[pg.stop - 1].start), n=pg.stop - pg.first) for pg in pages]
    chosen = st.selectbox(t("retention.heatmap.pages", total=len(matrix.cohorts)), range(len(pages)),
                          format_func=lambda i: labels[i], key=f"retention_page_{period}")
    page = pages[chosen if chosen is not None and chosen < len(pages) else 0]
else:
    page = pages[0]
if pages:
    show.altair(st, charts.heatmap, matrix, page, LANG)
    notes = [t(f"retention.heatmap.caption.{period}", rule=t(f"retention.rule.{rule}"),
               last=charts.fmt_date(matrix.last_date))]
    shown = matrix.cohorts[page.first:page.stop]
    if max(len(c.cells) for c in shown) > charts.MAX_COLUMNS:
        notes.append(t("retention.heatmap.more_columns", n=charts.MAX_COLUMNS - 1))
    if shown[0].first_in_data:
        notes.append(t("retention.heatmap.first_cohort"))
    st.caption(" ".join(notes))
    st.download_button(t("retention.heatmap.download"),
                       safe_csv(charts.matrix_csv_frame(matrix, LANG)),
                       file_name=f"cohorts_{period}_{rule}.csv", mime="text/csv", icon=":material/download:",
                       key="retention_download")

# ---- activity ---------------------------------------------------------------------------------------
if act is not None:
    st.subheader(t("retention.activity.title"))
    m1, m2, m3 = st.columns(3)
    for col, kpi_id, outcome, fmt in ((m1, "dau", act.summary.dau, charts.fmt_int),
                                      (m2, "mau", act.summary.mau, charts.fmt_int),
                                      (m3, "stickiness", act.summary.stickiness, charts.fmt_num)):
        col.metric(t(f"kpi.{kpi_id}.label"), fmt(outcome.value, LANG), help=t(f"kpi.{kpi_id}.definition"),
                   border=True)
        if outcome.value is None:
            col.caption(charts.reason_text(outcome, LANG))
    sticky = kr.stickiness_status(act.summary.stickiness.value)
    if sticky is not None:
        st.caption(t(f"retention.stickiness.status.{sticky}"))
    with st.container(border=True):
        st.markdown(f"**{t('retention.activity.chart')}**")
        st.caption(t("retention.activity.caption"))
        show.altair(st, charts.activity_chart, act.daily, act.weekly, act.months, LANG)
    left, right = st.columns(2)
    with left, st.container(border=True):
        st.markdown(f"**{t('retention.stickiness.title')}**")
        st.caption(t("retention.stickiness.caption"))
        show.altair(st, charts.stickiness_chart, act.months, LANG)
    with right, st.container(border=True):
        st.markdown(f"**{t(f'retention.churn.title.{period}')}**")
        st.caption(t("retention.churn.caption"))
        show.altair(st, charts.churn_chart, life, period, LANG)

if life:
    with st.container(border=True):
        st.markdown(f"**{t(f'retention.lifecycle.title.{period}')}**")
        st.caption(t("retention.lifecycle.caption"))
        show.altair(st, charts.lifecycle_chart, life, period, LANG)

# ---- breakdown --------------------------------------------------------------------------------------
st.subheader(t("retention.breakdown.title"))
dims = R.dimensions(ds)
if matrix.empty:
    st.caption(t("retention.no_cohorts"))
elif not dims:
    st.caption(t("retention.breakdown.no_dimensions"))
else:
    dim = st.selectbox(t("retention.breakdown.dimension"), dims, format_func=lambda r: t(f"role.{r}"),
                       key=f"retention_dim_{ds.name}")
    max_k = {"day": 30, "week": 12, "month": 12}[period]
    try:
        curves = _cached(f"segments_{dim}", lambda: R.segment_curves(ws.con, ds, dim, period, events, rule,
                                                                     date_range, max_k=max_k), *params)
    except R.RetentionUnavailable as exc:
        curves = []
        st.error(t_issue(exc.issue), icon=":material/error:")
    if curves:
        st.caption(t("retention.breakdown.caption", dimension=t(f"role.{dim}").lower()))
        show.altair(st, charts.segments_chart, curves, period, LANG)
        st.dataframe(charts.segments_table(curves, period, LANG), hide_index=True)
