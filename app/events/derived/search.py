"""The full-text search index of events (event_search): its SQL, for SQLite and PostgreSQL.

One search document per event: its title, its summary and the quotes of its citations, kept
in step by triggers on `event` and `citation`, so that every writer (the API, imports or
plain SQL) keeps it right. The migration 95467b272597 creates what is here; an import fills it
a batch at a time with the same statements (app.events.create). app/events/search.py reads it.

Both databases fold Azerbaijani ə/Ə to a and the dotless i (U+0131) to i, so that Əliyev,
əliyev and Aliyev find each other, and drop diacritics (app.events.search does the same to the
queries); PostgreSQL also turns punctuation into spaces, so that its parser splits words where
SQLite's unicode61 tokenizer does.

Migrations run these definitions: change one only in a new migration that drops what it
replaces and creates it again.
"""

# --- SQLite: an FTS5 table ---------------------------------------------------------------
#
# A regular FTS5 table (it keeps its own copy of the text), not an external-content or
# contentless one: deleting a row from those needs the exact old text, which for a document
# assembled from several citations the triggers could not reliably give back (a wrong one
# corrupts the index), and SQLite before 3.43 has no contentless_delete.
#
# Its rowid comes from event_search_key, not from event's implicit rowid: VACUUM and
# batch migrations may renumber the rowids of a table without an INTEGER PRIMARY KEY. And the
# key follows the documented order of events: its high bits are the event's date_lower and
# precision, its low 24 bits a number within that day and precision. FTS5 reads a term's
# matches in rowid order, so a search's first page by date reads its first matches and stops,
# rather than sorting every match (app.events.search.in_date_order). An event whose date
# changes moves to a new key.

# The low bits of a key: room for 16,777,216 events of one day and precision.
KEY_BITS = 24


def order_key(lower: str, precision: str) -> str:
    """The lowest key of a day and precision: of the SQL values `lower` (a date_lower) and
    `precision` (a date_precision)."""
    rank = f"CASE {precision} WHEN 'day' THEN 0 WHEN 'month' THEN 1 ELSE 2 END"
    return f"((CAST(julianday({lower}) AS INTEGER) * 4 + {rank}) << {KEY_BITS})"


def _lowest_key(event: str) -> str:
    """The lowest key of the day and precision of the event named `event` (new, old, e)."""
    return order_key(f"{event}.date_lower", f"{event}.date_precision")


def _next_key(event: str) -> str:
    """The first free key of that day and precision."""
    low = _lowest_key(event)
    return (
        f"(SELECT coalesce(max(id) + 1, {low}) FROM event_search_key"
        f" WHERE id >= {low} AND id < {low} + {1 << KEY_BITS})"
    )


def _fold(sql: str) -> str:
    return f"replace(replace(replace({sql}, 'Ə', 'a'), 'ə', 'a'), '\u0131', 'i')"


def _search_row(event_id: str) -> str:
    return f"(SELECT id FROM event_search_key WHERE event_id = {event_id})"


def _quotes(event_id: str) -> str:
    return _fold(f"(SELECT group_concat(quote, ' ') FROM citation WHERE event_id = {event_id})")


