"""Writing events: create, replace, merge-patch, delete and restore, each with a revision.

Callers hold a write transaction (app.core.db.begin_write): writers run one at a time,
so the version check below and the write that follows cannot interleave with another.
"""

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.event import listens_for
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.db import table_of, utcnow
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.preconditions import check_version, merge_patch, validate_patched
from app.events.create import (
    NewEvent,
    check_references,
    create_events,
    event_columns,
    event_id_for,
    store_sources,
)
from app.events.models import (
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventCreate,
    EventExternalId,
    EventLink,
    EventPublic,
    EventTag,
)
from app.events.public import dumps, load_public, publish, revision_data, store_documents
from app.sources.models import Source

CHILD_TABLES = (EventCountry, EventTag, EventActor, Citation, EventLink, EventExternalId)


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
    """Replace an event's writable fields; True if anything changed (else no new version)."""
    event = _live_event(session, event_id)
    _check_version(event, if_match)
    if data.id is not None and data.id != event_id:
        raise InvalidInput(f"An event's id never changes: this one is {event_id!r}.")
    stored, problems = store_sources(session, [(1, data)])
    if problems:
        raise InvalidInput(problems[0].problem)
    data = stored[0][1]  # every source now cited by its id
    current = writable(publish(session, [event])[0]) | {"id": None}
    if current == _normalised(data):
        return event, False
    check_references(session, event_id, data)
    linked = _link_targets(session, event_id)  # they may lose this event from linked_from
    for table in CHILD_TABLES:
        session.execute(delete(table).where(col(table.event_id) == event_id))
    session.expire(event)
    for name, value in event_columns(data).items():
        setattr(event, name, value)
    _add_children(session, event_id, data)
    _bump(event)
    session.flush()
    session.expire(event)  # reload the children just written
    record(session, event, "update", key_name, linked)
    return event, True


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
    merged = merge_patch(writable(publish(session, [event])[0]), patch)
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


def record(
    session: Session,
    event: Event,
    action: str,
    key_name: str | None,
    linked: Iterable[str] = (),
) -> None:
    """Store the event's document and its revision: the whole event as it now stands, who
    wrote it and when. The documents of the events it links to (and of `linked`, those it
    linked to before) are stored anew: their linked_from shows it while it is live."""
    session.flush()  # load_public reads with Core statements, which do not autoflush
    public_form = load_public(session, [event])[0]
    write_out_history(session, [event.id])
    event.document = dumps(public_form).decode()
    store_documents(session, (set(linked) | _link_targets(session, event.id)) - {event.id})
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


_WRITE_OUT = (
    update(table_of(Revision))
    .where(col(Revision.event_id) == bindparam("event"), col(Revision.data).is_(None))
    .values(data=bindparam("data"))
)


def write_out_history(session: Session, ids: Iterable[str]) -> None:
    """Give the newest revisions of these events the data they hold in the events' documents,
    before the documents change: the history keeps what each version showed."""
    connection = session.connection()
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(col(Event.id), col(Event.document)).where(
                col(Event.id).in_(wanted[start : start + 500])
            )
        ).all()
        written = [{"event": i, "data": revision_data(orjson.loads(d))} for i, d in rows if d]
        if written:
            connection.execute(_WRITE_OUT, written)


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


def _link_targets(session: Session, event_id: str) -> set[str]:
    """The events this one links to."""
    targets = select(col(EventLink.target_id)).where(col(EventLink.event_id) == event_id)
    return set(session.scalars(targets))


def writable(event: EventPublic) -> dict[str, Any]:
    """The event as a writer would send it: the fields of EventCreate, sources by id."""
    return {
        "id": event.id,
        "title": event.title,
        "summary": event.summary,
        "date": event.date,
        "end_date": event.end_date,
        "type": event.type.value,
        "tone": event.tone,
        "countries": event.countries,
        "tags": event.tags,
        "location": event.location.model_dump() if event.location else None,
        "actors": [{"id": actor.id, "role": actor.role.value} for actor in event.actors],
        "citations": [
            {
                "source_id": citation.source.id,
                "stance": citation.stance.value,
                "quote": citation.quote,
                "locator": citation.locator,
            }
            for citation in event.citations
        ],
        "links": [link.model_dump(mode="json") for link in event.links],
        "external_ids": event.external_ids,
    }


def _normalised(data: EventCreate) -> dict[str, Any]:
    """`data` in the shape of `writable`, to tell whether a write changes anything."""
    location = data.location.model_dump() if data.location else None
    return {
        "id": None,
        "title": data.title,
        "summary": data.summary,
        "date": data.date,
        "end_date": data.end_date,
        "type": data.type.value,
        "tone": data.tone,
        "countries": sorted(set(data.countries)),
        "tags": sorted(set(data.tags)),
        "location": location if location and any(location.values()) else None,
        "actors": [{"id": actor.id, "role": actor.role.value} for actor in data.actors],
        "citations": [
            {
                "source_id": citation.source_id,
                "stance": citation.stance.value,
                "quote": citation.quote,
                "locator": citation.locator,
            }
            for citation in data.citations
        ],
        "links": [link.model_dump(mode="json") for link in data.links],
        "external_ids": data.external_ids,
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


def _add_children(session: Session, event_id: str, data: EventCreate) -> None:
    rows: list[Any] = [EventCountry(event_id=event_id, country=c) for c in set(data.countries)]
    rows += [EventTag(event_id=event_id, tag=tag) for tag in set(data.tags)]
    rows += [
        EventActor(event_id=event_id, actor_id=actor.id, role=actor.role, position=position)
        for position, actor in enumerate(data.actors)
    ]
    for citation in data.citations:
        source_id = citation.source_id
        assert source_id is not None  # store_sources cites every source by its id
        rows.append(
            Citation(
                event_id=event_id,
                source_id=source_id,
                stance=citation.stance,
                quote=citation.quote,
                locator=citation.locator,
            )
        )
    rows += [
        EventLink(event_id=event_id, target_id=link.event_id, relation=link.relation)
        for link in data.links
    ]
    rows += [
        EventExternalId(event_id=event_id, scheme=scheme, value=value)
        for scheme, value in data.external_ids.items()
    ]
    session.add_all(rows)
