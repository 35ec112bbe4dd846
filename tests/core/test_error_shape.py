"""One shape for every error the app produces: RFC 9457 problem+json, and X-Request-ID."""

import re

import pytest

from tests.factories import make_event

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_no_traceback(text: str) -> None:
    for marker in ("Traceback", 'File "', "site-packages", "/app/", ".py"):
        assert marker not in text, marker


@pytest.mark.parametrize(
    ("method", "path", "params", "status"),
    [
        pytest.param("GET", "/v1/events", {"cursor": "abc"}, 400, id="400-bad-cursor"),
        pytest.param("GET", "/v1/events/no-such-event", {}, 404, id="404-unknown-event"),
        pytest.param("GET", "/v1/no-such-path", {}, 404, id="404-unknown-path"),
        pytest.param("POST", "/v1/event-types", {}, 405, id="405-method"),
        pytest.param("GET", "/v1/events", {"limit": "0"}, 422, id="422-bad-parameter"),
    ],
)
def test_every_error_is_problem_json(client, method, path, params, status):
    response = client.request(method, path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    expected_keys = PROBLEM_KEYS | {"errors"} if status == 422 else PROBLEM_KEYS
    assert set(body) == expected_keys
    assert body["status"] == status
    assert body["instance"] == path
    assert isinstance(body["type"], str) and body["type"]
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if status == 422:
        assert body["errors"]
        for error in body["errors"]:
            assert set(error) == {"loc", "msg"}
            assert isinstance(error["loc"], list)
            assert isinstance(error["msg"], str) and error["msg"]
    assert_no_traceback(response.text)
    assert response.headers["x-request-id"]


def test_405_names_the_allowed_methods(client):
    response = client.post("/v1/event-types")
    assert response.status_code == 405
    assert "GET" in response.headers["allow"]


def test_unexpected_error_is_a_500_problem_that_leaks_nothing(app, client):
    def explode():
        raise RuntimeError("secret-internal-detail in /srv/dyad/app/thing.py")

    app.add_api_route("/v1/explode", explode)
    response = client.get("/v1/explode", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["status"] == 500
    assert body["instance"] == "/v1/explode"
    assert "secret-internal-detail" not in response.text
    assert "RuntimeError" not in response.text
    assert_no_traceback(response.text)
    # Every response carries the request id, the 500s that a client most needs to report too.
    assert response.headers.get("x-request-id") == "abc-123"


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        pytest.param("GET", "/v1/events", {}, id="200-list"),
        pytest.param("GET", "/v1/events/e1", {}, id="200-detail"),
        pytest.param("GET", "/v1/event-types", {}, id="200-types"),
        pytest.param("GET", "/healthz", {}, id="200-healthz"),
        pytest.param("GET", "/v1/events", {"cursor": "abc"}, id="400"),
        pytest.param("GET", "/v1/events/missing", {}, id="404"),
        pytest.param("GET", "/nowhere", {}, id="404-path"),
        pytest.param("POST", "/v1/event-types", {}, id="405"),
        pytest.param("GET", "/v1/events", {"limit": "0"}, id="422"),
    ],
)
def test_every_response_echoes_a_sane_request_id(client, session, method, path, params):
    make_event(session, id="e1")
    response = client.request(method, path, params=params, headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        pytest.param("GET", "/v1/events", {}, id="200"),
        pytest.param("GET", "/v1/events/missing", {}, id="404"),
        pytest.param("GET", "/v1/events", {"limit": "0"}, id="422"),
    ],
)
def test_every_response_gets_a_fresh_request_id_when_none_is_sent(client, method, path, params):
    first = client.request(method, path, params=params)
    second = client.request(method, path, params=params)
    assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    "garbage",
    [pytest.param("x" * 300, id="too-long"), pytest.param("has spaces in it", id="spaces")],
)
def test_garbage_request_id_is_replaced_by_a_fresh_one(client, garbage):
    for path in ("/v1/events", "/v1/events/missing"):
        response = client.get(path, headers={"X-Request-ID": garbage})
        returned = response.headers["x-request-id"]
        assert returned != garbage
        assert garbage not in returned
        assert re.fullmatch(r"[A-Za-z0-9._:-]{8,128}", returned)
