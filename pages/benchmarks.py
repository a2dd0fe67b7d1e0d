"""Benchmarks: a gauge for every KPI with bands, one sentence each; profiles of bands for a niche
(choose, edit in a table, save, delete, export and import as JSON)."""
from __future__ import annotations

import streamlit as st

from data.store import GoalStore, StoreError
from kpi.benchmarks import (BUILTIN_NAME, BenchmarkProfile, Status, builtin_profile, profiles_from_json,
                            profiles_to_json)
from kpi.benchmarks import status as status_of
from kpi.registry import METRICS
from kpi.report import reason_text
from ui.cards import (PROFILE_KEY, bands_table, benchmark_applies, inputs_panel, kpi_values, profile_from_table)
from ui.charts.kpi import gauge_chart, gauge_sentence
from ui.state import base_store, lang, t, t_issue, workspace
from ui.widgets import empty_state

KINDS = ("social_daily", "social_posts", "events", "orders", "tickets", "content", "funnel_counts")
NAME_KEY = "benchmark_profile_name"
GAUGES_PER_ROW = 3

st.title(t("page.benchmarks.title"))
st.caption(t("page.benchmarks.subtitle"))
if not empty_state("benchmarks", KINDS, ("tiktok", "shop", "app", "support")):
    st.stop()

ws = workspace()
L = lang()


# ---- profile storage (the goals store: one DuckDB file, or memory) ---------------------------------


def store() -> GoalStore:
    return base_store().scoped(st.session_state.get("goals_workspace") or "default")


def run_store(action: str, *args) -> tuple[bool, object]:
    """(done, result) of a store call. A folder that cannot be written moves this session's profiles
    (and goals) to memory and says so; a file busy in another process gives a message."""
    try:
        return True, getattr(store(), action)(*args)
    except StoreError as err:
        if err.code == "unavailable" and base_store().persistent:
            st.session_state["goals_store"] = GoalStore(None)
            st.session_state["goals_store_error"] = err.issue()
            return True, getattr(store(), action)(*args)
        st.error(t_issue(err.issue()), icon=":material/error:")
        return False, None


def problem_text(p) -> str:
    params = dict(p.params)
    if params.get("metric") in METRICS:
        params["metric"] = t(METRICS[params["metric"]].label_key)
    if "band" in params:
        params["band"] = t(f"kpi.band.{params['band']}")
    return t(p.key(), **params)


saved: list[BenchmarkProfile] = run_store("profiles")[1] or []
by_name = {p.name: p for p in saved}
names = [BUILTIN_NAME, *by_name]
if st.session_state.get("goals_store_error") is not None:
    st.warning(t_issue(st.session_state["goals_store_error"]), icon=":material/warning:")


def remember_pick() -> None:
    st.session_state[NAME_KEY] = st.session_state["bm_profile_pick"]


current_name = st.session_state.get(NAME_KEY)
if current_name not in names:
    current_name = BUILTIN_NAME
st.session_state["bm_profile_pick"] = current_name
head, info = st.columns([2, 3], vertical_alignment="bottom")
head.selectbox(t("overview.bm.profile"), names, key="bm_profile_pick", on_change=remember_pick,
               format_func=lambda n: t("kpi.band.builtin") if n == BUILTIN_NAME else n,
               help=t("overview.bm.profile_help"))
base = builtin_profile() if current_name == BUILTIN_NAME else by_name[current_name]
st.session_state[PROFILE_KEY] = base

state = kpi_values(ws)
inputs_panel(state.ids, ws, where="bm", expanded=False)

# the table of bands is drawn under the gauges, but its edits apply to them: read it first
gauges_box = st.container(key="bm_gauges")

st.subheader(t("overview.bm.edit_title"))
st.caption(t("overview.bm.edit_help"))
every_kpi = st.toggle(t("overview.bm.every_kpi"), key="bm_every_kpi", help=t("overview.bm.every_kpi_help"))
editor_key = f"bm_editor_{current_name}_{'all' if every_kpi else 'loaded'}"
table = bands_table(base, state.ids, L, every_kpi=every_kpi)
edited = st.data_editor(table, key=editor_key, hide_index=True, num_rows="fixed", width="stretch", placeholder="—",
                        disabled=["kpi", "variant_label", "unit"],
                        column_order=["kpi", "variant_label", "unit", "market_lo", "market_hi", "optimal_lo",
                                      "optimal_hi"],
                        column_config={
                            "kpi": st.column_config.TextColumn(t("overview.bm.col.kpi"), width="medium"),
                            "variant_label": st.column_config.TextColumn(t("overview.bm.col.variant")),
                            "unit": st.column_config.TextColumn(t("overview.bm.col.unit"), width="small"),
                            "market_lo": st.column_config.NumberColumn(t("overview.bm.col.market_lo"), min_value=0),
                            "market_hi": st.column_config.NumberColumn(t("overview.bm.col.market_hi"), min_value=0),
                            "optimal_lo": st.column_config.NumberColumn(t("overview.bm.col.optimal_lo"), min_value=0),
                            "optimal_hi": st.column_config.NumberColumn(t("overview.bm.col.optimal_hi"), min_value=0),
                        })
draft, problems = profile_from_table(base, edited, current_name if current_name != BUILTIN_NAME else "custom")
for p in problems:
    st.error(problem_text(p), icon=":material/error:")
