"""The HTTP surface of events: parse, call one service function, shape the answer."""

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from app.core.db import SessionDep, utcnow
from app.core.errors import problem_responses
from app.core.pagination import next_link
from app.events import citation, service
from app.events.citation import Style
from app.events.filters import EventQuery
from app.events.models import EventPage, EventPublic

router = APIRouter(prefix="/v1", tags=["events"])

EventId = Annotated[str, Path(max_length=200, examples=["2012-08-aliyev-declines-nam-summit"])]

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
    query: Annotated[EventQuery, Query()],
) -> Response:
    """Events matching every filter, one page at a time, oldest first.

    Follow `next_cursor` (or the `Link: rel="next"` header) to walk every match exactly once.
    """
    items, next_cursor = service.list_events(session, query)
    fields = query.field_set()
    body: dict[str, Any] = {
        "items": [item.model_dump(mode="json", include=fields) for item in items],
        "next_cursor": next_cursor,
    }
    if query.include_total:
        body["total"] = service.count_events(session, query)
    if query.facets:
        body["facets"] = service.facet_counts(session, query, query.facet_list())
    headers = {"Cache-Control": LIST_CACHE_CONTROL}
    if next_cursor:
        headers["Link"] = next_link(request.url, next_cursor)
    # Serialised once here: the items are validated models already.
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)


@router.get(
    "/events/{event_id}",
    response_model=EventPublic,
    responses={304: {"description": "Not modified (If-None-Match)"}, **problem_responses(404)},
    summary="Get one event",
)
def get_event(
    session: SessionDep,
    event_id: EventId,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """One event with its actors, citations and links in both directions.

    Sends `ETag: "<version>"`; with `If-None-Match` naming it, the answer is 304 with no body.
    """
    event = service.get_event(session, event_id)
    etag = f'"{event.version}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(event.model_dump_json(), media_type="application/json", headers=headers)


def _etag_matches(header: str, etag: str) -> bool:
    """RFC 9110 weak comparison of `etag` with an If-None-Match list (or `*`)."""
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates


@router.get(
    "/events/{event_id}/citation",
    response_class=PlainTextResponse,
    responses={
        200: {"content": {"text/plain": {}, "text/markdown": {}}},
        **problem_responses(404, 422),
    },
    summary="Cite an event",
)
def cite_event(
    session: SessionDep,
    request: Request,
    event_id: EventId,
    style: Annotated[Style, Query(description="text or markdown")] = Style.text,
) -> Response:
    """A ready-to-paste citation of the event and of every source behind it."""
    event = service.get_event(session, event_id)
    url = str(request.url_for("get_event", event_id=event.id))
    text = citation.cite(event, url, style, utcnow().date())
    return Response(text, media_type=f"{citation.MEDIA_TYPES[style]}; charset=utf-8")


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
