"""Goals: SMART goals from the audit, with owners, deadlines, an action plan and progress tracking.

Widgets -> data/kpis (baseline, history, current values) -> kpi/goals (checks, suggestions,
tracking) -> data/store (persistence). Session keys other pages may use:
``goals_prefill`` ({"kpi": id}) opens the form on a KPI; ``goals_store`` is this session's store;
``goals_workspace`` the workspace name; ``goals_today`` overrides today's date (tests).
"""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, timedelta

import streamlit as st

from data.content import content_findings
from data.kpis import available_kpis, compute_kpis, data_range, kpi_series
from data.store import GoalStore, StoreError, clean_workspace_name
from kpi import goals as G
from kpi.content import FINDING_KPIS
from kpi.registry import METRICS, Metric
from ui.charts.content import finding_text
from ui.cards import active_profile, benchmark_applies, data_key, kpi_settings, user_inputs
from ui.state import base_store, date_filter, grain, lang, t, t_issue, workspace
from ui.goals_view import (VERDICT_COLOR, VERDICT_ICON, join_labels, check_params, fmt_date, fmt_pct, fmt_value,
                           kpi_label, progress_chart, show_checks, statement_text, tasks_frame, tasks_from_frame)
from ui.widgets import empty_state, show_issues

KINDS = ("social_daily", "social_posts", "events", "orders", "users", "tickets", "content", "funnel_counts")
TRACK_COLOR = {"achieved": "green", "on_track": "green", "off_track": "orange", "missed": "red", "no_data": "gray"}

L = lang()
TODAY: date = st.session_state.get("goals_today") or date.today()
GRAIN = grain()




# ---- storage ----------------------------------------------------------------------------------------



def use_memory_store(err: StoreError) -> GoalStore:
    """The file cannot be used: keep this session's goals in memory and say so."""
    st.session_state["goals_store"] = GoalStore(None)
    st.session_state["goals_store_error"] = err.issue()
    return st.session_state["goals_store"]


def store() -> GoalStore:
    return base_store().scoped(st.session_state.get("goals_workspace") or "default")


def load_goals() -> list[G.Goal]:
    try:
        return store().goals()
    except StoreError as err:
        if err.code == "busy":
            st.error(t_issue(err.issue()), icon=":material/hourglass:")
            st.stop()
        use_memory_store(err)
        return store().goals()


def save(action: str, *args):
    """Run a store write by name. A folder that cannot be written moves this session's goals to memory
    (and says so); a file busy in another process gives a message. Never a traceback."""
    try:
        return getattr(store(), action)(*args)
    except StoreError as err:
        if err.code == "unavailable" and base_store().persistent:
            use_memory_store(err)
            return getattr(store(), action)(*args)
        st.error(t_issue(err.issue()), icon=":material/error:")
        return None


# ---- data: values per window, cached for the session -------------------------------------------------

SERIES_SETTINGS = ("effective_days", "active_event", "lead_denominator")


def _data_key() -> tuple:
    """The loaded data and the KPI settings and inputs typed on the Overview page (same values as there)."""
    return (data_key(workspace()), tuple(sorted(kpi_settings().items())), tuple(sorted(user_inputs().items())))


def kpi_values(start: date, end: date, ids: tuple[str, ...] | None = None) -> dict:
    cache = st.session_state.setdefault("goals_kpi_cache", {})
    key = (_data_key(), start, end, ids)
    if key not in cache:
        if len(cache) > 64:
            cache.clear()
        cache[key] = compute_kpis(workspace(), start, end, ids=list(ids) if ids else None,
                                  user_inputs=user_inputs(), **kpi_settings())
    return cache[key]


def history(kpi_id: str, end: date) -> list[tuple[date, float | None]]:
    cache = st.session_state.setdefault("goals_series_cache", {})
    key = (_data_key(), kpi_id, GRAIN, end)
    if key not in cache:
        if len(cache) > 24:
            cache.clear()
        settings = {k: v for k, v in kpi_settings().items() if k in SERIES_SETTINGS}
        frame = kpi_series(workspace(), kpi_id, GRAIN, None, end, user_inputs=user_inputs(), **settings)
        cache[key] = [(p, None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v))
                      for p, v in zip(frame["period"], frame["value"])]
    return cache[key]