# Each trigger reads only its own table and the search tables: a batch alteration ("move and
# copy") of `event` or `citation` drops and renames that table, and SQLite refuses the rename
# while another table's trigger names the missing one. Such a migration drops the altered
# table's triggers too: it must create them again (tests/events/test_search.py checks they exist).
SQLITE_TRIGGERS = {
    # Citations can only come after their event (foreign key): a new event has no quotes.
    "event_search_event_insert": f"""
        CREATE TRIGGER event_search_event_insert AFTER INSERT ON event BEGIN
            INSERT OR IGNORE INTO event_search_key (id, event_id)
            VALUES ({_next_key("new")}, new.id);
            DELETE FROM event_search WHERE rowid = {_search_row("new.id")};
            INSERT INTO event_search (rowid, title, summary)
            VALUES ({_search_row("new.id")}, {_fold("new.title")}, {_fold("new.summary")});
        END""",
    # Ids never change (the API promises it): only the indexed columns matter.
    "event_search_event_update": f"""
        CREATE TRIGGER event_search_event_update AFTER UPDATE OF title, summary ON event BEGIN
            UPDATE event_search SET title = {_fold("new.title")}, summary = {_fold("new.summary")}
             WHERE rowid = {_search_row("new.id")};
        END""",
    # A new date: the event's search row moves to a key of its new day and precision.
    "event_search_event_move": f"""
        CREATE TRIGGER event_search_event_move AFTER UPDATE OF date_lower, date_precision ON event
        WHEN {_lowest_key("old")} <> {_lowest_key("new")} BEGIN
            DELETE FROM event_search WHERE rowid = {_search_row("new.id")};
            DELETE FROM event_search_key WHERE event_id = new.id;
            INSERT INTO event_search_key (id, event_id) VALUES ({_next_key("new")}, new.id);
            INSERT INTO event_search (rowid, title, summary, quotes)
            VALUES ({_search_row("new.id")}, {_fold("new.title")}, {_fold("new.summary")},
                    {_quotes("new.id")});
        END""",
    "event_search_event_delete": f"""
        CREATE TRIGGER event_search_event_delete AFTER DELETE ON event BEGIN
            DELETE FROM event_search WHERE rowid = {_search_row("old.id")};
            DELETE FROM event_search_key WHERE event_id = old.id;
        END""",
    "event_search_citation_insert": f"""
        CREATE TRIGGER event_search_citation_insert AFTER INSERT ON citation BEGIN
            UPDATE event_search SET quotes = {_quotes("new.event_id")}
             WHERE rowid = {_search_row("new.event_id")};
        END""",
    "event_search_citation_update": f"""
        CREATE TRIGGER event_search_citation_update AFTER UPDATE OF event_id, quote ON citation
        BEGIN
            UPDATE event_search SET quotes = {_quotes("old.event_id")}
             WHERE rowid = {_search_row("old.event_id")};
            UPDATE event_search SET quotes = {_quotes("new.event_id")}
             WHERE rowid = {_search_row("new.event_id")};
        END""",
    "event_search_citation_delete": f"""
        CREATE TRIGGER event_search_citation_delete AFTER DELETE ON citation BEGIN
            UPDATE event_search SET quotes = {_quotes("old.event_id")}
             WHERE rowid = {_search_row("old.event_id")};
        END""",
}


def fill(events_from: str) -> list[str]:
    """The search rows of some events, as the insert triggers write them: `events_from` names
    them `e` (for all: "event AS e"). The events of one day and precision take the next free
    keys in the order of their ids (the statement's SELECT sees no key it inserts)."""
    low = _lowest_key("e")
    first_free = (
        f"coalesce((SELECT max(k.id) + 1 - {low} FROM event_search_key AS k"
        f" WHERE k.id >= {low} AND k.id < {low} + {1 << KEY_BITS}), 0)"
    )
    return [
        "INSERT INTO event_search_key (id, event_id)"
        f" SELECT {low} + {first_free} + row_number() OVER (PARTITION BY {low} ORDER BY e.id) - 1,"
        f" e.id FROM {events_from}"
        " WHERE NOT EXISTS (SELECT 1 FROM event_search_key AS k WHERE k.event_id = e.id)",
        "INSERT INTO event_search (rowid, title, summary, quotes)"
        f" SELECT k.id, {_fold('e.title')}, {_fold('e.summary')}, {_quotes('e.id')}"
        f" FROM {events_from} JOIN event_search_key AS k ON k.event_id = e.id"
        # FTS5 flushes its pending terms to a new segment whenever a rowid comes lower than
        # the last one written: in key order a batch is one segment, not one per event.
        " ORDER BY k.id",
    ]


# --- PostgreSQL: a tsvector table --------------------------------------------------------
#
# A generated column on `event` can't hold the citations' quotes, which live in another table:
# so a table of its own, one row per event, with a GIN index. The `simple` configuration
# lower-cases words and nothing more (no stemming, no stop words): it is language-neutral, so
# Azerbaijani and Persian are indexed as faithfully as English. Weights: title A, summary B,
# quotes C, for ts_rank.

# ASCII punctuation, the General Punctuation block (dashes, curly quotes, zero-width joiners),
# guillemets, and Arabic comma, semicolon and question mark.
PUNCTUATION = (
    "[\\u0021-\\u002f\\u003a-\\u0040\\u005b-\\u0060\\u007b-\\u007e"
    "\\u2000-\\u206f\\u00ab\\u00bb\\u060c\\u061b\\u061f]+"
)


