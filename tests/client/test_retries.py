"""Retries of 429 and 503, error mapping and request details, on scripted answers."""

import io

import httpx
import pytest
from dyad_client import (
    ApiError,
    AsyncDyad,
    Dyad,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    Unavailable,
)

PROBLEM = {"Content-Type": "application/problem+json"}
COUNTRIES = [{"code": "AZE", "name": "Azerbaijan", "count": 10}]


def problem(status: int, title: str, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": f"{title}."}
    return httpx.Response(status, json=body, headers={**PROBLEM, **headers})


def ok() -> httpx.Response:
    return httpx.Response(200, json=COUNTRIES)


class Script:
    """A transport answering with the given responses in turn, recording the requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def scripted(script: Script, waits: list[float], **options) -> Dyad:
    return Dyad(
        "http://dyad.test",
        transport=httpx.MockTransport(script),
        sleep=waits.append,
        **options,
    )


def test_a_429_is_retried_after_the_seconds_retry_after_asks():
    script = Script(problem(429, "Too Many Requests", **{"Retry-After": "2"}), ok())
    waits: list[float] = []
    countries = scripted(script, waits).countries()
    assert [country.code for country in countries] == ["AZE"]
    assert waits == [2.0]
    assert len(script.requests) == 2


def test_a_503_without_retry_after_backs_off_doubling_each_time():
    script = Script(problem(503, "Service Unavailable"), problem(503, "Service Unavailable"), ok())
    waits: list[float] = []
    scripted(script, waits, backoff=0.25).countries()
    assert waits == [0.25, 0.5]


def test_retries_are_bounded_then_the_error_is_raised_with_its_retry_after():
    script = Script(*[problem(429, "Too Many Requests", **{"Retry-After": "1"})] * 3)
    waits: list[float] = []
    with pytest.raises(RateLimited) as caught:
        scripted(script, waits, max_retries=2).countries()
    error = caught.value
    assert (error.status, error.title, error.detail) == (
        429,
        "Too Many Requests",
        "Too Many Requests.",
    )
    assert error.retry_after == 1.0
    assert waits == [1.0, 1.0]
    assert len(script.requests) == 3


def test_a_retry_after_beyond_max_wait_is_not_waited_for():
    script = Script(problem(503, "Service Unavailable", **{"Retry-After": "120"}))
    waits: list[float] = []
    with pytest.raises(Unavailable) as caught:
        scripted(script, waits, max_wait=30).countries()
    assert caught.value.retry_after == 120.0
    assert waits == []


def test_retry_after_as_an_http_date_is_measured_on_the_servers_clock():
    limited = problem(
        429,
        "Too Many Requests",
        **{"Retry-After": "Wed, 21 Oct 2015 07:28:03 GMT", "Date": "Wed, 21 Oct 2015 07:28:00 GMT"},
    )
    waits: list[float] = []
    scripted(Script(limited, ok()), waits).countries()
    assert waits == [3.0]


@pytest.mark.parametrize(("status", "kind"), [(404, NotFound), (500, ServerError), (418, ApiError)])
def test_other_errors_are_raised_at_once(status, kind):
    script = Script(problem(status, "Some Problem"))
    waits: list[float] = []
    with pytest.raises(kind) as caught:
        scripted(script, waits).countries()
    assert caught.value.status == status
    assert (waits, len(script.requests)) == ([], 1)


def test_a_retried_write_sends_the_same_body_again(tmp_path):
    path = tmp_path / "events.csv"
    path.write_bytes(b"id,title,date,countries,type\nx,X,2013,AZE,agree\n")
    imported = httpx.Response(200, json={"created": 1, "updated": 0, "unchanged": 0})
    script = Script(problem(503, "Service Unavailable", **{"Retry-After": "0"}), imported)
    waits: list[float] = []
    result = scripted(script, waits).import_file(path, dry_run=True)
    assert result.created == 1
    first, second = script.requests
    assert first.content == second.content == path.read_bytes()
    assert first.headers["Content-Type"] == "text/csv"
    assert second.url.params["dry_run"] == "true"
    assert waits == [0.0]


def test_an_export_is_retried_before_any_byte_is_written():
    script = Script(
        problem(429, "Too Many Requests", **{"Retry-After": "1"}),
        httpx.Response(200, content=b'{"id": "a"}\n{"id": "b"}\n'),
    )
    out = io.BytesIO()
    waits: list[float] = []
    written = scripted(script, waits).export("ndjson", out, dyad="AZE-IRN")
    assert out.getvalue() == b'{"id": "a"}\n{"id": "b"}\n'
    assert written == 24
    assert waits == [1.0]


def test_an_error_page_that_is_not_problem_json_keeps_an_excerpt():
    page = httpx.Response(502, text="<html><body>Bad gateway</body></html>")
    with pytest.raises(ServerError) as caught:
        scripted(Script(page), []).countries()
    assert (caught.value.status, caught.value.title) == (502, "Bad Gateway")
    assert caught.value.detail == "<html><body>Bad gateway</body></html>"


def test_no_answer_is_a_network_error():
    failure = httpx.ConnectError("connection refused")
    with pytest.raises(NetworkError, match="connection refused"):
        scripted(Script(failure), []).countries()


def test_the_key_the_timeout_and_the_base_url_are_used():
    script = Script(ok())
    with Dyad(
        "http://dyad.test/v1/", "dyad_abc_secret", timeout=5, transport=httpx.MockTransport(script)
    ) as dyad:
        dyad.countries()
    (request,) = script.requests
    assert str(request.url) == "http://dyad.test/v1/countries"
    assert request.headers["Authorization"] == "Bearer dyad_abc_secret"
    assert request.headers["User-Agent"].startswith("dyad-client/")
    assert request.extensions["timeout"] == {"connect": 5, "read": 5, "write": 5, "pool": 5}


def test_filters_become_query_parameters():
    script = Script(httpx.Response(200, json={"items": [], "next_cursor": None}))
    dyad = Dyad("http://dyad.test", transport=httpx.MockTransport(script))
    events = dyad.events(
        country=["AZE", "IRN"], from_=2012, to="2013-06", type=("accuse",), tone_min=-2.5
    )
    assert list(events) == []
    assert script.requests[0].url.params.multi_items() == [
        ("country", "AZE"),
        ("country", "IRN"),
        ("from", "2012"),
        ("to", "2013-06"),
        ("type", "accuse"),
        ("tone_min", "-2.5"),
        ("limit", "100"),
    ]


@pytest.mark.anyio
async def test_the_async_client_retries_too():
    script = Script(problem(429, "Too Many Requests", **{"Retry-After": "1"}), ok())
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = httpx.MockTransport(script)
    async with AsyncDyad("http://dyad.test", transport=transport, sleep=sleep) as dyad:
        countries = await dyad.countries()
    assert [country.name for country in countries] == ["Azerbaijan"]
    assert waits == [1.0]


@pytest.mark.anyio
async def test_the_async_client_raises_after_its_retries():
    script = Script(*[problem(503, "Service Unavailable")] * 2)
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    transport = httpx.MockTransport(script)
    async with AsyncDyad(
        "http://dyad.test", transport=transport, sleep=sleep, max_retries=1, backoff=0.1
    ) as dyad:
        with pytest.raises(Unavailable):
            await dyad.countries()
    assert waits == [0.1]
    assert len(script.requests) == 2
