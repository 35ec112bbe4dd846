"""What actors and sources read of the events that name them: two views over the event tables.

An actor's page counts the live events it takes part in, a source's lists the live events
citing it. Those are facts about events, which embed actors and sources; as views, the
database answers them, and the actors and sources domains read them as their own tables
without knowing the events' (app.actors.models.actor_usage, app.sources.models.
source_citation). The migration c5e8d2a7b9f1 creates them; each reader's WHERE on the key
reaches inside them (an index search, not a scan), on SQLite and PostgreSQL alike.

The migration 7a3e9c1b5d20 replaced actor_usage with a view over stored counts
(app.events.derived.usage); its first form stays here for the migrations that came before.

Migrations run these definitions: change one only in a new migration that drops the view and
creates it again.
"""

VIEWS = {
    # DISTINCT: an actor can hold two roles in one event.
    "actor_usage": """
        CREATE VIEW actor_usage AS
        SELECT ea.actor_id AS actor_id, count(DISTINCT ea.event_id) AS events
          FROM event_actor AS ea JOIN event AS e ON e.id = ea.event_id
         WHERE e.deleted_at IS NULL
         GROUP BY ea.actor_id""",
    "source_citation": """
        CREATE VIEW source_citation AS
        SELECT c.source_id AS source_id, c.id AS citation_id, e.id AS event_id,
               e.title AS title, e.date AS date, e.date_lower AS date_lower,
               e.date_precision AS date_precision,
               c.stance AS stance, c.quote AS quote, c.locator AS locator
          FROM citation AS c JOIN event AS e ON e.id = c.event_id
         WHERE e.deleted_at IS NULL""",
}
