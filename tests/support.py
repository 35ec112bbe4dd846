"""Assertions that many test files share."""

from collections.abc import Iterator
from typing import Any

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
