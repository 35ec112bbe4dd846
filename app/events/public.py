"""The public form of events: EventPublic's JSON shape, built from rows in one place.

`document()` says what an event looks like to the world. It is built from rows as plain
dicts: one query for the events, then one statement that reads every related list
(countries, tags, actors, citations, links, linked_from, external ids) of all of them. Every
write stores the result as JSON text in the event's `document` column, with the middle cells
of its CSV line in `csv_tail` (`stored`), in its own transaction (`store_documents`): for the event
written, the events its links name (their linked_from), and the events that embed an actor or
a source edited (app.events.writes). Reads send those stored bytes as they are, without
building anything (`get_document`, `items`, the CSV export). EventPublic stays the documented
schema, and tests hold the stored documents equal to it, and the CSV tails to the documents,
after every kind of write.
"""

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Executable, ScalarSelect, bindparam, update
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as core_select
from sqlmodel import Session

from app.actors.models import Actor
from app.core.db import json_array, json_array_agg, table_of
from app.core.errors import NotFound
from app.core.slugs import SLUG
from app.events.csv_cells import csv_tail
from app.events.models import (
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventExternalId,
    EventLink,
    EventPublic,
    EventTag,
)
from app.sources.models import Source

EventDict = dict[str, Any]
"""An event in EventPublic's shape, with its dates and times as date and datetime objects
(`dumps` writes them as pydantic does)."""


_event = table_of(Event)
# What every write stores of an event's public form (`stored`): its document (JSON) and the
# middle cells of its CSV line.
STORED = ("document", "csv_tail")
# The columns the public form is built from: all but what is stored of it.
EVENT_COLUMNS: list[ColumnElement[Any]] = [c for c in _event.columns if c.name not in STORED]
DOCUMENT = _event.c.document
_country = table_of(EventCountry)
_tag = table_of(EventTag)
_event_actor = table_of(EventActor)
_actor = table_of(Actor)
_citation = table_of(Citation)
_source = table_of(Source)
_link = table_of(EventLink)
_external_id = table_of(EventExternalId)


def _json_list(statement: CoreSelect[Any]) -> ScalarSelect[Any]:
    """The rows of a statement about the outer query's event as a JSON array, in the
    statement's order: of its one column's values, or of arrays when it has several."""
    rows = statement.correlate(_event).subquery()
    item = rows.c[0] if len(rows.c) == 1 else json_array(*rows.c)
    return core_select(json_array_agg(item)).scalar_subquery()


_linking = _event.alias("linking")

# A citation's source, as RELATED's citations list its columns and the public form names them.
_SOURCE_FIELDS = (
    "title",
    "publisher",
    "author",
    "published",
    "kind",
    "language",
    "id",
    "url",
    "archive_url",
    "version",
)

# The fields of the public form made of other tables' rows, as columns of a statement about
# events: each a JSON array (null when empty) of the event's rows in the items' order, each
# row the values `_public` makes an item of. The database looks up every event's rows, and one
# statement reads the lists of a whole page.
RELATED: dict[str, ScalarSelect[Any]] = {
    "countries": _json_list(
        core_select(_country.c.country)
        .where(_country.c.event_id == _event.c.id)
        .order_by(_country.c.country)
    ),
    "tags": _json_list(
        core_select(_tag.c.tag).where(_tag.c.event_id == _event.c.id).order_by(_tag.c.tag)
    ),
    "actors": _json_list(
        core_select(
            _actor.c.id, _actor.c.name, _actor.c.kind, _actor.c.country, _event_actor.c.role
        )
        .join(_actor, _actor.c.id == _event_actor.c.actor_id)
        .where(_event_actor.c.event_id == _event.c.id)
        .order_by(_event_actor.c.position)
    ),
    "citations": _json_list(
        core_select(
            *(_source.c[name] for name in _SOURCE_FIELDS),
            _citation.c.stance,
            _citation.c.quote,
            _citation.c.locator,
        )
        .join(_source, _source.c.id == _citation.c.source_id)
        .where(_citation.c.event_id == _event.c.id)
        .order_by(_citation.c.id)
    ),
    "links": _json_list(
        core_select(_link.c.target_id, _link.c.relation)
        .where(_link.c.event_id == _event.c.id)
        .order_by(_link.c.relation, _link.c.target_id)
    ),
    # The links of other events to this one: a deleted event's links are hidden with it.
    "linked_from": _json_list(
        core_select(_link.c.event_id, _link.c.relation)
        .join(_linking, _linking.c.id == _link.c.event_id)
        .where(_link.c.target_id == _event.c.id, _linking.c.deleted_at.is_(None))
        .order_by(_link.c.relation, _link.c.event_id)
    ),
    "external_ids": _json_list(
        core_select(_external_id.c.scheme, _external_id.c.value)
        .where(_external_id.c.event_id == _event.c.id)
        .order_by(_external_id.c.scheme)
    ),
}

