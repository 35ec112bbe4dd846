"""Creating many new events at once, set by set: the path of `dyad import` and POST /v1/imports.

A batch of new events goes in with one multi-row INSERT per table (event, countries, tags,
actors, citations, external ids, revisions) instead of ORM objects flushed one by one, and
with one query per kind of reference to check (actors, sources, external ids) instead of one
per record. Each revision holds the event's public form as public.document makes it for every
write, built from the validated record and the actors and sources it names (a test compares
them).
Links come last (`add_links`), once every event of the import exists: a record may link to
one further down the file.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection, select, text, tuple_
from sqlmodel import Session, col

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.dates import span
from app.core.db import insert_rows, table_of
from app.core.errors import Conflict, InvalidInput
from app.core.slugs import make_slug
from app.events.derived import counts, dyads, months, search
from app.events.models import (
    Citation,
    Event,
    EventActor,
    EventCountry,
    EventCreate,
    EventExternalId,
    EventLink,
    EventTag,
    Location,
    Stance,
    Status,
)
from app.events.public import document, revision_data
from app.sources.models import Source, SourcePublic
from app.sources.service import ensure_sources


def derive_status(stances: Sequence[str]) -> Status:
    if not stances:
        return Status.unsourced
    return Status.disputed if Stance.disputes in stances else Status.reported


def event_id_for(data: EventCreate) -> str:
    """The writer's id, or one made from the date and the title."""
    return data.id or make_slug(data.date.rstrip("?~%"), data.title)


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


@dataclass(frozen=True)
class NewEvent:
    line: int  # where the record was in its file, for error messages
    id: str
    data: EventCreate  # citations name their source by source_id (see resolve_sources)


@dataclass(frozen=True)
class Problem:
    line: int
    id: str
    problem: str
    conflict: bool = False  # an external id another event holds (409), not a bad reference


def store_sources(
    session: Session, records: list[tuple[int, EventCreate]]
) -> tuple[list[tuple[int, EventCreate]], list[Problem]]:
    """The records with every source they give whole stored (or found by its URL) and cited
    by its id; and the records refused, for a source that could not be stored."""
    given = [c.source for _, data in records for c in data.citations if c.source is not None]
    if not given:
        return records, []
    ids, refused = ensure_sources(session, given)
    stored: list[tuple[int, EventCreate]] = []
    problems: list[Problem] = []
    for line, data in records:
        wrong = [
            refused[c.source.url] for c in data.citations if c.source and c.source.url in refused
        ]
        if wrong:
            problems.append(Problem(line, event_id_for(data), "; ".join(wrong) + "."))
            continue
        citations = [
            c.model_copy(update={"source_id": ids[c.source.url], "source": None})
            if c.source is not None
            else c
            for c in data.citations
        ]
        stored.append((line, data.model_copy(update={"citations": citations})))
    return stored, problems


