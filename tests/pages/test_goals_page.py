from datetime import date, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from data.store import DB_NAME, GoalStore
from kpi.goals import BusinessGoal, BusinessStage, Goal, GoalStatus, Task, TaskStatus
from tests.conftest import ROOT
from tests.helpers import csv_bytes, workspace_with
from tests.pages.conftest import untranslated

TODAY = date(2026, 11, 23)
NB = "\u00a0"   # numbers and % are joined by a no-break space


@pytest.fixture(autouse=True)
def folder(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIWB_WORKSPACE", str(tmp_path))
    monkeypatch.delenv("KPIWB_PERSIST", raising=False)
    return tmp_path


def goals_app(lang: str = "en", today: date = TODAY, ws=None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["goals_today"] = today
    if ws is not None:
        at.session_state["workspace"] = ws
    at.switch_page("pages/goals.py").run()
    assert not at.exception, at.exception
    return at


def orders(first: date, days: int, amount: float, start_id: int = 0) -> list[list[object]]:
    """One order a day of ``amount`` by a new customer."""
    return [[f"o{start_id + i}", f"c{start_id + i}", (first + timedelta(days=i)).isoformat(), amount, "paid"]
            for i in range(days)]


def shop(*chunks) -> bytes:
    return csv_bytes(["order_id", "customer_id", "order_date", "amount", "status"], [r for c in chunks for r in c])


def texts(at: AppTest) -> str:
    parts = [el.value for kind in ("subheader", "markdown", "caption", "success", "error", "warning", "info")
             for el in getattr(at, kind)]
    return "\n".join(p for p in parts if isinstance(p, str))


def store(folder, workspace: str = "default") -> GoalStore:
    return GoalStore(folder / DB_NAME, workspace)


# ---- the empty state and saved goals without data ----------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_empty_state_lists_saved_goals(folder, lang):
    store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2027, 1, 23), TODAY, owner="Ann",
                                 tasks=(Task(code="bundles_upsell"),)))
    at = goals_app(lang)
    assert untranslated(at) == []
    assert any(b.key and b.key.startswith("sample_goals_") for b in at.button)   # the empty state stays
    shown = texts(at)
    expected = {"en": "23 January 2027", "ru": "23 января 2027", "zh": "2027年1月23日"}[lang]
    assert expected in shown
    assert {"en": "Load the data", "ru": "загрузите данные", "zh": "请加载"}[lang] in shown


# ---- the form ----------------------------------------------------------------------------------

def test_fill_and_submit_the_form(folder):
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))   # to 31 October
    at = goals_app(ws=ws)
    assert at.selectbox(key="goal_kpi").value == "repurchase_rate"      # the one most below the market
    at.selectbox(key="goal_kpi").set_value("aov").run()
    baseline = next(n for n in at.number_input if n.key.startswith("goal_baseline_aov"))
    assert baseline.value == pytest.approx(100.0)
    assert at.date_input(key="goal_period").value == (date(2026, 10, 4), date(2026, 10, 31))
    at.number_input(key="goal_target_aov").set_value(108.0)
    at.date_input(key="goal_deadline").set_value(date(2027, 1, 31))
    at.text_input(key="goal_owner").input("Ann")
    at.selectbox(key="goal_business_aov").set_value("sales")
    at.selectbox(key="goal_stage").set_value("mature")
    at.text_area(key="goal_notes").input("Bundles in December")
    at.run()
    assert not at.exception
    assert "Increase average order value (AOV) from 100.00 to 108 by 31 January 2027 (orders.csv)" in texts(at)
    at.button(key="goal_save").click().run()
    assert not at.exception
    assert untranslated(at) == []
    [goal] = store(folder).goals()
    assert (goal.kpi_id, goal.baseline, goal.target, goal.deadline, goal.owner) == (
        "aov", 100.0, 108.0, date(2027, 1, 31), "Ann")
    assert (goal.business_goal, goal.stage, goal.notes, goal.scope) == (
        BusinessGoal.SALES, BusinessStage.MATURE, "Bundles in December", "orders.csv")
    assert (goal.baseline_start, goal.baseline_end, goal.created) == (date(2026, 10, 4), date(2026, 10, 31), TODAY)
    assert [t.code for t in goal.tasks] == ["bundles_upsell", "free_shipping_threshold", "pricing_test",
                                           "review_progress"]
    assert ("Saved: Increase average order value (AOV) from 100.00 to 108 by 31 January 2027 (orders.csv)"
            in [s.value for s in at.success])
    assert at.data_editor(key=f"tasks_{goal.id}").value["what"].tolist()[0] == "Offer bundles and add-ons at checkout"


