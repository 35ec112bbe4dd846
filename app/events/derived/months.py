"""A dyad's live events counted by month and type (dyad_month): its SQL, for SQLite and
PostgreSQL.

One row per pair, month (of date_lower, as its first day) and type that has events: what a
dyad's timeline by month or year adds up (app.timeline.service). Triggers on event_dyad keep
it right in the writer's own transaction: a row of event_dyad added adds one to its month and
type, a row dropped takes one away (the row goes at zero), an update does both. The migration
5c1d2e3f4a5b creates what is here; an import adds a batch's counts with the same statement
(app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

KEY = "country_a, country_b, month, type"
# The first day of the month of a row's date_lower (`{0}` is new, old or a table alias).
MONTH = {
    "sqlite": "date({0}.date_lower, 'start of month')",
    "postgresql": "CAST(date_trunc('month', {0}.date_lower) AS date)",
}


def _key_is(dialect: str, row: str) -> str:
    return (
        f"country_a = {row}.country_a AND country_b = {row}.country_b"
        f" AND month = {MONTH[dialect].format(row)} AND type = {row}.type"
    )


def _add(dialect: str, row: str, sign: str) -> str:
    """Add (sign +) or take away (sign -) the event_dyad row `row` in its month and type."""
    return f"""
        UPDATE dyad_month
           SET events = events {sign} 1,
               tone_sum = tone_sum {sign} coalesce({row}.tone, 0),
               tone_count = tone_count {sign} CASE WHEN {row}.tone IS NULL THEN 0 ELSE 1 END,
               year_precision = year_precision
                   {sign} CASE WHEN {row}.date_precision = 'year' THEN 1 ELSE 0 END
         WHERE {_key_is(dialect, row)}"""


def _ensure(dialect: str) -> str:
    """The month and type of the row `new`, with zero counts, if not there already."""
    ignore = "OR IGNORE " if dialect == "sqlite" else ""
    conflict = "" if dialect == "sqlite" else " ON CONFLICT DO NOTHING"
    return f"""
        INSERT {ignore}INTO dyad_month ({KEY}, events, tone_sum, tone_count, year_precision)
        VALUES (new.country_a, new.country_b, {MONTH[dialect].format("new")}, new.type,
                0, 0, 0, 0){conflict}"""


def _drop_empty(dialect: str) -> str:
    return f"DELETE FROM dyad_month WHERE {_key_is(dialect, 'old')} AND events = 0"


def months_of_pairs(dialect: str, pairs_from: str = "event_dyad AS d", *, add: bool = False) -> str:
    """The counts of the event_dyad rows that `pairs_from` names `d`, by month and type;
    `add`: added to the counts there are (an import's batch), else written new (a fill)."""
    month = MONTH[dialect].format("d")
    # WHERE true: SQLite's grammar needs a WHERE before the ON CONFLICT of an INSERT ... SELECT.
    upsert = f"""
         WHERE true
         GROUP BY d.country_a, d.country_b, {month}, d.type
        ON CONFLICT ({KEY}) DO UPDATE
           SET events = dyad_month.events + excluded.events,
               tone_sum = dyad_month.tone_sum + excluded.tone_sum,
               tone_count = dyad_month.tone_count + excluded.tone_count,
               year_precision = dyad_month.year_precision + excluded.year_precision"""
    fill = f"""
         GROUP BY d.country_a, d.country_b, {month}, d.type"""
    return f"""
        INSERT INTO dyad_month ({KEY}, events, tone_sum, tone_count, year_precision)
        SELECT d.country_a, d.country_b, {month}, d.type, count(*),
               coalesce(sum(d.tone), 0), count(d.tone),
               sum(CASE WHEN d.date_precision = 'year' THEN 1 ELSE 0 END)
          FROM {pairs_from}{upsert if add else fill}"""


SQLITE_TRIGGERS = {
    "dyad_month_insert": f"""
        CREATE TRIGGER dyad_month_insert AFTER INSERT ON event_dyad BEGIN
            {_ensure("sqlite")};
            {_add("sqlite", "new", "+")};
        END""",
    "dyad_month_delete": f"""
        CREATE TRIGGER dyad_month_delete AFTER DELETE ON event_dyad BEGIN
            {_add("sqlite", "old", "-")};
            {_drop_empty("sqlite")};
        END""",
    "dyad_month_update": f"""
        CREATE TRIGGER dyad_month_update AFTER UPDATE ON event_dyad BEGIN
            {_add("sqlite", "old", "-")};
            {_drop_empty("sqlite")};
            {_ensure("sqlite")};
            {_add("sqlite", "new", "+")};
        END""",
}

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION dyad_month_on_event_dyad() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {_add("postgresql", "old", "-")};
            {_drop_empty("postgresql")};
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {_ensure("postgresql")};
            {_add("postgresql", "new", "+")};
        END IF;
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER dyad_month AFTER INSERT OR DELETE OR UPDATE ON event_dyad
    FOR EACH ROW EXECUTE FUNCTION dyad_month_on_event_dyad()""",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER dyad_month ON event_dyad",
    "DROP FUNCTION dyad_month_on_event_dyad()",
]