def create_events(
    session: Session,
    batch: Sequence[NewEvent],
    *,
    key_name: str | None,
    now: datetime,
    links: bool = False,
) -> list[Problem]:
    """Insert the events of `batch`, all new ids; the records refused, and why.

    Refused records write nothing; the rest are written. Their links wait for `add_links`
    (a record of an import may link to one further down its file), unless `links`: then they
    must name stored events, and go in with the rest.
    """
    actors = _actors(session, {actor.id for new in batch for actor in new.data.actors})
    sources = _sources(session, {c.source_id for new in batch for c in new.data.citations})
    held = external_ids_held(session, [new.data for new in batch])
    live = (
        _live(session, {link.event_id for new in batch for link in new.data.links})
        if links
        else None
    )
    problems: list[Problem] = []
    accepted: list[NewEvent] = []
    for new in batch:
        refused = _refusals(new, actors, sources, live)
        conflicts = [
            f"external id {scheme}={value!r} belongs to event {held[(scheme, value)]!r}"
            for scheme, value in new.data.external_ids.items()
            if (scheme, value) in held
        ]
        if refused or conflicts:
            text = "; ".join(refused or conflicts) + "."
            problems.append(Problem(new.line, new.id, text, conflict=not refused))
            continue
        accepted.append(new)
        held.update({(scheme, value): new.id for scheme, value in new.data.external_ids.items()})
    if not accepted:
        return problems
    rows: dict[Any, list[dict[str, Any]]] = {
        model: []
        for model in (Event, EventCountry, EventTag, EventActor, Citation, EventExternalId)
    }
    revisions = []
    for new in accepted:
        event_id, data = new.id, new.data
        columns = event_columns(data)
        rows[Event].append(
            {"id": event_id, **columns, "version": 1, "created_at": now, "updated_at": now}
        )
        countries, tags = sorted(set(data.countries)), sorted(set(data.tags))
        rows[EventCountry] += [{"event_id": event_id, "country": c} for c in countries]
        rows[EventTag] += [{"event_id": event_id, "tag": tag} for tag in tags]
        rows[EventActor] += [
            {"event_id": event_id, "actor_id": a.id, "role": a.role.value, "position": i}
            for i, a in enumerate(data.actors)
        ]
        rows[Citation] += [
            {
                "event_id": event_id,
                "source_id": c.source_id,
                "stance": c.stance.value,
                "quote": c.quote,
                "locator": c.locator,
            }
            for c in data.citations
        ]
        rows[EventExternalId] += [
            {"event_id": event_id, "scheme": scheme, "value": value}
            for scheme, value in data.external_ids.items()
        ]
        event = document(
            SimpleNamespace(**rows[Event][-1]),
            countries=countries,
            tags=tags,
            actors=[actors[a.id] | {"role": a.role.value} for a in data.actors],
            citations=[
                {
                    "source": sources[str(c.source_id)],
                    "stance": c.stance.value,
                    "quote": c.quote,
                    "locator": c.locator,
                }
                for c in data.citations
            ],
            links=sorted(
                (
                    {"event_id": link.event_id, "relation": link.relation.value}
                    for link in data.links
                ),
                key=lambda link: (link["relation"], link["event_id"]),
            ),
            linked_from=[],
            external_ids=dict(sorted(data.external_ids.items())),
        )
        revisions.append(
            {
                "event_id": event_id,
                "version": 1,
                "action": "create",
                "data": revision_data(event),
                "key_name": key_name,
                "created_at": now,
            }
        )
    for model, table_rows in rows.items():  # events first: the others refer to them
        insert_rows(session, table_of(model), table_rows)
    insert_rows(session, table_of(Revision), revisions)
    if links:
        add_links(
            session,
            [(n, link.event_id, link.relation.value) for n in accepted for link in n.data.links],
        )
    return problems


def add_links(session: Session, links: Iterable[tuple[NewEvent, str, str]]) -> list[Problem]:
    """Insert (event, target id, relation) links of new events once all of them exist."""
    pending = list(links)
    live = _live(session, {target for _new, target, _relation in pending})
    problems = [
        Problem(new.line, new.id, f"link to unknown event {target!r}.")
        for new, target, _relation in pending
        if target not in live
    ]
    rows = [
        {"event_id": new.id, "target_id": target, "relation": relation}
        for new, target, relation in pending
        if target in live
    ]
    if not problems:
        insert_rows(session, table_of(EventLink), rows)
    return problems


def check_references(session: Session, event_id: str, data: EventCreate) -> None:
    """Refuse to write `data` as the event `event_id` when it names what is not stored (422:
    actors, sources, linked events) or an external id another event holds (409). The checks
    of create_events, for one event that is replaced."""
    targets = {link.event_id for link in data.links}
    refused = _refusals(
        NewEvent(1, event_id, data),
        _actors(session, {actor.id for actor in data.actors}),
        _sources(session, {c.source_id for c in data.citations}),
        _live(session, targets),
    )
    if refused:
        raise InvalidInput("; ".join(refused) + ".")
    for (scheme, value), holder in external_ids_held(session, [data]).items():
        if holder != event_id:
            raise Conflict(f"External id {scheme}={value!r} belongs to event {holder!r}.")