def content_tasks(kpi_id: str) -> tuple[str, ...]:
    """Tasks from the content audit's findings for this KPI (issue 12: findings feed the plan)."""
    ws_ = workspace()
    if not ws_.of_kind("social_posts"):
        return ()
    found = [f for f in content_findings(ws_, date_filter()) if kpi_id in FINDING_KPIS.get(f.code, ())]
    return tuple(finding_text(f, L, caveats=False) for f in found[:3])


def scope_default(metric: Metric) -> str:
    ws = workspace()
    for source in metric.sources:
        found = ws.of_kind(str(source.kind))
        if found:
            return found[0].label
    return ""


def reason_text(value) -> str:
    if value is None or value.reason_key is None:
        return t("goals.reason.unknown")
    params = {k: (t(f"kpi.input.{v}") if k == "input" else v) for k, v in dict(value.reason_params).items()}
    return t(value.reason_key, **params)


# ---- page -------------------------------------------------------------------------------------------

st.title(t("page.goals.title"))
st.caption(t("page.goals.subtitle"))

has_data = empty_state("goals", KINDS, ("tiktok", "shop", "app"))
ws = workspace()
span = data_range(ws) if has_data else None
bounds = date_filter() or span
available = set(available_kpis(ws)) if has_data else set()
as_of = bounds[1] if bounds else None

with st.container(horizontal=True, vertical_alignment="bottom"):
    st.text_input(t("goals.workspace"), key="goals_workspace", value="default", max_chars=64,
                  help=t("goals.workspace_help"), width=260)
    if base_store().persistent:
        st.caption(":material/save: " + t("goals.storage_file", path=str(base_store().path)))
    else:
        st.caption(":material/cloud_off: " + t("goals.storage_memory"))
goals = load_goals()
if "goals_store_error" in st.session_state:
    st.warning(t_issue(st.session_state["goals_store_error"]) + " " + t("goals.storage_fallback"),
               icon=":material/warning:")

if st.session_state.get("goals_flash"):
    st.success(st.session_state.pop("goals_flash"), icon=":material/check_circle:")


def new_goal_from_suggestion(s: G.Suggestion, stretch: bool, window: tuple[date, date]) -> None:
    metric = METRICS[s.kpi_id]
    target = s.stretch if stretch and s.stretch is not None else s.target
    deadline = s.stretch_deadline if stretch else s.deadline
    goal = G.Goal(kpi_id=s.kpi_id, baseline=s.baseline, target=target, deadline=deadline, created=TODAY,
                  scope=scope_default(metric), baseline_start=window[0], baseline_end=window[1],
                  data_baseline=s.baseline, target_mode=G.TargetMode.ABSOLUTE, target_input=target,
                  business_goal=G.default_business_goal(s.kpi_id),
                  stage=G.BusinessStage(st.session_state.get("goal_stage", "growth")), grain=GRAIN)
    goal = replace(goal, tasks=G.default_tasks(goal, TODAY, content_tasks(goal.kpi_id)))
    saved = save("save_goal", goal)
    if saved is not None:
        st.session_state["goals_flash"] = t("goals.saved", statement=statement_text(saved))
        st.session_state["goals_open"] = saved.id


