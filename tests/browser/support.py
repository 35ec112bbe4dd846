"""What the page's browser tests share: a real `dyad serve`, pages under a strict
Content-Security-Policy that record their console, and screenshots kept as test artefacts."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import httpx
import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Route

DYAD = str(Path(sys.executable).with_name("dyad"))
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "browser"
# The policy every response is to carry: the page must work under it, with nothing inline.
STRICT_CSP = "default-src 'self'"
SCREENSHOTS: list[Path] = []


@dataclass
class LiveServer:
    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    workdir: Path

    def stop(self) -> None:
        """SIGTERM, then wait; kill if it hangs, so no server outlives its test."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def serving(workdir: Path) -> Iterator[LiveServer]:
    """`dyad serve` on a free port over the SQLite file in `workdir`, seeded first if new.

    Two servers may share one workdir: readers of a SQLite file in WAL mode do not block.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
    database = workdir / "dyad.db"
    env["DYAD_DATABASE_URL"] = f"sqlite:///{database}"
    if not database.exists():
        seeded = subprocess.run(
            [DYAD, "seed"], env=env, cwd=workdir, capture_output=True, text=True, timeout=120
        )
        assert seeded.returncode == 0, seeded.stderr
    port = _free_port()
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as stderr:
        process = subprocess.Popen(
            [DYAD, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = LiveServer(process, f"http://127.0.0.1:{port}", log, workdir)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                pytest.fail(f"dyad serve exited with {process.returncode}:\n{log.read_text()}")
            try:
                if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"no answer on /healthz within 30 s:\n{log.read_text()}")
            time.sleep(0.1)  # bounded polling
        yield server
    finally:
        server.stop()


@dataclass
class Console:
    """What a page said on its console, and the errors it did not catch."""

    messages: list[str] = field(default_factory=list)
    uncaught: list[str] = field(default_factory=list)

    def policy_violations(self) -> list[str]:
        return [text for text in self.messages if "Content Security Policy" in text]


def _with_strict_csp(route: "Route") -> None:
    """Serve the page under the strict policy, unless the server already sends one."""
    response = route.fetch()
    headers = dict(response.headers)
    headers.setdefault("content-security-policy", STRICT_CSP)
    route.fulfill(response=response, headers=headers)


def new_page(browser: "Browser", console: Console, width: int = 1280, height: int = 900) -> "Page":
    """A page in a context of its own, whose console lands in `console`."""
    context = browser.new_context(viewport={"width": width, "height": height})
    context.route(lambda url: urlparse(url).path == "/", _with_strict_csp)
    page = context.new_page()

    def record(message: "ConsoleMessage") -> None:
        console.messages.append(f"{message.type}: {message.text}")

    page.on("console", record)
    page.on("pageerror", lambda error: console.uncaught.append(str(error)))
    return page


def save_screenshot(page: "Page", name: str) -> Path:
    """Keep what the page shows now under tests/artifacts/browser/ (ignored by git)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path))
    SCREENSHOTS.append(path)
    return path
