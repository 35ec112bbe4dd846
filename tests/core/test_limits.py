"""Rate limits (in memory and shared through Redis), body size limits and security headers."""

import uuid
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, func, select

from app.core.exchange import CONTENT_SECURITY_POLICY
from app.core.settings import Settings
from app.events.models import Event
from app.keys.models import Scope
from app.keys.service import create_key
from app.main import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


def limited_app(settings: Settings, engine: Engine, sessions: sessionmaker[Session], **changes):
    return create_app(settings.model_copy(update=changes), engine, sessions)


def client_at(app: FastAPI, address: str | None = None) -> TestClient:
    """A client from its own address, so that no other test's requests share its budget."""
    return TestClient(app, client=(address or f"192.0.2.{uuid.uuid4().int % 250}", 50000))


@pytest.fixture
def address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"


def test_requests_over_the_limit_are_a_429_problem_with_retry_after(
    settings, engine, sessions, address
):
    client = client_at(limited_app(settings, engine, sessions, rate_limit="3/minute"), address)
    answers = [client.get("/v1/event-types") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["ratelimit-remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a.headers["ratelimit-limit"] for a in answers} == {"3"}
    assert answers[0].headers["ratelimit-policy"] == "3;w=60"
    refused = answers[3]
    assert refused.headers["content-type"] == "application/problem+json"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.headers["retry-after"] == refused.headers["ratelimit-reset"]
    body = refused.json()
    assert body["status"] == 429
    assert body["title"] == "Too Many Requests"
    assert "3 requests in 60 s" in body["detail"]
    assert refused.headers["x-request-id"]


def test_each_key_and_each_address_has_its_own_budget(settings, engine, sessions, session):
    app = limited_app(settings, engine, sessions, rate_limit="2/minute")
    _, first_key = create_key(session, "first", Scope.read)
    _, second_key = create_key(session, "second", Scope.read)
    one_address = client_at(app, "192.0.2.1")  # not left to chance: the next must differ
    for _ in range(2):
        assert one_address.get("/v1/countries").status_code == 200
    assert one_address.get("/v1/countries").status_code == 429
    # The same address with a key spends the key's budget, not the address's.
    for key in (first_key, second_key):
        headers = {"Authorization": f"Bearer {key}"}
        assert [one_address.get("/v1/countries", headers=headers).status_code for _ in "abc"] == [
            200,
            200,
            429,
        ]
    assert client_at(app, "192.0.2.2").get("/v1/countries").status_code == 200  # another


def test_health_probes_and_static_files_are_never_limited(settings, engine, sessions, address):
    client = client_at(limited_app(settings, engine, sessions, rate_limit="1/minute"), address)
    assert [client.get("/healthz").status_code for _ in range(5)] == [200] * 5
    assert "ratelimit-limit" not in client.get("/readyz").headers
    assert [client.get("/docs/assets/docs.js").status_code for _ in range(3)] == [200] * 3


def test_redis_shares_one_budget_between_processes(settings, engine, sessions, address):
    # Two apps stand for two worker processes: in memory each would allow the whole limit.
    apps = [
        limited_app(settings, engine, sessions, rate_limit="3/minute", redis_url=REDIS_URL)
        for _ in range(2)
    ]
    # `with`: one event loop per client for its lifetime, as a worker has.
    with client_at(apps[0], address) as first, client_at(apps[1], address) as second:
        codes = [(first, second)[n % 2].get("/v1/event-types").status_code for n in range(4)]
    assert codes == [200, 200, 200, 429]


def test_with_redis_down_requests_are_served_unlimited(settings, engine, sessions, address):
    dead = "redis://127.0.0.1:1/0"
    app = limited_app(settings, engine, sessions, rate_limit="1/minute", redis_url=dead)
    with client_at(app, address) as client:
        assert [client.get("/v1/event-types").status_code for _ in range(3)] == [200] * 3


def test_a_limit_of_off_serves_without_ratelimit_headers(settings, engine, sessions):
    client = client_at(limited_app(settings, engine, sessions, rate_limit=None))
    response = client.get("/v1/event-types")
    assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers


# --- body size ---------------------------------------------------------------------------


def events_in(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Event)).one()


def test_a_body_over_the_limit_is_a_413_and_writes_nothing(
    settings, engine, sessions, session, auth
):
    client = client_at(limited_app(settings, engine, sessions, max_body_bytes=1000))
    before = events_in(session)
    event = {"title": "x" * 2000, "date": "2013", "countries": ["AZ", "IR"], "type": "consult"}
    response = client.post("/v1/events", json=event, headers=auth)
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The request body is larger than 1,000 bytes."
    assert events_in(session) == before


def test_a_chunked_body_over_the_limit_is_a_413_too(settings, engine, sessions, session, auth):
    client = client_at(limited_app(settings, engine, sessions, max_body_bytes=1000))
    before = events_in(session)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the size shows only while reading
        yield b'{"title": "'
        for _ in range(20):
            yield b"y" * 100
        yield b'", "date": "2013", "countries": ["AZ", "IR"], "type": "consult"}'

    headers = auth | {"Content-Type": "application/json"}
    response = client.post("/v1/events", content=chunks(), headers=headers)
    assert response.status_code == 413
    assert response.json()["status"] == 413
    assert events_in(session) == before


def test_imports_have_their_own_larger_limit(settings, engine, sessions, session, auth):
    client = client_at(
        limited_app(settings, engine, sessions, max_body_bytes=200, max_import_bytes=5000)
    )
    rows = "id,title,date,countries,type\n" + "".join(
        f"big-{n},Event number {n},2014,AZE;IRN,consult\n" for n in range(20)
    )
    assert 200 < len(rows) < 5000
    headers = auth | {"Content-Type": "text/csv"}
    response = client.post("/v1/imports", content=rows, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 20
    too_big = client.post("/v1/imports", content=rows * 10, headers=headers)
    assert too_big.status_code == 413
    assert too_big.json()["detail"] == "The request body is larger than 5,000 bytes."


def test_a_content_length_that_is_not_a_number_is_a_400(settings, engine, sessions):
    client = client_at(limited_app(settings, engine, sessions))
    response = client.post(
        "/v1/events", content=b"{}", headers={"Content-Length": "lots", "Authorization": "x"}
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Content-Length must be a number of bytes."


# --- security headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/events"),
        ("GET", "/v1/events/no-such-event"),
        ("GET", "/nowhere"),
        ("DELETE", "/v1/event-types"),
        ("GET", "/docs"),
        ("GET", "/openapi.json"),
        ("GET", "/healthz"),
        ("POST", "/v1/events"),
    ],
)
def test_every_answer_carries_the_security_headers(client, method, path):
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"


def test_the_policy_allows_no_inline_script_or_outside_host():
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY
    assert "default-src 'self'" in CONTENT_SECURITY_POLICY
    assert "http" not in CONTENT_SECURITY_POLICY


def test_cors_answers_only_the_configured_origins(settings, engine, sessions):
    app = limited_app(settings, engine, sessions, cors_origins=["https://news.example.org"])
    client = client_at(app)
    allowed = client.get("/v1/events", headers={"Origin": "https://news.example.org"})
    assert allowed.headers["access-control-allow-origin"] == "https://news.example.org"
    exposed = allowed.headers["access-control-expose-headers"].lower().split(",")
    assert {"retry-after", "ratelimit-remaining", "etag", "link"} <= {h.strip() for h in exposed}
    other = client.get("/v1/events", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in other.headers
    closed = client_at(limited_app(settings, engine, sessions))
    response = closed.get("/v1/events", headers={"Origin": "https://news.example.org"})
    assert "access-control-allow-origin" not in response.headers
