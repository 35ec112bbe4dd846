"""The public form of events: EventPublic's JSON shape, built from rows in one place.

Reads build it as plain dicts straight from rows: one query for the events, then one
statement that reads every related list (countries, tags, actors, citations, links,
linked_from, external ids) of all of them, and orjson writes the result. ORM objects and
pydantic validation of what the database holds already cost many times the SQL; EventPublic
stays the documented schema, and a test holds the two equal. Reads, exports, writes' answers
and revisions all take an event's public form from here.
"""

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Executable, ScalarSelect, bindparam
from sqlalchemy import Select as CoreSelect
from sqlalchemy import select as core_select
from sqlmodel import Session

from app.actors.models import Actor
from app.core.db import json_array, json_array_agg, table_of
from app.core.errors import NotFound
from app.core.slugs import SLUG
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
EVENT_COLUMNS: list[ColumnElement[Any]] = list(_event.columns)
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

# The lists iter_flat gives: RELATED's, and the [url, publisher] of each source, for the CSV.
FLAT_LISTS: dict[str, ScalarSelect[Any]] = RELATED | {
    "sources": _json_list(
        core_select(_source.c.url, _source.c.publisher)
        .join(_source, _source.c.id == _citation.c.source_id)
        .where(_citation.c.event_id == _event.c.id)
        .order_by(_citation.c.id)
    ),
}

# One event and all its lists, in one statement.
_LIVE_EVENT = core_select(_event, *RELATED.values()).where(
    _event.c.id == bindparam("id"), _event.c.deleted_at.is_(None)
)


@cache
def _lists_of(names: tuple[str, ...], one: bool) -> Executable:
    """The statement of these lists for the events of the `ids` parameter, after their id.

    One event gets `= :ids`, since an IN list makes SQLAlchemy render the statement anew at
    every execution (a tenth of the time of a small request).
    """
    ids = (
        _event.c.id == bindparam("ids")
        if one
        else _event.c.id.in_(bindparam("ids", expanding=True))
    )
    return core_select(_event.c.id, *(RELATED[name] for name in names)).where(ids)


def get_event(session: Session, event_id: str) -> EventDict:
    """The event with this id, or NotFound (deleted events are not found)."""
    if not SLUG.fullmatch(event_id):
        raise NotFound(f"No event with id {event_id!r}.")  # no such id can have been stored
    row = session.connection().execute(_LIVE_EVENT, {"id": event_id}).first()
    if row is None:
        raise NotFound(f"No event with id {event_id!r}.")
    return _public(row, dict(zip(RELATED, row[len(EVENT_COLUMNS) :], strict=True)))


def publish(session: Session, events: Sequence[Event]) -> list[EventPublic]:
    """The public form of events just written, validated: what writes answer and store."""
    session.flush()  # the queries below are Core statements, which do not autoflush
    return [EventPublic.model_validate(event) for event in load_public(session, events)]


def load_public(
    session: Session,
    rows: Sequence[Any],
    fields: set[str] | None = None,
    *,
    related: Collection[str] | None = None,
) -> list[EventDict]:
    """The public form of these events (rows of the event table, or Event objects).

    One statement reads the related lists (countries, tags, actors, citations, links,
    linked_from, external_ids) of all of them, only those of the fields wanted when `fields`
    names some; the dicts then hold those fields alone (a field whose list was not read is
    built empty, then dropped). `related`, when given, names the lists to read instead, and
    keeps every field: those of the lists not read are empty.
    """
    wanted = fields if related is None else related
    names = tuple(name for name in RELATED if wanted is None or name in wanted)
    lists: dict[str, Sequence[Any]] = {}
    if rows and names:
        ids = [row.id for row in rows]
        one = len(ids) == 1
        result = session.connection().execute(
            _lists_of(names, one), {"ids": ids[0] if one else ids}
        )
        lists = {row[0]: row[1:] for row in result}
    events = [_public(row, dict(zip(names, lists.get(row.id, ()), strict=False))) for row in rows]
    return events if related is not None else [only(event, fields) for event in events]


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


def revision_json(event: EventDict) -> bytes:
    """What a revision stores of an event: its public form as JSON, but linked_from (the
    other events' links, which their own revisions hold)."""
    return dumps({k: v for k, v in event.items() if k != "linked_from"})


def revision_data(event: EventDict) -> dict[str, Any]:
    """revision_json's data."""
    data: dict[str, Any] = orjson.loads(revision_json(event))
    return data
