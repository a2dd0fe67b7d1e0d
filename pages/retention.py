"""Retention page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.retention.title"))
st.caption(t("page.retention.subtitle"))
if not empty_state("retention", ('events', 'orders'), ('app', 'shop')):
    st.stop()
