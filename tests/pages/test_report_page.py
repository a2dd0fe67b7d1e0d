"""The Report page (AppTest): empty state, build on click, three downloads, stale warning, languages."""
from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from data.session import Workspace
from tests.conftest import ROOT
from tests.helpers import csv_bytes, workspace_with
from tests.pages.conftest import untranslated
from ui.i18n import LANG_NAMES, tr

PAGE = "pages/report.py"
TODAY = date(2026, 3, 6)
EVENTS = csv_bytes(["user_id", "event", "timestamp"], [
    ["u1", "sign_up", "2026-03-02 09:00:00"], ["u1", "view_product", "2026-03-02 09:05:00"],
    ["u1", "purchase", "2026-03-03 10:00:00"], ["u2", "sign_up", "2026-03-02 10:00:00"],
    ["u2", "view_product", "2026-03-03 10:00:00"], ["u3", "sign_up", "2026-03-03 11:00:00"],
    ["u3", "app_open", "2026-03-04 11:00:00"],
])
DAILY = csv_bytes(["Date", "Video Views", "Likes", "Comments", "Shares"], [
    ["2026-03-02", 1000, 10, 5, 5], ["2026-03-03", 1000, 10, 5, 5], ["2026-03-04", 1000, 10, 5, 5],
])


@pytest.fixture(autouse=True)
def no_goal_file(tmp_path, monkeypatch):
    monkeypatch.setenv("KPIWB_WORKSPACE", str(tmp_path))
    monkeypatch.setenv("KPIWB_PERSIST", "0")


def report_app(ws: Workspace | None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["report_today"] = TODAY
    if ws is not None:
        at.session_state["workspace"] = ws
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def downloads(at: AppTest) -> list:
    return [el for el in at.get("download_button")]


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_empty_state(lang):
    at = report_app(None, lang)
    assert at.title[0].value == tr("page.report.title", lang)
    samples = ("tiktok", "shop", "app", "support")
    assert [b.label for b in at.button] == [tr(f"sample.{k}.button", lang) for k in samples]
    assert downloads(at) == []
    assert untranslated(at) == []


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_build_gives_three_downloads(lang):
    at = report_app(workspace_with(events__csv=EVENTS, overview__csv=DAILY), lang)
    assert [i.value for i in at.info] == [tr("report.not_built", lang)]
    assert downloads(at) == []
    at.button(key="report_build").click().run()
    assert not at.exception, at.exception
    period = tr("report.range", lang, start="2026-03-02", end="2026-03-04", days=3)
    assert [s.value for s in at.success] == [tr("report.ready", lang, period=period, language=LANG_NAMES[lang])]
    assert [d.label for d in downloads(at)] == [tr("report.download_html", lang), tr("report.download_zip", lang),
                                                tr("report.download_csv", lang)]
    bundle = at.session_state["report_bundle"]["bundle"]
    html = bundle.html.decode("utf-8")
    for section in ("summary", "kpis", "funnel", "retention", "goals", "data"):
        assert f'id="{section}"' in html
    assert tr("report.section.summary", lang) in html
    assert bundle.stem == f"kpi-report-2026-03-06-{lang}"
    with zipfile.ZipFile(io.BytesIO(bundle.zip)) as z:
        assert "report.md" in z.namelist()
    assert bundle.csv.decode("utf-8-sig").splitlines()[0].startswith("id,")
    assert untranslated(at) == []


def test_changing_the_language_marks_the_report_stale():
    at = report_app(workspace_with(overview__csv=DAILY), "en")
    at.button(key="report_build").click().run()
    assert at.warning.len == 0
    at.session_state["lang"] = "ru"
    at.run()
    assert [w.value for w in at.warning] == [tr("report.stale", "ru")]
    assert at.button(key="report_build").label == tr("report.rebuild", "ru")
    at.button(key="report_build").click().run()
    assert at.warning.len == 0
    assert at.session_state["report_bundle"]["bundle"].stem.endswith("-ru")


def test_product_type_setting_reaches_the_report():
    at = report_app(workspace_with(events__csv=EVENTS), "en")
    at.selectbox(key="report_product").select("content").run()
    at.button(key="report_build").click().run()
    html = at.session_state["report_bundle"]["bundle"].html.decode("utf-8")
    assert tr("retention.product.content", "en") in html


def test_goals_of_the_session_store_are_in_the_report():
    from data.store import GoalStore
    from kpi.goals import Goal
    store = GoalStore(None)
    store.scoped("shop team").save_goal(Goal("engagement_rate", 0.02, 0.04, date(2026, 5, 1), TODAY,
                                             owner="Ann Example"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.session_state["report_today"] = TODAY
    at.session_state["workspace"] = workspace_with(overview__csv=DAILY)
    at.session_state["goals_store"] = store
    at.session_state["goals_workspace"] = "shop team"
    at.switch_page(PAGE).run()
    at.button(key="report_build").click().run()
    assert not at.exception, at.exception
    html = at.session_state["report_bundle"]["bundle"].html.decode("utf-8")
    assert "Ann Example" in html and "shop team" in html