# ---- 1. suggestions ---------------------------------------------------------------------------------
window = G.baseline_window(*bounds) if bounds else None
values: dict = {}
suggestions: list[G.Suggestion] = []
if has_data and window:
    values = kpi_values(*window)
    prof = active_profile()     # the profile picked on the Benchmarks page, else the built-in bands
    bands = {k: b for k, v in values.items()
             if benchmark_applies(k, ws) and (b := prof.get(k, v.benchmark_variant)) is not None}
    taken = {g.kpi_id for g in goals if g.status is G.GoalStatus.ACTIVE}
    below = G.suggest_goals({k: v.value for k, v in values.items()}, bands, TODAY)
    suggestions = [s for s in below if s.kpi_id not in taken]
    st.subheader(t("goals.suggestions_title"))
    if below and not suggestions:
        st.caption(t("goals.suggestions_all_taken", n=len(below)))
    elif not suggestions:
        st.caption(t("goals.suggestions_none", start=fmt_date(window[0]), end=fmt_date(window[1])))
    else:
        st.caption(t("goals.suggestions_help", start=fmt_date(window[0]), end=fmt_date(window[1])))
        for s in suggestions:
            metric = METRICS[s.kpi_id]
            with st.container(border=True):
                left, right = st.columns([3, 2], vertical_alignment="center")
                left.markdown(f"**{kpi_label(s.kpi_id)}** · {fmt_value(metric, s.baseline, trim=False)}")
                lower = metric.direction.value == "lower"
                key = ("goals.suggestion_text_lower" if lower else "goals.suggestion_text_market") \
                    if s.stretch is None else ("goals.suggestion_text_lower_optimal" if lower else "goals.suggestion_text")
                left.caption(t(key, market=fmt_value(metric, s.target), deadline=fmt_date(s.deadline),
                               optimal=fmt_value(metric, s.stretch)))
                with right, st.container(horizontal=True):
                    st.button(t("goals.accept_market", target=fmt_value(metric, s.target)),
                              key=f"accept_{s.kpi_id}", icon=":material/flag:", type="primary",
                              on_click=new_goal_from_suggestion, args=(s, False, window))
                    if s.stretch is not None:
                        st.button(t("goals.accept_optimal", target=fmt_value(metric, s.stretch)),
                                  key=f"accept_opt_{s.kpi_id}", icon=":material/rocket_launch:",
                                  on_click=new_goal_from_suggestion, args=(s, True, window))

# ---- 2. the form ------------------------------------------------------------------------------------
options = [k for k in METRICS if k in available]
if has_data and bounds and not options:
    st.subheader(t("goals.form_title"))
    st.info(t("goals.no_kpis"), icon=":material/info:")
