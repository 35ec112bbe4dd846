"""Editing events over HTTP: every write needs a `write` key, every change an If-Match."""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Request, Response
from sqlmodel import Session

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import EventId
from app.core.preconditions import IfMatch, if_match_version
from app.events import writes
from app.events.models import Event, EventCreate, EventPublic
from app.events.public import publish
from app.keys.auth import require
from app.keys.models import ApiKey, Scope

router = APIRouter(prefix="/v1", tags=["events"], responses=problem_responses(401, 403))

Writer = Annotated[ApiKey, require(Scope.write)]


def _answer(session: Session, event: Event, response: Response) -> EventPublic:
    response.headers["ETag"] = f'"{event.version}"'
    return publish(session, [event])[0]


@router.post(
    "/events",
    response_model=EventPublic,
    status_code=201,
    responses=problem_responses(409, 422),
    summary="Create an event",
)
def create_event(
    session: SessionDep,
    key: Writer,
    body: EventCreate,
    request: Request,
    response: Response,
) -> EventPublic:
    """Create an event; its id is yours or made from its date and title. 409 if it exists."""
    event = writes.create_event(session, body, key_name=key.name)
    response.headers["Location"] = str(request.url_for("get_event", event_id=event.id))
    return _answer(session, event, response)


@router.put(
    "/events/{event_id}",
    response_model=EventPublic,
    responses=problem_responses(400, 404, 412, 422, 428),
    summary="Replace an event",
)
def replace_event(
    session: SessionDep,
    key: Writer,
    event_id: EventId,
    version: IfMatch,
    body: EventCreate,
    response: Response,
) -> EventPublic:
    """Replace every writable field. Sending what is stored changes nothing (no new version)."""
    event, _changed = writes.replace_event(
        session, event_id, body, if_match=version, key_name=key.name
    )
    return _answer(session, event, response)


@router.patch(
    "/events/{event_id}",
    response_model=EventPublic,
    responses=problem_responses(400, 404, 412, 422, 428),
    summary="Change part of an event",
)
def patch_event(
    session: SessionDep,
    key: Writer,
    event_id: EventId,
    version: IfMatch,
    patch: Annotated[
        dict[str, Any],
        Body(
            media_type="application/merge-patch+json",
            examples=[{"tone": -6, "tags": ["summit", "boycott"], "summary": None}],
        ),
    ],
    response: Response,
) -> EventPublic:
    """A JSON Merge Patch (RFC 7396): the fields you send replace, `null` clears."""
    event, _changed = writes.patch_event(
        session, event_id, patch, if_match=version, key_name=key.name
    )
    return _answer(session, event, response)


@router.delete(
    "/events/{event_id}",
    status_code=204,
    responses=problem_responses(400, 404, 412, 428),
    summary="Delete an event",
)
def delete_event(session: SessionDep, key: Writer, event_id: EventId, version: IfMatch) -> Response:
    """Hide the event from every read; its revisions stay, and restore brings it back."""
    event = writes.delete_event(session, event_id, if_match=version, key_name=key.name)
    return Response(status_code=204, headers={"ETag": f'"{event.version}"'})


@router.post(
    "/events/{event_id}/restore",
    response_model=EventPublic,
    responses=problem_responses(400, 404, 412),
    summary="Restore a deleted event",
)
def restore_event(
    session: SessionDep,
    key: Writer,
    event_id: EventId,
    response: Response,
    if_match: Annotated[
        str | None, Header(description="Optional: the deleted version.", examples=['"4"'])
    ] = None,
) -> EventPublic:
    """Undo a delete. If-Match is optional here: a deleted event has no ETag to read."""
    version = if_match_version(if_match) if if_match is not None else None
    event = writes.restore_event(session, event_id, if_match=version, key_name=key.name)
    return _answer(session, event, response)
