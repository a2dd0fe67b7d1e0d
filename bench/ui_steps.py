"""The two user-facing timings: a filter change on Retention (AppTest) and upload → first Overview
chart in headless Chromium (Playwright, Debian's /usr/bin/chromium, as the e2e tests drive it)."""
from __future__ import annotations

import statistics
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench import measure
from bench.app_steps import open_snapshot

ROOT = Path(__file__).resolve().parents[1]
WARM_FLIPS = 4


def run(spec: dict[str, Any]) -> dict[str, Any]:
    if spec["step"] == "apptest":
        return apptest(Path(spec["snapshot"]))
    if spec["step"] == "browser":
        return browser(Path(spec["csv"]), Path(spec["screenshot"]) if spec.get("screenshot") else None)
    raise ValueError(spec["step"])


def _time(action) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def apptest(snapshot: Path) -> dict[str, Any]:
    """Retention with a loaded workspace: first render, then the sidebar's date range and the page's
    "active on" rule changed to values already seen (warm cache) and to new ones (cold)."""
    from streamlit.testing.v1 import AppTest

    ws = open_snapshot(snapshot)
    lo, hi = ws.datasets[0].date_range
    narrow = (hi - timedelta(days=89), hi)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["lang"] = "en"
    at.session_state["workspace"] = ws
    at.run()
    measure.reset_peak()
    first = _time(lambda: at.switch_page("pages/retention.py").run())
    _fail(at)

    def set_range(value):
        # what the sidebar's date picker does on change (AppTest does not show the sidebar after
        # switch_page; the page tests set the filter the same way)
        at.session_state["date_range_value"] = value
        at.run()
        _fail(at)

    def set_rule(value):
        at.radio(key="retention_rule").set_value(value).run()
        _fail(at)

    range_cold = _time(lambda: set_range(narrow))
    range_warm = [_time(lambda v=v: set_range(v)) for v in [(lo, hi), narrow] * (WARM_FLIPS // 2)]
    rule_cold = _time(lambda: set_rule("on_or_after"))
    rule_warm = [_time(lambda v=v: set_rule(v)) for v in ["on", "on_or_after"] * (WARM_FLIPS // 2)]
    charts = at.get("vega_lite_chart")
    largest = max((_chart_rows(c) for c in charts), default=0)
    return {"seconds": [statistics.median(range_warm)], "first_render": first, "range_cold": range_cold,
            "range_warm": range_warm, "rule_cold": rule_cold, "rule_warm": rule_warm,
            "check": {"charts": len(charts), "rows": ws.datasets[0].rows}, "largest_chart_rows": largest,
            "peak_rss": measure.peak_rss(), "base_rss": 0}


def _chart_rows(chart) -> int:
    """Rows of data a chart sends to the browser (all its datasets)."""
    from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df

    return sum(len(convert_arrow_bytes_to_pandas_df(d.data.data)) for d in chart.proto.datasets)


def _fail(at) -> None:
    if at.exception:
        raise RuntimeError(f"the page raised: {at.exception[0].message}")


def browser(csv: Path, screenshot: Path | None) -> dict[str, Any]:
    """Drop the CSV on Load data, wait for the sidebar to list it, open Overview, wait for a drawn chart."""
    import psutil

    from tests.e2e.server import app_server, browser as chromium, wait_idle

    with app_server() as url, chromium() as b:
        server = next(p for p in psutil.Process().children(recursive=True)
                      if "streamlit" in " ".join(p.cmdline()))
        page = b.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/?lang=en")
        wait_idle(page, 120_000)
        base = server.memory_info().rss
        t0 = time.perf_counter()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(csv))
        page.locator('[data-testid="stSidebar"]').get_by_text(csv.name).first.wait_for(timeout=600_000)
        loaded = time.perf_counter() - t0
        page.locator('[data-testid="stSidebarNav"] a[href$="/overview"]').click()
        chart = page.locator('[data-testid="stVegaLiteChart"]').first
        chart.wait_for(state="visible", timeout=600_000)
        shown = time.perf_counter() - t0
        chart.locator("canvas, svg").first.wait_for(state="visible", timeout=120_000)
        drawn = time.perf_counter() - t0
        peak = _server_peak(server.pid)
        if screenshot is not None:
            wait_idle(page, 600_000)
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot), full_page=True)
            chart.scroll_into_view_if_needed()
            chart.screenshot(path=str(screenshot.with_name(screenshot.stem + "_first_chart.png")))
        charts = page.locator('[data-testid="stVegaLiteChart"]').count()
    return {"seconds": [drawn], "loaded": loaded, "chart_shown": shown, "check": {"charts": charts},
            "peak_rss": peak, "base_rss": base}


def _server_peak(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0
