"""Writing many events at once, set by set: the path of `dyad import`, POST /v1/imports and
the API's writes (a batch of one).

A batch of new events goes in with one bulk INSERT per table (event, countries, tags, actors,
citations, external ids, revisions) through the driver (app.core.db.insert_rows) instead of
ORM objects flushed one by one, and with one query per kind of reference to check (actors,
sources, external ids) instead of one per record. Records of stored events replace them the
same way (`replace_events`): their lists deleted and written again, set by set. Each revision
holds the event's public form as public.document makes it for every write, built from the
validated record and the actors and sources it names (a test compares them).
Links of new events come last (`add_links`), once every event of the import exists: a record
may link to one further down the file.
"""

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import Connection, bindparam, delete, select, text, tuple_, update
from sqlmodel import Session, col

from app.actors.models import Actor
from app.changes.models import Revision
from app.core.dates import span
from app.core.db import insert_rows, table_of
from app.core.slugs import make_slug
from app.events.derived import country_months, counts, dyad_actors, dyads, months, search, usage
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
from app.events.public import (
    EVENT_COLUMNS,
    EventDict,
    document,
    load_public,
    revision_data,
    store_documents,
    stored,
)
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
    known = _References.of(session, batch, links=links)
    problems: list[Problem] = []
    written = _Rows()
    for new in batch:
        if problem := known.refused(new):
            problems.append(problem)
            continue
        known.held.update({item: new.id for item in new.data.external_ids.items()})
        written.add(new, known, version=1, created_at=now, updated_at=now, linked_from=[])
    if not links:
        written.rows[EventLink] = []
    written.insert(session, "create", key_name)
    # The events they link to show them in their linked_from.
    store_documents(session, {row["target_id"] for row in written.rows[EventLink]})
    return problems


def replace_events(
    session: Session, batch: Sequence[NewEvent], *, key_name: str | None, now: datetime
) -> tuple[list[str], list[Problem]]:
    """Replace stored live events (each NewEvent's id) with their records, set by set: the
    ids of those that changed, each now one version more with its revision, and the records
    refused, and why. A record equal to its event changes nothing; if any is refused, none is
    written. Their links must name stored events."""
    ids = [new.id for new in batch]
    live = select(*EVENT_COLUMNS).where(col(Event.deleted_at).is_(None))
    stored = {
        event["id"]: event
        for chunk in _chunks(ids)
        for event in load_public(
            session, session.execute(live.where(col(Event.id).in_(chunk))).all()
        )
    }
    known = _References.of(session, batch, links=True)
    problems: list[Problem] = []
    written = _Rows()
    for new in batch:
        current = stored.get(new.id)
        if current is None:
            problems.append(Problem(new.line, new.id, f"No event with id {new.id!r}."))
            continue
        event = written.add(
            new,
            known,
            version=current["version"] + 1,
            created_at=current["created_at"],
            updated_at=now,
            linked_from=current["linked_from"],
        )
        if _same(event, current):
            written.drop_last()
        elif problem := known.refused(new, holder=new.id):
            problems.append(problem)
            written.drop_last()
        else:
            known.held.update({item: new.id for item in new.data.external_ids.items()})
    changed = [row["id"] for row in written.rows[Event]]
    if problems or not changed:
        return [], problems
    session.flush()
    connection = session.connection()
    dialect = connection.dialect.name
    # The search triggers rewrite an event's document once per citation deleted or added;
    # for one event (a PUT) that costs less than setting them aside.
    many = len(changed) > 1
    write_out_history(session, changed)
    with _set_aside(connection, _SEARCH_TRIGGERS[dialect]) if many else nullcontext():
        for model in _CHILDREN:
            for chunk in _chunks(changed):
                session.execute(
                    delete(table_of(model)).where(table_of(model).c.event_id.in_(chunk))
                )
        events = table_of(Event)
        session.execute(
            update(events).where(events.c.id == bindparam("_id")),
            [{k if k != "id" else "_id": v for k, v in row.items()} for row in written.rows[Event]],
        )
        written.rows[Event] = []  # updated, not inserted
        written.insert(session, "update", key_name)
        if many:
            _run(session, _SEARCH_FILL[dialect], changed)
    # The events they linked to, and link to now: their linked_from changes.
    linked = {link["event_id"] for i in changed for link in stored[i]["links"]}
    store_documents(session, linked | {row["target_id"] for row in written.rows[EventLink]})
    session.expire_all()  # the ORM's copies of these events are stale
    return changed, []