if has_data and bounds and options:
    st.subheader(t("goals.form_title"))
    prefill = st.session_state.pop("goals_prefill", None)
    if isinstance(prefill, dict) and prefill.get("kpi") in options:
        st.session_state["goal_kpi"] = prefill["kpi"]
    if st.session_state.get("goal_kpi") not in options:
        # start on the KPI most below the market, else the first one with a value
        first = [s.kpi_id for s in suggestions if s.kpi_id in options]
        first += [k for k in options if values.get(k) is not None and values[k].value is not None]
        st.session_state["goal_kpi"] = (first or options)[0]
    with st.container(border=True):
        c1, c2 = st.columns(2)
        kpi_id = c1.selectbox(t("goals.field.kpi"), options, key="goal_kpi", format_func=kpi_label,
                              help=t("goals.field.kpi_help"))
        metric = METRICS[kpi_id]
        scale = G.input_scale(metric.unit)
        unit_label = t(f"goals.unit.{metric.unit}")
        lo, hi = span if span else bounds
        default_window = G.baseline_window(max(lo, bounds[0]), bounds[1])   # within the sidebar's range
        kept = st.session_state.get("goal_period")
        if isinstance(kept, (tuple, list)) and any(d is not None and not lo <= d <= hi for d in kept):
            del st.session_state["goal_period"]      # other data was loaded: start from its last four weeks
        picked = c2.date_input(t("goals.field.period"), value=default_window, min_value=lo, max_value=hi,
                               key="goal_period", format="YYYY-MM-DD", help=t("goals.field.period_help"))
        period = tuple(picked) if isinstance(picked, (tuple, list)) and len(picked) == 2 else default_window
        data_value = kpi_values(period[0], period[1])[kpi_id]
        shown = None if data_value.value is None else data_value.value * scale

        c3, c4, c5 = st.columns([2, 1, 2])
        baseline_in = c3.number_input(t("goals.field.baseline", unit=unit_label), value=shown, format="%.4g",
                                      key=f"goal_baseline_{kpi_id}_{period[0]}_{period[1]}",
                                      help=t("goals.field.baseline_help"))
        if data_value.value is None:
            c3.caption(":material/info: " + reason_text(data_value))
        else:
            c3.caption(t("goals.field.from_data", value=fmt_value(metric, data_value.value, trim=False)))
        baseline = None if baseline_in is None else float(baseline_in) / scale
        mode = c4.radio(t("goals.field.target_mode"), list(G.TargetMode), key="goal_target_mode",
                        format_func=lambda m: t(f"goals.target_mode.{m}"))
        if mode == G.TargetMode.ABSOLUTE:
            bench = active_profile().get(kpi_id, data_value.benchmark_variant) if benchmark_applies(kpi_id, ws) else None
            suggested = G.default_target(kpi_id, data_value.value, bench)
            entered = c5.number_input(t("goals.field.target", unit=unit_label),
                                      value=None if suggested is None else suggested * scale, format="%.4g",
                                      key=f"goal_target_{kpi_id}", help=t("goals.field.target_help"))
            target_input = None if entered is None else float(entered) / scale
        else:
            step = 10.0 if metric.direction.value == "higher" else -10.0
            entered = c5.number_input(t("goals.field.change"), value=step, step=1.0, format="%.1f",
                                      key=f"goal_change_{kpi_id}", help=t("goals.field.change_help"))
            target_input = None if entered is None else float(entered)
        target = G.target_value(mode, target_input, baseline)
        if mode == G.TargetMode.PERCENT and target is not None:
            c5.caption(t("goals.field.target_is", value=fmt_value(metric, target)))

        c6, c7, c8 = st.columns(3)
        deadline = c6.date_input(t("goals.field.deadline"), value=G.add_months(TODAY, 2), key="goal_deadline",
                                 format="YYYY-MM-DD", min_value=TODAY - timedelta(days=3650),
                                 max_value=TODAY + timedelta(days=3650))
        owner = c7.text_input(t("goals.field.owner"), key="goal_owner", max_chars=200,
                              placeholder=t("goals.field.owner_placeholder"))
        scope = c8.text_input(t("goals.field.scope"), value=scope_default(metric), key=f"goal_scope_{kpi_id}",
                              max_chars=G.MAX_SCOPE, help=t("goals.field.scope_help"))
        c9, c10 = st.columns(2)
        business = c9.selectbox(t("goals.field.business_goal"), list(G.BusinessGoal),
                                index=list(G.BusinessGoal).index(G.default_business_goal(kpi_id)),
                                key=f"goal_business_{kpi_id}", format_func=lambda b: t(f"goals.business.{b}"))
        stage_value = c10.selectbox(t("goals.field.stage"), list(G.BusinessStage), index=1, key="goal_stage",
                                    format_func=lambda s: t(f"goals.stage_name.{s}"))
        notes = st.text_area(t("goals.field.notes"), key="goal_notes", max_chars=2000, height=80,
                             placeholder=t("goals.field.notes_placeholder"))

        draft = G.Goal(kpi_id=kpi_id, baseline=baseline, target=target,
                       deadline=deadline if isinstance(deadline, date) else None, created=TODAY,
                       scope=scope, baseline_start=period[0], baseline_end=period[1],
                       data_baseline=data_value.value, target_mode=G.TargetMode(mode), target_input=target_input,
                       owner=owner.strip(), business_goal=G.BusinessGoal(business),
                       stage=G.BusinessStage(stage_value), notes=notes.strip(), grain=GRAIN)
        checks = G.check_goal(draft, today=TODAY, available=available, history=history(kpi_id, period[1]),
                              grain=GRAIN)
        st.markdown(f"**{t('goals.preview')}** {statement_text(draft)}")
        show_checks(checks, metric)
        if st.button(t("goals.save"), key="goal_save", type="primary", icon=":material/save:"):
            stops = G.blocking(checks)
            if stops:
                st.error(t("goals.cannot_save", reasons=" ".join(t(c.key, **check_params(c, metric))
                                                                  for c in stops)), icon=":material/error:")
            else:
                goal = replace(draft, tasks=G.default_tasks(draft, TODAY, content_tasks(draft.kpi_id)))
                saved = save("save_goal", goal)
                if saved is not None:
                    st.session_state["goals_flash"] = t("goals.saved", statement=statement_text(saved))
                    st.session_state["goals_open"] = saved.id
                    st.rerun()


# ---- 3. saved goals, tracking, action plans -----------------------------------------------------------

def measured(goal: G.Goal, as_of: date) -> list[tuple[date, float | None]]:
    """The goal's KPI over back-to-back windows as long as its baseline period, up to ``as_of``."""
    days = goal.period_days or G.BASELINE_DAYS
    first = span[0] if span else as_of
    return [(end, kpi_values(start, end, (goal.kpi_id,))[goal.kpi_id].value)
            for start, end in G.measurement_windows(as_of, days, first)]