def test_form_shows_the_five_checks_and_blocks_a_past_deadline(folder):
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(ws=ws)
    at.selectbox(key="goal_kpi").set_value("aov").run()
    badges = [m.value for m in at.markdown if "-badge[" in m.value]
    assert [b.split(": ")[-1].rstrip("]") for b in badges[:5]] == [
        "Specific", "Measurable", "Achievable", "Relevant", "Time-bound"]
    at.date_input(key="goal_deadline").set_value(date(2026, 11, 1)).run()
    at.button(key="goal_save").click().run()
    assert not at.exception
    assert any("cannot be saved" in e.value and "(1 November 2026) is not in the future" in e.value for e in at.error)
    assert store(folder).goals() == []


def test_percent_target(folder):
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(ws=ws)
    at.selectbox(key="goal_kpi").set_value("aov").run()
    at.radio(key="goal_target_mode").set_value("percent").run()
    at.number_input(key="goal_change_aov").set_value(15.0).run()
    assert "Target: 115" in texts(at)
    at.button(key="goal_save").click().run()
    [goal] = store(folder).goals()
    assert (goal.target_mode, goal.target_input, goal.target) == ("percent", 15.0, pytest.approx(115.0))


def test_prefill_from_another_page(folder):
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["goals_today"] = TODAY
    at.session_state["workspace"] = ws
    at.session_state["goals_prefill"] = {"kpi": "net_revenue"}
    at.run()
    at.switch_page("pages/goals.py").run()
    assert at.selectbox(key="goal_kpi").value == "net_revenue"


# ---- suggestions: one click --------------------------------------------------------------------

def test_accept_a_suggestion_in_one_click(folder):
    # every customer buys once: repurchase 0 %, below the 30 % market band
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(ws=ws)
    assert at.button(key="accept_repurchase_rate").label == f"Accept: reach 30{NB}%"
    at.button(key="accept_repurchase_rate").click().run()
    assert not at.exception
    [goal] = store(folder).goals()
    assert (goal.kpi_id, goal.baseline, goal.target, goal.deadline) == ("repurchase_rate", 0.0, 0.3,
                                                                        date(2027, 1, 23))
    assert goal.tasks and goal.tasks[-1].code == "review_progress"
    assert not [b for b in at.button if b.key == "accept_repurchase_rate"]   # no second suggestion
    assert f"Saved: Increase repurchase rate from 0.0{NB}% to 30{NB}% by 23 January 2027 (orders.csv)" in \
        [s.value for s in at.success]


# ---- tracking after next month's export ----------------------------------------------------------

def test_progress_after_next_months_export(folder):
    october = orders(date(2026, 10, 1), 31, 100.0)
    store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2026, 12, 31), date(2026, 11, 1),
                                 baseline_start=date(2026, 10, 4), baseline_end=date(2026, 10, 31),
                                 data_baseline=100.0, scope="shop"))
    november = orders(date(2026, 11, 1), 28, 115.0, start_id=100)     # to 28 November
    at = goals_app(ws=workspace_with(orders__csv=shop(october, november)), today=date(2026, 11, 30))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Baseline": "100.00", "Now": "115.00", "Target": "120", "Progress": f"75{NB}%"}
    shown = texts(at)
    assert ":green-badge[:material/timeline: On track]" in shown
    progress = [p.proto.text for p in at.get("progress")]
    assert progress == [f"75{NB}% of the way; the straight line to the target is at 45{NB}% on 28 November 2026."]
    assert untranslated(at) == []


