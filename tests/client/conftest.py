"""The client against the real app: in-process through its ASGI interface, or a real
`dyad serve` on a free port for the end-to-end tests."""

import os
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest
from anyio.from_thread import BlockingPortal
from dyad_client import Dyad
from fastapi import FastAPI
from sqlmodel import Session

from app.core.db import create_db_engine
from app.core.migrate import upgrade
from app.keys.models import Scope
from app.keys.service import create_key
from app.seed import load_seed
from tests.conftest import _database_url, _drop_database
from tests.e2e.test_serve import (
    DYAD,
    Server,
    _environment,
    _free_port,
    _stop,
    _wait_until_healthy,
)

BASE_URL = "http://testserver"


class SyncASGITransport(httpx.BaseTransport):
    """httpx has no synchronous ASGI transport: run its async one in a blocking portal."""

    def __init__(self, app: FastAPI) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._portal: ExitStack | None = None
        self._running: BlockingPortal | None = None
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        body = request.read()

        async def send() -> httpx.Response:
            replayable = httpx.Request(
                request.method, request.url, headers=request.headers, content=body
            )
            answer = await self._transport.handle_async_request(replayable)
            raw = b"".join([part async for part in answer.stream])  # type: ignore[union-attr]
            return httpx.Response(answer.status_code, headers=answer.headers, content=raw)

        # Started on demand: one client may close this transport and another use it next.
        if self._portal is None or self._running is None:
            self._portal = ExitStack()
            self._running = self._portal.enter_context(anyio.from_thread.start_blocking_portal())
        return self._running.call(send)

    def close(self) -> None:
        if self._portal is not None:
            self._portal.close()
        self._portal = self._running = None


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def transport(app: FastAPI) -> SyncASGITransport:
    return SyncASGITransport(app)


@pytest.fixture
def dyad(transport: SyncASGITransport) -> Iterator[Dyad]:
    """A client of the in-process app, without a key."""
    with Dyad(BASE_URL, transport=transport) as client:
        yield client


@pytest.fixture
def write_key(session: Session) -> str:
    _record, key = create_key(session, "editor", Scope.write)
    return key


@pytest.fixture
def editor(app: FastAPI, write_key: str) -> Iterator[Dyad]:
    """A client of the in-process app with a `write` key."""
    with Dyad(BASE_URL, write_key, transport=SyncASGITransport(app)) as client:
        yield client


# --- real servers -------------------------------------------------------------------


@dataclass
class Served:
    server: Server
    write_key: str
    read_key: str

    @property
    def url(self) -> str:
        return self.server.base_url

    def client(self, **options: Any) -> Dyad:
        return Dyad(self.url, self.write_key, **options)


@contextmanager
def serving(directory: Path, **settings: str) -> Iterator[Served]:
    """`dyad serve` on a free port over a new database holding the seed, a write and a read key."""
    url, scratch = _database_url(directory)
    engine = create_db_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        load_seed(session)
        _record, write_key = create_key(session, "e2e-writer", Scope.write)
        _record, read_key = create_key(session, "e2e-reader", Scope.read)
        session.commit()
    engine.dispose()
    port = _free_port()
    stderr_path = directory / "serve.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            # One worker: its in-memory rate limit is the one budget that the rate-limit test
            # spends (each of several workers would allow the whole limit; see the README).
            [DYAD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=_environment(url, **settings),
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_path)
    try:
        _wait_until_healthy(server)
        yield Served(server, write_key, read_key)
    finally:
        _stop(process)
        if scratch is not None:
            _drop_database(os.environ["DYAD_TEST_DATABASE_URL"], scratch)


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """One real server for the end-to-end tests; each test makes its own data in it.

    It allows 20 requests a second per key (or per address without one): the rate-limit test
    spends the read key's budget, which no other test uses; the others stay well below it.
    """
    with serving(tmp_path_factory.mktemp("served"), DYAD_RATE_LIMIT="20/second") as running:
        yield running
