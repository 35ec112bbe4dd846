"""The timeline page tells imported and machine-coded events from curated ones, in real
headless Chromium over a real server holding the seed and a GDELT sample file."""

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.support import DYAD, LiveServer, save_screenshot, serving

if os.environ.get("DYAD_TEST_DATABASE_URL", "sqlite") != "sqlite":
    pytest.skip(
        "the page reads only the API, which the other tests cover on this database: "
        "its browser tests run once, on the SQLite run",
        allow_module_level=True,
    )
expect = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is missing (pip install -e '.[dev]'): "
    "the page's browser tests did not run",
).expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

GDELT = Path(__file__).parents[1] / "data" / "datasets" / "20240519153000.export.CSV"


@pytest.fixture(scope="module")
def imported_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server over the seed and a GDELT file imported on top of it."""
    workdir = tmp_path_factory.mktemp("imported")
    env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
    env["DYAD_DATABASE_URL"] = f"sqlite:///{workdir / 'dyad.db'}"
    for command in (["seed"], ["import", "--format", "gdelt", str(GDELT)]):
        done = subprocess.run(
            [DYAD, *command], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    with serving(workdir) as server:
        yield server


def test_a_machine_coded_event_says_so_beside_curated_ones(
    page: "Page", imported_server: LiveServer
):
    page.goto(f"{imported_server.base_url}/?dyad=AZE-IRN")
    expect(page.locator("#events-title")).to_have_text("11 events")  # 10 curated, 1 GDELT
    visit = page.locator(".event", has_text="Azerbaijan → Iran: Make a visit")
    expect(visit.locator(".badge-machine")).to_have_text("machine-coded")
    expect(page.locator(".badge-machine")).to_have_count(1)
    visit.scroll_into_view_if_needed()
    save_screenshot(page, "imported-gdelt-aze-irn.png")