def test_off_track_and_review_due(folder):
    saved = store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2026, 12, 31), date(2026, 10, 1),
                                         scope="shop"))
    ws = workspace_with(orders__csv=shop(orders(date(2026, 10, 1), 59, 101.0)))   # to 28 November
    at = goals_app(ws=ws, today=date(2026, 11, 30))
    shown = texts(at)
    assert ":orange-badge[:material/timeline: Off track]" in shown
    assert "Review due since 31 October 2026" in shown
    at.button(key=f"review_{saved.id}").click().run()
    assert store(folder).get(saved.id).reviewed == date(2026, 11, 30)
    assert "Review due" not in texts(at)


# ---- action plan, status, delete ---------------------------------------------------------------

def test_edit_and_save_the_action_plan(folder):
    saved = store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2027, 1, 23), TODAY,
                                         tasks=(Task(code="bundles_upsell"), Task(title="Price test"))))
    at = goals_app()
    at.session_state[f"tasks_{saved.id}"] = {
        "edited_rows": {"0": {"status": "done", "owner": "Bo"}, "1": {"what": "Price test, line A"}},
        "added_rows": [{"what": "Email the top customers", "status": "todo"}], "deleted_rows": []}
    at.run()
    at.button(key=f"save_plan_{saved.id}").click().run()
    assert not at.exception
    tasks = store(folder).get(saved.id).tasks
    assert [(t.code, t.title, t.owner, t.status) for t in tasks] == [
        ("bundles_upsell", "", "Bo", TaskStatus.DONE),
        (None, "Price test, line A", "", TaskStatus.TODO),
        (None, "Email the top customers", "", TaskStatus.TODO)]
    assert "1 of 3 tasks done" in texts(at)


def test_status_and_delete(folder):
    a = store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2027, 1, 23), TODAY, notes="a"))
    b = store(folder).save_goal(Goal("gmv", 100.0, 120.0, date(2027, 1, 23), TODAY, notes="b"))
    at = goals_app()
    at.selectbox(key=f"status_{a.id}").set_value("done").run()
    assert store(folder).get(a.id).status is GoalStatus.DONE
    at.button(key=f"delete_{b.id}").click().run()
    assert not at.exception
    assert [g.id for g in store(folder).goals()] == [a.id]


# ---- workspaces, storage modes -------------------------------------------------------------------

def test_workspace_name_keeps_goals_apart(folder):
    store(folder, "Team A").save_goal(Goal("aov", 100.0, 120.0, date(2027, 1, 23), TODAY, owner="Ann"))
    at = goals_app()
    assert "Your goals (0)" in texts(at)
    at.text_input(key="goals_workspace").input("Team A").run()
    assert "Your goals (1)" in texts(at)


def test_persistence_off_keeps_goals_in_the_session(folder, monkeypatch):
    monkeypatch.setenv("KPIWB_PERSIST", "0")
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(ws=ws)
    assert "Goals are not saved on this server" in texts(at)
    at.button(key="accept_repurchase_rate").click().run()
    assert "Your goals (1)" in texts(at)
    assert not (folder / DB_NAME).exists()


def test_unusable_folder_falls_back_to_the_session(folder, monkeypatch):
    blocker = folder / "not_a_folder"
    blocker.write_text("x")
    monkeypatch.setenv("KPIWB_WORKSPACE", str(blocker))
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(ws=ws)
    assert at.warning == []                       # nothing to read yet, nothing wrong yet
    at.button(key="accept_repurchase_rate").click().run()
    assert not at.exception
    # the session now keeps its goals in memory, and says so
    assert any("Goals cannot be saved in the workspace folder" in w.value for w in at.warning)
    assert "Your goals (1)" in texts(at)


