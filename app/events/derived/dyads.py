"""The index of live events by pair of countries (event_dyad): its SQL, for SQLite and
PostgreSQL.

One row per pair of a live event's countries (country_a < country_b), with the event's
date_lower, date_precision and id as the rest of its key, and the columns that dyad pages,
timelines and relations read (app.events.models.EventDyad). Triggers keep it right in the
writer's own transaction, whoever writes: inserting or deleting a country of an event adds or
drops its pairs; updating an event's copied columns, or deleting or restoring it, rewrites its
rows. The migration a9ce05751a72 creates what is here; an import fills it a batch at a time
with the same statement (app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

COLUMNS = (
    "country_a, country_b, date_lower, date_precision, event_id,"
    " date_upper, type, tone, status, span_days"
)
# The days from the date_lower of an event (`{0}`) to its date_upper.
SPAN = {
    "sqlite": "CAST(julianday({0}.date_upper) - julianday({0}.date_lower) AS INTEGER)",
    "postgresql": "{0}.date_upper - {0}.date_lower",
}
# The condition of ix_event_dyad_last_date, always true: a query must say it to use the index.
LAST_DATE = "span_days >= 0"
# The columns of `event` that event_dyad copies, and deleted_at, which decides if it has rows.
# An event's id never changes (the API promises it).
COPIED = "date_lower, date_precision, date_upper, type, tone, status, deleted_at"


def pairs_of_events(dialect: str, events_from: str = "event AS e") -> str:
    """Every pair of the countries of the live events that `events_from` names `e`, with the
    event's values."""
    return f"""
        INSERT INTO event_dyad ({COLUMNS})
        SELECT a.country, b.country, e.date_lower, e.date_precision, e.id,
               e.date_upper, e.type, e.tone, e.status, {SPAN[dialect].format("e")}
          FROM {events_from}
          JOIN event_country AS a ON a.event_id = e.id
          JOIN event_country AS b ON b.event_id = e.id AND b.country > a.country
         WHERE e.deleted_at IS NULL"""


def _pairs_of_new_country(dialect: str) -> str:
    """The pairs that the country `new` of an event makes with its other countries."""
    least, greatest = ("min", "max") if dialect == "sqlite" else ("least", "greatest")
    return f"""
        INSERT INTO event_dyad ({COLUMNS})
        SELECT {least}(new.country, other.country), {greatest}(new.country, other.country),
               e.date_lower, e.date_precision, e.id, e.date_upper, e.type, e.tone, e.status,
               {SPAN[dialect].format("e")}
          FROM event AS e JOIN event_country AS other ON other.event_id = e.id
         WHERE e.id = new.event_id AND e.deleted_at IS NULL AND other.country <> new.country"""


def _pairs_of_updated_event(dialect: str) -> str:
    """The pairs of the event `new`, just updated, as it now stands: none once deleted."""
    return f"""
        INSERT INTO event_dyad ({COLUMNS})
        SELECT a.country, b.country, new.date_lower, new.date_precision, new.id,
               new.date_upper, new.type, new.tone, new.status, {SPAN[dialect].format("new")}
          FROM event_country AS a
          JOIN event_country AS b ON b.event_id = a.event_id AND b.country > a.country
         WHERE a.event_id = new.id AND new.deleted_at IS NULL"""


DROP_PAIRS_OF_OLD_COUNTRY = """
    DELETE FROM event_dyad
     WHERE event_id = old.event_id AND old.country IN (country_a, country_b)"""


# --- SQLite ---------------------------------------------------------------------------------
# A row trigger runs as each row is written, so the pairs a new country makes are new.

SQLITE_TRIGGERS = {
    "event_dyad_country_insert": f"""
        CREATE TRIGGER event_dyad_country_insert AFTER INSERT ON event_country BEGIN
            {_pairs_of_new_country("sqlite")};
        END""",
    "event_dyad_country_delete": f"""
        CREATE TRIGGER event_dyad_country_delete AFTER DELETE ON event_country BEGIN
            {DROP_PAIRS_OF_OLD_COUNTRY};
        END""",
    "event_dyad_country_update": f"""
        CREATE TRIGGER event_dyad_country_update AFTER UPDATE OF event_id, country
        ON event_country BEGIN
            {DROP_PAIRS_OF_OLD_COUNTRY};
            {_pairs_of_new_country("sqlite")};
        END""",
    "event_dyad_event_update": f"""
        CREATE TRIGGER event_dyad_event_update AFTER UPDATE OF {COPIED} ON event BEGIN
            DELETE FROM event_dyad WHERE event_id = old.id;
            {_pairs_of_updated_event("sqlite")};
        END""",
}


# --- PostgreSQL -----------------------------------------------------------------------------
# Row triggers run at the end of the statement, once all its rows are written: of a statement
# inserting two countries of one event, each row's trigger sees the other and adds the pair.
# Hence ON CONFLICT DO NOTHING: a row with the same key holds the same values, since the
# event's trigger rewrites its rows whenever a copied column changes.

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION event_dyad_on_country() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {DROP_PAIRS_OF_OLD_COUNTRY};
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {_pairs_of_new_country("postgresql")}
            ON CONFLICT DO NOTHING;
        END IF;
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER event_dyad_country
    AFTER INSERT OR DELETE OR UPDATE OF event_id, country ON event_country
    FOR EACH ROW EXECUTE FUNCTION event_dyad_on_country()""",
    f"""
    CREATE FUNCTION event_dyad_on_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM event_dyad WHERE event_id = old.id;
        {_pairs_of_updated_event("postgresql")};
        RETURN NULL;
    END
    $$""",
    f"""
    CREATE TRIGGER event_dyad_event AFTER UPDATE OF {COPIED} ON event
    FOR EACH ROW EXECUTE FUNCTION event_dyad_on_event()""",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER event_dyad_event ON event",
    "DROP TRIGGER event_dyad_country ON event_country",
    "DROP FUNCTION event_dyad_on_event()",
    "DROP FUNCTION event_dyad_on_country()",
]
