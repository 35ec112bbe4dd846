"""A country's live events counted by month and type (country_month): its SQL, for SQLite and
PostgreSQL.

One row per country, month (of date_lower, as its first day) and type that has events, and
the same for every live event whatever its countries under the country '' : what a timeline
of one country, or of every event, by month or year adds up (app.timeline.service), as
dyad_month is for a pair. Triggers keep it right in the writer's own transaction: an event
inserted, changed (date, precision, type, tone), deleted, restored or removed moves out of
its old month and type and into its new one, for each of its countries and for ''; a country
added to or removed from a live event adds or takes one there. The migration 7a3e9c1b5d20
creates what is here; an import adds a batch's counts with the same statements
(app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

from app.events.derived.counts import body
from app.events.derived.months import MONTH

KEY = "country, month, type"
EVERY_EVENT = ""  # the country of the rows that count every live event


def _of_event(dialect: str, event: str) -> str:
    """The rows of the event `event` (new or old): one for each of its countries and one for
    every event, if it is live."""
    return f"""
        SELECT c.country AS country, {MONTH[dialect].format(event)} AS month,
               {event}.type AS type, {event}.tone AS tone,
               {event}.date_precision AS date_precision
          FROM (SELECT country FROM event_country WHERE event_id = {event}.id
                UNION ALL SELECT '{EVERY_EVENT}') AS c
         WHERE {event}.deleted_at IS NULL"""


def _of_country(dialect: str, row: str) -> str:
    """The row of the event_country row `row` (new or old), if its event is live."""
    return f"""
        SELECT {row}.country AS country, {MONTH[dialect].format("e")} AS month,
               e.type AS type, e.tone AS tone, e.date_precision AS date_precision
          FROM event AS e WHERE e.id = {row}.event_id AND e.deleted_at IS NULL"""


def _add(rows: str) -> str:
    """Add `rows` (country, month, type, tone, date_precision) to their counts."""
    return f"""
        INSERT INTO country_month ({KEY}, events, tone_sum, tone_count, year_precision)
        SELECT s.country, s.month, s.type, count(*), coalesce(sum(s.tone), 0), count(s.tone),
               sum(CASE WHEN s.date_precision = 'year' THEN 1 ELSE 0 END)
          FROM ({rows}) AS s
         WHERE true
         GROUP BY s.country, s.month, s.type
        ON CONFLICT ({KEY}) DO UPDATE
           SET events = country_month.events + excluded.events,
               tone_sum = country_month.tone_sum + excluded.tone_sum,
               tone_count = country_month.tone_count + excluded.tone_count,
               year_precision = country_month.year_precision + excluded.year_precision"""


def _take(rows: str) -> list[str]:
    """Take `rows` (one for each key at most) away from their counts; a count at zero goes."""
    of_row = (
        "country_month.country = s.country AND country_month.month = s.month"
        " AND country_month.type = s.type"
    )
    return [
        f"""
        UPDATE country_month
           SET events = events - 1,
               tone_sum = tone_sum - coalesce(s.tone, 0),
               tone_count = tone_count - CASE WHEN s.tone IS NULL THEN 0 ELSE 1 END,
               year_precision = year_precision
                   - CASE WHEN s.date_precision = 'year' THEN 1 ELSE 0 END
          FROM ({rows}) AS s
         WHERE {of_row}""",
        f"""
        DELETE FROM country_month
         WHERE events <= 0 AND EXISTS (SELECT 1 FROM ({rows}) AS s WHERE {of_row})""",
    ]


# What changes an event's row: its month, type, tone, precision, or whether it is live.
_COLUMNS = "date_lower, date_precision, type, tone, deleted_at"

SQLITE_TRIGGERS = {
    "country_month_event_insert": f"""
        CREATE TRIGGER country_month_event_insert AFTER INSERT ON event BEGIN
            {body([_add(_of_event("sqlite", "new"))])}
        END""",
    "country_month_event_update": f"""
        CREATE TRIGGER country_month_event_update AFTER UPDATE OF {_COLUMNS} ON event BEGIN
            {body([*_take(_of_event("sqlite", "old")), _add(_of_event("sqlite", "new"))])}
        END""",
    # Before: the event's countries are still there to take out (a cascade then deletes them,
    # and their own triggers find the event gone and do nothing).
    "country_month_event_delete": f"""
        CREATE TRIGGER country_month_event_delete BEFORE DELETE ON event BEGIN
            {body(_take(_of_event("sqlite", "old")))}
        END""",
    "country_month_country_insert": f"""
        CREATE TRIGGER country_month_country_insert AFTER INSERT ON event_country BEGIN
            {body([_add(_of_country("sqlite", "new"))])}
        END""",
    "country_month_country_delete": f"""
        CREATE TRIGGER country_month_country_delete AFTER DELETE ON event_country BEGIN
            {body(_take(_of_country("sqlite", "old")))}
        END""",
    "country_month_country_update": f"""
        CREATE TRIGGER country_month_country_update AFTER UPDATE ON event_country BEGIN
            {body([*_take(_of_country("sqlite", "old")), _add(_of_country("sqlite", "new"))])}
        END""",
}

POSTGRESQL_UPGRADE = [
    *(
        f"""
    CREATE FUNCTION country_month_on_{table}() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {body(_take(rows("postgresql", "old")))}
        END IF;
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;  -- a BEFORE trigger on event: NULL would cancel the delete
        END IF;
        {body([_add(rows("postgresql", "new"))])}
        RETURN NULL;
    END
    $$"""
        for table, rows in (("event", _of_event), ("event_country", _of_country))
    ),
    """
    CREATE TRIGGER country_month_event_delete BEFORE DELETE ON event
    FOR EACH ROW EXECUTE FUNCTION country_month_on_event()""",
    f"""
    CREATE TRIGGER country_month_event AFTER INSERT OR UPDATE OF {_COLUMNS} ON event
    FOR EACH ROW EXECUTE FUNCTION country_month_on_event()""",
    """
    CREATE TRIGGER country_month_country AFTER INSERT OR DELETE OR UPDATE ON event_country
    FOR EACH ROW EXECUTE FUNCTION country_month_on_event_country()""",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER country_month_event_delete ON event",
    "DROP TRIGGER country_month_event ON event",
    "DROP TRIGGER country_month_country ON event_country",
    "DROP FUNCTION country_month_on_event()",
    "DROP FUNCTION country_month_on_event_country()",
]


def fill(dialect: str, events_from: str = "event AS e") -> list[str]:
    """The counts of the live events that `events_from` names `e`, added to those there are
    (for all events, an empty table filled)."""
    columns = (
        f"{MONTH[dialect].format('e')} AS month, e.type AS type, e.tone AS tone,"
        " e.date_precision AS date_precision"
    )
    return [
        _add(
            f"SELECT c.country AS country, {columns} FROM {events_from}"
            " JOIN event_country AS c ON c.event_id = e.id WHERE e.deleted_at IS NULL"
        ),
        _add(
            f"SELECT '{EVERY_EVENT}' AS country, {columns} FROM {events_from}"
            " WHERE e.deleted_at IS NULL"
        ),
    ]