_LIVE_DOCUMENT = core_select(_event.c.version, DOCUMENT).where(
    _event.c.id == bindparam("id"), _event.c.deleted_at.is_(None)
)


@cache
def _lists_of(one: bool) -> Executable:
    """The statement of every list of the events of the `ids` parameter, after their id.

    One event gets `= :ids`, since an IN list makes SQLAlchemy render the statement anew at
    every execution (a tenth of the time of a small request).
    """
    ids = (
        _event.c.id == bindparam("ids")
        if one
        else _event.c.id.in_(bindparam("ids", expanding=True))
    )
    return core_select(_event.c.id, *RELATED.values()).where(ids)


# Events whose documents are built, or read, by one statement at a time.
_DOCUMENT_BATCH = 500


def get_document(session: Session, event_id: str) -> tuple[int, str]:
    """The version and the stored public form (JSON) of the event with this id, or NotFound
    (deleted events are not found)."""
    if not SLUG.fullmatch(event_id):
        raise NotFound(f"No event with id {event_id!r}.")  # no such id can have been stored
    row = session.connection().execute(_LIVE_DOCUMENT, {"id": event_id}).first()
    if row is None:
        raise NotFound(f"No event with id {event_id!r}.")
    return row.version, row.document


def get_event(session: Session, event_id: str) -> dict[str, Any]:
    """The public form of the event with this id as a dict of JSON values, or NotFound."""
    return orjson.loads(get_document(session, event_id)[1])  # type: ignore[no-any-return]


def stored_events(session: Session, ids: Iterable[str]) -> tuple[dict[str, EventDict], set[str]]:
    """The public form of the live events among these ids, from their stored documents (the
    session flushed first), and the ids of those deleted."""
    session.flush()  # a Core statement, which does not autoflush
    live: dict[str, EventDict] = {}
    deleted: set[str] = set()
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _DOCUMENT_BATCH):
        rows = session.connection().execute(
            core_select(_event.c.id, _event.c.deleted_at, DOCUMENT).where(
                _event.c.id.in_(wanted[start : start + _DOCUMENT_BATCH])
            )
        )
        for event_id, deleted_at, text in rows:
            if deleted_at is None:
                live[event_id] = orjson.loads(text)
            else:
                deleted.add(event_id)
    return live, deleted


def items(documents: Iterable[str], fields: set[str] | None) -> list[Any]:
    """Stored documents as items of a list for `dumps`: spliced in as they are, or, when
    `fields` names some, just those fields of each."""
    if fields is None:
        return [orjson.Fragment(document) for document in documents]
    return [only(orjson.loads(document), fields) for document in documents]


def stored(event: EventDict) -> dict[str, str]:
    """What is stored of an event's public form, by column: its document, and the middle cells
    of its CSV line, which the CSV export reads (app.events.csv_cells)."""
    json = dumps(event).decode()
    return {"document": json, "csv_tail": csv_tail(json)}


# The statements that store an event's forms: all of them, or its document alone.
_STORE = {
    columns: update(_event)
    .where(_event.c.id == bindparam("event"))
    .values({name: bindparam(name) for name in columns})
    for columns in (STORED, STORED[:1])
}


def store_documents(session: Session, ids: Iterable[str], *, only_document: bool = False) -> None:
    """Build the public form of these events from their rows and store it (`stored`): in the
    transaction of the write that changed what it shows. The statements are Core, which does
    not autoflush: the caller flushes first. `only_document` is for the migration that added
    the documents, which runs before the column of the CSV lines exists."""
    columns = STORED[:1] if only_document else STORED
    connection = session.connection()
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), _DOCUMENT_BATCH):
        chunk = wanted[start : start + _DOCUMENT_BATCH]
        rows = connection.execute(core_select(*EVENT_COLUMNS).where(_event.c.id.in_(chunk))).all()
        forms = [(event["id"], stored(event)) for event in load_public(session, rows)]
        values = [{"event": event_id} | {c: form[c] for c in columns} for event_id, form in forms]
        connection.execute(_STORE[columns], values)


