"""Screenshots of pages for a human look.

    python tests/e2e/shoot.py OUTDIR LANG [sample keys ...] [-- page names ...]
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.e2e.server import app_server, browser, goto_page, wait_idle  # noqa: E402

PAGES = ["load", "overview", "funnel", "retention", "content", "benchmarks", "goals", "report", "explore"]


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    lang = sys.argv[2]
    rest = sys.argv[3:]
    samples = rest[: rest.index("--")] if "--" in rest else rest
    pages = rest[rest.index("--") + 1:] if "--" in rest else PAGES
    with app_server() as url, browser() as b:
        page = b.new_page(viewport={"width": 1400, "height": int(__import__("os").environ.get("SHOT_HEIGHT", "3200"))})
        page.goto(f"{url}/?lang={lang}")
        wait_idle(page)
        for s in samples:
            page.locator(f".st-key-sample_load_{s} button").first.click()
            wait_idle(page)
        for name in pages:
            goto_page(page, name)
            page.screenshot(path=str(out / f"{name}_{lang}.png"), full_page=True)
            print(out / f"{name}_{lang}.png")


if __name__ == "__main__":
    main()
