"""Report: the one-click audit report of the loaded data, as HTML, Markdown + PNG (ZIP) and CSV.

Widgets -> data.report.build_report (every section's numbers) -> ui.report_render (the three files).
The KPI definitions, the numbers not in the data and the benchmark profile are the ones set on the
Overview and Benchmarks pages (``ui.cards``), so the report shows the same values.
Built on a click and kept in ``st.session_state["report_bundle"]`` with the key of what it was built
from (data, filters, language, settings), so switching pages does not rebuild it. ``report_today``
in the session state overrides the report's date (tests).
"""
from __future__ import annotations

import streamlit as st

from data.db import DatabaseError
from data.report import ReportOptions, build_report, data_key
from data.store import GoalStore, StoreError, clean_workspace_name
from kpi.retention import ProductType
from ui.cards import active_profile, kpi_settings, user_inputs
from ui.i18n import LANG_NAMES
from ui.report_render import fmt_range, render_all
from ui.state import date_filter, grain, lang, t, workspace
from ui.widgets import empty_state

KINDS = ("social_daily", "social_posts", "events", "orders", "tickets", "content", "funnel_counts")
GOODS = ("fmcg", "durable")

st.title(t("page.report.title"))
st.caption(t("page.report.subtitle"))
if not empty_state("report", KINDS, ("tiktok", "shop", "app", "support")):
    st.stop()

ws = workspace()
L = lang()
st.markdown(t("report.intro"))

settings = kpi_settings(ws)        # the KPI definitions and inputs set on the Overview page
inputs = user_inputs()
with st.expander(t("report.options"), icon=":material/tune:"):
    c1, c2, c3 = st.columns(3)
    products = [str(p) for p in ProductType]
    # labels computed here, not in format_func: AppTest formats outside the script run
    product_names = {p: t(f"retention.product.{p}") for p in products}
    goods_names = {g: t(f"kpi.benchmark_variant.{g}") for g in GOODS}
    product = c1.selectbox(t("report.product"), products, key="report_product",
                           index=products.index(settings["product_type"]) if settings["product_type"] in products
                           else 0, format_func=product_names.__getitem__)
    goods = c2.selectbox(t("report.goods"), GOODS, key="report_goods",
                         index=GOODS.index(settings["goods_type"]) if settings["goods_type"] in GOODS else 0,
                         format_func=goods_names.__getitem__)
    goals_ws = c3.text_input(t("report.workspace"), key="report_workspace", max_chars=64,
                             value=st.session_state.get("goals_workspace") or "default",
                             help=t("report.workspace_help"))

options = ReportOptions(date_range=date_filter(), grain=grain(), product_type=product, goods_type=goods,
                        user_inputs=inputs, effective_days=int(settings["effective_days"]),
                        lead_denominator=str(settings["lead_denominator"]), profile=active_profile(),
                        goals_workspace=clean_workspace_name(goals_ws), today=st.session_state.get("report_today"))
key = (data_key(ws), options.date_range, options.grain, product, goods, options.goals_workspace,
       tuple(sorted(inputs.items())), options.effective_days, options.lead_denominator, repr(options.profile), L)


def _store() -> GoalStore:
    """The Goals page's store when this session has one, else the app's default store."""
    store = st.session_state.get("goals_store")
    return store if isinstance(store, GoalStore) else GoalStore.open()


built = st.session_state.get("report_bundle")
if st.button(t("report.build") if built is None else t("report.rebuild"), type="primary",
             icon=":material/description:", key="report_build"):
    with st.spinner(t("report.building")):
        try:
            report = build_report(ws, options, store=_store())
            bundle = render_all(report, L)
        except (DatabaseError, StoreError, ValueError, OSError) as exc:
            st.error(t("report.failed", detail=str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__),
                     icon=":material/error:")
            st.stop()
    built = {"key": key, "bundle": bundle, "period": report.period}
    st.session_state["report_bundle"] = built

if built is None:
    st.info(t("report.not_built"), icon=":material/touch_app:")
    st.stop()
if built["key"] != key:
    st.warning(t("report.stale"), icon=":material/update:")

bundle = built["bundle"]
st.success(t("report.ready", period=fmt_range(built["period"], built["key"][-1]),
             language=LANG_NAMES.get(built["key"][-1], built["key"][-1])), icon=":material/check_circle:")
d1, d2, d3 = st.columns(3)
d1.download_button(t("report.download_html"), bundle.html, file_name=f"{bundle.stem}.html", mime="text/html",
                   icon=":material/download:", key="report_download_html", type="primary", width="stretch")
d2.download_button(t("report.download_zip"), bundle.zip, file_name=f"{bundle.stem}.zip", mime="application/zip",
                   icon=":material/folder_zip:", key="report_download_zip", width="stretch")
d3.download_button(t("report.download_csv"), bundle.csv, file_name=f"{bundle.stem}.csv", mime="text/csv",
                   icon=":material/table:", key="report_download_csv", width="stretch")

st.subheader(t("report.preview"))
st.caption(t("report.preview_help"))
# our own document: every user string in it is escaped and it holds no script
st.iframe(bundle.html.decode("utf-8"), height=900)
