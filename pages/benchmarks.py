"""Benchmarks page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.benchmarks.title"))
st.caption(t("page.benchmarks.subtitle"))
if not empty_state("benchmarks", ('social_daily', 'social_posts', 'events', 'orders', 'tickets', 'content', 'funnel_counts'), ('tiktok', 'shop', 'app', 'support')):
    st.stop()
