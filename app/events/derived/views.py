"""What actors and sources read of the events that name them: two views over the event tables.

An actor's page counts the live events it takes part in, a source's lists the live events
citing it. Those are facts about events, which embed actors and sources; as views, the
database answers them, and the actors and sources domains read them as their own tables
without knowing the events' (app.actors.models.actor_usage, app.sources.models.
source_citation). The migration c5e8d2a7b9f1 creates them; each reader's WHERE on the key
reaches inside them (an index search, not a scan), on SQLite and PostgreSQL alike.

The migration 7a3e9c1b5d20 replaced actor_usage with a view over stored counts
(app.events.derived.usage); its first form stays here for the migrations that came before.
The history reads a third view, revision_written: each revision with what it wrote (below).

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


# Each revision with the event as it wrote it. A revision's data is NULL while it is its event's
# newest: the event's stored document holds that version already, and the data would be a
# second copy of every event. It is written out (app.events.writes) before the document
# changes for any reason but linked_from, which revisions leave out: the other events' links
# are their own revisions' business. SQLite's json_remove and PostgreSQL's text replacement
# both keep the document's order of keys (jsonb would not); a linked_from item holds only an
# id and a relation, which hold no `]`.
_WRITTEN = """
    CREATE VIEW revision_written AS
    SELECT r.id AS id, r.event_id AS event_id, r.version AS version, r.action AS action,
           r.key_name AS key_name, r.created_at AS created_at, coalesce(r.data, {current}) AS data
      FROM revision AS r JOIN event AS e ON e.id = r.event_id"""

REVISION_VIEW = {
    "sqlite": _WRITTEN.format(current="json_remove(e.document, '$.linked_from')"),
    "postgresql": _WRITTEN.format(
        current="""regexp_replace(e.document, ',"linked_from":\\[[^]]*\\]', '')::json"""
    ),
}
