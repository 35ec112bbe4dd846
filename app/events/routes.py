"""The HTTP surface of events: parse, call one service function, shape the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import PlainTextResponse, StreamingResponse
from pydantic import AwareDatetime
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.changes import service as history
from app.core.db import SessionDep, get_session, utcnow
from app.core.errors import problem_responses
from app.core.http import LIST_CACHE_CONTROL, EventId
from app.core.pagination import next_link
from app.events import citation, formats, public, service
from app.events.citation import Style
from app.events.filters import EventQuery, Format
from app.events.formats import ExportContext
from app.events.models import EventPage, EventPublic, EventTypeInfo, TimelineDocument

router = APIRouter(prefix="/v1", tags=["events"])


# The session of a streamed export. The same dependency as SessionDep (one transaction,
# committed or rolled back at the end), but scoped to the request: FastAPI closes it after
# the response body is sent, so the stream reads through it to its last row (SessionDep's
# is closed as soon as the route returns). Tests that override get_session override it too.
StreamSessionDep = Annotated[Session, Depends(get_session, scope="request")]

_EXPORT_CONTENT: dict[str, Any] = {export.media_type: {} for export in formats.EXPORTS.values()}


@router.get(
    "/events",
    # JSON pages, or with format=timelinejs the TimelineJS document (JSON too).
    response_model=EventPage | TimelineDocument,
    responses={200: {"content": _EXPORT_CONTENT}, **problem_responses(400, 422)},
    summary="List events",
)
async def list_events(
    session: SessionDep,
    stream_session: StreamSessionDep,
    request: Request,
    query: Annotated[EventQuery, Query()],
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Events matching every filter, one page at a time, oldest first.

    Follow `next_cursor` (or the `Link: rel="next"` header) to walk every match exactly once.

    **Exports.** `format=csv`, `ndjson`, `ics` or `timelinejs` (or, without `format`, an
    `Accept` of `text/csv`, `application/x-ndjson` or `text/calendar`) streams *every*
    matching event in one response, in the chosen `sort`, as an attachment: the filters
    apply, while `limit`, `cursor`, `include_total` and `facets` are ignored (`fields` shapes
    NDJSON lines only). CSV is UTF-8 (with a byte order mark, for Excel, if `bom=true`), a
    header row, one row per event and lists joined with `;`; text cells that a spreadsheet
    would run as a formula (starting with `=`, `+`, `-`, `@`) get a leading `'`. NDJSON has
    one event per line, as the items of the JSON pages. iCalendar has one all-day VEVENT per
    event, UID `<id>@dyad`. `timelinejs` is a TimelineJS 3 JSON document, one slide per event.
    """
    # A page runs here, on the event loop: for the API's filters it walks an index and stops
    # after `limit` events, and a trip to a worker thread would cost more than the read. What
    # reads every match (exports, totals, facets) can take seconds: it runs in a worker
    # thread, and the process's other requests go on meanwhile.
    export = formats.chosen(query.format if "format" in query.model_fields_set else None, accept)
    if export is not None:
        return await run_in_threadpool(_stream, stream_session, request, query, export)
    items, next_cursor = service.list_events(session, query)
    body: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if query.include_total:
        body["total"] = await run_in_threadpool(service.count_events, session, query)
    if query.facets:
        body["facets"] = await run_in_threadpool(
            service.facet_counts, session, query, query.facet_list()
        )
    headers = {"Cache-Control": LIST_CACHE_CONTROL, "Vary": "Accept"}
    if next_cursor:
        headers["Link"] = next_link(request.url, next_cursor)
    # Serialised here, straight from the rows' values: EventPage documents the shape.
    return Response(public.dumps(body), media_type="application/json", headers=headers)


def _stream(
    session: Session, request: Request, query: EventQuery, export_format: Format
) -> StreamingResponse:
    export = formats.EXPORTS[export_format]
    # Run the first batch's query now, while a failure can still be a problem+json answer
    # rather than a response cut short.
    fields = query.field_set()
    events = formats.started(export.items(session, query, fields))
    context = ExportContext(
        events_url=str(request.url_for("list_events")), fields=fields, bom=query.bom
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{export.filename}"',
        "Cache-Control": LIST_CACHE_CONTROL,
        "Vary": "Accept",
    }
    return StreamingResponse(
        export.write(events, context), media_type=export.media_type, headers=headers
    )


@router.get(
    "/events/{event_id}",
    response_model=EventPublic,
    responses={304: {"description": "Not modified (If-None-Match)"}, **problem_responses(404)},
    summary="Get one event",
)
async def get_event(
    session: SessionDep,
    event_id: EventId,
    if_none_match: Annotated[
        str | None,
        Header(description="The ETag you hold: 304 while it is current.", examples=['"3"']),
    ] = None,
    as_of: Annotated[
        AwareDatetime | None,
        Query(
            description="An RFC 3339 time: the event as it stood then, from its revisions.",
            examples=["2013-06-21T00:00:00Z"],
        ),
    ] = None,
) -> Response:
    """One event with its actors, citations and links in both directions.

    Sends `ETag: "<version>"`; with `If-None-Match` naming it, the answer is 304 with no body.
    With `as_of`, the version current at that time (without `linked_from` or an ETag).
    """
    # One row by its key: read here, on the event loop (see list_events).
    if as_of is not None:
        past = EventPublic.model_validate(history.as_of(session, event_id, as_of))
        return Response(past.model_dump_json(), media_type="application/json")
    version, document = public.get_document(session, event_id)
    etag = f'"{version}"'
    headers = {"ETag": etag, "Cache-Control": "public, max-age=0, must-revalidate"}
    if if_none_match is not None and _etag_matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    return Response(document, media_type="application/json", headers=headers)


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
    style: Annotated[
        Style, Query(description="text or markdown", examples=["markdown"])
    ] = Style.text,
) -> Response:
    """A ready-to-paste citation of the event and of every source behind it."""
    event = public.get_event(session, event_id)
    url = str(request.url_for("get_event", event_id=event["id"]))
    text = citation.cite(event, url, style, utcnow().date())
    return Response(text, media_type=f"{citation.MEDIA_TYPES[style]}; charset=utf-8")


@router.get("/event-types", response_model=list[EventTypeInfo], summary="List event types")
def event_types(session: SessionDep, response: Response) -> list[EventTypeInfo]:
    """The PLOVER event types: description, verbal or material, cooperative or conflictual,
    and how many events have each."""
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return [EventTypeInfo.model_validate(row) for row in service.event_types(session)]
