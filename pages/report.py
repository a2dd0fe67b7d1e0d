"""Report page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.report.title"))
st.caption(t("page.report.subtitle"))
if not empty_state("report", ('social_daily', 'social_posts', 'events', 'orders', 'tickets', 'content', 'funnel_counts'), ('tiktok', 'shop', 'app', 'support')):
    st.stop()