def show_goal(goal: G.Goal, current, where: date | None) -> None:
    metric = METRICS[goal.kpi_id]
    tr = G.track(goal, None if current is None else current.value, where, TODAY)
    # the checks of a saved goal: the goal as set on the day it was created, on the data loaded now
    checks = G.check_goal(goal, today=goal.created, available=available,
                          history=history(goal.kpi_id, goal.baseline_end or goal.created)
                          if goal.kpi_id in available else [], grain=goal.grain)
    with st.container(border=True, key=f"goal_{goal.id}"):
        st.markdown(f"#### {statement_text(goal)}")
        with st.container(horizontal=True):
            st.badge(t(f"goals.track.{tr.status}"), color=TRACK_COLOR[tr.status], icon=":material/timeline:")
            summary = G.summary(checks)
            st.badge(t(f"goals.smart.{summary}"), color=VERDICT_COLOR[summary], icon=VERDICT_ICON[summary])
            if goal.status is not G.GoalStatus.ACTIVE:
                st.badge(t(f"goals.status.{goal.status}"), color="gray")
            if tr.review is not G.Review.NOT_YET and goal.status is G.GoalStatus.ACTIVE:
                st.badge(t(f"goals.review.{tr.review}", date=fmt_date(tr.review_date)), color="violet",
                         icon=":material/event_repeat:")
        st.caption(t("goals.meta", owner=goal.owner or "—", created=fmt_date(goal.created),
                     business=t(f"goals.business.{goal.business_goal}"),
                     stage=t(f"goals.stage_name.{goal.stage}")))
        m1, m2, m3, m4 = st.columns(4)
        m1.metric(t("goals.metric.baseline"), fmt_value(metric, goal.baseline, trim=False))
        m2.metric(t("goals.metric.current"), fmt_value(metric, tr.current, trim=False),
                  help=t("goals.metric.current_help", date=fmt_date(where)) if where else None)
        m3.metric(t("goals.metric.target"), fmt_value(metric, goal.target))
        m4.metric(t("goals.metric.progress"), fmt_pct(tr.progress, signed=False) if tr.progress is not None else "—")
        if tr.status is G.TrackStatus.NO_DATA:
            if goal.kpi_id not in available:
                kinds = sorted({str(s.kind) for s in metric.sources})
                st.info(t("goals.no_data_kinds", kinds=join_labels(kinds, "kind")), icon=":material/upload_file:")
            else:
                st.info(t("goals.no_data_value", reason=reason_text(current)), icon=":material/info:")
        else:
            st.progress(min(1.0, max(0.0, tr.progress or 0.0)),
                        text=t(f"goals.track_text.{tr.status}", progress=fmt_pct(tr.progress, signed=False),
                               expected=fmt_pct(tr.expected, signed=False), date=fmt_date(where)))
            chart = progress_chart(goal, metric, measured(goal, where)) if where else None
            if chart is not None:
                st.altair_chart(chart, width="stretch")

        with st.expander(t("goals.checks_title"), icon=":material/fact_check:",
                         expanded=st.session_state.get("goals_open") == goal.id):
            show_checks(checks, metric)
            if goal.notes:
                st.caption(t("goals.notes_label") + " " + goal.notes)

        st.markdown(f"**{t('goals.plan_title')}**")
        editor_key = f"tasks_{goal.id}"
        edited = st.data_editor(
            tasks_frame(goal), key=editor_key, num_rows="dynamic", hide_index=True, width="stretch",
            column_config={
                "id": None, "code": None,
                "what": st.column_config.TextColumn(t("goals.task_col.what"), width="large", required=True,
                                                    max_chars=500),
                "owner": st.column_config.TextColumn(t("goals.task_col.owner"), max_chars=200),
                "due": st.column_config.DateColumn(t("goals.task_col.due"), format="YYYY-MM-DD"),
                "status": st.column_config.SelectboxColumn(t("goals.task_col.status"), options=list(G.TaskStatus),
                                                           default="todo", required=True,
                                                           format_func=lambda s: t(f"goals.task_status.{s}")),
            })
        done = sum(1 for tk in goal.tasks if tk.status is G.TaskStatus.DONE)
        st.caption(t("goals.plan_progress", done=done, n=len(goal.tasks)))
        with st.container(horizontal=True):
            if st.button(t("goals.save_plan"), key=f"save_plan_{goal.id}", icon=":material/save:"):
                if save("set_tasks", goal.id, tasks_from_frame(edited)) is not None:
                    st.session_state.pop(editor_key, None)
                    st.session_state["goals_flash"] = t("goals.plan_saved")
                    st.rerun()
            if not goal.tasks and st.button(t("goals.add_suggested"), key=f"suggest_tasks_{goal.id}",
                                            icon=":material/playlist_add:"):
                save("set_tasks", goal.id, list(G.default_tasks(goal, TODAY, content_tasks(goal.kpi_id))))
                st.session_state.pop(editor_key, None)
                st.rerun()
            if tr.review is not G.Review.NOT_YET and goal.status is G.GoalStatus.ACTIVE and st.button(
                    t("goals.mark_reviewed"), key=f"review_{goal.id}", icon=":material/event_available:"):
                save("mark_reviewed", goal.id, TODAY)
                st.rerun()
            new_status = st.selectbox(t("goals.field.status"), list(G.GoalStatus),
                                      index=list(G.GoalStatus).index(goal.status), key=f"status_{goal.id}",
                                      format_func=lambda s: t(f"goals.status.{s}"), label_visibility="collapsed",
                                      width=180)
            if new_status != goal.status:
                save("set_status", goal.id, G.GoalStatus(new_status))
                st.rerun()
            with st.popover(t("goals.delete"), icon=":material/delete:"):
                st.markdown(t("goals.delete_confirm"))
                if st.button(t("goals.delete_yes"), key=f"delete_{goal.id}", type="primary"):
                    save("delete_goal", goal.id)
                    st.session_state.pop(f"status_{goal.id}", None)
                    st.rerun()


