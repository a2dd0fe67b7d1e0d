"""Explore: the session's tables and a read-only SQL cell (DuckDB) with a table, a quick chart and a CSV.

The SQL runs in data/sandbox.py: a read-only copy of this session's tables only, in a DuckDB database
with external access off and a time limit. The `_clean` tables follow the sidebar date range.
"""
from __future__ import annotations

import altair as alt
import streamlit as st

from data.sandbox import (CHART_MAX_POINTS, DEFAULT_TIMEOUT, MAX_CELL_CHARS, ROW_CAP, Example, QuickChart, Sandbox,
                          chart_axes, examples, open_sandbox, quick_chart, safe_csv)
from ui.state import date_filter, grain, lang, t, workspace
from ui.widgets import empty_state, show_issues

ALL_KINDS = ("social_daily", "social_posts", "events", "orders", "tickets", "spend", "content", "funnel_counts",
             "users", "followers_activity")
SAMPLES = ("tiktok", "shop", "app", "support")

st.title(t("page.explore.title"))
st.caption(t("page.explore.subtitle"))
ws = workspace()
if not ws.datasets:
    empty_state("explore", ALL_KINDS, SAMPLES)
    st.stop()


def _int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


def _seconds(x: float) -> str:
    text = f"{x:.2f}"
    return text.replace(".", ",") if lang() == "ru" else text


def _sandbox() -> Sandbox | None:
    rng = date_filter()
    sb = st.session_state.get("explore_sandbox")
    if sb is not None and sb.matches(ws, rng):
        return sb
    if sb is not None:
        sb.close()
        st.session_state.pop("explore_sandbox", None)
    with st.spinner(t("explore.preparing")):
        sb, issue = open_sandbox(ws, rng)
    if issue is not None:
        show_issues([issue], kind="error")
        return None
    st.session_state["explore_sandbox"] = sb
    return sb


def _example_label(ex: Example) -> str:
    params = dict(ex.params)
    if "grain" in params:
        params["grain"] = t(f"explore.by_grain.{params['grain']}")
    return t(f"explore.example.{ex.key}", **params)


def _use_example(exs: list[Example]) -> None:
    i = st.session_state.get("explore_example")
    if i is not None and 0 <= i < len(exs):
        st.session_state["explore_sql"] = exs[i].sql
        st.session_state["explore_pending"] = True


def _run(sb: Sandbox, sql: str) -> None:
    st.session_state["explore_result"] = (sb.fingerprint, sql, sb.run(sql))


def _chart(qc: QuickChart) -> alt.Chart:
    if qc.mark == "line":
        x = alt.X("x:T", title=qc.x)
        tips = [alt.Tooltip("x:T", title=qc.x), alt.Tooltip("y:Q", title=qc.y, format=",.2f")]
        return (alt.Chart(qc.data).mark_line(point=len(qc.data) <= 60, strokeWidth=2)
                .encode(x=x, y=alt.Y("y:Q", title=qc.y), tooltip=tips).properties(height=320))
    tips = [alt.Tooltip("x:N", title=qc.x), alt.Tooltip("y:Q", title=qc.y, format=",.2f")]
    return (alt.Chart(qc.data).mark_bar()
            .encode(y=alt.Y("x:N", title=qc.x, sort="-x", axis=alt.Axis(labelLimit=220)),
                    x=alt.X("y:Q", title=qc.y), tooltip=tips)
            .properties(height=60 + 30 * len(qc.data)))


sb = _sandbox()
if sb is None:
    st.stop()

left, right = st.columns([1, 2], gap="large")

with left:
    st.subheader(t("explore.tables_title"))
    st.caption(t("explore.tables_help"))
    rng = date_filter()
    if rng and any(tb.time_role for tb in sb.tables):
        st.caption(t("explore.tables_range", first=f"{rng[0]:%Y-%m-%d}", last=f"{rng[1]:%Y-%m-%d}"))
    for tb in sb.tables:
        icon = ":material/auto_awesome:" if tb.clean else ":material/table:"
        with st.expander(f"`{tb.name}` :small[{_int(tb.rows)}]", icon=icon):
            kind = t(f"kind.{tb.kind}") if tb.kind else t("kind.unknown")
            about = t("explore.table_clean", source=tb.source, kind=kind) if tb.clean else \
                t("explore.table_raw", source=tb.source)
            st.caption(f"{about} · {t('explore.table_rows', rows=_int(tb.rows))}")
            st.dataframe([{t("explore.col_name"): name, t("explore.col_type"): dtype} for name, dtype in tb.columns],
                         hide_index=True, width="stretch")

