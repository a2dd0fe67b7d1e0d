"""A goal made in the browser survives a restart of the app (a DuckDB file in the workspace folder)."""
from pathlib import Path

import pytest

from data.store import DB_NAME, GoalStore
from tests.e2e.server import app_server, goto_page, wait_idle

pytestmark = pytest.mark.e2e
SHOTS = Path(__file__).parent / "screenshots"


def test_goal_survives_a_restart(page, tmp_path):
    env = {"KPIWB_WORKSPACE": str(tmp_path), "KPIWB_PERSIST": "1"}
    with app_server(env) as url:
        page.goto(url + "/?lang=en")
        wait_idle(page)
        page.locator(".st-key-sample_load_tiktok button").first.click()
        wait_idle(page)
        goto_page(page, "goals")
        page.get_by_text("New goal", exact=True).wait_for(timeout=30_000)
        owner = page.locator(".st-key-goal_owner input")
        owner.fill("Ann from e2e")
        owner.press("Enter")
        wait_idle(page)
        page.locator(".st-key-goal_save button").click()
        wait_idle(page)
        page.get_by_text("Your goals (1)").wait_for(timeout=30_000)
        assert page.get_by_text("Saved: ").count() == 1

    [saved] = GoalStore(tmp_path / DB_NAME).goals()         # the server is gone: the file is free
    assert saved.owner == "Ann from e2e"
    assert saved.tasks

    with app_server(env) as url:                               # a new server process, a new session
        page.goto(url + "/?lang=en")
        wait_idle(page)
        goto_page(page, "goals")
        page.get_by_text("Your goals (1)").wait_for(timeout=30_000)
        assert page.get_by_text("Owner: Ann from e2e", exact=False).count() == 1
        # with the data loaded again, the goal shows its progress
        goto_page(page, "load")
        page.locator(".st-key-sample_load_tiktok button").first.click()
        wait_idle(page)
        goto_page(page, "goals")
        page.get_by_text("Your goals (1)").wait_for(timeout=30_000)
        card = page.locator(f".st-key-goal_{saved.id}")
        assert card.locator('[data-testid="stMetricLabel"]').all_inner_texts() == [
            "Baseline", "Now", "Target", "Progress"]
        assert card.locator('[data-testid="stProgress"]').count() == 1
        assert card.locator('[data-testid="stVegaLiteChart"], [data-testid="stArrowVegaLiteChart"]').count() == 1
        card.scroll_into_view_if_needed()
        SHOTS.mkdir(exist_ok=True)
        card.screenshot(path=str(SHOTS / "goals_persist.png"))
        assert (SHOTS / "goals_persist.png").stat().st_size > 10_000
