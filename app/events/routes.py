"""The HTTP surface of events: parse, call one service function, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import next_link
from app.events import service
from app.events.filters import EventQuery
from app.events.models import EventPage, EventPublic

router = APIRouter(prefix="/v1", tags=["events"])

# Public data that changes rarely: let browsers and shared caches keep lists briefly.
LIST_CACHE_CONTROL = "public, max-age=60"


@router.get(
    "/events",
    response_model=EventPage,
    responses=problem_responses(400, 422),
    summary="List events",
)
def list_events(
    session: SessionDep,
    request: Request,
    response: Response,
    query: Annotated[EventQuery, Query()],
) -> EventPage:
    """Events matching every filter, one page at a time, oldest first.

    Follow `next_cursor` (or the `Link: rel="next"` header) to walk every match exactly once.
    """
    items, next_cursor = service.list_events(session, query)
    if next_cursor:
        response.headers["Link"] = next_link(request.url, next_cursor)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return EventPage(items=items, next_cursor=next_cursor)


@router.get(
    "/events/{event_id}",
    response_model=EventPublic,
    responses=problem_responses(404, 422),
    summary="Get one event",
)
def get_event(
    session: SessionDep,
    event_id: Annotated[str, Path(max_length=200, examples=["2012-08-aliyev-declines-nam-summit"])],
) -> EventPublic:
    """One event with its actors, citations and links in both directions."""
    return service.get_event(session, event_id)


class EventTypeInfo(BaseModel):
    type: str
    description: str
    mode: str
    orientation: str
    count: int


@router.get("/event-types", response_model=list[EventTypeInfo], summary="List event types")
def event_types(session: SessionDep, response: Response) -> list[EventTypeInfo]:
    """The PLOVER event types: description, verbal or material, cooperative or conflictual,
    and how many events have each."""
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return [EventTypeInfo.model_validate(row) for row in service.event_types(session)]