# ---- export and import -------------------------------------------------------------------------

def test_export_and_import(folder):
    other = GoalStore(folder / "elsewhere.duckdb")
    other.save_goal(Goal("gmv", 100.0, 120.0, date(2027, 1, 23), TODAY, owner="=cmd", tasks=(Task(title="+x"),)))
    at = goals_app()
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Download goals (JSON)", "Download goals (CSV)"]
    at.file_uploader(key="goals_import_file").upload("goals.json", other.export_json().encode(), "application/json")
    at.run()
    at.button(key="goals_import_go").click().run()
    assert not at.exception
    assert "Imported 1 goal(s), 1 task(s) and 0 benchmark profile(s)." in [s.value for s in at.success]
    [goal] = store(folder).goals()
    assert (goal.owner, goal.tasks[0].title) == ("=cmd", "+x")


def test_bad_import_says_why(folder):
    at = goals_app("ru")
    at.file_uploader(key="goals_import_file").upload("goals.json", b"{oops", "application/json")
    at.run()
    at.button(key="goals_import_go").click().run()
    assert not at.exception
    assert any("Файл не является корректным JSON." in w.value for w in [*at.warning, *at.error])


@pytest.mark.parametrize("lang, statement", [
    ("en", "Increase average order value (AOV) from 100.00 to 120 by 23 January 2027 (shop)"),
    ("ru", "Средний чек (AOV): увеличить с 100,00 до 120 к 23 января 2027 (shop)"),
    ("zh", "2027年1月23日前将客单价（AOV）从100.00提升到120（shop）"),
])
def test_goal_statement_in_the_ui_language(folder, lang, statement):
    store(folder).save_goal(Goal("aov", 100.0, 120.0, date(2027, 1, 23), TODAY, scope="shop"))
    ws = workspace_with(orders__csv=shop(orders(date(2026, 9, 1), 61, 100.0)))
    at = goals_app(lang, ws=ws)
    assert f"#### {statement}" in [m.value for m in at.markdown]
    assert untranslated(at) == []


def test_data_without_any_goal_kpi_says_so(folder):
    # tickets with only a creation time: no response or resolution time to set a goal on
    tickets = csv_bytes(["ticket_id", "created_at"], [[f"t{i}", f"2026-11-{i + 1:02d} 10:00:00"] for i in range(9)])
    ws = workspace_with(tickets__csv=tickets)
    assert [d.kind for d in ws.datasets] == ["tickets"]
    at = goals_app(ws=ws)
    assert not at.exception
    assert any("None of the loaded files gives a KPI" in i.value for i in at.info)
    assert untranslated(at) == []


def test_accepted_suggestion_plan_starts_with_content_findings(tmp_path, monkeypatch):
    from data.demo import load_sample
    from data.session import Workspace
    from tests.pages.conftest import new_app

    monkeypatch.setenv("KPIWB_WORKSPACE", str(tmp_path))
    ws = Workspace()
    load_sample(ws, "tiktok")
    at = new_app()
    at.session_state["workspace"] = ws
    at.switch_page("pages/goals.py").run()
    at.button(key="accept_follower_growth_weekly").click().run()
    assert not at.exception
    goal = at.session_state["goals_store"].goals()[0]
    assert goal.kpi_id == "follower_growth_weekly"
    titles = [tk.title for tk in goal.tasks if tk.title]
    assert titles == [
        "Videos tagged #unboxing get 2.5× your median views: 23,596 vs 9,567, across 14 posts. Make more of them.",
        "Posting between 19:00 and 22:00 on any day gets 1.5× your median views (38 posts), and it matches when "
        "your followers are most active (19:00–22:00). Keep that slot for your best videos.",
        "In weeks with 6 or more posts you gained 1.2× the new followers of weeks with fewer posts "
        "(865 vs 737 a week; 9 vs 16 weeks). Plan at least 6 posts a week."]
