import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import KEY_LIKE
from tests.conftest import ROOT

PAGES = ["pages/load.py", "pages/overview.py", "pages/funnel.py", "pages/retention.py", "pages/content.py",
         "pages/benchmarks.py", "pages/goals.py", "pages/report.py", "pages/explore.py"]


def new_app(lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def all_text(at: AppTest) -> list[str]:
    out = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success",
                 "button", "metric"):
        for el in getattr(at, kind, []):
            val = getattr(el, "value", None) or getattr(el, "label", None)
            if isinstance(val, str):
                out.append(val)
            label = getattr(el, "label", None)
            if isinstance(label, str):
                out.append(label)
    return out


def untranslated(at: AppTest) -> list[str]:
    return [s for s in all_text(at) if KEY_LIKE.match(s.strip())]


@pytest.fixture
def app():
    return new_app()
