"""The HTTP surface of actors: parse, call one service function, shape the answer."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from app.actors import service
from app.actors.models import ActorCreate, ActorPage, ActorPublic, ActorPublicWithCount, ActorQuery
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import LIST_CACHE_CONTROL
from app.core.pagination import next_link
from app.core.preconditions import IfMatch
from app.keys.auth import require
from app.keys.models import ApiKey, Scope

router = APIRouter(prefix="/v1", tags=["actors"])

ActorId = Annotated[
    str, Path(max_length=200, description="The actor's id (a slug).", examples=["ilham-aliyev"])
]


@router.get(
    "/actors",
    response_model=ActorPage,
    responses=problem_responses(400, 422),
    summary="List actors",
)
def list_actors(
    session: SessionDep,
    request: Request,
    response: Response,
    query: Annotated[ActorQuery, Query()],
) -> ActorPage:
    """People, governments, organisations, media and groups, by name (then id), one page at
    a time, each with the number of events it takes part in.

    Follow `next_cursor` (or the `Link: rel="next"` header) to walk every match exactly once.
    A cursor that this endpoint did not make is a 400; an unknown parameter is a 422.
    """
    items, next_cursor = service.list_actors(session, query)
    if next_cursor:
        response.headers["Link"] = next_link(request.url, next_cursor)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return ActorPage(items=items, next_cursor=next_cursor)


@router.get(
    "/actors/{actor_id}",
    response_model=ActorPublicWithCount,
    responses=problem_responses(404, 422),
    summary="Get one actor",
)
def get_actor(
    session: SessionDep,
    response: Response,
    actor_id: ActorId,
) -> ActorPublicWithCount:
    """One actor and the number of events it takes part in.

    Its events, filterable and paginated: `GET /v1/events?actor=<id>`.
    """
    actor = service.get_actor(session, actor_id)
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return actor


@router.post(
    "/actors",
    response_model=ActorPublic,
    status_code=201,
    responses=problem_responses(401, 403, 409, 422),
    summary="Create an actor",
)
def create_actor(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    body: ActorCreate,
    request: Request,
    response: Response,
) -> ActorPublic:
    """A new actor; its id is yours or made from its name. 409 if the id exists."""
    actor = service.create_actor(session, body)
    response.headers["Location"] = str(request.url_for("get_actor", actor_id=actor.id))
    response.headers["ETag"] = f'"{actor.version}"'
    return ActorPublic.model_validate(actor)


@router.patch(
    "/actors/{actor_id}",
    response_model=ActorPublic,
    responses=problem_responses(400, 401, 403, 404, 412, 422, 428),
    summary="Change part of an actor",
)
def patch_actor(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    actor_id: ActorId,
    version: IfMatch,
    patch: Annotated[
        dict[str, Any],
        Body(media_type="application/merge-patch+json", examples=[{"aliases": ["Əliyev"]}]),
    ],
    response: Response,
) -> ActorPublic:
    """A JSON Merge Patch (RFC 7396) with If-Match: the fields you send replace, null clears."""
    actor = service.patch_actor(session, actor_id, patch, if_match=version)
    response.headers["ETag"] = f'"{actor.version}"'
    return ActorPublic.model_validate(actor)
