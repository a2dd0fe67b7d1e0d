"""Start the app on a free local port and drive it with Playwright + Debian's chromium."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(env: dict[str, str] | None = None):
    port = free_port()
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _forget_stray_event_loop() -> None:
    """Playwright's sync API refuses to start while an asyncio loop is registered as running in this
    thread. In-process Streamlit tests (AppTest) that ran earlier in the same pytest process can leave
    their finished loop registered; nothing is running it any more, so unregister it."""
    import asyncio
    import asyncio.events

    loop = asyncio.events._get_running_loop()
    if loop is not None:
        asyncio.events._set_running_loop(None)


@contextmanager
def browser():
    from playwright.sync_api import sync_playwright
    _forget_stray_event_loop()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def wait_idle(page, timeout: float = 30_000) -> None:
    """Wait until Streamlit has finished running the script and the page stopped changing."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_timeout(300)
    page.wait_for_function(
        """() => {
            if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) { window.__kpiwb = null; return false; }
            if (document.querySelectorAll('[data-testid="stSidebarNav"] a').length === 0) return false;
            const n = document.body.innerHTML.length;
            const now = Date.now();
            if (!window.__kpiwb || window.__kpiwb.n !== n) { window.__kpiwb = {n: n, t: now}; return false; }
            return now - window.__kpiwb.t > 1200;
        }""", timeout=timeout, polling=200)


def goto_page(page, name: str) -> None:
    """Navigate with the sidebar (keeps the session, unlike a new URL)."""
    link = page.locator('[data-testid="stSidebarNav"] a').filter(
        has=page.locator(f'xpath=self::a[contains(@href, "/{name}") or "{name}" = "load"]'))
    if name == "load":
        link = page.locator('[data-testid="stSidebarNav"] a').first
    else:
        link = page.locator(f'[data-testid="stSidebarNav"] a[href$="/{name}"]')
    link.click()
    wait_idle(page)
