"""Load data: upload exports or try a sample; see what was detected and fix the mapping."""
from __future__ import annotations

from datetime import date

import streamlit as st

from data.detect import KIND_NAMES, SPEC_BY_KIND, match_roles
from data.sandbox import safe_csv
from data.session import Dataset
from ui.state import t, t_issue, workspace
from ui.text import md_escape
from ui.widgets import sample_buttons, show_issues

UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "zip"]
NONE = "—"

ws = workspace()
st.title(t("page.load.title"))
st.markdown(t("load.intro"))

uploads = st.file_uploader(t("load.uploader"), type=UPLOAD_TYPES, accept_multiple_files=True,
                           key="uploader", help=t("load.limit"))
st.caption(t("load.limit"))

done: set[str] = st.session_state.setdefault("processed_uploads", set())
pending = [f for f in uploads or [] if f.file_id not in done]
if pending:
    bar = st.progress(0.0, text=t("load.progress", name=pending[0].name, i=1, n=len(pending)))
    for i, f in enumerate(pending, start=1):
        bar.progress((i - 1) / len(pending), text=t("load.progress", name=f.name, i=i, n=len(pending)))
        with st.spinner(t("load.reading", name=f.name)):
            res = ws.add_file(f.name, f.getvalue())
        done.add(f.file_id)
        st.session_state.setdefault("load_messages", []).extend(res.issues)
        if res.datasets:
            st.toast(t("load.loaded_toast", name=f.name, n=len(res.datasets)), icon=":material/check_circle:")
    bar.progress(1.0, text=t("load.done", n=len(pending)))
    st.rerun()  # so the sidebar lists the new datasets

messages = st.session_state.get("load_messages", [])
if messages:
    for issue in messages:
        st.error(t_issue(issue), icon=":material/error:")
    if st.button(t("load.dismiss"), icon=":material/close:"):
        st.session_state["load_messages"] = []
        st.rerun()

with st.container(border=True):
    st.markdown(f"**{t('load.samples_title')}**")
    st.caption(t("load.samples_help"))
    sample_buttons(where="load")

if not ws.datasets:
    st.info(t("load.nothing_yet"), icon=":material/upload:")
    st.stop()

st.subheader(t("load.datasets_title", n=len(ws.datasets)))


def _format_note(ds: Dataset) -> str:
    if ds.source_format == "xlsx":
        return t("load.format_xlsx")
    sep = {",": ",", ";": ";", "\t": "TAB", "|": "|"}.get(ds.delimiter or ",", ds.delimiter or ",")
    return t("load.format_text", encoding=(ds.encoding or "UTF-8").upper(), sep=sep)


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", "\u202f")


ENCODINGS = [None, "utf-8", "utf-16", "windows-1251", "gb18030", "windows-1252"]
READ_OPTION_CODES = {"ambiguous_date_order", "encoding_guessed", "year_inferred", "invalid_characters"}


def _read_options(ds: Dataset) -> None:
    """Answer the reader's questions: date order, text encoding, export date for year-less dates."""
    opts = ds.load_options
    with st.form(f"read_{ds.name}", border=False):
        c1, c2, c3 = st.columns(3)
        orders = [None, True, False]
        order_labels = {None: t("load.order_auto"), True: t("load.order_day_first"),
                        False: t("load.order_month_first")}
        day_first = c1.radio(t("load.date_order"), orders, index=orders.index(opts.get("day_first")),
                             format_func=order_labels.__getitem__, key=f"dayfirst_{ds.name}")
        enc_labels = {e: e.upper() if e else t("load.encoding_auto") for e in ENCODINGS}
        current = opts.get("encoding") if opts.get("encoding") in ENCODINGS else None
        encoding = c2.selectbox(t("load.encoding"), ENCODINGS, index=ENCODINGS.index(current),
                                format_func=enc_labels.__getitem__, key=f"enc_{ds.name}")
        export_date = c3.date_input(t("load.export_date"), value=opts.get("today") or date.today(),
                                    help=t("load.export_date_help"), key=f"today_{ds.name}")
        if st.form_submit_button(t("load.reload"), icon=":material/refresh:"):
            res = ws.reload(ds.name, today=export_date, encoding=encoding, day_first=day_first)
            st.session_state.setdefault("load_messages", []).extend(res.issues)
            st.rerun()


