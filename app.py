"""KPI Workbench: router and frame. Pages live in pages/, one file each."""
from __future__ import annotations

import streamlit as st

from ui.frame import init_state, sidebar
from ui.state import t

st.set_page_config(page_title="KPI Workbench", page_icon=":material/monitoring:", layout="wide")
init_state()

PAGES = {
    "nav.data": [
        st.Page("pages/load.py", title=t("page.load.title"), icon=":material/upload_file:", default=True),
        st.Page("pages/explore.py", title=t("page.explore.title"), icon=":material/terminal:"),
    ],
    "nav.audit": [
        st.Page("pages/overview.py", title=t("page.overview.title"), icon=":material/dashboard:"),
        st.Page("pages/funnel.py", title=t("page.funnel.title"), icon=":material/filter_alt:"),
        st.Page("pages/retention.py", title=t("page.retention.title"), icon=":material/grid_on:"),
        st.Page("pages/content.py", title=t("page.content.title"), icon=":material/movie:"),
        st.Page("pages/benchmarks.py", title=t("page.benchmarks.title"), icon=":material/speed:"),
    ],
    "nav.act": [
        st.Page("pages/goals.py", title=t("page.goals.title"), icon=":material/flag:"),
        st.Page("pages/report.py", title=t("page.report.title"), icon=":material/description:"),
    ],
}
pg = st.navigation({t(section): pages for section, pages in PAGES.items()})
sidebar()
pg.run()
