import pytest

from tests.pages.conftest import PAGES, new_app, untranslated


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_empty_state_without_error(page, lang):
    at = new_app(lang)
    at.switch_page(page).run()
    assert not at.exception
    assert untranslated(at) == []
    if page != "pages/load.py":
        # the empty state offers samples
        assert any(b.key and b.key.startswith("sample_") for b in at.button)


def test_sample_button_loads_datasets_and_sidebar_lists_them():
    at = new_app()
    at.button(key="sample_load_app").click().run()
    assert not at.exception
    ws = at.session_state["workspace"]
    assert sorted(d.label for d in ws.datasets) == ["ad_spend.csv", "app_events.csv"]
    assert sorted(d.kind for d in ws.datasets) == ["events", "spend"]
    # the Load page shows one metric block per dataset: rows, rejected, columns, date range
    labels = [m.label for m in at.metric]
    assert labels.count("Rows") == 2


def test_two_sessions_are_isolated():
    a, b = new_app(), new_app()
    a.button(key="sample_load_support").click().run()
    b.run()
    assert [d.label for d in a.session_state["workspace"].datasets] == ["support_tickets.csv"]
    assert b.session_state["workspace"].datasets == []
    assert a.session_state["workspace"].con is not b.session_state["workspace"].con


def test_upload_through_file_uploader_shows_preview():
    at = new_app("ru")
    content = b"user_id,event,timestamp\nu1,sign_up,2026-01-01 10:00:00\nu2,sign_up,2026-01-02 10:00:00\n"
    at.file_uploader[0].upload("events.csv", content, "text/csv")
    at.run()
    assert not at.exception
    ws = at.session_state["workspace"]
    assert [(d.label, d.kind, d.rows) for d in ws.datasets] == [("events.csv", "events", 2)]
    assert "Журнал событий" in " ".join(c.value for c in at.caption)
    assert untranslated(at) == []


def test_remove_dataset():
    at = new_app()
    at.button(key="sample_load_support").click().run()
    name = at.session_state["workspace"].datasets[0].name
    at.button(key=f"rm_{name}").click().run()
    assert not at.exception
    assert at.session_state["workspace"].datasets == []


@pytest.mark.parametrize("page", PAGES)
def test_every_page_with_all_samples_loaded(page):
    at = new_app()
    for key in ("tiktok", "shop", "app", "support"):
        at.button(key=f"sample_load_{key}").click().run()
    at.switch_page(page).run()
    assert not at.exception
    assert untranslated(at) == []


def test_ambiguous_dates_can_be_reread_day_first():
    at = new_app()
    at.file_uploader[0].upload("daily.csv", b"date,views\n01/02/2026,10\n03/04/2026,20\n", "text/csv")
    at.run()
    ds = at.session_state["workspace"].datasets[0]
    assert ds.date_range[0].isoformat() == "2026-01-02"
    at.radio(key=f"dayfirst_{ds.name}").set_value(True)
    at.button(key=f"FormSubmitter:read_{ds.name}-Read the file again").click().run()
    assert not at.exception
    new = at.session_state["workspace"].datasets[0]
    assert (new.date_range[0].isoformat(), new.date_range[1].isoformat()) == ("2026-02-01", "2026-04-03")
