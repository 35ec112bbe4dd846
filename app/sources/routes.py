"""The HTTP surface of sources: parse, call one service function, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import next_link
from app.events.routes import LIST_CACHE_CONTROL
from app.sources import service
from app.sources.models import SourcePage, SourcePublicWithEvents, SourceQuery

router = APIRouter(prefix="/v1", tags=["sources"])


@router.get(
    "/sources",
    response_model=SourcePage,
    responses=problem_responses(400, 422),
    summary="List sources",
)
def list_sources(
    session: SessionDep,
    request: Request,
    response: Response,
    query: Annotated[SourceQuery, Query()],
) -> SourcePage:
    """The articles, statements and reports that events cite, one page at a time, each with
    its number of citations.

    Ordered by publisher (sources without one first), then title, then id. Follow
    `next_cursor` (or the `Link: rel="next"` header) to walk every match exactly once. A
    cursor that this endpoint did not make is a 400; an unknown parameter is a 422.
    """
    items, next_cursor = service.list_sources(session, query)
    if next_cursor:
        response.headers["Link"] = next_link(request.url, next_cursor)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return SourcePage(items=items, next_cursor=next_cursor)


@router.get(
    "/sources/{source_id}",
    response_model=SourcePublicWithEvents,
    responses=problem_responses(404, 422),
    summary="Get one source and the events citing it",
)
def get_source(
    session: SessionDep,
    response: Response,
    source_id: Annotated[
        str, Path(max_length=200, examples=["neo-2013-06-21-pivin-iran-azerbaijan"])
    ],
) -> SourcePublicWithEvents:
    """One source, and every event (not deleted) that cites it, with the citation's stance,
    quote and locator, in the events' date order.

    The same events as full, filterable pages: `GET /v1/events?source=<id>`.
    """
    source = service.get_source(session, source_id)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return source
