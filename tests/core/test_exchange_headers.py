"""The headers the outer layers add to every answer: each once, and an app's own kept."""

from typing import Any

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from app.core.exchange import SECURITY_HEADERS, ExchangeMiddleware
from app.core.ratelimit import RateLimitMiddleware


async def plain(_request: Request) -> Response:
    return PlainTextResponse("plain")


async def own(_request: Request) -> Response:
    # An answer that sets a policy of its own, and an id that is not the request's.
    headers = {"Content-Security-Policy": "default-src 'none'", "X-Request-ID": "from-the-app"}
    return PlainTextResponse("own", headers=headers)


def _client() -> TestClient:
    app = Starlette(routes=[Route("/plain", plain), Route("/own", own)])
    limited = RateLimitMiddleware(app, rate="3/minute")
    return TestClient(ExchangeMiddleware(limited))


def _names(response: Any) -> list[str]:
    return [name.decode().lower() for name, _value in response.headers.raw]


def test_every_answer_gets_the_request_id_and_each_security_header_once():
    with _client() as client:
        response = client.get("/plain", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == "abc-123"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    names = _names(response)
    assert len(names) == len(set(names)), names
    assert response.headers["content-type"].startswith("text/plain")


def test_an_answer_keeps_its_own_security_header_but_not_its_own_request_id():
    with _client() as client:
        response = client.get("/own", headers={"X-Request-ID": "abc-123"})
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    assert response.headers.get_list("X-Request-ID") == ["abc-123"]
    assert response.headers.get_list("Content-Security-Policy") == ["default-src 'none'"]


def test_rate_limit_headers_come_once_on_each_answer_and_count_down():
    with _client() as client:
        answers = [client.get("/plain") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers.get_list("RateLimit-Remaining") for a in answers] == [
        ["2"],
        ["1"],
        ["0"],
        ["0"],
    ]
    for answer in answers:
        assert answer.headers.get_list("RateLimit-Limit") == ["3"]
        assert answer.headers.get_list("RateLimit-Policy") == ["3;w=60"]
        assert answer.headers.get_list("X-Request-ID")  # the 429 too
    assert answers[-1].headers["Retry-After"] == answers[-1].headers["RateLimit-Reset"]