def postgresql_fill(events_from: str) -> str:
    """The search rows of the events that `events_from` names `e` (and filters), written or
    rewritten. A '-1' (a word no cleaned text can hold) between the fields, then deleted,
    leaves a gap in the positions: a phrase does not run from the title into the summary, as
    in SQLite."""
    return f"""
        INSERT INTO event_search (event_id, document)
        SELECT e.id, ts_delete(
                   setweight(to_tsvector('simple', event_search_words(e.title)), 'A')
                || to_tsvector('simple', '-1')
                || setweight(
                       to_tsvector('simple', event_search_words(coalesce(e.summary, ''))), 'B')
                || to_tsvector('simple', '-1')
                || setweight(to_tsvector('simple', event_search_words(coalesce(
                       (SELECT string_agg(c.quote, ' ' ORDER BY c.id)
                          FROM citation AS c WHERE c.event_id = e.id), ''))), 'C'),
               '-1')
          FROM {events_from}
        ON CONFLICT (event_id) DO UPDATE SET document = excluded.document"""


# For the query and the text alike: drops diacritics after NFD (as SQLite's remove_diacritics
# does) and folds ə and the dotless i (app.events.search says why). ASCII text (as many octets
# as characters, in the UTF-8 that normalize() requires) is its own fold: normalize() was the
# costliest step of indexing an event.
FOLD_FUNCTION = """
    CREATE OR REPLACE FUNCTION event_search_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN octet_length(value) = length(value) THEN value ELSE regexp_replace(
            normalize(translate(value, 'Əə\u0131', 'aai'), NFD), '[\\u0300-\\u036f]', '', 'g')
        END
    $$"""

POSTGRESQL_UPGRADE = [
    FOLD_FUNCTION,
    # For the text: punctuation becomes space, so that the parser sees words alone, as
    # SQLite's unicode61 does, and no file path (Tehran/Baku), e-mail address, URL or signed
    # number (the -30 of 2013-03-30) hides a word. The same class as app.events.search's
    # PUNCTUATION, which cleans the words of queries.
    f"""
    CREATE FUNCTION event_search_words(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT regexp_replace(event_search_fold(value), '{PUNCTUATION}', ' ', 'g')
    $$""",
    """
    CREATE TABLE event_search (
        event_id varchar(200) COLLATE "C" NOT NULL,
        document tsvector NOT NULL,
        CONSTRAINT pk_event_search PRIMARY KEY (event_id),
        CONSTRAINT fk_event_search_event_id_event FOREIGN KEY (event_id)
            REFERENCES event (id) ON DELETE CASCADE
    )""",
    "CREATE INDEX ix_event_search_document ON event_search USING gin (document)",
    # Re-index one event; if it is gone, its row went with it (ON DELETE CASCADE).
    f"""
    CREATE FUNCTION event_search_refresh(p_event_id text) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        {postgresql_fill("event AS e WHERE e.id = p_event_id")};
    END
    $$""",
    """
    CREATE FUNCTION event_search_on_event() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM event_search_refresh(NEW.id);
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER event_search_event
    AFTER INSERT OR UPDATE OF title, summary ON event
    FOR EACH ROW EXECUTE FUNCTION event_search_on_event()""",
    """
    CREATE FUNCTION event_search_on_citation() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM event_search_refresh(OLD.event_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.event_id <> OLD.event_id) THEN
            PERFORM event_search_refresh(NEW.event_id);
        END IF;
        RETURN NULL;
    END
    $$""",
    """
    CREATE TRIGGER event_search_citation
    AFTER INSERT OR DELETE OR UPDATE OF event_id, quote ON citation
    FOR EACH ROW EXECUTE FUNCTION event_search_on_citation()""",
    "SELECT event_search_refresh(id) FROM event",
]

POSTGRESQL_DOWNGRADE = [
    "DROP TRIGGER event_search_citation ON citation",
    "DROP TRIGGER event_search_event ON event",
    "DROP FUNCTION event_search_on_citation()",
    "DROP FUNCTION event_search_on_event()",
    "DROP FUNCTION event_search_refresh(text)",
    "DROP TABLE event_search",
    "DROP FUNCTION event_search_words(text)",
    "DROP FUNCTION event_search_fold(text)",
]
