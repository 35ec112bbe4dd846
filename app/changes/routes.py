"""The history over HTTP: `/v1/events/{id}/revisions` and the `/v1/changes` feed."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Row

from app.changes import service
from app.changes.models import ChangesPage, RevisionPublic
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import EventId
from app.core.pagination import next_link

router = APIRouter(prefix="/v1", tags=["history"])


def _public(revision: Row[Any]) -> RevisionPublic:
    """A row of revision_written as the API shows it."""
    return RevisionPublic(
        change_id=revision.id,
        event_id=revision.event_id,
        version=revision.version,
        action=revision.action,
        key_name=revision.key_name,
        at=revision.created_at,
        event=revision.data,
    )


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
    rows, cursor = service.changes(session, since, limit)
    if len(rows) == limit:
        response.headers["Link"] = next_link(request.url, cursor, param="since")
    response.headers["Cache-Control"] = "no-cache"
    return ChangesPage(items=[_public(row) for row in rows], next_cursor=cursor)