changed = draft != base
if changed:
    st.info(t("overview.bm.unsaved"), icon=":material/edit:")

save_col, name_col, delete_col = st.columns([1, 2, 1], vertical_alignment="bottom")
new_name = name_col.text_input(t("overview.bm.name"), value="" if current_name == BUILTIN_NAME else current_name,
                               key=f"bm_name_{current_name}", placeholder=t("overview.bm.name_placeholder"))
if save_col.button(t("overview.bm.save"), icon=":material/save:", type="primary", key="bm_save"):
    clean = " ".join(new_name.split())
    if not clean:
        st.error(t("overview.bm.name_missing"), icon=":material/error:")
    elif clean == BUILTIN_NAME:
        st.error(t("overview.bm.name_reserved"), icon=":material/error:")
    elif problems:
        st.error(t("overview.bm.fix_first"), icon=":material/error:")
    else:
        profile = draft.renamed(clean)
        if run_store("save_profile", profile)[0]:
            st.session_state[NAME_KEY] = clean
            st.session_state[PROFILE_KEY] = profile
            st.toast(t("overview.bm.saved", name=clean), icon=":material/check_circle:")
            st.rerun()
if current_name != BUILTIN_NAME and delete_col.button(t("overview.bm.delete"), icon=":material/delete:",
                                                       key="bm_delete"):
    run_store("delete_profile", current_name)
    st.session_state[NAME_KEY] = BUILTIN_NAME
    st.rerun()

# ---- export and import ------------------------------------------------------------------------------
st.subheader(t("overview.bm.io_title"))
exp, imp = st.columns(2)
with exp:
    label = t("kpi.band.builtin") if draft.name == BUILTIN_NAME else draft.name
    st.download_button(t("overview.bm.export_current", name=label), profiles_to_json([draft]),
                       file_name=f"benchmarks_{draft.name}.json", mime="application/json", icon=":material/download:",
                       key="bm_export_current")
    if saved:
        st.download_button(t("overview.bm.export_all", n=len(saved)), profiles_to_json(saved),
                           file_name="benchmark_profiles.json", mime="application/json", icon=":material/download:",
                           key="bm_export_all")
    st.caption(t("overview.bm.export_help"))
with imp:
    upload = st.file_uploader(t("overview.bm.import"), type=["json"], key="bm_import",
                              help=t("overview.bm.import_help"))
    done: set = st.session_state.setdefault("bm_imported", set())
    if upload is not None and upload.file_id not in done:
        done.add(upload.file_id)
        text = upload.getvalue().decode("utf-8", errors="replace")
        imported, import_problems = profiles_from_json(text)
        stored = 0
        for p in imported:
            if p.name == BUILTIN_NAME:
                p = p.renamed(t("overview.bm.imported_builtin"))
            stored += run_store("save_profile", p)[0]
        st.session_state["bm_import_report"] = (stored, [problem_text(p) for p in import_problems])
        st.rerun()
    report = st.session_state.pop("bm_import_report", None)   # said once, after the import
    if report:
        stored, messages = report
        if stored:
            st.success(t("overview.bm.imported", n=stored), icon=":material/check_circle:")
        for m in messages:
            st.warning(m, icon=":material/warning:")
        if not stored and not messages:
            st.warning(t("overview.bm.import_empty"), icon=":material/warning:")

# ---- gauges -----------------------------------------------------------------------------------------
with gauges_box:
    shown, skipped = [], []
    for kpi_id in state.ids:
        value = state.values[kpi_id]
        bench = draft.get(kpi_id, value.benchmark_variant)
        if bench is None:
            continue
        (shown if benchmark_applies(kpi_id, ws) else skipped).append((kpi_id, value, bench))
    if not shown:
        st.info(t("overview.bm.none"), icon=":material/info:")
    else:
        counts = {s: 0 for s in Status}
        for kpi_id, value, bench in shown:
            if value.ok:
                counts[status_of(value.value, bench, METRICS[kpi_id].direction)] += 1
        parts = [t(f"overview.bm.count.{s.value}", n=n) for s, n in counts.items() if n]
        st.markdown(t("overview.bm.summary", n=len(shown), parts=", ".join(parts) if parts else "—"))
        for start in range(0, len(shown), GAUGES_PER_ROW):
            cols = st.columns(GAUGES_PER_ROW)
            for col, (kpi_id, value, bench) in zip(cols, shown[start:start + GAUGES_PER_ROW]):
                metric = METRICS[kpi_id]
                with col, st.container(border=True):
                    title = t(metric.label_key)
                    if bench.variant != "default":
                        title += f" · {t(f'kpi.benchmark_variant.{bench.variant}')}"
                    st.markdown(f"**{title}**", help=t(metric.definition_key))
                    st.altair_chart(gauge_chart(metric, bench, value.value, L), width="content")
                    st.markdown(gauge_sentence(metric, value.value, bench, L))
                    if not value.ok:
                        st.caption(reason_text(value, t) or "")
                    source = t(f"kpi.source.{bench.source}") if bench.source in ("tiktok_audit", "ops_guide") \
                        else bench.source
                    st.caption(t("kpi.band.source", source=source))
    if skipped:
        st.caption(t("overview.bm.skipped", kpis=", ".join(t(METRICS[k].label_key) for k, _, _ in skipped)))
