"""Real headless Chromium against a real `dyad serve`: the fixtures of the page's tests.

They need Debian's `chromium` (at /usr/bin/chromium) and Playwright for Python (the `dev`
extra). Where either is missing they are skipped with a message naming it, except on CI
(CI set), where .ci/run installs chromium and a missing browser is a failure. Playwright
drives that Chromium: it never downloads a browser of its own.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.support import SCREENSHOTS, Console, LiveServer, new_page, serving

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One seeded server for a module's tests: they only read."""
    with serving(tmp_path_factory.mktemp("browser")) as server:
        yield server


@pytest.fixture(scope="module")  # Playwright runs an event loop: stop it before other tests
def browser() -> Iterator["Browser"]:
    if not CHROMIUM.exists():
        missing = f"Debian's chromium is missing at {CHROMIUM} (apt-get install -y chromium)"
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: .ci/run should have installed it")
        pytest.skip(f"{missing}: the page's browser tests did not run")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: "Browser", console: Console) -> Iterator["Page"]:
    """A desktop-sized page; afterwards, no script error and nothing the CSP refused."""
    page = new_page(browser, console)
    yield page
    page.context.close()
    assert console.uncaught == []
    assert console.policy_violations() == []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for path in SCREENSHOTS:
        terminalreporter.write_line(f"screenshot of the timeline page: {path}")
