"""Who may do what: API keys, scopes, key management over HTTP, and private reads."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, select

from app.core.db import utcnow
from app.core.settings import Settings
from app.keys.models import ApiKey, Scope
from app.keys.service import create_key, revoke_key
from app.main import create_app
from tests.factories import make_event
from tests.support import assert_problem

NEW_EVENT = {
    "id": "new-event",
    "title": "A new event",
    "date": "2013-05-01",
    "countries": ["AZE", "IRN"],
    "type": "consult",
}
PUBLIC_KEY_FIELDS = {"name", "scope", "prefix", "created_at", "last_used_at", "revoked_at"}


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def keys(session: Session) -> dict[Scope, str]:
    """One live key of each scope, named after it."""
    made = {scope: create_key(session, f"{scope.value}-key", scope)[1] for scope in Scope}
    session.flush()
    return made


@pytest.fixture
def event_id(session: Session) -> str:
    event = make_event(session, id="existing-event", title="Existing")
    session.flush()
    return event.id


def stored_key(session: Session, key: str) -> ApiKey:
    session.expire_all()
    prefix = key.split("_")[1]
    return session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()


# --- 401: no valid key -------------------------------------------------------------


def test_a_write_without_a_valid_key_is_401_with_the_same_answer_whatever_is_wrong(
    client: TestClient, session: Session, keys: dict[Scope, str]
) -> None:
    revoked_record, revoked = create_key(session, "revoked", Scope.write)
    revoke_key(session, revoked_record.prefix)
    write_prefix = keys[Scope.write].split("_")[1]
    session.flush()
    attempts: dict[str, dict[str, str]] = {
        "missing": {},
        "not bearer": {"Authorization": f"Basic {keys[Scope.write]}"},
        "malformed": bearer("not-a-dyad-key"),
        "unknown prefix": bearer("dyad_00000000_" + "x" * 43),
        "wrong secret": bearer(f"dyad_{write_prefix}_" + "x" * 43),
        "revoked": bearer(revoked),
    }

    answers = {
        name: client.post("/v1/events", json=NEW_EVENT, headers=headers)
        for name, headers in attempts.items()
    }

    bodies = []
    for name, response in answers.items():
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), name
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies), bodies
    assert client.get("/v1/events/new-event").status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/v1/events/existing-event"),
        ("PATCH", "/v1/events/existing-event"),
        ("DELETE", "/v1/events/existing-event"),
        ("POST", "/v1/events/existing-event/restore"),
    ],
)
def test_every_event_write_needs_a_key(
    client: TestClient, event_id: str, method: str, path: str
) -> None:
    content = json.dumps(NEW_EVENT | {"id": event_id}) if method in ("PUT", "PATCH") else None

    response = client.request(
        method,
        path,
        content=content,
        headers={"If-Match": '"1"', "Content-Type": "application/json"},
    )

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"/v1/events/{event_id}").json()["version"] == 1


def test_a_wrong_key_on_a_public_read_is_401(client: TestClient) -> None:
    response = client.get("/v1/events", headers=bearer("dyad_00000000_nope"))

    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- 403: too little scope ---------------------------------------------------------


def test_a_read_key_on_a_write_is_a_403_problem(
    client: TestClient, session: Session, keys: dict[Scope, str], event_id: str
) -> None:
    created = client.post("/v1/events", json=NEW_EVENT, headers=bearer(keys[Scope.read]))
    patched = client.patch(
        f"/v1/events/{event_id}",
        json={"title": "Changed"},
        headers=bearer(keys[Scope.read]) | {"If-Match": '"1"'},
    )
    deleted = client.delete(
        f"/v1/events/{event_id}", headers=bearer(keys[Scope.read]) | {"If-Match": '"1"'}
    )

    for response in (created, patched, deleted):
        problem = assert_problem(response, 403)
        assert "write" in problem["detail"]
    assert client.get("/v1/events/new-event").status_code == 404
    assert client.get(f"/v1/events/{event_id}").json()["title"] == "Existing"


def test_a_write_key_can_write(client: TestClient, keys: dict[Scope, str]) -> None:
    response = client.post("/v1/events", json=NEW_EVENT, headers=bearer(keys[Scope.write]))

    assert response.status_code == 201, response.text
    assert client.get("/v1/events/new-event").json()["title"] == "A new event"


def test_an_admin_key_can_do_everything(
    client: TestClient, keys: dict[Scope, str], event_id: str
) -> None:
    admin = bearer(keys[Scope.admin])

    created = client.post("/v1/events", json=NEW_EVENT, headers=admin)
    patched = client.patch(
        "/v1/events/new-event", json={"title": "Patched"}, headers=admin | {"If-Match": '"1"'}
    )
    replaced = client.put(
        f"/v1/events/{event_id}",
        json=NEW_EVENT | {"id": event_id, "title": "Replaced"},
        headers=admin | {"If-Match": '"1"'},
    )
    deleted = client.delete("/v1/events/new-event", headers=admin | {"If-Match": '"2"'})
    restored = client.post("/v1/events/new-event/restore", headers=admin)
    read = client.get("/v1/events/new-event", headers=admin)
    listed = client.get("/v1/keys", headers=admin)
    made = client.post("/v1/keys", json={"name": "by-admin"}, headers=admin)

    assert [
        r.status_code for r in (created, patched, replaced, deleted, restored, read, listed, made)
    ] == [201, 200, 200, 204, 200, 200, 200, 201]
    assert read.json()["title"] == "Patched"
    assert read.json()["version"] == 4


# --- /v1/keys ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/keys"), ("POST", "/v1/keys"), ("DELETE", "/v1/keys/0123abcd")],
)
def test_keys_are_managed_by_admins_only(
    client: TestClient, keys: dict[Scope, str], method: str, path: str
) -> None:
    payload = {"json": {"name": "sneaky", "scope": "admin"}} if method == "POST" else {}

    anonymous = client.request(method, path, **payload)  # type: ignore[arg-type]
    as_reader = client.request(method, path, headers=bearer(keys[Scope.read]), **payload)  # type: ignore[arg-type]
    as_writer = client.request(method, path, headers=bearer(keys[Scope.write]), **payload)  # type: ignore[arg-type]

    assert_problem(anonymous, 401)
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert "admin" in assert_problem(as_reader, 403)["detail"]
    assert "admin" in assert_problem(as_writer, 403)["detail"]
    names = [
        key["name"] for key in client.get("/v1/keys", headers=bearer(keys[Scope.admin])).json()
    ]
    assert "sneaky" not in names


def test_creating_a_key_shows_it_once_and_it_works_at_once(
    client: TestClient, keys: dict[Scope, str]
) -> None:
    admin = bearer(keys[Scope.admin])

    response = client.post("/v1/keys", json={"name": "newsroom", "scope": "write"}, headers=admin)

    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    created = response.json()
    assert set(created) == PUBLIC_KEY_FIELDS | {"key"}
    assert created["name"] == "newsroom"
    assert created["scope"] == "write"
    assert created["revoked_at"] is None
    assert created["last_used_at"] is None
    assert created["key"].startswith(f"dyad_{created['prefix']}_")
    write = client.post("/v1/events", json=NEW_EVENT, headers=bearer(created["key"]))
    assert write.status_code == 201, write.text
    listed = client.get("/v1/keys", headers=admin)
    assert created["key"] not in listed.text
    names = {key["prefix"]: key["name"] for key in listed.json()}
    assert names[created["prefix"]] == "newsroom"


def test_a_new_key_has_read_scope_unless_told(client: TestClient, keys: dict[Scope, str]) -> None:
    response = client.post("/v1/keys", json={"name": "reader"}, headers=bearer(keys[Scope.admin]))

    assert response.status_code == 201, response.text
    assert response.json()["scope"] == "read"
    refused = client.post("/v1/events", json=NEW_EVENT, headers=bearer(response.json()["key"]))
    assert_problem(refused, 403)


@pytest.mark.parametrize(
    "payload",
    [{}, {"name": ""}, {"name": "x", "scope": "root"}, {"name": "x", "key_hash": "0" * 64}],
)
def test_creating_a_key_with_bad_input_is_a_422(
    client: TestClient, keys: dict[Scope, str], payload: dict[str, Any]
) -> None:
    response = client.post("/v1/keys", json=payload, headers=bearer(keys[Scope.admin]))

    assert_problem(response, 422)


def test_revoking_a_key_refuses_it_from_then_on(client: TestClient, keys: dict[Scope, str]) -> None:
    admin = bearer(keys[Scope.admin])
    created = client.post("/v1/keys", json={"name": "leaked", "scope": "write"}, headers=admin)
    assert created.status_code == 201, created.text
    leaked = created.json()
    assert client.post("/v1/events", json=NEW_EVENT, headers=bearer(leaked["key"])).status_code == (
        201
    )

    response = client.delete(f"/v1/keys/{leaked['prefix']}", headers=admin)

    assert response.status_code == 200, response.text
    assert response.json()["prefix"] == leaked["prefix"]
    assert response.json()["revoked_at"] is not None
    refused = client.post(
        "/v1/events", json=NEW_EVENT | {"id": "another"}, headers=bearer(leaked["key"])
    )
    assert_problem(refused, 401)
    listed = {key["prefix"]: key for key in client.get("/v1/keys", headers=admin).json()}
    assert listed[leaked["prefix"]]["revoked_at"] == response.json()["revoked_at"]


def test_revoking_an_unknown_key_is_a_404(client: TestClient, keys: dict[Scope, str]) -> None:
    response = client.delete("/v1/keys/0123abcd", headers=bearer(keys[Scope.admin]))

    assert_problem(response, 404)


def test_the_key_list_never_holds_secrets_or_hashes(
    client: TestClient, session: Session, keys: dict[Scope, str]
) -> None:
    response = client.get("/v1/keys", headers=bearer(keys[Scope.admin]))

    assert response.status_code == 200, response.text
    listed = response.json()
    assert {key["name"] for key in listed} >= {"read-key", "write-key", "admin-key"}
    for key in listed:
        assert set(key) == PUBLIC_KEY_FIELDS
    for key in keys.values():
        secret = key.split("_", 2)[2]
        assert secret not in response.text
        assert stored_key(session, key).key_hash not in response.text


# --- last_used_at ------------------------------------------------------------------


def test_last_used_at_is_set_when_a_key_is_used_for_a_read(
    client: TestClient, session: Session, keys: dict[Scope, str]
) -> None:
    assert stored_key(session, keys[Scope.read]).last_used_at is None
    before = utcnow()

    response = client.get("/v1/events", headers=bearer(keys[Scope.read]))

    after = utcnow()
    assert response.status_code == 200, response.text
    used = stored_key(session, keys[Scope.read]).last_used_at
    assert isinstance(used, datetime)
    assert before <= used <= after
    assert stored_key(session, keys[Scope.write]).last_used_at is None


def test_last_used_at_is_set_when_a_key_is_used_for_a_write(
    client: TestClient, session: Session, keys: dict[Scope, str]
) -> None:
    before = utcnow()

    response = client.post("/v1/events", json=NEW_EVENT, headers=bearer(keys[Scope.write]))

    after = utcnow()
    assert response.status_code == 201, response.text
    used = stored_key(session, keys[Scope.write]).last_used_at
    assert isinstance(used, datetime)
    assert before <= used <= after


def test_last_used_at_shows_in_the_key_list(client: TestClient, keys: dict[Scope, str]) -> None:
    client.get("/v1/events", headers=bearer(keys[Scope.read]))

    listed = client.get("/v1/keys", headers=bearer(keys[Scope.admin])).json()

    used = {key["name"]: key["last_used_at"] for key in listed}
    assert used["read-key"] is not None
    assert used["write-key"] is None


# --- reads: public by default, or private ------------------------------------------


def test_reads_are_public_by_default(client: TestClient, event_id: str) -> None:
    for path in ("/v1/events", f"/v1/events/{event_id}", "/v1/changes", "/v1/event-types"):
        assert client.get(path).status_code == 200, path


@pytest.fixture
def private_client(
    settings: Settings, engine: Engine, sessions: sessionmaker[Session]
) -> Iterator[TestClient]:
    """The app with DYAD_PUBLIC_READ=false, in the test's transaction."""
    private = settings.model_copy(update={"public_read": False})
    with TestClient(create_app(private, engine, sessions), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize(
    "path",
    [
        "/v1/events",
        "/v1/events/existing-event",
        "/v1/events/existing-event/revisions",
        "/v1/changes",
        "/v1/sources",
        "/v1/actors",
        "/v1/timeline",
        "/v1/event-types",
    ],
)
def test_private_reads_need_a_key(
    private_client: TestClient, keys: dict[Scope, str], event_id: str, path: str
) -> None:
    anonymous = private_client.get(path)
    with_key = private_client.get(path, headers=bearer(keys[Scope.read]))

    assert_problem(anonymous, 401)
    assert anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert with_key.status_code == 200, with_key.text


def test_healthz_stays_public_when_reads_are_private(private_client: TestClient) -> None:
    assert private_client.get("/healthz").status_code == 200


def test_writes_still_need_write_scope_when_reads_are_private(
    private_client: TestClient, keys: dict[Scope, str]
) -> None:
    as_reader = private_client.post("/v1/events", json=NEW_EVENT, headers=bearer(keys[Scope.read]))
    as_writer = private_client.post("/v1/events", json=NEW_EVENT, headers=bearer(keys[Scope.write]))

    assert_problem(as_reader, 403)
    assert as_writer.status_code == 201, as_writer.text


def test_the_page_explains_itself_when_reads_need_a_key(private_client: TestClient) -> None:
    response = private_client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<h1>Reading needs a key here</h1>" in response.text
    assert "<code>DYAD_PUBLIC_READ=false</code>" in response.text
    assert "dyad keys create --name NAME --scope" in response.text
    assert "<script" not in response.text  # nothing on it calls the API it may not read
    assert private_client.get("/static/app.css").status_code == 200  # its stylesheet


def test_the_page_is_the_timeline_when_reads_are_public(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert '<script type="module" src="/static/app.js"></script>' in response.text
    assert "Reading needs a key" not in response.text
