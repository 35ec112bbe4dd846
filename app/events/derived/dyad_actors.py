"""A dyad's live events per actor (dyad_actor): its SQL, for SQLite and PostgreSQL.

One row per pair and actor with events: the actors a pair's summary names first
(`GET /v1/relations/{pair}`), read as a few rows instead of joining every event of the pair to
its actors. It is the product of two tables that triggers already keep to live events:
event_dyad (an event's pairs) and event_actor (its actors, each counted once however many
roles it holds). So a row of event_dyad added or dropped adds or takes one for each actor of
its event, and an actor's first role added to an event, or its last removed, one for each of
the event's pairs. Each side sees only the other's rows already there, so every (pair, actor)
of an event counts once whichever is written first. event_actor's triggers run BEFORE the row
is written, as usage_count's do (app.events.derived.usage), for the same reason. The migration
7a3e9c1b5d20 creates what is here; an import adds a batch's counts with the same statement
(app.events.create).

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

from app.events.derived.counts import body

KEY = "country_a, country_b, actor_id"


def _add(rows: str) -> str:
    """Add one for each (country_a, country_b, actor_id) row of `rows`."""
    return f"""
        INSERT INTO dyad_actor ({KEY}, events)
        SELECT country_a, country_b, actor_id, count(*) FROM ({rows}) AS added
         WHERE true
         GROUP BY country_a, country_b, actor_id
        ON CONFLICT ({KEY}) DO UPDATE SET events = dyad_actor.events + excluded.events"""


def _take(rows: str) -> list[str]:
    """Take one away for each (country_a, country_b, actor_id) row of `rows` (one a key at
    most); a count at zero goes."""
    of_row = (
        "dyad_actor.country_a = t.country_a AND dyad_actor.country_b = t.country_b"
        " AND dyad_actor.actor_id = t.actor_id"
    )
    return [
        f"UPDATE dyad_actor SET events = events - 1 FROM ({rows}) AS t WHERE {of_row}",
        f"""DELETE FROM dyad_actor
             WHERE events <= 0 AND EXISTS (SELECT 1 FROM ({rows}) AS t WHERE {of_row})""",
    ]


def _of_pair(row: str) -> str:
    """The event_dyad row `row` with each actor of its event."""
    return f"""
        SELECT DISTINCT {row}.country_a AS country_a, {row}.country_b AS country_b, actor_id
          FROM event_actor WHERE event_id = {row}.event_id"""


def _of_actor(row: str, others: str) -> str:
    """The event_actor row `row` with each pair of its event, if the event has no other row
    of that actor (`others`: besides `row`)."""
    return f"""
        SELECT country_a, country_b, {row}.actor_id AS actor_id FROM event_dyad
         WHERE event_id = {row}.event_id AND NOT EXISTS (
               SELECT 1 FROM event_actor
                WHERE event_id = {row}.event_id AND actor_id = {row}.actor_id{others})"""


_ACTOR_IN = _add(_of_actor("new", ""))
_ACTOR_OUT = _take(_of_actor("old", " AND role <> old.role"))
_MOVED = "old.event_id <> new.event_id OR old.actor_id <> new.actor_id"
_PAIR_MOVED = (
    "old.country_a <> new.country_a OR old.country_b <> new.country_b"
    " OR old.event_id <> new.event_id"
)

SQLITE_TRIGGERS = {
    "dyad_actor_pair_insert": f"""
        CREATE TRIGGER dyad_actor_pair_insert AFTER INSERT ON event_dyad BEGIN
            {body([_add(_of_pair("new"))])}
        END""",
    "dyad_actor_pair_delete": f"""
        CREATE TRIGGER dyad_actor_pair_delete AFTER DELETE ON event_dyad BEGIN
            {body(_take(_of_pair("old")))}
        END""",
    "dyad_actor_pair_update": f"""
        CREATE TRIGGER dyad_actor_pair_update AFTER UPDATE OF country_a, country_b, event_id
        ON event_dyad WHEN {_PAIR_MOVED} BEGIN
            {body([*_take(_of_pair("old")), _add(_of_pair("new"))])}
        END""",
    "dyad_actor_actor_insert": f"""
        CREATE TRIGGER dyad_actor_actor_insert BEFORE INSERT ON event_actor BEGIN
            {body([_ACTOR_IN])}
        END""",
    "dyad_actor_actor_delete": f"""
        CREATE TRIGGER dyad_actor_actor_delete BEFORE DELETE ON event_actor BEGIN
            {body(_ACTOR_OUT)}
        END""",
    "dyad_actor_actor_update": f"""
        CREATE TRIGGER dyad_actor_actor_update BEFORE UPDATE OF event_id, actor_id
        ON event_actor WHEN {_MOVED} BEGIN
            {body([*_ACTOR_OUT, _ACTOR_IN])}
        END""",
}

POSTGRESQL_UPGRADE = [
    f"""
    CREATE FUNCTION dyad_actor_on_event_dyad() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            {body(_take(_of_pair("old")))}
        END IF;
        IF TG_OP <> 'DELETE' THEN
            {body([_add(_of_pair("new"))])}
        END IF;
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER dyad_actor_pair AFTER INSERT OR DELETE ON event_dyad
    FOR EACH ROW EXECUTE FUNCTION dyad_actor_on_event_dyad()""",
    f"""
    CREATE TRIGGER dyad_actor_pair_update AFTER UPDATE OF country_a, country_b, event_id
    ON event_dyad FOR EACH ROW WHEN ({_PAIR_MOVED})
    EXECUTE FUNCTION dyad_actor_on_event_dyad()""",
    f"""
    CREATE FUNCTION dyad_actor_on_event_actor() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {body([_ACTOR_IN])}
            RETURN NEW;
        END IF;
        {body(_ACTOR_OUT)}
        IF TG_OP = 'DELETE' THEN
            RETURN OLD;
        END IF;
        {body([_ACTOR_IN])}
        RETURN NEW;
    END
    $$""",
    """
    CREATE TRIGGER dyad_actor_actor BEFORE INSERT OR DELETE ON event_actor
    FOR EACH ROW EXECUTE FUNCTION dyad_actor_on_event_actor()""",
    f"""
    CREATE TRIGGER dyad_actor_actor_update BEFORE UPDATE OF event_id, actor_id ON event_actor
    FOR EACH ROW WHEN ({_MOVED}) EXECUTE FUNCTION dyad_actor_on_event_actor()""",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER dyad_actor_pair ON event_dyad",
    "DROP TRIGGER dyad_actor_pair_update ON event_dyad",
    "DROP TRIGGER dyad_actor_actor ON event_actor",
    "DROP TRIGGER dyad_actor_actor_update ON event_actor",
    "DROP FUNCTION dyad_actor_on_event_dyad()",
    "DROP FUNCTION dyad_actor_on_event_actor()",
]


def fill(events_from: str = "event AS e") -> str:
    """The counts of the events that `events_from` names `e` (their rows of event_dyad are
    live ones), added to those there are (for all events, an empty table filled)."""
    return _add(
        f"""SELECT DISTINCT d.country_a, d.country_b, a.actor_id, d.event_id
              FROM {events_from} JOIN event_dyad AS d ON d.event_id = e.id
              JOIN event_actor AS a ON a.event_id = e.id"""
    )
