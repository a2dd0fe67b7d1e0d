"""Funnel page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.funnel.title"))
st.caption(t("page.funnel.subtitle"))
if not empty_state("funnel", ('events', 'funnel_counts', 'social_daily', 'content'), ('app',)):
    st.stop()