with right:
    st.subheader(t("explore.sql_title"))
    exs = examples(sb.tables, grain())
    if "explore_sql" not in st.session_state:
        first = next((e for e in exs if e.key != "preview"), exs[0] if exs else None)
        st.session_state["explore_sql"] = first.sql if first else ""
        st.session_state["explore_pending"] = bool(first)
    st.selectbox(t("explore.examples"), list(range(len(exs))), index=None, key="explore_example",
                 format_func=lambda i: _example_label(exs[i]), placeholder=t("explore.examples_placeholder"),
                 on_change=_use_example, args=(exs,))
    with st.form("explore_form", border=False):
        sql = st.text_area(t("explore.sql_label"), key="explore_sql", height=180, help=t("explore.sql_help"))
        submitted = st.form_submit_button(t("explore.run"), type="primary", icon=":material/play_arrow:")
    with st.expander(t("explore.rules_title"), icon=":material/shield:"):
        st.markdown(t("explore.rules", seconds=f"{DEFAULT_TIMEOUT:g}", cap=_int(ROW_CAP), chars=MAX_CELL_CHARS))

    previous = st.session_state.get("explore_result")
    if submitted or st.session_state.pop("explore_pending", False):
        _run(sb, sql or "")
    elif previous is not None and previous[0] != sb.fingerprint:
        _run(sb, previous[1])   # the tables or the date range changed: same query, fresh answer

    found = st.session_state.get("explore_result")
    if found is not None:
        res = found[2]
        st.subheader(t("explore.result_title"))
        if res.issues:
            show_issues(res.issues, kind="error")
            pointer = "\n".join((res.detail or "").splitlines()[1:]).strip()
            if pointer:
                st.code(pointer, language=None)
        else:
            frame = res.frame
            st.caption(t("explore.result_meta", rows=_int(len(frame)), cols=frame.shape[1],
                         seconds=_seconds(res.seconds)))
            if res.truncated:
                st.info(t("explore.truncated", cap=_int(res.limit)), icon=":material/content_cut:")
            if frame.empty:
                st.info(t("explore.empty_result"), icon=":material/search_off:")
            st.dataframe(frame, hide_index=True, width="stretch", height=min(420, 38 + 35 * max(1, len(frame))))
            st.download_button(t("explore.download"), safe_csv(frame), file_name="query_result.csv",
                               mime="text/csv", help=t("explore.download_help"), icon=":material/download:",
                               on_click="ignore", key="explore_download")
            st.markdown(f"**{t('explore.chart_title')}**")
            xcol, numbers = chart_axes(frame)
            if xcol is None:
                st.caption(t("explore.chart_none"))
            else:
                y = numbers[0]
                if len(numbers) > 1:
                    y = st.selectbox(t("explore.chart_y"), numbers,
                                     key="explore_chart_y_" + "|".join(map(str, numbers)))
                qc = quick_chart(frame, grain(), y)
                if qc is None:
                    st.caption(t("explore.chart_none"))
                else:
                    st.altair_chart(_chart(qc), width="stretch")
                    notes = []
                    if qc.bucket:
                        notes.append(t("explore.chart_bucket", grain=t(f"explore.by_grain.{qc.bucket}"),
                                       n=_int(CHART_MAX_POINTS)))
                    elif qc.summed:
                        notes.append(t("explore.chart_summed", x=qc.x))
                    if qc.mark == "bar" and qc.shown < qc.total:
                        notes.append(t("explore.chart_top", shown=qc.shown, total=_int(qc.total)))
                    if notes:
                        st.caption(" ".join(notes))
