"""The Content page (AppTest): findings in every language, post tables with links, edge cases."""
from __future__ import annotations

from datetime import date

import pytest
from streamlit.testing.v1 import AppTest

from data.demo import load_sample, sample_paths
from data.session import Workspace
from tests.conftest import ROOT
from tests.helpers import csv_bytes, workspace_with
from tests.pages.conftest import untranslated

PAGE = "pages/content.py"
needs_samples = pytest.mark.skipif(not all(p.exists() for p in sample_paths("tiktok")),
                                   reason="sample files not generated")


def content_app(ws: Workspace, lang: str = "en", **state) -> AppTest:
    """The app on the Content page with ``ws`` already loaded (no upload step)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    at.session_state["workspace"] = ws
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def tiktok() -> Workspace:
    ws = Workspace()
    load_sample(ws, "tiktok")
    return ws


def findings_text(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("1. "))


@needs_samples
@pytest.mark.parametrize("lang, words", [
    ("en", ["`#unboxing`", "2.5×", "19:00", "22:00", "followers", "`#sale`"]),
    ("ru", ["`#unboxing`", "в 2,5 раза", "19:00", "22:00", "подписчик", "`#sale`"]),
    ("zh", ["`#unboxing`", "2.5 倍", "19:00", "22:00", "粉丝", "`#sale`"]),
])
def test_sample_account_tells_what_to_post_and_when(lang, words):
    at = content_app(tiktok(), lang)
    assert untranslated(at) == []
    text = findings_text(at)
    assert 3 <= text.count("\n") + 1 <= 5
    for w in words:
        assert w in text, (w, text)
    # headline numbers, the four post lists and the charts
    assert [m.value for m in at.metric][:2] == ["131", {"en": "9,567", "ru": "9\u202f567", "zh": "9,567"}[lang]]
    assert len(at.tabs) == 4 and len(at.dataframe) >= 4
    assert len(at.get("vega_lite_chart")) == 6  # topics, heatmap, followers, 3 cadence charts


@needs_samples
def test_post_tables_have_clickable_links_and_rates():
    at = content_app(tiktok())
    top = at.dataframe[0].value
    assert list(top.columns) == ["post_time", "title", "link", "views", "er"]
    assert top["views"].tolist() == sorted(top["views"].tolist(), reverse=True)
    assert top["link"].str.startswith("https://www.tiktok.com/").all()
    config = at.dataframe[0].proto.columns
    assert '"link"' in config and "link" in config.lower()


@needs_samples
def test_date_filter_without_posts_says_so():
    at = content_app(tiktok(), date_range_value=(date(2026, 11, 20), date(2026, 11, 20)))
    assert [i.value for i in at.info] == ["No posts were published in the selected date range. "
                                          "Widen the range in the sidebar."]


@needs_samples
def test_min_posts_setting_changes_the_findings():
    at = content_app(tiktok())
    assert "#unboxing" in findings_text(at)
    at.number_input(key="content_min_posts").set_value(50).run()
    assert not at.exception
    # no topic or posting window has 50 posts: only the cadence finding is left
    assert "#unboxing" not in findings_text(at) and "6 or more posts" in findings_text(at)
    assert "No hashtag or title word appears in 50 or more posts." in [i.value for i in at.info]


def test_bare_posts_file_without_titles_links_or_likes():
    content = csv_bytes(["Post time", "Views"], [["2026-03-02 10:00", 100], ["2026-03-03 19:00", 0],
                                                 ["2026-03-04 19:30", 300]])
    at = content_app(workspace_with(posts__csv=content), "ru")
    assert untranslated(at) == []
    assert [m.value for m in at.metric][2] == "—"
    captions = " ".join(c.value for c in at.caption)
    assert "нет столбцов с лайками" in captions          # why the rate is "—"
    assert "нет столбца со ссылками" in captions
    assert any("нет столбца с названием" in i.value for i in at.info)


def test_two_posts_files_offer_a_choice():
    a = csv_bytes(["Post time", "Title", "Views"], [["2026-03-02 10:00", "a #x", 100]])
    b = csv_bytes(["Post time", "Title", "Views"], [["2026-03-02 10:00", "b #y", 100],
                                                    ["2026-03-03 10:00", "c #y", 50]])
    at = content_app(workspace_with(tiktok__csv=a, insta__csv=b), "zh")
    assert untranslated(at) == []
    box = at.selectbox(key="content_dataset")
    assert box.value == "ds_2"        # the larger file first
    box.set_value("ds_1").run()
    assert not at.exception
    assert "tiktok.csv" in " ".join(c.value for c in at.caption)


def test_posts_mapped_without_views_asks_for_the_mapping():
    content = csv_bytes(["Post time", "Title", "Plays"], [["2026-03-02 10:00", "a", 100]])
    ws = workspace_with(posts__csv=content)
    (ds,) = ws.datasets
    ws.set_mapping(ds.name, "social_posts", {"post_time": "Post time", "title": "Title"})
    at = content_app(ws)
    assert [w.value for w in at.warning][-1].startswith("The posts file needs a post time and a views column")


@needs_samples
@pytest.mark.parametrize("grain, title", [("day", "Posts per day"), ("month", "Posts per month")])
def test_cadence_follows_the_global_grain(grain, title):
    at = content_app(tiktok(), grain=grain)
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert any(title in s for s in specs)
