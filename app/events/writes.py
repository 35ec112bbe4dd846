"""Writing events: create, replace, merge-patch, delete and restore, each with a revision.

Callers hold a write transaction (app.core.db.begin_write): writers run one at a time,
so the version check below and the write that follows cannot interleave with another.
"""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.dates import span
from app.core.db import utcnow
from app.core.errors import Conflict, InvalidInput, NotFound
from app.core.preconditions import check_version, merge_patch, validate_patched
from app.core.slugs import make_slug
from app.events.models import (
    Citation,
    CitationCreate,
    Event,
    EventActor,
    EventCountry,
    EventCreate,
    EventExternalId,
    EventLink,
    EventPublic,
    EventTag,
    Location,
    Stance,
    Status,
)
from app.events.public import load_public, publish, revision_data
from app.sources.models import Source
from app.sources.service import ensure_source, find_by_url

CHILD_TABLES = (EventCountry, EventTag, EventActor, Citation, EventLink, EventExternalId)


def derive_status(stances: Sequence[str]) -> Status:
    if not stances:
        return Status.unsourced
    return Status.disputed if Stance.disputes in stances else Status.reported


def event_id_for(data: EventCreate) -> str:
    """The writer's id, or one made from the date and the title."""
    return data.id or make_slug(data.date.rstrip("?~%"), data.title)


def create_event(session: Session, data: EventCreate, *, key_name: str | None = None) -> Event:
    """Store a new event with its citations, actors and links, and its first revision."""
    event_id = event_id_for(data)
    if session.get(Event, event_id) is not None:
        raise Conflict(f"An event with id {event_id!r} exists already.")
    _check_references(session, data, event_id)
    now = utcnow()  # one instant: created_at, updated_at and the first revision's time
    event = Event(id=event_id, **event_columns(data), created_at=now, updated_at=now)
    session.add(event)
    _add_children(session, event_id, data)
    session.flush()
    record(session, event, "create", key_name)
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
    current = writable(publish(session, [event])[0]) | {"id": None}
    if current == _normalised(session, data):
        return event, False
    _check_references(session, data, event_id)
    for table in CHILD_TABLES:
        session.execute(delete(table).where(col(table.event_id) == event_id))
    session.expire(event)
    for name, value in event_columns(data).items():
        setattr(event, name, value)
    _add_children(session, event_id, data)
    _bump(event)
    session.flush()
    session.expire(event)  # reload the children just written
    record(session, event, "update", key_name)
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


def record(session: Session, event: Event, action: str, key_name: str | None) -> None:
    """Store the revision: the whole event as it now stands, who wrote it and when."""
    session.flush()  # load_public reads with Core statements, which do not autoflush
    data = revision_data(load_public(session, [event])[0])
    session.add(
        Revision(
            event_id=event.id,
            version=event.version,
            action=action,
            data=data,
            key_name=key_name,
            created_at=event.updated_at,
        )
    )
    session.flush()


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


def _normalised(session: Session, data: EventCreate) -> dict[str, Any]:
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
                "source_id": _known_source_id(session, citation),
                "stance": citation.stance.value,
                "quote": citation.quote,
                "locator": citation.locator,
            }
            for citation in data.citations
        ],
        "links": [link.model_dump(mode="json") for link in data.links],
        "external_ids": data.external_ids,
    }


def _known_source_id(session: Session, citation: CitationCreate) -> str | None:
    if citation.source_id is not None:
        return citation.source_id
    assert citation.source is not None  # CitationCreate requires one of the two
    stored = find_by_url(session, citation.source.url)
    return stored.id if stored is not None else None


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


def event_columns(data: EventCreate) -> dict[str, Any]:
    bounds = span(data.date, data.end_date)
    location = data.location or Location()
    return {
        "title": data.title,
        "summary": data.summary,
        "date": data.date,
        "end_date": data.end_date,
        "date_lower": bounds.lower,
        "date_upper": bounds.upper,
        "date_precision": bounds.precision,
        "type": data.type,
        "tone": data.tone,
        "location_name": location.name,
        "location_country": location.country,
        "location_lat": location.lat,
        "location_lon": location.lon,
        "status": derive_status([citation.stance for citation in data.citations]),
    }


def _add_children(session: Session, event_id: str, data: EventCreate) -> None:
    rows: list[Any] = [EventCountry(event_id=event_id, country=c) for c in set(data.countries)]
    rows += [EventTag(event_id=event_id, tag=tag) for tag in set(data.tags)]
    rows += [
        EventActor(event_id=event_id, actor_id=actor.id, role=actor.role, position=position)
        for position, actor in enumerate(data.actors)
    ]
    for citation in data.citations:
        source_id = citation.source_id
        if source_id is None:
            assert citation.source is not None  # CitationCreate requires one of the two
            source_id = ensure_source(session, citation.source)[0].id
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


def _check_references(session: Session, data: EventCreate, event_id: str) -> None:
    """Refuse, naming each one, actors, sources and linked events that don't exist."""
    problems = []
    actor_ids = {actor.id for actor in data.actors}
    if actor_ids:
        known = set(session.exec(select(Actor.id).where(col(Actor.id).in_(actor_ids))).all())
        problems += [f"unknown actor {actor_id!r}" for actor_id in sorted(actor_ids - known)]
    source_ids = {c.source_id for c in data.citations if c.source_id is not None}
    if source_ids:
        known = set(session.exec(select(Source.id).where(col(Source.id).in_(source_ids))).all())
        problems += [f"unknown source {source_id!r}" for source_id in sorted(source_ids - known)]
    targets = {link.event_id for link in data.links}
    if event_id in targets:
        problems.append("an event cannot link to itself")
    if targets - {event_id}:
        known = set(
            session.exec(
                select(Event.id).where(col(Event.id).in_(targets), col(Event.deleted_at).is_(None))
            ).all()
        )
        problems += [
            f"link to unknown event {target!r}" for target in sorted(targets - known - {event_id})
        ]
    if problems:
        raise InvalidInput("; ".join(problems) + ".")
    for scheme, value in data.external_ids.items():
        holder = session.exec(
            select(EventExternalId.event_id).where(
                EventExternalId.scheme == scheme,
                EventExternalId.value == value,
                EventExternalId.event_id != event_id,
            )
        ).first()
        if holder is not None:
            raise Conflict(f"External id {scheme}={value!r} belongs to event {holder!r}.")
