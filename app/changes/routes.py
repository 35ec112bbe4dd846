"""The history over HTTP: `/v1/events/{id}/revisions` and the `/v1/changes` feed."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.changes import service
from app.core.db import SessionDep
from app.core.errors import BadRequest, problem_responses
from app.core.pagination import decode_cursor, encode_cursor, next_link
from app.events.models import Revision
from app.events.routes import EventId

router = APIRouter(prefix="/v1", tags=["history"])

FEED = "changes"


class RevisionPublic(BaseModel):
    change_id: int = Field(description="Position in the changes feed.", examples=[42])
    event_id: str = Field(
        description="The event written.", examples=["2012-08-aliyev-declines-nam-summit"]
    )
    version: int = Field(description="The event's version after this change.", examples=[2])
    action: Literal["create", "update", "delete", "restore"] = Field(
        description="What the write did.", examples=["update"]
    )
    key_name: str | None = Field(
        description="The name of the API key that wrote it; null for the command line.",
        examples=["newsroom-editor"],
    )
    at: datetime = Field(
        description="When it was written (UTC).", examples=["2026-12-07T13:00:00Z"]
    )
    event: dict[str, Any] = Field(
        description="The whole event as written at this version (as `GET /v1/events/{id}` "
        "showed it then).",
        examples=[{"id": "2012-08-aliyev-declines-nam-summit", "tone": -6.0, "version": 2}],
    )


class ChangesPage(BaseModel):
    items: list[RevisionPublic] = Field(description="The changes, oldest first.")
    next_cursor: str = Field(
        description="Pass as `since` to get what comes after; stays the same until there is more.",
        examples=["42"],
    )


def _public(revision: Revision) -> RevisionPublic:
    assert revision.id is not None
    return RevisionPublic(
        change_id=revision.id,
        event_id=revision.event_id,
        version=revision.version,
        action=revision.action,
        key_name=revision.key_name,
        at=revision.created_at,
        event=revision.data,
    )


def _position(since: str) -> int:
    (position,) = decode_cursor(since, FEED, 1)
    if not isinstance(position, int) or position < 0:
        raise BadRequest("Invalid cursor: pass the next_cursor of a previous call.")
    return position


@router.get(
    "/events/{event_id}/revisions",
    response_model=list[RevisionPublic],
    responses=problem_responses(404),
    summary="An event's history",
)
def event_revisions(
    session: SessionDep,
    event_id: EventId,
) -> list[RevisionPublic]:
    """Every version of the event, newest first: what was written, by which key, when."""
    return [_public(revision) for revision in service.revisions(session, event_id)]


@router.get(
    "/changes",
    response_model=ChangesPage,
    responses=problem_responses(400, 422),
    summary="Every change, in order",
)
def changes(
    session: SessionDep,
    request: Request,
    response: Response,
    since: Annotated[
        str | None,
        Query(
            max_length=100,
            description="The next_cursor of your previous call; omit to start.",
            examples=["WyJjaGFuZ2VzIiwzXQ"],
        ),
    ] = None,
    limit: Annotated[
        int, Query(ge=1, le=1000, description="Changes per call.", examples=[100])
    ] = 100,
) -> ChangesPage:
    """Every create, update, delete and restore in commit order, for mirrors and monitors.

    Keep the `next_cursor` and call again with `since=<it>`: nothing is missed or repeated.
    """
    after = _position(since) if since else 0
    rows = service.changes(session, after, limit)
    last = rows[-1].id if rows else after
    cursor = encode_cursor(FEED, [last])
    if len(rows) == limit:
        response.headers["Link"] = next_link(request.url, cursor, param="since")
    response.headers["Cache-Control"] = "no-cache"
    return ChangesPage(items=[_public(row) for row in rows], next_cursor=cursor)
