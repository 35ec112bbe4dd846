"""Writing events: create, replace, merge-patch, delete and restore, each with a revision.

Callers hold a write transaction (app.core.db.begin_write): writers run one at a time,
so the version check below and the write that follows cannot interleave with another.
"""

from typing import Any

from sqlalchemy import select
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.db import utcnow
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.preconditions import check_version, merge_patch, validate_patched
from app.events.create import (
    NewEvent,
    create_events,
    event_id_for,
    replace_events,
    store_sources,
    write_out_history,
)
from app.events.models import Citation, Event, EventActor, EventCreate
from app.events.public import EventDict, get_event, load_public, store_documents, stored
from app.sources.models import Source


def create_event(session: Session, data: EventCreate, *, key_name: str | None = None) -> Event:
    """Store a new event with its citations, actors and links, and its first revision: a batch
    of one, through the path every import takes (app.events.create)."""
    event_id = event_id_for(data)
    if session.get(Event, event_id) is not None:
        raise Conflict(f"An event with id {event_id!r} exists already.")
    stored, problems = store_sources(session, [(1, data)])
    if not problems:
        new = NewEvent(1, event_id, stored[0][1])
        problems = create_events(session, [new], key_name=key_name, now=utcnow(), links=True)
    if problems:
        raise (Conflict if problems[0].conflict else InvalidInput)(problems[0].problem)
    event = session.get(Event, event_id)
    assert event is not None
    return event


def replace_event(
    session: Session,
    event_id: str,
    data: EventCreate,
    *,
    if_match: int | None,
    key_name: str | None = None,
) -> tuple[Event, bool]:
    """Replace an event's writable fields; True if anything changed (else no new version).
    A batch of one, through the path of an import's updates (app.events.create)."""
    event = _live_event(session, event_id)
    _check_version(event, if_match)
    if data.id is not None and data.id != event_id:
        raise InvalidInput(f"An event's id never changes: this one is {event_id!r}.")
    stored, problems = store_sources(session, [(1, data)])
    if not problems:
        new = NewEvent(1, event_id, stored[0][1])  # every source now cited by its id
        changed, problems = replace_events(session, [new], key_name=key_name, now=utcnow())
    if problems:
        raise (Conflict if problems[0].conflict else InvalidInput)(problems[0].problem)
    return event, bool(changed)


def patch_event(
    session: Session,
    event_id: str,
    patch: dict[str, Any],
    *,
    if_match: int | None,
    key_name: str | None = None,
) -> tuple[Event, bool]:
    """Apply an RFC 7396 JSON Merge Patch to the event's writable fields."""
    event = _live_event(session, event_id)
    _check_version(event, if_match)
    merged = merge_patch(writable(get_event(session, event_id)), patch)
    data = validate_patched(EventCreate, merged, "event")
    return replace_event(session, event_id, data, if_match=if_match, key_name=key_name)


def delete_event(
    session: Session, event_id: str, *, if_match: int | None, key_name: str | None = None
) -> Event:
    """Soft delete: hidden from reads, kept with its revisions; restore undoes it."""
    event = _live_event(session, event_id)
    _check_version(event, if_match)
    event.deleted_at = utcnow()
    _bump(event)
    session.add(event)
    session.flush()
    record(session, event, "delete", key_name)
    return event


def restore_event(
    session: Session, event_id: str, *, if_match: int | None, key_name: str | None = None
) -> Event:
    """Undo a delete; restoring an event that is not deleted changes nothing."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(f"No event with id {event_id!r}.")
    _check_version(event, if_match)
    if event.deleted_at is None:
        return event
    event.deleted_at = None
    _bump(event)
    session.add(event)
    session.flush()
    record(session, event, "restore", key_name)
    return event


def record(session: Session, event: Event, action: str, key_name: str | None) -> None:
    """Store the event's document and its revision (a delete or a restore): the whole event as
    it now stands, who wrote it and when. The events it links to have their documents stored
    anew: their linked_from shows it while it is live."""
    session.flush()  # load_public reads with Core statements, which do not autoflush
    public_form = load_public(session, [event])[0]
    write_out_history(session, [event.id])
    event.sqlmodel_update(stored(public_form))
    store_documents(session, {link["event_id"] for link in public_form["links"]} - {event.id})
    session.add(
        Revision(
            event_id=event.id,
            version=event.version,
            action=action,
            data=None,  # the newest: its data is the document (see revision_written)
            key_name=key_name,
            created_at=event.updated_at,
        )
    )
    session.flush()


@listens_for(OrmSession, "after_flush")
def _store_documents_of_edited(session: OrmSession, _context: Any) -> None:
    """An actor or a source edited changes the public form of every event that embeds it:
    keep what their newest revisions showed, and store their documents anew, in the same
    flush, whoever made the edit."""
    edited = [o for o in session.dirty if isinstance(o, Actor | Source) and session.is_modified(o)]
    if not edited:
        return
    actors = [o.id for o in edited if isinstance(o, Actor)]
    sources = [o.id for o in edited if isinstance(o, Source)]
    embedding = select(col(EventActor.event_id)).where(col(EventActor.actor_id).in_(actors))
    citing = select(col(Citation.event_id)).where(col(Citation.source_id).in_(sources))
    ids = list(session.connection().execute(embedding.union(citing)).scalars())
    write_out_history(session, ids)  # type: ignore[arg-type]
    store_documents(session, ids)  # type: ignore[arg-type]


def writable(event: EventDict) -> dict[str, Any]:
    """The event (its public form, as stored) as a writer would send it: the fields of
    EventCreate, sources by id."""
    return {
        "id": event["id"],
        "title": event["title"],
        "summary": event["summary"],
        "date": event["date"],
        "end_date": event["end_date"],
        "type": event["type"],
        "tone": event["tone"],
        "countries": list(event["countries"]),
        "tags": list(event["tags"]),
        "location": dict(event["location"]) if event["location"] else None,
        "actors": [{"id": actor["id"], "role": actor["role"]} for actor in event["actors"]],
        "citations": [
            {
                "source_id": citation["source"]["id"],
                "stance": citation["stance"],
                "quote": citation["quote"],
                "locator": citation["locator"],
            }
            for citation in event["citations"]
        ],
        "links": [dict(link) for link in event["links"]],
        "external_ids": dict(event["external_ids"]),
    }


def _live_event(session: Session, event_id: str) -> Event:
    event = session.get(Event, event_id)
    if event is None or event.deleted_at is not None:
        raise NotFound(f"No event with id {event_id!r}.")
    return event


def _check_version(event: Event, if_match: int | None) -> None:
    check_version("event", event.version, if_match)


def _bump(event: Event) -> None:
    event.version += 1
    event.updated_at = utcnow()