def publish(session: Session, events: Sequence[Event]) -> list[EventPublic]:
    """The public form of events just written, validated: what writes answer and store."""
    session.flush()  # the queries below are Core statements, which do not autoflush
    return [EventPublic.model_validate(event) for event in load_public(session, events)]


def load_public(session: Session, rows: Sequence[Any]) -> list[EventDict]:
    """The public form of these events (rows of the event table, or Event objects): one
    statement reads the related lists (countries, tags, actors, citations, links,
    linked_from, external_ids) of all of them."""
    lists: dict[str, Sequence[Any]] = {}
    if rows:
        ids = [row.id for row in rows]
        one = len(ids) == 1
        result = session.connection().execute(_lists_of(one), {"ids": ids[0] if one else ids})
        lists = {row[0]: row[1:] for row in result}
    return [_public(row, dict(zip(RELATED, lists.get(row.id, ()), strict=False))) for row in rows]


def only(event: EventDict, fields: set[str] | None) -> EventDict:
    """The event with just these fields (all when None), in the usual order."""
    return event if fields is None else {k: v for k, v in event.items() if k in fields}


def _items(text: str | None) -> list[Any]:
    return orjson.loads(text) if text else []


def _public(row: Any, lists: dict[str, str | None]) -> EventDict:
    """An event row and its related lists (JSON text, by RELATED's names) in EventPublic's
    shape. A list not given is empty."""
    # The lists' items unpacked in the order of RELATED's columns.
    return document(
        row,
        countries=_items(lists.get("countries")),
        tags=_items(lists.get("tags")),
        actors=[
            {"id": actor_id, "name": name, "kind": kind, "country": country, "role": role}
            for actor_id, name, kind, country, role in _items(lists.get("actors"))
        ],
        citations=[
            {
                "source": dict(zip(_SOURCE_FIELDS, source, strict=True)),
                "stance": stance,
                "quote": quote,
                "locator": locator,
            }
            for *source, stance, quote, locator in _items(lists.get("citations"))
        ],
        links=[
            {"event_id": target_id, "relation": relation}
            for target_id, relation in _items(lists.get("links"))
        ],
        linked_from=[
            {"event_id": event_id, "relation": relation}
            for event_id, relation in _items(lists.get("linked_from"))
        ],
        external_ids=dict(_items(lists.get("external_ids"))),
    )


def document(
    event: Any,
    *,
    countries: list[str],
    tags: list[str],
    actors: list[dict[str, Any]],
    citations: list[dict[str, Any]],
    links: list[dict[str, Any]],
    linked_from: list[dict[str, Any]],
    external_ids: dict[str, str],
) -> EventDict:
    """The public form of an event: its columns (`event`: a row, an Event, or anything with
    the event table's attributes) and its lists, each item already in its public shape.

    The one place that says what an event looks like to the world: reads, exports, the
    answers of writes and the revisions of every write, single or bulk, are made here.
    """
    location = None
    if event.location_name or event.location_country or event.location_lat is not None:
        location = {
            "name": event.location_name,
            "country": event.location_country,
            "lat": event.location_lat,
            "lon": event.location_lon,
        }
    # The keys in the order of EventPublic's fields, as its JSON has them.
    return {
        "title": event.title,
        "summary": event.summary,
        "date": event.date,
        "end_date": event.end_date,
        "type": event.type,
        "tone": event.tone,
        "id": event.id,
        "date_lower": event.date_lower,
        "date_upper": event.date_upper,
        "date_precision": event.date_precision,
        "countries": countries,
        "tags": tags,
        "location": location,
        "actors": actors,
        "citations": citations,
        "status": event.status,
        "links": links,
        "linked_from": linked_from,
        "external_ids": external_ids,
        "version": event.version,
        "created_at": event.created_at,
        "updated_at": event.updated_at,
    }


def dumps(value: Any) -> bytes:
    """JSON as pydantic writes EventPublic: a UTC time ends in Z (2026-11-28T12:48:39.953298Z)."""
    return orjson.dumps(value, option=orjson.OPT_UTC_Z)


def revision_data(event: EventDict) -> dict[str, Any]:
    """What a revision stores of an event: its public form as JSON, but linked_from (the
    other events' links, which their own revisions hold)."""
    data: dict[str, Any] = orjson.loads(
        dumps({k: v for k, v in event.items() if k != "linked_from"})
    )
    return data
