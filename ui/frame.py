"""The frame around every page: sidebar with language, loaded datasets and the global filters."""
from __future__ import annotations

import streamlit as st

from ui.i18n import LANG_NAMES, LANGS
from ui.state import GRAINS, t, workspace
from ui.text import md_escape


def init_state() -> None:
    if "lang" not in st.session_state:
        wanted = st.query_params.get("lang")
        st.session_state["lang"] = wanted if wanted in LANGS else "en"
    # The widgets write to their own keys and copy into plain keys in callbacks, so the
    # chosen language and grain survive even a run in which the sidebar is not drawn.
    st.session_state["lang_picker"] = st.session_state["lang"]
    st.session_state["grain_picker"] = st.session_state.get("grain", "week")


def _on_lang() -> None:
    st.session_state["lang"] = st.session_state["lang_picker"]


def _on_grain() -> None:
    if st.session_state.get("grain_picker"):
        st.session_state["grain"] = st.session_state["grain_picker"]


def _data_bounds():
    ranges = [d.date_range for d in workspace().datasets if d.date_range]
    if not ranges:
        return None
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _on_range_change() -> None:
    picked = st.session_state.get("date_range_picker")
    if isinstance(picked, (tuple, list)) and len(picked) == 2:
        st.session_state["date_range_value"] = tuple(picked)


def _filters() -> None:
    bounds = _data_bounds()
    st.markdown(f"**{t('sidebar.filters')}**")
    grain_labels = {g: t(f"grain.{g}") for g in GRAINS}
    st.segmented_control(t("sidebar.grain"), GRAINS, key="grain_picker", on_change=_on_grain,
                         format_func=grain_labels.__getitem__, selection_mode="single")
    if bounds is None:
        st.caption(t("sidebar.range_needs_data"))
        return
    lo, hi = bounds
    current = st.session_state.get("date_range_value")
    if not current or current[0] < lo or current[1] > hi:
        current = (lo, hi)
        st.session_state["date_range_value"] = current
    if st.session_state.get("date_range_picker") != current:
        st.session_state["date_range_picker"] = current
    st.date_input(t("sidebar.date_range"), min_value=lo, max_value=hi, key="date_range_picker",
                  on_change=_on_range_change, format="YYYY-MM-DD")
    if current != (lo, hi) and st.button(t("sidebar.all_dates"), icon=":material/restart_alt:"):
        st.session_state["date_range_value"] = (lo, hi)
        st.rerun()


def sidebar() -> None:

    with st.sidebar:
        st.markdown(f"### :material/monitoring: {t('app.name')}")
        st.caption(t("app.tagline"))
        st.selectbox(t("sidebar.language"), LANGS, key="lang_picker", on_change=_on_lang,
                     format_func=lambda c: LANG_NAMES[c])
        ws = workspace()
        st.markdown(f"**{t('sidebar.datasets')}**")
        if not ws.datasets:
            st.caption(t("sidebar.no_datasets"))
        for ds in ws.datasets:
            kind = t(f"kind.{ds.kind}") if ds.kind else t("kind.unknown")
            st.markdown(f":material/table: {md_escape(ds.label)}  \n"
                        f":small[{kind} · {t('sidebar.rows', n=f'{ds.rows:,}'.replace(',', ' '))}]")
        _filters()
