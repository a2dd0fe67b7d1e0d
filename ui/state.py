"""Session-scoped state for the Streamlit frame: language, workspace, filters."""
from __future__ import annotations

from datetime import date

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from data.session import Workspace
from data.store import GoalStore
from ui.i18n import DEFAULT_LANG, LANGS, tr, tr_issue


_last_lang = DEFAULT_LANG


def lang() -> str:
    """The session's language. Outside a script run (AppTest calling a widget's format_func
    after the run) there is no session: use the language of the last run instead."""
    global _last_lang
    if get_script_run_ctx(suppress_warning=True) is None:
        return _last_lang
    value = st.session_state.get("lang", DEFAULT_LANG)
    value = value if value in LANGS else DEFAULT_LANG
    _last_lang = value
    return value


def t(key: str, **params: object) -> str:
    return tr(key, lang(), **params)


def t_issue(issue) -> str:
    return tr_issue(issue, lang())


def workspace() -> Workspace:
    """This browser session's workspace (its own DuckDB connection), created on first use."""
    ws = st.session_state.get("workspace")
    if ws is None:
        ws = Workspace()
        st.session_state["workspace"] = ws
    return ws


GRAINS = ("day", "week", "month")


def date_filter() -> tuple[date, date] | None:
    """The sidebar's date range (inclusive), or None for all data. Applies to every page."""
    value = st.session_state.get("date_range_value")
    if isinstance(value, (tuple, list)) and len(value) == 2 and all(value):
        return value[0], value[1]
    return None


def grain() -> str:
    value = st.session_state.get("grain", "week")
    return value if value in GRAINS else "week"


def base_store() -> GoalStore:
    """This session's goals / benchmark-profiles store (the workspace folder's DuckDB file, or memory)."""
    store = st.session_state.get("goals_store")
    if store is None:
        store = GoalStore.open()
        st.session_state["goals_store"] = store
    return store
