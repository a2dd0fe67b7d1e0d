"""Funnel page (AppTest): the one-screen answer, the controls, aggregated funnels, and the CLI's numbers."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from data import funnel as dfun
from data.demo import load_sample
from data.session import Workspace
from tests.conftest import ROOT
from tests.helpers import csv_bytes
from tests.pages.conftest import new_app, untranslated


def journeys_ws() -> Workspace:
    """80 users: 40 organic who all buy; 40 paid, of whom 10 view a product and 5 buy; buying takes
    1 hour. Four paid users who viewed but did not buy hit an "error"."""
    rows = []
    for i in range(40):
        rows += [[f"o{i}", "sign_up", "2026-03-02 10:00:00", "organic"],
                 [f"o{i}", "view_product", "2026-03-02 10:05:00", "organic"],
                 [f"o{i}", "purchase", "2026-03-02 11:00:00", "organic"]]
    for i in range(40):
        rows.append([f"p{i}", "sign_up", "2026-03-03 10:00:00", "paid"])
        if i < 10:
            rows.append([f"p{i}", "view_product", "2026-03-03 10:05:00", "paid"])
        if i < 5:
            rows.append([f"p{i}", "purchase", "2026-03-03 11:00:00", "paid"])
        if 5 <= i < 9:
            rows.append([f"p{i}", "error", "2026-03-03 10:30:00", "paid"])
    ws = Workspace()
    ws.add_file("events.csv", csv_bytes(["user_id", "event", "timestamp", "channel"], rows))
    return ws


def funnel_app(ws: Workspace, lang: str = "en") -> AppTest:
    """Straight to the funnel page with a prepared workspace (no upload step)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["workspace"] = ws
    at.switch_page("pages/funnel.py")
    return at.run()


def findings(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("- "))


def note(at: AppTest) -> str:
    return next(c.value for c in at.caption if c.value.startswith("events.csv ·"))


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_one_screen_answer_names_the_worst_step_and_channel():
    at = funnel_app(journeys_ws())
    assert not at.exception
    assert untranslated(at) == []
    assert at.multiselect(key="funnel_steps_ds_1").value == ["sign_up", "view_product", "purchase"]
    assert findings(at) == (
        "- Most users are lost between **sign\\_up** and **view\\_product**: 37.5% drop-off (30 users).\n"
        "- By channel, **paid** converts worst: 12.5% from the first step to the last, against 56.2% overall. "
        "Its biggest loss is between **sign\\_up** and **view\\_product** (75.0% drop-off).\n"
        "- Users who finish need 1 h from the first step to the last (median); 90% finish within 1 h.")
    assert metrics(at) == {"Started": "80", "Finished": "45", "Overall conversion": "56.2%",
                           "Median time to convert": "1 h"}
    table = at.dataframe[0].value
    assert list(table.columns) == ["Step", "Users", "% of previous", "Drop-off", "% of first"]
    assert table.values.tolist() == [["1. sign_up", "80", "—", "—", "100.0%"],
                                     ["2. view_product", "50", "62.5%", "37.5%", "62.5%"],
                                     ["3. purchase", "45", "90.0%", "10.0%", "56.2%"]]
    assert at.subheader[0].value == "By channel"


@pytest.mark.parametrize("lang, worst", [
    ("ru", "- Больше всего пользователей теряется между шагами **sign\\_up** и **view\\_product**: "
           "отток 37,5\u202f% (30 чел.)."),
    ("zh", "- 流失最多的环节在 **sign\\_up** 到 **view\\_product** 之间：流失率 37.5%（30 人）。"),
])
def test_translated_answer(lang, worst):
    at = funnel_app(journeys_ws(), lang)
    assert not at.exception
    assert untranslated(at) == []
    assert findings(at).splitlines()[0] == worst


def test_shorter_window_loses_the_last_step():
    at = funnel_app(journeys_ws())
    at.number_input(key="funnel_window_ds_1").set_value(30).run()
    at.selectbox(key="funnel_unit_ds_1").set_value("minutes").run()
    assert not at.exception
    assert metrics(at)["Finished"] == "0"
    assert findings(at).splitlines()[0] == \
        "- Most users are lost between **view\\_product** and **purchase**: 100.0% drop-off (50 users)."
    assert "Nobody finished the funnel yet, so there is no time to convert." in [i.value for i in at.info]
    assert note(at) == "events.csv · users have 30 min from their first step · In this order."


def test_exclusion_and_strict_order():
    at = funnel_app(journeys_ws())
    at.selectbox(key="funnel_exclude_ds_1").set_value("error").run()
    assert not at.exception
    assert metrics(at)["Started"] == "76"     # four paid users had an error during their attempt
    at.selectbox(key="funnel_order_ds_1").set_value("strict").run()
    assert not at.exception
    assert metrics(at)["Started"] == "76" and metrics(at)["Finished"] == "45"
    assert note(at) == "events.csv · users have 7 d from their first step · Strictly one after another."


def test_exclusion_event_that_becomes_a_step_is_dropped():
    at = funnel_app(journeys_ws())
    at.selectbox(key="funnel_exclude_ds_1").set_value("error").run()
    at.multiselect(key="funnel_steps_ds_1").set_value(["sign_up", "view_product", "error"]).run()
    assert not at.exception
    assert at.selectbox(key="funnel_exclude_ds_1").value == ""
    assert metrics(at)["Finished"] == "4"


def test_any_of_steps_and_overlap_error():
    at = funnel_app(journeys_ws())
    at.multiselect(key="funnel_alt_ds_1_view_product").set_value(["error"]).run()
    assert not at.exception
    assert at.dataframe[0].value.iloc[1, 0] == "2. view_product | error"
    assert metrics(at)["Started"] == "80"
    at.multiselect(key="funnel_alt_ds_1_purchase").set_value(["error"]).run()
    assert not at.exception
    assert [e.value for e in at.error] == ["“error” is in two steps. An event can belong to one step only."]


