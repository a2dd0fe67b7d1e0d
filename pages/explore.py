"""Explore page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.explore.title"))
st.caption(t("page.explore.subtitle"))
if not empty_state("explore", ('social_daily', 'social_posts', 'events', 'orders', 'tickets', 'spend', 'content', 'funnel_counts', 'users', 'followers_activity'), ('tiktok', 'shop', 'app', 'support')):
    st.stop()
