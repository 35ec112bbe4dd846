"""The vocabularies in use, counted (vocabulary_count): live events per country, tag and type.

What `GET /v1/countries`, `/v1/tags` and `/v1/event-types` answer, read as a few rows instead
of counted over every event at each request. Triggers keep it right in the writer's own
transaction, whoever writes: a country or tag added to a live event adds one to its count, one
removed takes one away (the row goes at zero); an event inserted live, deleted, restored,
retyped or removed outright moves its type, countries and tags in or out. The migration
d2f6a1c8e4b3 creates what is here; an import adds a batch's counts with the same statements
(app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

TABLE = "vocabulary_count"
# The event tables whose rows are counted, by kind: (table, column).
KINDS = {"country": ("event_country", "country"), "tag": ("event_tag", "tag")}


def live(event_id: str) -> str:
    return f"EXISTS (SELECT 1 FROM event WHERE id = {event_id} AND deleted_at IS NULL)"


def add(kind: str, rows: str, table: str = TABLE) -> str:
    """Add one for each (value) row of `rows`, a SELECT of one column named value."""
    return f"""
        INSERT INTO {table} (kind, value, events)
        SELECT '{kind}', value, count(*) FROM ({rows}) AS added WHERE true GROUP BY value
        ON CONFLICT (kind, value) DO UPDATE
           SET events = {table}.events + excluded.events"""


def take(kind: str, rows: str, table: str = TABLE) -> list[str]:
    """Take one away for each (value) row of `rows`; a count at zero goes."""
    taken = f"kind = '{kind}' AND value IN (SELECT value FROM ({rows}) AS taken)"
    return [
        f"""UPDATE {table} SET events = events - (
                SELECT count(*) FROM ({rows}) AS taken WHERE taken.value = {table}.value)
             WHERE {taken}""",
        # By key: a row trigger that looked at every count of its kind cost as much as the
        # sources are many, for each citation deleted.
        f"DELETE FROM {table} WHERE {taken} AND events <= 0",
    ]


def _event_rows(kind: str, event: str, live: str) -> str:
    """The values of kind `kind` of the event `event` (new or old), when `live` holds."""
    if kind == "type":
        return f"SELECT {event}.type AS value WHERE {live}"
    table, column = KINDS[kind]
    return f"SELECT {column} AS value FROM {table} WHERE event_id = {event}.id AND {live}"


def _event_out(event: str) -> list[str]:
    """The event `event` taken out of every count, if it was live."""
    live = f"{event}.deleted_at IS NULL"
    return [s for kind in ("type", *KINDS) for s in take(kind, _event_rows(kind, event, live))]


def _event_in(event: str) -> list[str]:
    """The event `event` put into every count, if it is live."""
    live = f"{event}.deleted_at IS NULL"
    return [add(kind, _event_rows(kind, event, live)) for kind in ("type", *KINDS)]


def _child_out(kind: str) -> list[str]:
    _table, column = KINDS[kind]
    return take(kind, f"SELECT old.{column} AS value WHERE {live('old.event_id')}")


def _child_in(kind: str) -> list[str]:
    _table, column = KINDS[kind]
    return [add(kind, f"SELECT new.{column} AS value WHERE {live('new.event_id')}")]


def body(statements: list[str]) -> str:
    return ";\n".join(statements) + ";"


# --- SQLite: row triggers run as each row is written -----------------------------------------
# BEFORE DELETE on event: its countries and tags are still there to take out (a cascade then
# deletes them, and their own triggers find the event gone and do nothing).

SQLITE_TRIGGERS = {
    "vocabulary_event_insert": f"""
        CREATE TRIGGER vocabulary_event_insert AFTER INSERT ON event BEGIN
            {body(_event_in("new"))}
        END""",
    "vocabulary_event_update": f"""
        CREATE TRIGGER vocabulary_event_update AFTER UPDATE OF type, deleted_at ON event BEGIN
            {body([*_event_out("old"), *_event_in("new")])}
        END""",
    "vocabulary_event_delete": f"""
        CREATE TRIGGER vocabulary_event_delete BEFORE DELETE ON event BEGIN
            {body(_event_out("old"))}
        END""",
    **{
        f"vocabulary_{kind}_{action}": f"""
        CREATE TRIGGER vocabulary_{kind}_{action} AFTER {action.upper()} ON {table} BEGIN
            {body(statements)}
        END"""
        for kind, (table, _column) in KINDS.items()
        for action, statements in (
            ("insert", _child_in(kind)),
            ("delete", _child_out(kind)),
            ("update", [*_child_out(kind), *_child_in(kind)]),
        )
    },
}


# --- PostgreSQL: the same statements in trigger functions ------------------------------------

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION vocabulary_on_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {body(_event_out("old"))}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {body(_event_in("new"))}
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;  -- a BEFORE trigger: NULL would cancel the delete
        END IF;
        RETURN NULL;
    END
    $$""",
    # Before a delete, as on SQLite: the event's countries and tags are still there.
    """
    CREATE TRIGGER vocabulary_event_delete BEFORE DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION vocabulary_on_event()""",
    """
    CREATE TRIGGER vocabulary_event AFTER INSERT OR UPDATE OF type, deleted_at ON event
    FOR EACH ROW EXECUTE FUNCTION vocabulary_on_event()""",
    *(
        statement
        for kind, (table, _column) in KINDS.items()
        for statement in (
            f"""
    CREATE FUNCTION vocabulary_on_{table}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {body(_child_out(kind))}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {body(_child_in(kind))}
        END IF;
        RETURN NULL;
    END
    $$""",
            f"""
    CREATE TRIGGER vocabulary_{kind} AFTER INSERT OR DELETE OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION vocabulary_on_{table}()""",
        )
    ),
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER vocabulary_event_delete ON event",
    "DROP TRIGGER vocabulary_event ON event",
    "DROP FUNCTION vocabulary_on_event()",
    *(
        statement
        for kind, (table, _column) in KINDS.items()
        for statement in (
            f"DROP TRIGGER vocabulary_{kind} ON {table}",
            f"DROP FUNCTION vocabulary_on_{table}()",
        )
    ),
]


def fill(events_from: str = "event AS e") -> list[str]:
    """The counts of the live events that `events_from` names `e`, added to those there are
    (for all events, an empty table filled)."""
    live = "e.deleted_at IS NULL"
    return [
        add("type", f"SELECT e.type AS value FROM {events_from} WHERE {live}"),
        *(
            add(
                kind,
                f"SELECT c.{column} AS value FROM {events_from}"
                f" JOIN {table} AS c ON c.event_id = e.id WHERE {live}",
            )
            for kind, (table, column) in KINDS.items()
        ),
    ]
