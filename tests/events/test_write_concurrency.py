"""Writers racing for real: a live server, its own committed database, many threads at once.

Not the shared test transaction: each request here commits, as in production, so that the
database's own locking (BEGIN IMMEDIATE on SQLite, an advisory lock on PostgreSQL) is what
is tested.
"""

import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine
from sqlmodel import Session, func, select

from app.changes.models import Revision
from app.core.db import create_db_engine, session_factory
from app.core.migrate import upgrade
from app.core.settings import Settings
from app.events.models import Event
from app.keys.models import Scope
from app.keys.service import create_key
from app.main import create_app
from app.sources.models import Source
from tests.factories import make_event

THREADS = 10
STARTUP_SECONDS = 30
REQUEST_SECONDS = 60
SHUTDOWN_SECONDS = 15
CONTESTED = "contested-event"
T = TypeVar("T")


@dataclass
class LiveServer:
    base_url: str
    engine: Engine
    # One key per writer, as separate editors would have: a shared key's last_used_at update
    # would line the writers up on its row and hide a missing lock on PostgreSQL.
    keys: list[str]

    def auth(self, index: int) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[index]}"}

    def count(self, statement: Any) -> int:
        with Session(self.engine) as session:
            result: int = session.exec(statement).one()
            return result


def _wait_until_healthy(server: uvicorn.Server, thread: threading.Thread, base_url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if not thread.is_alive():
            pytest.fail("the server thread ended before it answered /healthz")
        if server.started:
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.05)
    pytest.fail(f"the server did not answer /healthz within {STARTUP_SECONDS}s")


@pytest.fixture
def live_server(fresh_database_url: str) -> Iterator[LiveServer]:
    """The app on a real uvicorn server in a thread, over a migrated database holding one
    write key per writer and one event at version 1, all committed."""
    engine = create_db_engine(fresh_database_url)
    try:
        upgrade(engine)
        with session_factory(engine)() as session:
            keys = [create_key(session, f"racer-{i}", Scope.write)[1] for i in range(THREADS)]
            make_event(session, id=CONTESTED, title="Original")
            session.commit()
        app = create_app(Settings(database_url=fresh_database_url), engine)
        # Bind the socket here and hand it over: no window for another process to take the port.
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        config = uvicorn.Config(app, log_level="warning", lifespan="on", timeout_keep_alive=1)
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        base_url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_healthy(server, thread, base_url)
            yield LiveServer(base_url, engine, keys)
        finally:
            server.should_exit = True
            thread.join(timeout=SHUTDOWN_SECONDS)
            listener.close()
            assert not thread.is_alive(), "the server thread did not stop"
    finally:
        engine.dispose()


def all_at_once(count: int, call: Callable[[int, httpx.Client], T]) -> list[T]:
    """Run `call(i, client)` in `count` threads released together by a barrier."""
    barrier = threading.Barrier(count, timeout=REQUEST_SECONDS)

    def run(index: int) -> T:
        with httpx.Client(timeout=REQUEST_SECONDS) as client:
            barrier.wait()
            return call(index, client)

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(run, index) for index in range(count)]
        return [future.result(timeout=REQUEST_SECONDS * 2) for future in futures]


def assert_no_server_failure(responses: list[httpx.Response]) -> None:
    for response in responses:
        assert response.status_code < 500, response.text
        assert "locked" not in response.text.lower(), response.text


def test_racing_patches_with_the_same_if_match_let_exactly_one_through(
    live_server: LiveServer,
) -> None:
    url = f"{live_server.base_url}/v1/events/{CONTESTED}"
    revisions = select(func.count()).select_from(Revision).where(Revision.event_id == CONTESTED)
    assert live_server.count(revisions) == 1

    def patch(index: int, client: httpx.Client) -> httpx.Response:
        return client.patch(
            url,
            json={"title": f"Title from writer {index}"},
            headers=live_server.auth(index) | {"If-Match": '"1"'},
        )

    responses = all_at_once(THREADS, patch)

    assert_no_server_failure(responses)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [412] * (THREADS - 1)
    (winner,) = [response for response in responses if response.status_code == 200]
    assert winner.headers["ETag"] == '"2"'
    for loser in responses:
        if loser.status_code == 412:
            assert loser.json()["current_version"] == 2
    final = httpx.get(url, timeout=REQUEST_SECONDS)
    assert final.status_code == 200
    assert final.json()["version"] == 2
    assert final.json()["title"] == winner.json()["title"]
    assert final.headers["ETag"] == '"2"'
    assert live_server.count(revisions) == 2
    history = httpx.get(f"{url}/revisions", timeout=REQUEST_SECONDS).json()
    assert [(r["version"], r["action"]) for r in history] == [(2, "update"), (1, "create")]
    assert history[0]["event"]["title"] == winner.json()["title"]


def test_racing_creates_of_different_events_all_succeed(live_server: LiveServer) -> None:
    def create(index: int, client: httpx.Client) -> httpx.Response:
        return client.post(
            f"{live_server.base_url}/v1/events",
            json={
                "id": f"parallel-{index}",
                "title": f"Parallel event {index}",
                "date": "2013-05-01",
                "countries": ["AZE", "IRN"],
                "type": "consult",
            },
            headers=live_server.auth(index),
        )

    responses = all_at_once(THREADS, create)

    assert_no_server_failure(responses)
    assert [response.status_code for response in responses] == [201] * THREADS
    for index in range(THREADS):
        response = httpx.get(
            f"{live_server.base_url}/v1/events/parallel-{index}", timeout=REQUEST_SECONDS
        )
        assert response.status_code == 200, response.text
        assert response.json()["title"] == f"Parallel event {index}"
    listed = httpx.get(
        f"{live_server.base_url}/v1/events", params={"limit": 500}, timeout=REQUEST_SECONDS
    )
    assert sorted(item["id"] for item in listed.json()["items"]) == sorted(
        [CONTESTED] + [f"parallel-{index}" for index in range(THREADS)]
    )
    assert live_server.count(select(func.count()).select_from(Event)) == THREADS + 1
    changes = httpx.get(
        f"{live_server.base_url}/v1/changes", params={"limit": 1000}, timeout=REQUEST_SECONDS
    ).json()["items"]
    created = [item["event_id"] for item in changes if item["event_id"].startswith("parallel-")]
    assert sorted(created) == sorted(f"parallel-{index}" for index in range(THREADS))
    change_ids = [item["change_id"] for item in changes]
    assert change_ids == sorted(set(change_ids))


def test_racing_creates_citing_the_same_new_source_create_it_once(
    live_server: LiveServer,
) -> None:
    url = "https://example.org/shared-story"

    def create(index: int, client: httpx.Client) -> httpx.Response:
        return client.post(
            f"{live_server.base_url}/v1/events",
            json={
                "id": f"citing-{index}",
                "title": f"Citing event {index}",
                "date": "2013-05-01",
                "countries": ["AZE"],
                "type": "accuse",
                "citations": [{"source": {"url": url, "title": "The shared story"}}],
            },
            headers=live_server.auth(index),
        )

    responses = all_at_once(THREADS, create)

    assert_no_server_failure(responses)
    assert [response.status_code for response in responses] == [201] * THREADS
    source_ids = {response.json()["citations"][0]["source"]["id"] for response in responses}
    assert len(source_ids) == 1
    assert live_server.count(select(func.count()).select_from(Source).where(Source.url == url)) == 1