_WRITE_OUT = (
    update(table_of(Revision))
    .where(col(Revision.event_id) == bindparam("event"), col(Revision.data).is_(None))
    .values(data=bindparam("data"))
)


def write_out_history(session: Session, ids: Iterable[str]) -> None:
    """Give the newest revisions of these events the data they hold in the events' documents,
    before the documents change: the history keeps what each version showed."""
    connection = session.connection()
    for chunk in _chunks(sorted(set(ids))):
        rows = connection.execute(
            select(col(Event.id), col(Event.document)).where(col(Event.id).in_(chunk))
        ).all()
        written = [{"event": i, "data": revision_data(orjson.loads(d))} for i, d in rows if d]
        if written:
            connection.execute(_WRITE_OUT, written)


# The tables of an event's lists, in the order they are written.
_CHILDREN = (EventCountry, EventTag, EventActor, Citation, EventLink, EventExternalId)


def _same(event: EventDict, current: EventDict) -> bool:
    """Whether a write would leave the event as it is: the same public form, but its version
    and when it was written."""
    return all(event[name] == current[name] for name in event if name not in _WRITTEN)


_WRITTEN = frozenset({"version", "updated_at"})


@dataclass
class _References:
    """What the records of a batch name that is stored: actors and sources in their public
    form, the external ids held and by which event, the live events linked to (if checked)."""

    actors: dict[str, dict[str, Any]]
    sources: dict[str, dict[str, Any]]
    held: dict[tuple[str, str], str]
    live: set[str] | None

    @classmethod
    def of(cls, session: Session, batch: Sequence[NewEvent], *, links: bool) -> "_References":
        return cls(
            _actors(session, {actor.id for new in batch for actor in new.data.actors}),
            _sources(session, {c.source_id for new in batch for c in new.data.citations}),
            external_ids_held(session, [new.data for new in batch]),
            live_ids(session, {link.event_id for new in batch for link in new.data.links})
            if links
            else None,
        )

    def refused(self, new: NewEvent, holder: str | None = None) -> Problem | None:
        """Why the record can't be written, if it can't: a reference to nothing stored, or
        an external id held by an event other than `holder`."""
        refused = _refusals(new, self.actors, self.sources, self.live)
        conflicts = [
            f"external id {scheme}={value!r} belongs to event {self.held[(scheme, value)]!r}"
            for scheme, value in new.data.external_ids.items()
            if self.held.get((scheme, value), holder) != holder
        ]
        if not refused and not conflicts:
            return None
        return Problem(new.line, new.id, "; ".join(refused or conflicts) + ".", not refused)


class _Rows:
    """The rows of events to write, by table, with their revisions."""

    def __init__(self) -> None:
        self.rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in (Event, *_CHILDREN)}
        self.revisions: list[dict[str, Any]] = []
        self._sizes: list[dict[Any, int]] = []

    def add(
        self,
        new: NewEvent,
        known: _References,
        *,
        version: int,
        created_at: datetime,
        updated_at: datetime,
        linked_from: list[dict[str, Any]],
    ) -> EventDict:
        """Add the rows of the record `new` as the event's `version`; its public form (the
        other events' links to it, `linked_from`, as they are)."""
        self._sizes.append({model: len(rows) for model, rows in self.rows.items()})
        event_id, data = new.id, new.data
        columns = event_columns(data)
        self.rows[Event].append(
            {
                "id": event_id,
                **columns,
                "version": version,
                "created_at": created_at,
                "updated_at": updated_at,
            }
        )
        countries, tags = sorted(set(data.countries)), sorted(set(data.tags))
        links = sorted(
            ({"event_id": link.event_id, "relation": link.relation.value} for link in data.links),
            key=lambda link: (link["relation"], link["event_id"]),
        )
        rows = self.rows
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
        rows[EventLink] += [
            {"event_id": event_id, "target_id": link["event_id"], "relation": link["relation"]}
            for link in links
        ]
        rows[EventExternalId] += [
            {"event_id": event_id, "scheme": scheme, "value": value}
            for scheme, value in data.external_ids.items()
        ]
        event = document(
            SimpleNamespace(**rows[Event][-1]),
            countries=countries,
            tags=tags,
            actors=[known.actors[a.id] | {"role": a.role.value} for a in data.actors],
            citations=[
                {
                    "source": known.sources[str(c.source_id)],
                    "stance": c.stance.value,
                    "quote": c.quote,
                    "locator": c.locator,
                }
                for c in data.citations
            ],
            links=links,
            linked_from=linked_from,
            external_ids=dict(sorted(data.external_ids.items())),
        )
        self.rows[Event][-1] |= stored(event)
        self.revisions.append(
            {
                "event_id": event_id,
                "version": version,
                "data": None,  # the newest: its data is the document (revision_written)
                "created_at": updated_at,
            }
        )
        return event

    def drop_last(self) -> None:
        """Forget the rows of the last record added."""
        for model, size in self._sizes.pop().items():
            del self.rows[model][size:]
        self.revisions.pop()

    def insert(self, session: Session, action: str, key_name: str | None) -> None:
        for model, rows in self.rows.items():  # events first: the others refer to them
            insert_rows(session, table_of(model), rows)
        revisions = [r | {"action": action, "key_name": key_name} for r in self.revisions]
        insert_rows(session, table_of(Revision), revisions)