def _mapping_form(ds: Dataset) -> None:
    columns = [c.name for c in ds.columns]
    with st.form(f"map_{ds.name}", border=False):
        kinds = [None, *KIND_NAMES]
        kind_labels = {k: t(f"kind.{k}") if k else t("kind.unknown") for k in kinds}
        kind = st.selectbox(t("load.kind"), kinds, index=kinds.index(ds.kind) if ds.kind in kinds else 0,
                            format_func=kind_labels.__getitem__, key=f"kind_{ds.name}")
        spec = SPEC_BY_KIND.get(kind or ds.kind or "")
        roles: dict[str, str] = {}
        if spec is not None:
            all_roles = spec.required + spec.optional
            cols = st.columns(3)
            for i, role in enumerate(all_roles):
                options = [NONE, *columns]
                current = ds.roles.get(role, NONE) if kind == ds.kind else NONE
                label = t(f"role.{role}") + (" *" if role in spec.required else "")
                with cols[i % 3]:
                    pick = st.selectbox(label, options, index=options.index(current) if current in options else 0,
                                        key=f"role_{ds.name}_{role}")
                if pick != NONE:
                    roles[role] = pick
            st.caption(t("load.required_note"))
        if st.form_submit_button(t("load.apply_mapping"), icon=":material/check:"):
            if kind != ds.kind and spec is not None and not roles:
                roles = match_roles([(c.name, c.dtype) for c in ds.columns], spec.required + spec.optional)
            ws.set_mapping(ds.name, kind, roles)
            st.rerun()


for ds in list(ws.datasets):
    with st.container(border=True):
        head, actions = st.columns([5, 1])
        kind_label = t(f"kind.{ds.kind}") if ds.kind else t("kind.unknown")
        head.markdown(f"#### :material/table: {md_escape(ds.label)}")
        head.caption(t("load.detected_as", kind=kind_label) + " · " + _format_note(ds))
        if actions.button(t("load.remove"), key=f"rm_{ds.name}", icon=":material/delete:"):
            ws.remove(ds.name)
            st.rerun()
        m1, m2, m3 = st.columns(3)
        m1.metric(t("load.rows"), _fmt_int(ds.rows))
        m2.metric(t("load.rejected"), _fmt_int(ds.rows_rejected))
        m3.metric(t("load.columns"), len(ds.columns))
        if ds.date_range:
            first, last = ds.date_range
            st.markdown(t("load.date_range_text", first=f"{first:%Y-%m-%d}", last=f"{last:%Y-%m-%d}",
                          days=(last - first).days + 1))
        else:
            st.markdown(t("load.no_date_range"))
        show_issues(ds.warnings)
        tab_preview, tab_cols, tab_map, tab_read = st.tabs([t("load.tab_preview"), t("load.tab_columns"),
                                                            t("load.tab_mapping"), t("load.tab_reading")])
        with tab_preview:
            st.dataframe(ws.head(ds.name, 10), hide_index=True)
            if ds.rows_rejected and ds.rejected_table:
                st.download_button(t("load.download_rejected", n=_fmt_int(ds.rows_rejected)),
                                   safe_csv(ws.rejected(ds.name)),
                                   file_name=f"rejected_{ds.label}.csv", mime="text/csv",
                                   key=f"rej_{ds.name}", icon=":material/download:")
        with tab_cols:
            st.dataframe(
                [{t("load.col_name"): c.name, t("load.col_type"): c.dtype,
                  t("load.col_role"): t(f"role.{c.role}") if c.role else NONE,
                  t("load.col_missing"): c.missing} for c in ds.columns],
                hide_index=True)
        with tab_map:
            _mapping_form(ds)
        with tab_read:
            if any(w.code in READ_OPTION_CODES for w in ds.warnings):
                st.info(t("load.reading_hint"), icon=":material/help:")
            _read_options(ds)