def _live(session: Session, ids: set[str]) -> set[str]:
    """The ids of stored events among these that are not deleted."""
    live: set[str] = set()
    for chunk in _chunks(sorted(ids)):
        live.update(
            session.scalars(
                select(col(Event.id)).where(
                    col(Event.id).in_(chunk), col(Event.deleted_at).is_(None)
                )
            )
        )
    return live


def _refusals(
    new: NewEvent,
    actors: dict[str, dict[str, Any]],
    sources: dict[str, dict[str, Any]],
    live: set[str] | None,
) -> list[str]:
    """The references of this record that name nothing stored; its links too, given `live`."""
    data = new.data
    refused = [
        f"unknown actor {a!r}" for a in sorted({a.id for a in data.actors if a.id not in actors})
    ]
    named = {str(c.source_id) for c in data.citations if c.source_id not in sources}
    refused += [f"unknown source {s!r}" for s in sorted(named)]
    targets = {link.event_id for link in data.links}
    if new.id in targets:
        refused.append("an event cannot link to itself")
    if live is not None:
        unknown = sorted(targets - live - {new.id})
        refused += [f"link to unknown event {target!r}" for target in unknown]
    return refused


def _actors(session: Session, ids: set[str]) -> dict[str, dict[str, Any]]:
    """The actors with these ids as an event lists them (without the role)."""
    found = {}
    for chunk in _chunks(sorted(ids)):
        rows = session.execute(
            select(col(Actor.id), col(Actor.name), col(Actor.kind), col(Actor.country)).where(
                col(Actor.id).in_(chunk)
            )
        )
        for actor_id, name, kind, country in rows:
            found[actor_id] = {"id": actor_id, "name": name, "kind": kind, "country": country}
    return found


def _sources(session: Session, ids: set[str | None]) -> dict[str, dict[str, Any]]:
    """The sources with these ids, in their public JSON form."""
    names = list(SourcePublic.model_fields)  # all plain text and numbers in the table
    columns = [table_of(Source).c[name] for name in names]
    found = {}
    for chunk in _chunks(sorted(i for i in ids if i is not None)):
        for row in session.execute(select(*columns).where(col(Source.id).in_(chunk))):
            found[row.id] = dict(zip(names, row, strict=True))
    return found


def external_ids_held(session: Session, records: list[EventCreate]) -> dict[tuple[str, str], str]:
    """(scheme, value) -> the event holding it, for the external ids these records give."""
    wanted = {(scheme, value) for data in records for scheme, value in data.external_ids.items()}
    held = {}
    for chunk in _chunks(sorted(wanted)):
        rows = session.execute(
            select(
                col(EventExternalId.scheme),
                col(EventExternalId.value),
                col(EventExternalId.event_id),
            ).where(tuple_(col(EventExternalId.scheme), col(EventExternalId.value)).in_(chunk))
        )
        held.update({(scheme, value): event_id for scheme, value, event_id in rows})
    return held


# --- The tables that triggers keep, filled batch by batch ------------------------------------
#
# Triggers keep the full-text index (event_search), the dyad index (event_dyad), its monthly
# counts (dyad_month) and the vocabularies' counts row by row: an imported event rewrote its
# search document once for each of its citations, and the triggers took a third of an
# import's time on SQLite and most of it on PostgreSQL. So an import sets the insert triggers
# aside in its own transaction and fills those tables for each batch of new events with one
# statement apiece, then puts the triggers back before it changes any stored event. The
# change is part of the transaction and the import is the one writer (begin_write): no other
# writer runs without the triggers, and a failed import rolls the triggers back too. SQLite
# drops and creates them again (its DDL is transactional); PostgreSQL disables them (ALTER
# TABLE … DISABLE TRIGGER locks out writers, not readers, where DROP TRIGGER would lock out
# readers too).

# The SQLite triggers that fire as rows are inserted.
_SQLITE_INSERT_TRIGGERS = tuple(
    name
    for module in (search, dyads, months, counts)
    for name in module.SQLITE_TRIGGERS
    if name.endswith("_insert")
)