def add_links(session: Session, links: Iterable[tuple[NewEvent, str, str]]) -> list[Problem]:
    """Insert (event, target id, relation) links of new events once all of them exist."""
    pending = list(links)
    live = live_ids(session, {target for _new, target, _relation in pending})
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
        # Their linked_from now shows the new events.
        store_documents(session, {row["target_id"] for row in rows})
    return problems


def live_ids(session: Session, ids: set[str]) -> set[str]:
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
    return held_by(session, {item for data in records for item in data.external_ids.items()})


def held_by(session: Session, wanted: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(scheme, value) -> the event holding it, for these external ids.

    PostgreSQL joins the pairs as two arrays, one index lookup each: a list of pairs in the
    query became an OR of thousands of terms to plan, and with the statistics of a table
    still filling (an import's own rows) a scan of every id of the scheme, per batch.
    """
    connection = session.connection()
    held = {}
    for chunk in _chunks(sorted(set(wanted))):
        if connection.dialect.name == "postgresql":
            rows = connection.execute(
                _HELD_BY_ARRAYS,
                {"schemes": [s for s, _ in chunk], "values": [v for _, v in chunk]},
            )
        else:
            rows = connection.execute(
                select(
                    col(EventExternalId.scheme),
                    col(EventExternalId.value),
                    col(EventExternalId.event_id),
                ).where(tuple_(col(EventExternalId.scheme), col(EventExternalId.value)).in_(chunk))
            )
        held.update({(scheme, value): event_id for scheme, value, event_id in rows})
    return held


_HELD_BY_ARRAYS = text(
    "SELECT x.scheme, x.value, i.event_id"
    " FROM unnest(CAST(:schemes AS text[]), CAST(:values AS text[])) AS x(scheme, value)"
    " JOIN event_external_id AS i ON i.scheme = x.scheme AND i.value = x.value"
)


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


def _postgresql_triggers(module: Any) -> list[tuple[str, str, str]]:
    """(table, trigger, events) of each PostgreSQL trigger a derived module creates."""
    return [
        (table, name, events)
        for statement in module.POSTGRESQL_UPGRADE
        for name, events, table in re.findall(
            r"CREATE TRIGGER (\w+)\s+(?:BEFORE|AFTER) (.+?) ON (\w+)", statement
        )
    ]


# The derived tables an import fills batch by batch.
_MODULES = (search, dyads, months, counts, usage, country_months, dyad_actors)

# The triggers that fire as rows are inserted: SQLite's names, PostgreSQL's (table, name).
# A PostgreSQL trigger may fire on deletes too: an import's new events delete nothing.
_INSERT_TRIGGERS: dict[str, list[Any]] = {
    "sqlite": [name for m in _MODULES for name in m.SQLITE_TRIGGERS if name.endswith("_insert")],
    "postgresql": [
        (table, name)
        for m in _MODULES
        for table, name, events in _postgresql_triggers(m)
        if "INSERT" in events
    ],
}
# The triggers of the search index, set aside while events are replaced, then re-indexed.
_SEARCH_TRIGGERS: dict[str, list[Any]] = {
    "sqlite": list(search.SQLITE_TRIGGERS),
    "postgresql": [(table, name) for table, name, _ in _postgresql_triggers(search)],
}

# The ids of the events, bound as :ids (JSON text on SQLite, an array on PostgreSQL), as the
# rows of `new`, each its `value`.
BATCH_IDS = {
    "sqlite": "json_each(:ids) AS new",
    "postgresql": "unnest(CAST(:ids AS text[])) AS new(value)",
}


def _search_fill(dialect: str) -> list[str]:
    """The search rows of the events of :ids, written anew."""
    new = BATCH_IDS[dialect]
    events = f"{new} JOIN event AS e ON e.id = new.value"
    if dialect != "sqlite":
        return [search.postgresql_fill(events)]  # an upsert
    return [
        "DELETE FROM event_search WHERE rowid IN"
        f" (SELECT k.id FROM {new} JOIN event_search_key AS k ON k.event_id = new.value)",
        # A key follows the event's date (search.fill gives each event its key anew).
        f"DELETE FROM event_search_key WHERE event_id IN (SELECT value FROM {new})",
        *search.fill(events),
    ]


def _fill_for_new_events(dialect: str) -> list[str]:
    """What the insert triggers would have written for the new events, in the order they run:
    the same definitions as the triggers' (app.events.derived), over a batch."""
    new = BATCH_IDS[dialect]
    events = f"{new} JOIN event AS e ON e.id = new.value"
    return [
        *_search_fill(dialect),
        dyads.pairs_of_events(dialect, events),
        months.months_of_pairs(
            dialect, f"{new} JOIN event_dyad AS d ON d.event_id = new.value", add=True
        ),
        *counts.fill(events),
        *usage.fill(events),
        *country_months.fill(dialect, events),
        dyad_actors.fill(events),
    ]


FILL_FOR_NEW_EVENTS = {dialect: _fill_for_new_events(dialect) for dialect in BATCH_IDS}
_SEARCH_FILL = {dialect: _search_fill(dialect) for dialect in BATCH_IDS}

IndexNewEvents = Callable[[list[str]], None]


@contextmanager
def indexed_by_batch(session: Session) -> Iterator[IndexNewEvents]:
    """While it lasts, new events are indexed by calling what it yields with their ids, once
    their rows are all in, in place of the insert triggers (see above)."""
    connection = session.connection()
    dialect = connection.dialect.name
    with _set_aside(connection, _INSERT_TRIGGERS[dialect]):
        yield lambda ids: _run(session, FILL_FOR_NEW_EVENTS[dialect], ids)


def _run(session: Session, statements: list[str], ids: list[str]) -> None:
    """Run the statements for the events of these ids."""
    dialect = session.connection().dialect.name
    bound = {"ids": orjson.dumps(ids).decode() if dialect == "sqlite" else ids}
    for statement in statements:
        session.execute(text(statement), bound)


@contextmanager
def _set_aside(connection: Connection, triggers: list[Any]) -> Iterator[None]:
    """The triggers dropped (SQLite) or disabled (PostgreSQL) while it lasts."""
    if connection.dialect.name != "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT c.relname, t.tgname FROM pg_trigger AS t"
            " JOIN pg_class AS c ON c.oid = t.tgrelid WHERE t.tgenabled <> 'D'"
        )
        if missing := set(triggers) - {tuple(row) for row in rows}:
            # Filling for a trigger that still fires would count its rows twice.
            raise RuntimeError(f"the database lacks the triggers {sorted(missing)}: migrate it")
        for table, name in triggers:
            connection.exec_driver_sql(f"ALTER TABLE {table} DISABLE TRIGGER {name}")
        yield  # an error leaves them disabled: the transaction is rolled back
        for table, name in triggers:
            connection.exec_driver_sql(f"ALTER TABLE {table} ENABLE TRIGGER {name}")
        return

    def present() -> dict[str, str]:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
        )
        return {name: sql for name, sql in rows if name in triggers}

    saved = present()
    if missing := set(triggers) - saved.keys():
        raise RuntimeError(f"the database lacks the triggers {sorted(missing)}: migrate it")
    for name in saved:
        connection.exec_driver_sql(f"DROP TRIGGER {name}")
    try:
        yield
    finally:
        # Those not back already: an error may have rolled the transaction back.
        for name in saved.keys() - present().keys():
            connection.exec_driver_sql(saved[name])


# Values per IN list: well under SQLite's limit of bound parameters.
_IN_SIZE = 5000


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), _IN_SIZE):
        yield items[start : start + _IN_SIZE]