def test_too_few_steps_and_no_breakdown():
    at = funnel_app(journeys_ws())
    at.selectbox(key="funnel_breakdown_ds_1").set_value("").run()
    assert not at.exception
    assert "Choose a column in “Break down by” to compare funnels side by side." in [c.value for c in at.caption]
    assert len(findings(at).splitlines()) == 2
    at.multiselect(key="funnel_steps_ds_1").set_value(["view_product"]).run()
    assert not at.exception
    assert [i.value for i in at.info] == ["Pick at least two steps to see the funnel."]


def test_funnel_counts_file_with_segments():
    ws = Workspace()
    ws.add_file("funnel.csv", csv_bytes(["step", "users", "segment"], [
        ["Visit", 1000, "web"], ["Visit", 500, "app"], ["Cart", 300, "web"], ["Cart", 200, "app"],
        ["Order", 120, "web"], ["Order", 150, "app"]]))
    at = funnel_app(ws)
    assert not at.exception
    assert untranslated(at) == []
    assert findings(at) == (
        "- Most users are lost between **Visit** and **Cart**: 66.7% drop-off (1,000 users).\n"
        "- By segment, **web** converts worst: 12.0% from the first step to the last, against 18.0% overall. "
        "Its biggest loss is between **Visit** and **Cart** (70.0% drop-off).")
    assert metrics(at) == {"First step: Visit": "1,500", "Last step: Order": "270", "Overall conversion": "18.0%"}


def test_social_account_totals():
    ws = Workspace()
    ws.add_file("overview.csv", csv_bytes(["Date", "Video Views", "Profile Views"], [
        ["2026-01-01", 1000, 30], ["2026-01-02", 3000, 50]]))
    at = funnel_app(ws, "ru")
    assert not at.exception
    assert untranslated(at) == []
    assert metrics(at) == {"Первый шаг: Просмотры": "4\u202f000", "Последний шаг: Просмотры профиля": "80",
                           "Общая конверсия": "2,0\u202f%"}


def test_social_data_without_a_second_step_explains_what_is_missing():
    ws = Workspace()
    ws.add_file("followers.csv", csv_bytes(["Date", "Followers"], [["2026-01-01", 500], ["2026-01-02", 506]]))
    at = funnel_app(ws)
    assert not at.exception
    assert [w.value for w in at.warning][0].startswith("The loaded data has no columns a funnel can use.")


def test_nobody_in_the_date_range():
    ws = journeys_ws()
    at = funnel_app(ws)
    at.session_state["date_range_value"] = (ws.datasets[0].date_range[0], ws.datasets[0].date_range[0])
    at.selectbox(key="funnel_breakdown_ds_1").set_value("").run()
    assert not at.exception
    assert metrics(at)["Started"] == "40"
    at.session_state["date_range_value"] = (ws.datasets[0].date_range[1], ws.datasets[0].date_range[1])
    at.run()
    assert not at.exception


def test_nobody_started_in_the_range_shows_dashes_and_reasons():
    ws = Workspace()
    ws.add_file("events.csv", csv_bytes(["user_id", "event", "timestamp"], [
        ["u1", "view_product", "2026-03-01 10:00:00"], ["u2", "sign_up", "2026-03-02 10:00:00"],
        ["u2", "view_product", "2026-03-02 10:01:00"], ["u2", "purchase", "2026-03-02 10:02:00"]]))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["workspace"] = ws
    at.session_state["date_range_value"] = (ws.datasets[0].date_range[0], ws.datasets[0].date_range[0])
    at.switch_page("pages/funnel.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert findings(at) == "- Nobody did the first step in the selected dates."
    assert metrics(at) == {"Started": "0", "Finished": "0", "Overall conversion": "—",
                           "Median time to convert": "—"}
    captions = [c.value for c in at.caption]
    assert "— : nobody did the first step, so there is no conversion to compute." in captions
    assert "“—” after a step nobody reached: there is no conversion to compute." in " ".join(captions)
    assert "The event log has no channel, device or region column to break the funnel down by." in captions


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_sample_app_from_the_empty_state_matches_the_cli(lang):
    at = new_app(lang)
    at.switch_page("pages/funnel.py").run()
    at.button(key="sample_funnel_app").click().run()
    assert not at.exception
    assert untranslated(at) == []
    ws = at.session_state["workspace"]
    steps = at.multiselect(key=f"funnel_steps_{ws.of_kind('events')[0].name}").value
    assert steps == ["sign_up", "view_product", "add_to_cart", "begin_checkout", "purchase"]
    cli = dfun.funnel_json(ws, steps, "7d", "ordered")
    values = [m.value for m in at.metric]
    assert values[0].replace("\u202f", "").replace(",", "") == str(cli["steps"][0]["users"])
    assert values[1].replace("\u202f", "").replace(",", "") == str(cli["steps"][-1]["users"])
    worst = cli["worst_step"].replace("_", "\\_")
    assert f"**{worst}**" in findings(at).splitlines()[0]
    # the channel sentence is there and names a channel of the log
    assert len(findings(at).splitlines()) == 3


def test_all_samples_loaded_offers_every_source():
    ws = Workspace()
    for key in ("app", "tiktok", "shop"):
        load_sample(ws, key)
    at = funnel_app(ws)
    assert not at.exception
    kinds = [s.kind for s in dfun.sources(ws)]
    assert kinds[0] == "events" and "social" in kinds
    at.selectbox(key="funnel_source").set_value(kinds.index("social")).run()
    assert not at.exception
    assert list(metrics(at))[0] == "First step: Views"
