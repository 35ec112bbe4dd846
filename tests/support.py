"""Assertions that many test files share."""

from collections.abc import Callable, Iterator
from typing import Any

import orjson
from sqlalchemy import text
from sqlmodel import Session

from app.core.db import utcnow
from app.events.public import store_documents

PROBLEM_JSON = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """The RFC 9457 problem document of `response`, which must have this status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


def walk_pages(client: Any, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a list at `path`, following next_cursor."""
    cursor = None
    for _ in range(100):
        response = client.get(path, params={**params, "cursor": cursor} if cursor else params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        yield body
        cursor = body["next_cursor"]
        if cursor is None:
            return
    raise AssertionError("pagination did not end")


def walked_ids(client: Any, path: str, params: dict[str, Any]) -> list[str]:
    """The ids of every item of every page, in order."""
    return [item["id"] for page in walk_pages(client, path, params) for item in page["items"]]


def soft_delete(session: Session, event: Any) -> None:
    """Mark an event deleted, as DELETE does, without a revision: the events it links to
    have their documents stored anew, without it in their linked_from."""
    event.deleted_at = utcnow()
    session.add(event)
    session.flush()
    store_documents(session, [link.target_id for link in event.links])


def write_every_way(
    client: Any,
    auth: dict[str, str],
    body: dict[str, Any],
    patches: list[dict[str, Any]],
    records: list[dict[str, Any]],
    check: Callable[[], None],
) -> None:
    """Each kind of write over HTTP, with `check()` after each: create `body`, merge-patch it
    with each of `patches`, replace it with `body` again, delete it, restore it, then import
    `records`. Derived data's tests check it equals a direct count after every one."""
    event_id = body["id"]
    assert client.post("/v1/events", json=body, headers=auth).status_code == 201
    check()
    version = 1
    patch = auth | {"Content-Type": "application/merge-patch+json"}
    for changes in patches:
        headers = patch | {"If-Match": f'"{version}"'}
        response = client.patch(f"/v1/events/{event_id}", json=changes, headers=headers)
        assert response.status_code == 200, response.text
        version += 1
        check()
    headers = auth | {"If-Match": f'"{version}"'}
    replaced = client.put(f"/v1/events/{event_id}", json=body, headers=headers)
    assert replaced.status_code == 200, replaced.text
    check()
    headers = auth | {"If-Match": f'"{version + 1}"'}
    assert client.delete(f"/v1/events/{event_id}", headers=headers).status_code == 204
    check()
    assert client.post(f"/v1/events/{event_id}/restore", headers=auth).status_code == 200
    check()
    imported = client.post("/v1/imports", content=orjson.dumps(records), headers=auth)
    assert imported.status_code == 200, imported.text
    check()


def kind_counts(session: Session, table: str) -> dict[tuple[str, str], int]:
    """The rows of a table of counts by (kind, value): vocabulary_count, usage_count."""
    rows = session.connection().execute(text(f"SELECT kind, value, events FROM {table}"))
    return {(kind, value): events for kind, value, events in rows}
