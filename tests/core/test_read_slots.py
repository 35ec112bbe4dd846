"""ReadSlotsMiddleware: a process runs a few API reads at once; the others wait their turn."""

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from app.core.read_slots import ReadSlotsMiddleware


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Probe:
    """An app whose routes note how many requests are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0

    async def work(self, request: Request) -> Response:
        self.inside += 1
        self.most = max(self.most, self.inside)
        await anyio.sleep(0.05)
        self.inside -= 1
        if request.url.path.endswith("/fails"):
            raise RuntimeError("the route failed")
        return PlainTextResponse("done")

    async def stream(self, request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in (b"a\n", b"b\n"):
                yield chunk
                await anyio.sleep(0.3)

        return StreamingResponse(chunks(), media_type="text/csv")

    def app(self, slots: int) -> ReadSlotsMiddleware:
        paths = ["/v1/work", "/v1/fails", "/healthz"]
        routes = [Route(path, self.work, methods=["GET", "POST"]) for path in paths]
        routes.append(Route("/v1/stream", self.stream))
        return ReadSlotsMiddleware(Starlette(routes=routes), slots=slots)


def client(app: ReadSlotsMiddleware) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://dyad.test")


async def at_once(app: ReadSlotsMiddleware, method: str, path: str, times: int) -> list[int]:
    statuses: list[int] = []
    async with client(app) as http, anyio.create_task_group() as group:
        for _ in range(times):

            async def one() -> None:
                statuses.append((await http.request(method, path)).status_code)

            group.start_soon(one)
    return statuses


@pytest.mark.anyio
@pytest.mark.parametrize("slots", [1, 2])
async def test_api_reads_run_at_most_slots_at_once(slots):
    probe = Probe()
    assert await at_once(probe.app(slots), "GET", "/v1/work", 6) == [200] * 6
    assert probe.most == slots


@pytest.mark.anyio
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/work"), ("GET", "/healthz")])
async def test_writes_and_probes_are_never_held(method, path):
    probe = Probe()
    assert await at_once(probe.app(1), method, path, 6) == [200] * 6
    assert probe.most == 6


@pytest.mark.anyio
async def test_a_stream_gives_its_slot_back_when_its_answer_starts():
    probe = Probe()
    app = probe.app(1)
    finished: list[str] = []
    async with client(app) as http, anyio.create_task_group() as group:

        async def get(path: str) -> None:
            response = await http.get(path)
            assert response.status_code == 200
            finished.append(path)

        group.start_soon(get, "/v1/stream")
        await anyio.sleep(0.1)  # the stream has started, and sends for 0.6 s more
        group.start_soon(get, "/v1/work")
    assert finished == ["/v1/work", "/v1/stream"]


@pytest.mark.anyio
async def test_a_failed_read_gives_its_slot_back():
    probe = Probe()
    app = probe.app(1)
    assert await at_once(app, "GET", "/v1/fails", 3) == [500] * 3
    assert await at_once(app, "GET", "/v1/work", 2) == [200] * 2