st.subheader(t("goals.list_title", n=len(goals)))
if not goals:
    st.caption(t("goals.list_empty"))
else:
    if as_of:
        st.caption(t("goals.as_of", date=fmt_date(as_of)))
    order = {G.GoalStatus.ACTIVE: 0, G.GoalStatus.DONE: 1, G.GoalStatus.DROPPED: 2}
    for goal in sorted(goals, key=lambda g: (order[g.status], g.created, g.id)):
        current = None
        if as_of and goal.kpi_id in available:
            days = goal.period_days or G.BASELINE_DAYS
            lo = max(span[0], as_of - timedelta(days=days - 1)) if span else as_of - timedelta(days=days - 1)
            current = kpi_values(lo, as_of, (goal.kpi_id,)).get(goal.kpi_id)
        show_goal(goal, current, as_of if current is not None else None)


# ---- 4. export and import ---------------------------------------------------------------------------
st.subheader(t("goals.transfer_title"))
with st.container(border=True):
    name = clean_workspace_name(st.session_state.get("goals_workspace"))
    c1, c2 = st.columns(2)
    try:
        json_text, csv_text = store().export_json(), store().export_csv()
    except StoreError as err:
        json_text = csv_text = None
        st.error(t_issue(err.issue()), icon=":material/error:")
    if json_text is not None:
        c1.download_button(t("goals.export_json"), json_text.encode("utf-8"), file_name=f"goals_{name}.json",
                           mime="application/json", icon=":material/download:", key="goals_export_json")
        c1.download_button(t("goals.export_csv"), ("\ufeff" + csv_text).encode("utf-8"),
                           file_name=f"goals_{name}.csv", mime="text/csv", icon=":material/download:",
                           key="goals_export_csv")
        c1.caption(t("goals.export_help"))
    upload = c2.file_uploader(t("goals.import"), type=["json", "csv"], key="goals_import_file",
                              help=t("goals.import_help"))
    if upload is not None and c2.button(t("goals.import_button"), key="goals_import_go", icon=":material/upload:"):
        raw = upload.getvalue()
        try:
            result = (store().import_csv(raw) if upload.name.lower().endswith(".csv") else store().import_json(raw))
        except StoreError as err:
            result = None
            st.error(t_issue(err.issue()), icon=":material/error:")
        if result is not None:
            show_issues(result.issues)
            if result.goals or result.profiles:
                st.session_state["goals_flash"] = t("goals.imported", goals=result.goals, tasks=result.tasks,
                                                    profiles=result.profiles)
                st.rerun()
