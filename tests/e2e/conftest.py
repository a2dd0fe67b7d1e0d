import pytest

from tests.e2e.server import app_server, browser, chromium_path

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="session")
def app_url():
    with app_server() as url:
        yield url


@pytest.fixture(scope="session")
def chromium():
    if chromium_path() is None:
        pytest.fail("Debian's chromium is not installed: apt-get install -y chromium")
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium):
    ctx = chromium.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()
