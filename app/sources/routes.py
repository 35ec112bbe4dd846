"""The HTTP surface of sources: parse, call one service function, shape the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import LIST_CACHE_CONTROL
from app.core.pagination import next_link
from app.core.preconditions import IfMatch
from app.keys.auth import require
from app.keys.models import ApiKey, Scope
from app.sources import service
from app.sources.models import (
    SourceCreate,
    SourcePage,
    SourcePublic,
    SourcePublicWithEvents,
    SourceQuery,
)

router = APIRouter(prefix="/v1", tags=["sources"])

SourceId = Annotated[
    str,
    Path(
        max_length=200,
        description="The source's id (a slug).",
        examples=["neo-2013-06-21-pivin-iran-azerbaijan"],
    ),
]


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
    source_id: SourceId,
) -> SourcePublicWithEvents:
    """One source, and every event (not deleted) that cites it, with the citation's stance,
    quote and locator, in the events' date order.

    The same events as full, filterable pages: `GET /v1/events?source=<id>`.
    """
    source = service.get_source(session, source_id)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return source


@router.post(
    "/sources",
    response_model=SourcePublic,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
    summary="Create a source",
)
def create_source(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    body: SourceCreate,
    request: Request,
    response: Response,
) -> SourcePublic:
    """A new source. Its URL is unique once normalised: 409 names the source that has it."""
    source = service.create_source(session, body)
    response.headers["Location"] = str(request.url_for("get_source", source_id=source.id))
    response.headers["ETag"] = f'"{source.version}"'
    return SourcePublic.model_validate(source)


@router.patch(
    "/sources/{source_id}",
    response_model=SourcePublic,
    responses=problem_responses(400, 401, 403, 404, 409, 412, 422, 428),
    summary="Change part of a source",
)
def patch_source(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    source_id: SourceId,
    version: IfMatch,
    patch: Annotated[
        dict[str, Any],
        Body(
            media_type="application/merge-patch+json",
            examples=[{"archive_url": "https://web.archive.org/web/2013/https://example.org/a"}],
        ),
    ],
    response: Response,
) -> SourcePublic:
    """A JSON Merge Patch (RFC 7396) with If-Match: the fields you send replace, null clears."""
    source = service.patch_source(session, source_id, patch, if_match=version)
    response.headers["ETag"] = f'"{source.version}"'
    return SourcePublic.model_validate(source)
