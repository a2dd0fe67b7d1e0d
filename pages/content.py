"""Content page."""
from __future__ import annotations

import streamlit as st

from ui.state import t
from ui.widgets import empty_state

st.title(t("page.content.title"))
st.caption(t("page.content.subtitle"))
if not empty_state("content", ('social_posts',), ('tiktok',)):
    st.stop()
