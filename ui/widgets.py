"""Small shared widgets: empty states, sample buttons, issue lists."""
from __future__ import annotations

import streamlit as st

from data.demo import SAMPLE_SETS, load_sample
from ui.state import t, t_issue, workspace


def _load_sample(key: str) -> None:
    res = load_sample(workspace(), key)
    st.session_state.setdefault("load_messages", [])
    for issue in res.issues:
        st.session_state["load_messages"].append(issue)
    st.session_state["sample_loaded"] = key


def sample_buttons(keys: tuple[str, ...] | None = None, *, where: str = "main") -> None:
    """One button per sample set: the workshop path, no upload needed."""
    sets = [s for s in SAMPLE_SETS if keys is None or s.key in keys]
    cols = st.columns(len(sets))
    for col, s in zip(cols, sets):
        with col:
            st.button(t(f"sample.{s.key}.button"), key=f"sample_{where}_{s.key}", icon=":material/science:",
                      help=t(f"sample.{s.key}.help"), on_click=_load_sample, args=(s.key,),
                      use_container_width=True)


def empty_state(page: str, kinds: tuple[str, ...], samples: tuple[str, ...]) -> bool:
    """Show what the page will do and what it needs when none of ``kinds`` is loaded.

    Returns True when the page has data to work with.
    """
    ws = workspace()
    if any(ws.of_kind(k) for k in kinds):
        return True
    with st.container(border=True):
        st.markdown(f"#### :material/info: {t('empty.title')}")
        st.markdown(t(f"page.{page}.empty_what"))
        needed = ", ".join(t(f"kind.{k}") for k in kinds)
        st.markdown(t("empty.needs", kinds=needed))
        st.caption(t("empty.try_sample"))
        sample_buttons(samples, where=page)
        st.page_link("pages/load.py", label=t("empty.go_load"), icon=":material/upload_file:")
    return False


def show_issues(issues, *, kind: str = "warning") -> None:
    for issue in issues:
        text = t_issue(issue)
        if issue.severity == "error" or kind == "error":
            st.error(text, icon=":material/error:")
        elif issue.severity == "info":
            st.info(text, icon=":material/info:")
        else:
            st.warning(text, icon=":material/warning:")
