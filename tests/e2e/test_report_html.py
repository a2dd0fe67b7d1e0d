"""The saved HTML report opens in a browser with the network off, shows every section and prints to PDF;
the Report page builds it and serves it as a download."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from data.demo import load_sample, sample_paths
from data.report import ReportOptions, build_report
from data.session import Workspace
from data.store import GoalStore
from tests.e2e.server import goto_page, wait_idle
from ui import report_render as rr
from ui.i18n import LANGS, tr

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parent / "screenshots"
SECTIONS = ("summary", "kpis", "funnel", "retention", "content", "goals", "data")
needs_samples = pytest.mark.skipif(not all(p.exists() for k in ("app", "tiktok") for p in sample_paths(k)),
                                   reason="sample files not generated")


@pytest.fixture(scope="module")
def report():
    ws = Workspace()
    load_sample(ws, "app")
    load_sample(ws, "tiktok")
    return build_report(ws, ReportOptions(today=date(2026, 11, 21)), store=GoalStore(None))


@needs_samples
@pytest.mark.parametrize("lang", LANGS)
def test_saved_report_opens_offline(chromium, report, tmp_path, lang):
    path = tmp_path / f"report_{lang}.html"
    path.write_bytes(rr.to_html(report, lang).encode("utf-8"))
    ctx = chromium.new_context(viewport={"width": 1100, "height": 1000}, offline=True)
    requests: list[str] = []
    ctx.on("request", lambda r: requests.append(r.url))
    page = ctx.new_page()
    try:
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        assert [u for u in requests if not u.startswith("file://")] == []
        for anchor in SECTIONS:
            heading = page.locator(f"section#{anchor} > h2")
            assert heading.inner_text() == tr(f"report.section.{anchor}", lang)
        assert page.locator(".gauges .gauge svg").count() == 5       # ER, follower growth, views, D1, stickiness
        svgs = page.locator("figure .chart svg")
        assert svgs.count() == 5
        for i in range(svgs.count()):                      # every chart is drawn, none collapsed
            box = svgs.nth(i).bounding_box()
            assert box is not None and box["width"] > 300 and box["height"] > 100
        page.locator("nav.toc a[href='#retention']").click()
        assert page.evaluate("location.hash") == "#retention"
        SHOTS.mkdir(exist_ok=True)
        shot = SHOTS / f"report_html_{lang}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 100_000
        pdf = page.pdf(format="A4", print_background=True)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf))
        assert pages >= len(SECTIONS) + 1                  # each section starts on a new page
    finally:
        ctx.close()


@needs_samples
def test_report_page_builds_and_downloads(app_url, page, tmp_path):
    page.goto(app_url + "/?lang=en")
    wait_idle(page)
    page.locator(".st-key-sample_load_app button").first.click()
    wait_idle(page)
    goto_page(page, "report")
    page.locator(".st-key-report_build button").click()
    page.get_by_text("Report ready:").wait_for(timeout=120_000)
    wait_idle(page)
    with page.expect_download() as info:
        page.locator(".st-key-report_download_html button").click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.endswith("-en.html")
    html = saved.read_text(encoding="utf-8")
    assert 'id="funnel"' in html and not re.search(r"https?://", html)
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / "report_page.png"), full_page=True)
