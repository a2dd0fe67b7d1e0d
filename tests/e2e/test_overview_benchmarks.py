"""Overview and Benchmarks in a real browser, in every language: cards, findings, gauges; screenshots
of the whole page are saved under tests/e2e/screenshots/ for a human look."""
from pathlib import Path

import pytest

from tests.e2e.server import app_server, goto_page, wait_idle

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parent / "screenshots"
SAMPLES = ("tiktok", "app", "support")
CHARTS = '[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]'


@pytest.fixture(scope="module")
def url():
    with app_server({"KPIWB_PERSIST": "0"}) as address:   # profiles in memory: no file in the repository
        yield address


def full_page_shot(page, path: Path) -> None:
    """Streamlit scrolls inside its own container: grow the viewport to the content, then shoot."""
    height = page.evaluate("() => Math.max(...Array.from(document.querySelectorAll('*')).map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 60, 9000)})
    wait_idle(page)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})


@pytest.mark.parametrize("lang", ["en", "ru", "zh"])
def test_overview_and_benchmarks_read_like_an_audit(page, url, lang):
    page.goto(f"{url}/?lang={lang}")
    wait_idle(page)
    for key in SAMPLES:
        page.locator(f".st-key-sample_load_{key} button").first.click()
        wait_idle(page)

    goto_page(page, "overview")
    page.wait_for_selector(".st-key-ov_findings", timeout=90_000)
    page.locator(".st-key-ov_last_90 button").click()      # a range with a previous period: cards get deltas
    wait_idle(page)
    page.wait_for_selector(".st-key-ov_findings", timeout=90_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    findings = page.locator(".st-key-ov_findings li")
    assert 3 <= findings.count() <= 5
    metrics = page.locator('[data-testid="stMetric"]')
    assert metrics.count() >= 20
    assert page.locator('[data-testid="stMetricDelta"]').count() >= 15
    assert page.locator(CHARTS).count() >= 2                  # channel quality and contributions
    SHOTS.mkdir(exist_ok=True)
    full_page_shot(page, SHOTS / f"overview_{lang}.png")

    goto_page(page, "benchmarks")
    page.wait_for_selector(".st-key-bm_gauges", timeout=90_000)
    wait_idle(page)
    assert page.locator('[data-testid="stException"]').count() == 0
    gauges = page.locator(f".st-key-bm_gauges :is({CHARTS})")
    assert gauges.count() >= 6
    assert page.locator(".st-key-bm_gauges canvas, .st-key-bm_gauges svg").count() >= 6  # drawn, not empty
    full_page_shot(page, SHOTS / f"benchmarks_{lang}.png")
    for name in ("overview", "benchmarks"):
        assert (SHOTS / f"{name}_{lang}.png").stat().st_size > 50_000
