from pathlib import Path

import pytest

from tests.e2e.server import wait_idle

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parent / "screenshots"


def test_upload_csv_through_real_file_input_shows_preview(app_url, page, tmp_path):
    csv = tmp_path / "my_orders.csv"
    csv.write_text("order_id,customer_id,order_date,amount,status\n"
                   "o1,c1,2026-03-01,19.90,completed\n"
                   "o2,c2,2026-03-02,45.00,completed\n"
                   "o3,c1,2026-03-09,12.50,refunded\n", encoding="utf-8")
    page.goto(app_url + "/?lang=en")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
    page.get_by_text("Detected as: Orders").wait_for(timeout=30_000)
    wait_idle(page)
    # the preview table and the metrics are there
    assert page.locator('[data-testid="stMetricValue"]').first.inner_text() == "3"
    assert page.get_by_text("2026-03-01 → 2026-03-09 (9 days)").count() == 1
    # the sidebar lists the dataset
    assert page.locator('[data-testid="stSidebar"]').get_by_text("my_orders.csv").count() == 1
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "load_uploaded.png"), full_page=True)
    assert (SHOTS / "load_uploaded.png").stat().st_size > 10_000


CORPUS = Path(__file__).resolve().parents[1] / "corpus" / "files"


def test_upload_zip_and_xlsx_in_chinese(app_url, page):
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(app_url + "/?lang=zh")
    wait_idle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [str(CORPUS / "tiktok_overview.zip"), str(CORPUS / "book.xlsx"), str(CORPUS / "orders_ru_cp1251.csv")])
    page.get_by_text("tiktok_overview.zip › Overview.csv").first.wait_for(timeout=60_000)
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert sidebar.get_by_text("tiktok_overview.zip › Overview.csv").count() == 1
    assert sidebar.get_by_text("book.xlsx", exact=False).count() >= 1
    assert sidebar.get_by_text("orders_ru_cp1251.csv").count() == 1
    assert page.get_by_text("识别为：订单").count() >= 1
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "load_zip_xlsx_zh.png"), full_page=True)
