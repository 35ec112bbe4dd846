"""Actors and sources in use, counted (usage_count): live events per actor, citations of live
events per source.

What `GET /v1/actors` (and one actor) and `GET /v1/sources` show beside each, read as one
stored row instead of counted over the events at each request; the views actor_usage and
source_usage name them for the actors and sources domains. Triggers keep it right in the
writer's own transaction, as vocabulary_count's do (app.events.derived.counts, whose
statements these reuse): an actor or citation added to a live event adds one, one removed
takes one away; an event deleted, restored or removed outright moves its actors and
citations out or in. An actor holding two roles in one event counts once.

The child tables' triggers run BEFORE each row is written, on both databases: PostgreSQL's
AFTER row triggers run at the end of the statement and would see every role of a multi-row
insert at once, so "the actor's first role in this event" needs the table as it was before
the row. The migration 7a3e9c1b5d20 creates what is here; an import adds a batch's counts
with the same statements (app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

from app.events.derived.counts import add, body, live, take

TABLE = "usage_count"
# The event tables whose rows are counted, by kind: (table, column).
KINDS = {"actor": ("event_actor", "actor_id"), "source": ("citation", "source_id")}

VIEWS = {
    "actor_usage": """
        CREATE VIEW actor_usage AS
        SELECT value AS actor_id, events FROM usage_count WHERE kind = 'actor'""",
    "source_usage": """
        CREATE VIEW source_usage AS
        SELECT value AS source_id, events AS citations FROM usage_count WHERE kind = 'source'""",
}


def _values(kind: str) -> str:
    """A column of an event's rows of kind `kind`: each actor once, each citation."""
    _table, column = KINDS[kind]
    return f"DISTINCT {column}" if kind == "actor" else column


def _event_rows(kind: str, event: str) -> str:
    table, _column = KINDS[kind]
    return (
        f"SELECT {_values(kind)} AS value FROM {table}"
        f" WHERE event_id = {event}.id AND {event}.deleted_at IS NULL"
    )


def _event_out(event: str) -> list[str]:
    return [s for kind in KINDS for s in take(kind, _event_rows(kind, event), TABLE)]


def _event_in(event: str) -> list[str]:
    return [add(kind, _event_rows(kind, event), TABLE) for kind in KINDS]


def _others(kind: str, row: str, but: str = "") -> str:
    """For an actor, the condition that its event has no other row of it (before `row` is
    written): only its first role counts. Every citation counts."""
    if kind != "actor":
        return ""
    return (
        f" AND NOT EXISTS (SELECT 1 FROM event_actor WHERE event_id = {row}.event_id"
        f" AND actor_id = {row}.actor_id{but})"
    )


def _child_in(kind: str) -> list[str]:
    # On an update (only of a row that moves), the row still holds its old values: it is
    # not another row of its new event and value.
    _table, column = KINDS[kind]
    others = _others(kind, "new")
    return [add(kind, f"SELECT new.{column} AS value WHERE {live('new.event_id')}{others}", TABLE)]


def _child_out(kind: str) -> list[str]:
    _table, column = KINDS[kind]
    others = _others(kind, "old", " AND role <> old.role")
    return take(kind, f"SELECT old.{column} AS value WHERE {live('old.event_id')}{others}", TABLE)


def _moved(kind: str) -> str:
    """An update that moves a row to another event or value."""
    _table, column = KINDS[kind]
    return f"old.event_id <> new.event_id OR old.{column} <> new.{column}"


# --- SQLite ---------------------------------------------------------------------------------
# BEFORE DELETE on event: its rows are still there to take out (a cascade then deletes them,
# and their own triggers find the event gone and do nothing).

SQLITE_TRIGGERS = {
    "usage_event_update": f"""
        CREATE TRIGGER usage_event_update AFTER UPDATE OF deleted_at ON event BEGIN
            {body([*_event_out("old"), *_event_in("new")])}
        END""",
    "usage_event_delete": f"""
        CREATE TRIGGER usage_event_delete BEFORE DELETE ON event BEGIN
            {body(_event_out("old"))}
        END""",
    **{
        f"usage_{kind}_{action}": f"""
        CREATE TRIGGER usage_{kind}_{action} BEFORE {event} ON {table}{when} BEGIN
            {body(statements)}
        END"""
        for kind, (table, column) in KINDS.items()
        for action, event, when, statements in (
            ("insert", "INSERT", "", _child_in(kind)),
            ("delete", "DELETE", "", _child_out(kind)),
            (
                "update",
                f"UPDATE OF event_id, {column}",
                f" WHEN {_moved(kind)}",
                [*_child_out(kind), *_child_in(kind)],
            ),
        )
    },
}


# --- PostgreSQL: the same statements in trigger functions ------------------------------------

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION usage_on_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        {body(_event_out("old"))}
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;  -- a BEFORE trigger: NULL would cancel the delete
        END IF;
        {body(_event_in("new"))}
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER usage_event_delete BEFORE DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION usage_on_event()""",
    """
    CREATE TRIGGER usage_event AFTER UPDATE OF deleted_at ON event
    FOR EACH ROW EXECUTE FUNCTION usage_on_event()""",
    *(
        statement
        for kind, (table, column) in KINDS.items()
        for statement in (
            f"""
    CREATE FUNCTION usage_on_{table}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {body(_child_in(kind))}
            RETURN NEW;
        END IF;
        {body(_child_out(kind))}
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        {body(_child_in(kind))}
        RETURN NEW;
    END
    $$""",
            f"""
    CREATE TRIGGER usage_{kind} BEFORE INSERT OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION usage_on_{table}()""",
            f"""
    CREATE TRIGGER usage_{kind}_update BEFORE UPDATE OF event_id, {column} ON {table}
    FOR EACH ROW WHEN ({_moved(kind)}) EXECUTE FUNCTION usage_on_{table}()""",
        )
    ),
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER usage_event_delete ON event",
    "DROP TRIGGER usage_event ON event",
    "DROP FUNCTION usage_on_event()",
    *(
        statement
        for kind, (table, _column) in KINDS.items()
        for statement in (
            f"DROP TRIGGER usage_{kind} ON {table}",
            f"DROP TRIGGER usage_{kind}_update ON {table}",
            f"DROP FUNCTION usage_on_{table}()",
        )
    ),
]


def fill(events_from: str = "event AS e") -> list[str]:
    """The counts of the live events that `events_from` names `e`, added to those there are
    (for all events, an empty table filled)."""
    return [
        add(
            kind,
            f"SELECT {'DISTINCT e.id, ' if kind == 'actor' else ''}c.{column} AS value"
            f" FROM {events_from} JOIN {table} AS c ON c.event_id = e.id"
            " WHERE e.deleted_at IS NULL",
            TABLE,
        )
        for kind, (table, column) in KINDS.items()
    ]
