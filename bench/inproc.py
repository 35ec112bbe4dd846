"""Dyad in-process: a request through the ASGI app on one thread, and the SQL it runs.

Used for the SQL floor (the SELECTs a request runs, replayed on a bare connection) and for
profiles. FastAPI runs sync routes and dependencies in a thread pool, which a profiler of the
main thread would not see; here `anyio.to_thread.run_sync` runs the function inline instead,
so one thread does all the work of a request, in order.
"""

import asyncio
import os
import statistics
import time
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio.to_thread
from sqlalchemy import Engine, event


async def _inline(func: Callable[..., Any], *args: Any, **_options: Any) -> Any:
    return func(*args)


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    size: int
    body: bytes  # empty when not kept


@dataclass
class Captured:
    statements: list[tuple[str, Any]] = field(default_factory=list)


class App:
    """Dyad's ASGI app on one thread, with its lifespan started."""

    def __init__(self, database_url: str) -> None:
        os.environ["DYAD_DATABASE_URL"] = database_url
        os.environ["DYAD_RATE_LIMIT"] = "1000000000/second"
        # An hour: SQLite's timeout is a deadline the last statement of the engine set, which
        # the bare connections of replay_seconds and explain would otherwise run into.
        os.environ["DYAD_STATEMENT_TIMEOUT"] = "3600"
        from app.core.settings import get_settings
        from app.main import create_app

        get_settings.cache_clear()
        anyio.to_thread.run_sync = _inline  # type: ignore[assignment]
        self.app = create_app()
        self.engine: Engine = self.app.state.engine
        self.loop = asyncio.new_event_loop()
        self._lifespan = self.app.router.lifespan_context(self.app)
        self.loop.run_until_complete(self._lifespan.__aenter__())

    def close(self) -> None:
        self.loop.run_until_complete(self._lifespan.__aexit__(None, None, None))
        self.loop.close()

    def get(self, url: str, keep_body: bool = True) -> Response:
        return self.loop.run_until_complete(self._get(url, keep_body))

    async def _get(self, url: str, keep_body: bool) -> Response:
        parts = urlsplit(url)
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": parts.path,
            "raw_path": parts.path.encode(),
            "query_string": parts.query.encode(),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1")],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        done = asyncio.Event()
        sent = False
        status, headers, size, chunks = 0, {}, 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # the client stays until the whole response is sent
            return {"type": "http.disconnect"}

        async def send(message: MutableMapping[str, Any]) -> None:
            nonlocal status, headers, size
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
            elif message["type"] == "http.response.body":
                body = message.get("body", b"")
                size += len(body)
                if keep_body:
                    chunks.append(body)
                if not message.get("more_body", False):
                    done.set()

        await self.app(scope, receive, send)
        done.set()
        return Response(status, headers, size, b"".join(chunks))

    @contextmanager
    def capture(self) -> Iterator[Captured]:
        """The statements the engine runs meanwhile, with their parameters."""
        captured = Captured()

        def before(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            captured.statements.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", before)
        try:
            yield captured
        finally:
            event.remove(self.engine, "before_cursor_execute", before)


def selects(statements: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The queries among the statements (no BEGIN, SAVEPOINT, SET or PRAGMA)."""
    return [(s, p) for s, p in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]


def replay_seconds(engine: Engine, statements: list[tuple[str, Any]], repeat: int) -> float:
    """The median time of running the statements on a bare DB-API connection, rows fetched."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()
            times.append(time.perf_counter() - started)
        connection.rollback()
        return statistics.median(times)
    finally:
        connection.close()


def explain(engine: Engine, statement: str, parameters: Any) -> str:
    """The plan of one statement: EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(f"{row[0]:>4} {row[1]:>4} {row[3]}" for row in cursor.fetchall())
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
        return "\n".join(row[0] for row in cursor.fetchall())
    finally:
        connection.rollback()
        connection.close()