# The PostgreSQL triggers that fire as rows are inserted: (table, trigger).
_POSTGRESQL_INSERT_TRIGGERS = tuple(
    (table, name)
    for module in (search, dyads, months, counts)
    for statement in module.POSTGRESQL_UPGRADE
    for name, events, table in re.findall(r"CREATE TRIGGER (\w+)\s+AFTER (.+?) ON (\w+)", statement)
    if "INSERT" in events
)

# The ids of the new events, bound as :ids (JSON text on SQLite, an array on PostgreSQL), as
# the rows of `new`, each its `value`.
_NEW_IDS = {
    "sqlite": "json_each(:ids) AS new",
    "postgresql": "unnest(CAST(:ids AS text[])) AS new(value)",
}


def _fill_for_new_events(dialect: str) -> list[str]:
    """What the insert triggers would have written for the new events, in the order they run:
    the same definitions as the triggers' (app.events.derived), over a batch."""
    new = _NEW_IDS[dialect]
    events = f"{new} JOIN event AS e ON e.id = new.value"
    return [
        *(
            search.fill(f"SELECT value FROM {new}", events)
            if dialect == "sqlite"
            else [search.postgresql_fill(events)]
        ),
        dyads.pairs_of_events(dialect, events),
        months.months_of_pairs(
            dialect, f"{new} JOIN event_dyad AS d ON d.event_id = new.value", add=True
        ),
        *counts.fill(events),
    ]


_FILL_FOR_NEW_EVENTS = {dialect: _fill_for_new_events(dialect) for dialect in _NEW_IDS}

IndexNewEvents = Callable[[list[str]], None]


@contextmanager
def indexed_by_batch(session: Session) -> Iterator[IndexNewEvents]:
    """While it lasts, new events are indexed by calling what it yields with their ids, once
    their rows are all in, in place of the insert triggers (see above)."""
    connection = session.connection()
    dialect = connection.dialect.name
    fill = _FILL_FOR_NEW_EVENTS[dialect]

    def index(ids: list[str]) -> None:
        bound = {"ids": orjson.dumps(ids).decode() if dialect == "sqlite" else ids}
        for statement in fill:
            session.execute(text(statement), bound)

    if dialect == "sqlite":
        with _sqlite_triggers_dropped(connection):
            yield index
        return
    found = connection.exec_driver_sql(
        "SELECT c.relname, t.tgname FROM pg_trigger AS t JOIN pg_class AS c ON c.oid = t.tgrelid"
        " WHERE t.tgenabled <> 'D'"
    )
    if missing := set(_POSTGRESQL_INSERT_TRIGGERS) - {tuple(row) for row in found}:
        # Filling for a trigger that still fires would count its rows twice.
        raise RuntimeError(f"the database lacks the triggers {sorted(missing)}: migrate it")
    for table, name in _POSTGRESQL_INSERT_TRIGGERS:
        connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
    yield index  # an error leaves them disabled: the transaction is rolled back
    for table, name in _POSTGRESQL_INSERT_TRIGGERS:
        connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")


@contextmanager
def _sqlite_triggers_dropped(connection: Connection) -> Iterator[None]:
    def triggers() -> dict[str, str]:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
        return {name: sql for name, sql in rows if name in _SQLITE_INSERT_TRIGGERS}

    saved = triggers()
    if missing := set(_SQLITE_INSERT_TRIGGERS) - saved.keys():
        # Filling for a trigger that still fires would count its rows twice.
        raise RuntimeError(f"the database lacks the triggers {sorted(missing)}: migrate it")
    for name in saved:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        # Those not back already: an error may have rolled the transaction back.
        for name in saved.keys() - triggers().keys():
            connection.exec_driver_sql(saved[name])


# Values per IN list: well under SQLite's limit of bound parameters.
_IN_SIZE = 5000


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _IN_SIZE):
        yield items[start : start + _IN_SIZE]
