"""In a real browser: a few corpus files through the real file input, and three browser contexts
(three users) on one server loading different files at the same time."""
from __future__ import annotations

import pytest

from tests.badcorpus.make_bad_corpus import OUT
from tests.e2e.server import app_server, browser, chromium_path, wait_idle

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def app_url():
    with app_server() as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    if chromium_path() is None:
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    with browser() as b:
        yield b


def _open(chromium, url: str, lang: str = "en"):
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(f"{url}/?lang={lang}")
    wait_idle(page)
    return ctx, page, dialogs


def _upload(page, path) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    page.wait_for_timeout(500)
    wait_idle(page)


@pytest.mark.parametrize("file, lang, text", [
    ("png_renamed.csv", "en", "is not a text table"),
    ("json_array.csv", "ru", "это файл JSON, а не таблица"),
    ("truncated.zip", "zh", "损坏的或不受支持的 ZIP 压缩包"),
])
def test_bad_file_shows_its_message_and_keeps_the_sample(chromium, app_url, file, lang, text):
    ctx, page, dialogs = _open(chromium, app_url, lang)
    try:
        page.locator(".st-key-sample_load_support button").first.click()
        wait_idle(page)
        _upload(page, OUT / file)
        alert = page.locator('[data-testid="stAlert"]').filter(has_text=text)
        alert.first.wait_for(timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator('[data-testid="stSidebar"]').get_by_text("support_tickets.csv").count() == 1
        assert dialogs == []
    finally:
        ctx.close()


def test_hostile_file_name_and_columns_are_shown_as_text(chromium, app_url, tmp_path):
    ctx, page, dialogs = _open(chromium, app_url)
    try:
        hostile = tmp_path / "<img src=x onerror=alert(1)>.csv"
        hostile.write_bytes((OUT / "hostile_names.csv").read_bytes())
        _upload(page, hostile)
        page.get_by_text("<img src=x onerror=alert(1)>.csv").first.wait_for(timeout=30_000)
        for tab in ("Columns and roles", "First rows"):
            page.get_by_role("tab", name=tab).first.click()
            page.wait_for_timeout(300)
        wait_idle(page)
        page.screenshot(path=str(tmp_path.parent / "hostile_upload.png"), full_page=True)
        assert dialogs == []                                   # nothing ran
        assert page.locator("img[src=x]").count() == 0         # nothing became markup
        assert page.locator('[data-testid="stException"]').count() == 0
    finally:
        ctx.close()


def test_three_browser_users_at_once_see_only_their_own_data(chromium, app_url, tmp_path):
    users = []
    try:
        for i in range(3):
            users.append(_open(chromium, app_url, ("en", "ru", "zh")[i]))
        for i, (_, page, _) in enumerate(users):   # start all three uploads before waiting for any
            f = tmp_path / f"user{i}_orders.csv"
            f.write_text("order_id,customer_id,order_date,amount\n" +
                         "".join(f"o{k},c{k},2026-03-{k + 1:02d},{10 * i + k}\n" for k in range(i + 2)))
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(f))
        for i, (_, page, _) in enumerate(users):
            sidebar = page.locator('[data-testid="stSidebar"]')
            sidebar.get_by_text(f"user{i}_orders.csv").wait_for(timeout=60_000)
            wait_idle(page)
            for j in range(3):
                if j != i:
                    assert sidebar.get_by_text(f"user{j}_orders.csv").count() == 0
            assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == str(i + 2)
    finally:
        for ctx, _, _ in users:
            ctx.close()
