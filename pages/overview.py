"""Overview page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.overview.title"))
st.caption(t("page.overview.subtitle"))
if not empty_state("overview", ('social_daily', 'social_posts', 'events', 'orders', 'tickets', 'spend', 'content', 'funnel_counts', 'users'), ('tiktok', 'shop', 'app', 'support')):
    st.stop()
