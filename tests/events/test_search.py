"""Full-text search: `q` on event lists, `sort=relevance`, and the index the migration keeps."""

import base64
import json
from datetime import date, timedelta
from typing import Any

import orjson
import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, col, select

from app.core.db import create_db_engine, utcnow
from app.core.migrate import alembic_config
from app.events.derived import search as derived_search
from app.events.models import Citation, Event
from app.events.search import (
    PUNCTUATION,
    Group,
    fts5_expression,
    matches,
    parse,
    websearch_text,
)
from tests.events.test_dyad_index import statements_of
from tests.factories import make_event, make_source
from tests.support import walk_pages, walked_ids

SEARCH_REVISION = "95467b272597"
SAHAR = "2013-snsc-bans-sahar-2-anti-azerbaijani-programs"
NAM = "2012-08-aliyev-declines-nam-summit"
BAKU_CONFERENCE = "2013-03-30-baku-conference-southern-azerbaijan"
SANAI = "2013-04-sanai-calls-baku-conference-unacceptable"
TEHRAN_REACTS = "2013-04-tehran-calls-baku-conference-interference"
POETS = "2013-khamenei-orders-release-of-azerbaijani-poets"
SANCTIONS = "2013-us-led-sanctions-on-iran"


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def search(client: Any, q: str, **params: Any) -> list[str]:
    return ids(client.get("/v1/events", params={"q": q, "limit": 500, **params}))


def every_id(client: Any) -> list[str]:
    return ids(client.get("/v1/events", params={"limit": 500}))


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


def error_names(response: Any) -> set[str]:
    return {str(error["loc"][-1]) for error in response.json()["errors"]}


# --- the article's events ----------------------------------------------------------------


def test_a_word_finds_the_events_that_have_it_in_any_case(client, seeded):
    for q in ["Sahar", "sahar", "SAHAR", "  Sahar  "]:
        assert search(client, q) == [SAHAR], q


def test_a_quoted_phrase_must_appear_as_written(client, seeded):
    assert search(client, '"Non-Aligned Movement"') == [NAM]
    assert search(client, '"non-aligned movement summit"') == [NAM]
    assert search(client, '"Movement Non-Aligned"') == []


def test_every_word_must_match(client, seeded):
    assert search(client, "Sanai conference") == [SANAI]
    assert search(client, "Sanai Sahar") == []


def test_a_minus_word_excludes_the_events_that_have_it(client, seeded):
    assert search(client, "conference") == [BAKU_CONFERENCE, SANAI, TEHRAN_REACTS]
    assert search(client, "conference -Sanai") == [BAKU_CONFERENCE, TEHRAN_REACTS]
    assert search(client, 'conference -"friendship group"') == [BAKU_CONFERENCE, TEHRAN_REACTS]


def test_or_between_terms_gives_alternatives(client, seeded):
    for q in ["Sanai OR Sahar", "Sanai or Sahar", "Sahar OR Sanai"]:
        assert search(client, q) == [SAHAR, SANAI], q
    # As in websearch_to_tsquery, AND binds tighter: (Sanai and friendship) or Sahar.
    assert search(client, "Sanai friendship OR Sahar") == [SAHAR, SANAI]


def test_exclusions_alone_match_every_other_event(client, seeded):
    others = [event_id for event_id in every_id(client) if event_id != SANAI]
    assert search(client, "-Sanai") == others
    assert search(client, "Sahar OR -conference") == [
        event_id
        for event_id in every_id(client)
        if event_id not in {BAKU_CONFERENCE, SANAI, TEHRAN_REACTS}
    ]


def test_a_word_found_only_in_a_citation_quote_matches(client, seeded):
    # "Ayatollah" and "little" are in no title or summary, only in quotes.
    assert search(client, "Ayatollah") == [POETS]
    assert search(client, "little") == [SANCTIONS]


def test_a_word_found_only_in_a_new_events_quote_matches(client, session):
    source = make_source(session)
    make_event(
        session,
        id="quoted",
        title="Talks",
        summary=None,
        citations=[{"source_id": source, "quote": "The envoys kept quibbling over commas."}],
    )
    make_event(session, id="unquoted", title="Talks")
    assert search(client, "quibbling") == ["quoted"]
    assert search(client, "talks commas") == ["quoted"]


def test_q_with_no_word_matches_nothing_and_an_empty_q_is_no_filter(client, seeded):
    for q in ["*", "(", "'", '"', "-", "--", "…", '""', "- -"]:
        assert search(client, q) == [], q
    everything = every_id(client)
    assert search(client, "") == everything
    assert search(client, "   ") == everything


# --- syntax that must stay text ----------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        '" OR 1=1 --',
        "' OR '1'='1",
        "'; DROP TABLE event; --",
        "NEAR(a b)",
        "NEAR(Sahar network, 2)",
        "*",
        "Sahar*",
        "title:x",
        "{title summary}: Sahar",
        "(",
        ")",
        "'",
        "\\",
        "%",
        "_",
        "^Sahar",
        "Sahar + network",
        "AND",
        "NOT Sahar",
        "Sahar NOT network",
        "Sahar AND OR NOT",
        "OR",
        "-OR",
        'a "b',
        "rank:1",
        "rowid = 1",
        "x" * 200,
        "ə \u0131 İ Ə",
        "\u200c\u200d",
        "😀 Sahar",
    ],
)
def test_sql_or_fts_syntax_is_searched_as_text_never_an_error(client, seeded, q):
    assert client.get("/v1/events", params={"q": q}).status_code == 200
    assert client.get("/v1/events", params={"q": q, "sort": "relevance"}).status_code == 200
    assert client.get("/v1/events", params={"q": q, "facets": "type"}).status_code == 200
    assert every_id(client)  # and the events are all still there


def test_operators_and_punctuation_in_q_are_words_or_nothing(client, seeded):
    assert search(client, '" OR 1=1 --') == []  # the phrase "or 1 1" is nowhere
    assert search(client, "Sahar*") == [SAHAR]  # no prefix query: the word itself
    assert search(client, "^Sahar") == [SAHAR]
    assert search(client, "NOT Sahar") == []  # "not" is a word like another, and absent here
    assert search(client, "Sahar AND network") == [SAHAR]  # "and" is a word of the summary
    assert search(client, "NEAR(Sahar network)") == []  # needs the phrase "near sahar"


def test_a_column_filter_is_a_phrase_of_its_words(client, session):
    make_event(session, id="working-title", title="Draft", summary="The working title: Xanadu.")
    make_event(session, id="xanadu", title="Xanadu", summary="No title here")
    assert search(client, "title:Xanadu") == ["working-title"]
    assert search(client, "summary:Xanadu") == []


def test_nul_byte_in_q_is_a_422_naming_q(client):
    response = client.get("/v1/events", params={"q": "Sahar\x00"})
    assert response.status_code == 422
    assert error_names(response) == {"q"}


def test_q_longer_than_200_characters_is_a_422(client):
    assert client.get("/v1/events", params={"q": "a" * 200}).status_code == 200
    response = client.get("/v1/events", params={"q": "a" * 201})
    assert response.status_code == 422
    assert error_names(response) == {"q"}


# --- combined with the other filters -----------------------------------------------------


def test_q_combines_with_dyad_and_dates(client, session):
    make_event(
        session, id="aze-irn-2013", date="2013-01", countries=["AZE", "IRN"], title="Pipeline talks"
    )
    make_event(
        session, id="arm-tur-2013", date="2013-02", countries=["ARM", "TUR"], title="Pipeline deal"
    )
    make_event(
        session, id="aze-irn-2015", date="2015-05", countries=["AZE", "IRN"], title="Pipeline opens"
    )
    make_event(
        session, id="aze-irn-other", date="2013-03", countries=["AZE", "IRN"], title="Border talks"
    )
    assert search(client, "pipeline") == ["aze-irn-2013", "arm-tur-2013", "aze-irn-2015"]
    assert search(client, "pipeline", dyad="IRN-AZE") == ["aze-irn-2013", "aze-irn-2015"]
    assert search(client, "pipeline", dyad="AZE-IRN", to="2014") == ["aze-irn-2013"]
    assert search(client, "pipeline", **{"from": "2014"}) == ["aze-irn-2015"]
    assert search(client, "talks", country="TUR") == []
    assert search(client, "pipeline", sort="-date") == [
        "aze-irn-2015",
        "arm-tur-2013",
        "aze-irn-2013",
    ]


def test_q_counts_totals_and_facets_over_the_matches_only(client, seeded):
    body = client.get(
        "/v1/events",
        params={"q": "conference", "include_total": "true", "facets": "type", "limit": 1},
    ).json()
    assert body["total"] == 3
    assert sum(body["facets"]["type"].values()) == 3


def test_q_filters_the_timeline_too(client, seeded):
    response = client.get("/v1/timeline", params={"q": "conference", "bucket": "year"})
    assert response.status_code == 200, response.text
    assert sum(bucket["count"] for bucket in response.json()["buckets"]) == 3


# --- relevance ---------------------------------------------------------------------------


def _zeppelins(session: Session) -> None:
    """A title match of a rare word, a passing mention of it, and events without it."""
    make_event(
        session,
        id="a-passing-mention",
        date="2013-01-01",
        title="Airship news",
        summary="Among many other things, a long report that mentions a zeppelin once in "
        "passing, with plenty of other words around it to dilute it.",
    )
    make_event(session, id="z-zeppelin-in-title", date="2014-01-01", title="Zeppelin lands in Baku")
    for n in range(5):
        make_event(session, id=f"filler-{n}", title=f"Ordinary diplomatic event {n}")


def test_relevance_puts_a_title_match_of_a_rare_word_above_a_passing_mention(client, session):
    _zeppelins(session)
    assert search(client, "zeppelin") == ["a-passing-mention", "z-zeppelin-in-title"]
    assert search(client, "zeppelin", sort="relevance") == [
        "z-zeppelin-in-title",
        "a-passing-mention",
    ]


def test_relevance_pages_of_one_walk_every_match_exactly_once_in_order(client, session):
    _zeppelins(session)
    source = make_source(session)
    # Equal ranks, broken by id.
    for event_id in ["tie-c", "tie-a", "tie-b"]:
        make_event(
            session,
            id=event_id,
            title="Zeppelin sighted",
            citations=[{"source_id": source, "quote": "same words"}],
        )
    whole = search(client, "zeppelin", sort="relevance")
    assert len(whole) == 5
    assert whole.index("tie-a") + 1 == whole.index("tie-b") == whole.index("tie-c") - 1
    pages = list(
        walk_pages(client, "/v1/events", {"q": "zeppelin", "sort": "relevance", "limit": 1})
    )
    walked = [item["id"] for page in pages for item in page["items"]]
    assert walked == whole
    assert len(pages) == 5
    assert pages[-1]["next_cursor"] is None


def test_relevance_pages_keep_the_other_filters(client, session):
    _zeppelins(session)
    make_event(
        session, id="zeppelin-elsewhere", countries=["ARM", "TUR"], title="Zeppelin in Yerevan"
    )
    params = {"q": "zeppelin", "sort": "relevance", "dyad": "AZE-IRN", "limit": 1}
    walked = walked_ids(client, "/v1/events", params)
    assert walked == ["z-zeppelin-in-title", "a-passing-mention"]


def test_relevance_exports_stream_in_the_same_order(client, session):
    _zeppelins(session)
    response = client.get(
        "/v1/events", params={"q": "zeppelin", "sort": "relevance", "format": "ndjson"}
    )
    assert response.status_code == 200, response.text
    lines = [json.loads(line) for line in response.text.splitlines() if line.strip()]
    assert [line["id"] for line in lines] == ["z-zeppelin-in-title", "a-passing-mention"]


def test_relevance_without_q_is_a_422_naming_sort(client, session):
    make_event(session)
    for params in [
        {"sort": "relevance"},
        {"sort": "relevance", "q": ""},
        {"sort": "relevance", "q": "  "},
    ]:
        response = client.get("/v1/events", params=params)
        assert response.status_code == 422, params
        assert error_names(response) == {"sort"}, params
    # A refused q is the one error named, not sort as well.
    response = client.get("/v1/events", params={"sort": "relevance", "q": "a\x00"})
    assert error_names(response) == {"q"}


@pytest.mark.parametrize(
    "cursor",
    [
        b64(["relevance", "abc", "event-1"]),
        b64(["relevance", "nan", "event-1"]),
        b64(["relevance", "inf", "event-1"]),
        b64(["relevance", "-1e999", "event-1"]),
        b64(["relevance", 1, "event-1"]),
        b64(["relevance", "", "event-1"]),
        b64(["relevance", "0.5", "NOT AN ID"]),
        b64(["relevance", "0.5", 7]),
        b64(["relevance", "0.5"]),
        b64(["relevance", "0.5", "event-1", "x"]),
        b64(["relevance", None, "event-1"]),
        b64(["relevance", ["0.5"], "event-1"]),
        b64(["date", "2013-03-30", "day", "event-1"]),
        "not-base64-@@",
        b64({"relevance": 1}),
    ],
)
def test_garbage_relevance_cursor_is_a_400(client, session, cursor):
    make_event(session, title="Zeppelin")
    response = client.get(
        "/v1/events", params={"q": "zeppelin", "sort": "relevance", "cursor": cursor}
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_relevance_cursor_is_refused_for_the_date_order(client, session):
    _zeppelins(session)
    body = client.get(
        "/v1/events", params={"q": "zeppelin", "sort": "relevance", "limit": 1}
    ).json()
    assert body["next_cursor"]
    response = client.get("/v1/events", params={"q": "zeppelin", "cursor": body["next_cursor"]})
    assert response.status_code == 400


# --- languages ---------------------------------------------------------------------------


def test_azerbaijani_schwa_is_found_in_any_case_and_as_its_latin_spelling(client, session):
    make_event(session, id="schwa", date="2013-01-01", title="Əliyev meets the envoy")
    make_event(session, id="latin", date="2013-01-02", title="Aliyev meets the press")
    make_event(session, id="other", date="2013-01-03", title="Someone else meets the envoy")
    for q in ["Əliyev", "əliyev", "ƏLİYEV", "Aliyev", "aliyev", "ALIYEV"]:
        assert search(client, q) == ["schwa", "latin"], q
    assert search(client, '"Əliyev meets the envoy"') == ["schwa"]
    assert search(client, "envoy -Əliyev") == ["other"]


def test_azerbaijani_dotless_i_and_diacritics_fold_to_plain_letters(client, session):
    make_event(
        session, id="baki", date="2013-01-01", title="Forum in Bak\u0131", summary="Şuşa and Gəncə"
    )
    make_event(session, id="other", date="2013-01-02", title="Forum in Tabriz")
    # U+0131 is the dotless i of Baku's Azerbaijani name; ə reads as a: Gəncə is found as Ganca.
    for q in ["Bak\u0131", "BAKI", "baki", "Şuşa", "susa", "ŞUŞA", "Gəncə", "ganca", "GƏNCƏ"]:
        assert search(client, q) == ["baki"], q


def test_persian_script_is_found_in_the_summary(client, session):
    make_event(
        session,
        id="persian",
        title="Supreme Leader speaks",
        summary="آیت‌الله خامنه‌ای در تهران سخنرانی کرد.",
    )
    make_event(session, id="other", title="Supreme Leader travels", summary="سفر به اصفهان")
    for q in ["خامنه‌ای", "تهران", "آیت‌الله", '"خامنه‌ای در تهران"', "تهران -اصفهان"]:
        assert search(client, q) == ["persian"], q
    assert search(client, "اصفهان") == ["other"]
    assert search(client, '"تهران خامنه‌ای"') == []


def test_punctuation_separates_words_on_both_databases(client, session):
    # PostgreSQL's parser would read file paths, e-mail addresses and signed numbers as words.
    make_event(
        session,
        id="punctuated",
        title="Tehran/Baku talks",
        summary="Held on 2013-03-30 (Sahar-2 reported); write to news@apa.az. Iran’s view.",
    )
    for q in ["Baku", "tehran", "30", "apa", "2", '"Tehran Baku"', "Tehran/Baku", "news@apa.az"]:
        assert search(client, q) == ["punctuated"], q
    for q in ['"2013 03 30"', '"Sahar 2"', "Sahar-2", "Iran’s", '"iran s view"']:
        assert search(client, q) == ["punctuated"], q


def test_a_phrase_does_not_run_from_one_field_into_the_next(client, session):
    make_event(
        session,
        id="fields",
        title="Ends with alpha",
        summary="Bravo starts here",
        citations=[{"source_id": make_source(session), "quote": "charlie"}],
    )
    assert search(client, '"with alpha"') == ["fields"]
    assert search(client, '"starts here"') == ["fields"]
    assert search(client, '"alpha bravo"') == []
    assert search(client, '"here charlie"') == []


# --- the index follows every write -------------------------------------------------------


def test_a_changed_title_is_found_by_its_new_words_only(client, session):
    event = make_event(session, id="renamed", title="Old wording", summary="Unrelated summary")
    assert search(client, "old") == ["renamed"]
    event.title = "Fresh wording"
    session.add(event)
    session.flush()
    assert search(client, "fresh") == ["renamed"]
    assert search(client, "old") == []
    event.summary = "Now about lighthouses"
    session.add(event)
    session.flush()
    assert search(client, "lighthouses") == ["renamed"]
    assert search(client, "unrelated") == []


def test_a_deleted_or_changed_citation_no_longer_matches(client, session):
    event = make_event(
        session,
        id="cited",
        title="Cited event",
        citations=[
            {"source_id": make_source(session), "quote": "alpha marker"},
            {"source_id": make_source(session), "quote": "beta marker"},
        ],
    )
    assert search(client, "beta") == ["cited"]
    beta = next(citation for citation in event.citations if citation.quote == "beta marker")
    event.citations.remove(beta)
    session.add(event)
    session.flush()
    assert session.exec(select(Citation).where(Citation.quote == "beta marker")).first() is None
    assert search(client, "beta") == []
    assert search(client, "alpha marker") == ["cited"]

    alpha = event.citations[0]
    alpha.quote = "gamma marker"
    session.add(alpha)
    session.flush()
    assert search(client, "alpha") == []
    assert search(client, "gamma") == ["cited"]

    session.add(
        Citation(event_id="cited", source_id=make_source(session), stance="supports", quote="delta")
    )
    session.flush()
    assert search(client, "delta gamma") == ["cited"]


def test_a_deleted_event_leaves_the_index_and_a_soft_deleted_one_is_hidden(client, session):
    gone = make_event(session, id="gone", title="Vanishing act")
    hidden = make_event(session, id="hidden", title="Vanishing trick")
    assert search(client, "vanishing") == ["gone", "hidden"]
    session.delete(gone)
    hidden.deleted_at = utcnow()
    session.add(hidden)
    session.flush()
    assert search(client, "vanishing") == []
    assert _index_rows(session, "gone") == 0
    assert _index_rows(session, "hidden") == 1  # kept, so that a restore is found again


def _index_rows(session: Session, event_id: str) -> int:
    if session.get_bind().dialect.name == "sqlite":
        statement = text(
            "SELECT count(*) FROM event_search"
            " JOIN event_search_key AS k ON k.id = event_search.rowid WHERE k.event_id = :id"
        )
    else:
        statement = text("SELECT count(*) FROM event_search WHERE event_id = :id")
    return int(session.connection().execute(statement, {"id": event_id}).scalar_one())


# --- the migration -----------------------------------------------------------------------

SQLITE_TRIGGERS = {
    "event_search_event_insert",
    "event_search_event_update",
    "event_search_event_delete",
    "event_search_citation_insert",
    "event_search_citation_update",
    "event_search_citation_delete",
}


def test_the_triggers_that_keep_the_index_exist_at_head(engine):
    # A later batch migration of `event` or `citation` on SQLite drops their triggers.
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            )
            assert {row[0] for row in rows} >= SQLITE_TRIGGERS
        else:
            rows = connection.exec_driver_sql(
                "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE NOT tgisinternal"
            )
            assert {tuple(row) for row in rows} >= {
                ("event", "event_search_event"),
                ("citation", "event_search_citation"),
            }


def _found(engine: Engine, q: str) -> list[str]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Event.id).where(matches(col(Event.id), parse(q))).order_by(Event.id)
            )
        )


def _before_search() -> str:
    revision = ScriptDirectory.from_config(alembic_config()).get_revision(SEARCH_REVISION)
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def _migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_upgrade_indexes_existing_events_and_downgrade_removes_the_index(fresh_database_url):
    engine = create_db_engine(fresh_database_url)
    try:
        _migrate(engine, "head")
        with Session(engine) as session:
            make_event(
                session,
                id="before-search",
                title="Zanzibar accord",
                citations=[{"source_id": make_source(session), "quote": "a long quibble"}],
            )
            session.commit()
        before = set(inspect(engine).get_table_names())

        _migrate(engine, _before_search(), down=True)
        assert not {
            name for name in inspect(engine).get_table_names() if name.startswith("event_search")
        }
        if engine.dialect.name == "postgresql":
            with engine.connect() as connection:
                functions = connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_proc WHERE starts_with(proname, 'event_search')"
                ).scalar_one()
            assert functions == 0

        _migrate(engine, "head")  # the event written before is indexed on the way up
        assert set(inspect(engine).get_table_names()) == before
        assert _found(engine, "Zanzibar") == ["before-search"]
        assert _found(engine, "quibble") == ["before-search"]
        assert _found(engine, "Zanzibar -quibble") == []
    finally:
        engine.dispose()


# --- the translation, without a database -------------------------------------------------


def test_parse_reads_words_phrases_exclusions_and_or():
    query = parse('Baku "Non-Aligned  Movement" -Sanai or -"friendship group" OR')
    assert query.groups == (
        Group(required=("Baku", "Non-Aligned Movement"), excluded=("Sanai",)),
        Group(required=(), excluded=("friendship group",)),
    )
    assert parse("* ( ' -").groups == ()
    assert parse('"unclosed phrase').groups == (Group(("unclosed phrase",), ()),)


def test_every_term_becomes_a_quoted_fts5_string():
    query = parse('NEAR(a b) -title:x "c d" OR Əliyev')
    assert fts5_expression(query.groups) == (
        '(("NEAR(a" AND "b)" AND "c d") NOT ("title:x")) OR ("aliyev")'
    )
    assert fts5_expression(parse('x"y').groups) == '("x" AND "y")'
    assert fts5_expression(parse('"say ""no"""').groups) == '("say" AND "no")'


def test_the_postgresql_text_quotes_every_term_and_drops_its_punctuation():
    query = parse('Sahar -Sanai or "a b" Tehran/Baku')
    assert websearch_text(query) == '"Sahar" -"Sanai" OR "a b" "Tehran Baku"'


def test_the_index_and_the_queries_read_the_same_punctuation():
    # The migration creates the index from app.events.derived.search.
    assert PUNCTUATION.pattern == derived_search.PUNCTUATION


# --- frequent terms: walking the events in order ------------------------------------------


def _caviar_and_sturgeon(session: Session) -> list[str]:
    """120 events a day apart, every third about caviar, one about sturgeon: the caviar ones."""
    for n in range(120):
        make_event(
            session,
            id=f"ev-{n:03d}",
            title="Caviar talks" if n % 3 == 0 else "Border talks",
            summary="Sturgeon quotas" if n == 50 else None,
            date=(date(2010, 1, 1) + timedelta(days=n)).isoformat(),
        )
    return [f"ev-{n:03d}" for n in range(0, 120, 3)]


def test_a_frequent_term_walks_the_events_in_order_and_pages_the_same(client, session, engine):
    caviar = _caviar_and_sturgeon(session)
    # Pages of 5 of 120 events: a term with at least sqrt(6 * 120) = 26 matches is frequent.
    expected = {
        "caviar": caviar,
        "sturgeon": ["ev-050"],
        "talks -caviar": [f"ev-{n:03d}" for n in range(120) if n % 3],
        "caviar OR sturgeon": sorted([*caviar, "ev-050"]),
    }
    for q, matching in expected.items():
        for sort, order in (("date", matching), ("-date", matching[::-1])):
            pages = list(walk_pages(client, "/v1/events", {"q": q, "limit": 5, "sort": sort}))
            assert [item["id"] for page in pages for item in page["items"]] == order, (q, sort)
    if engine.dialect.name != "sqlite":
        return  # PostgreSQL's planner chooses by itself
    # By date with no other filter, the search index is read in its keys' order, which is the
    # order of dates: no match past the page is read, and none is sorted.
    for q in ("caviar", "sturgeon"):
        with statements_of(engine) as seen:
            client.get("/v1/events", params={"q": q, "limit": 5})
        reads = [(s, p) for s, p in seen if "ORDER BY f.rowid" in s]
        assert reads  # the page's first matches, then the rest of their last day
        for statement, parameters in reads:
            plan = session.connection().exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, parameters
            )
            assert "TEMP B-TREE" not in "\n".join(row[3] for row in plan), q
    for params, index in (
        ({"q": "caviar", "sort": "-updated"}, "ix_event_updated_at"),
        # Another filter may leave few of the matches: the walk could be long.
        ({"q": "caviar", "country": "AZE"}, "sqlite_autoindex_event_1"),
    ):
        with statements_of(engine) as seen:
            client.get("/v1/events", params={**params, "limit": 5})
        [(statement, parameters)] = [(s, p) for s, p in seen if "ORDER BY event." in s]
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        assert index in "\n".join(row[3] for row in plan), params


def test_a_search_by_date_pages_many_events_of_one_day_by_id_and_follows_new_dates(
    client, session, auth
):
    # Fifteen matches on one day, made in the reverse of their ids' order, beside the month
    # and the year that begin on that day (finer precision first), and a few other days.
    dates = ["2010-01-01"] * 15 + ["2010-01", "2010", "2009-12-31", "2010-01-02"]
    for n, when in reversed(list(enumerate(dates))):
        make_event(session, id=f"m-{n:02d}", title="Pipeline talks", date=when)
    make_event(session, id="other", title="Unrelated", date="2010-01-01")

    def expected() -> list[str]:
        rows = session.connection().execute(
            text(
                "SELECT id FROM event WHERE title LIKE 'Pipeline%' AND deleted_at IS NULL"
                " ORDER BY date_lower, date_precision, id"
            )
        )
        return [event_id for (event_id,) in rows]

    def assert_pages_in_order() -> None:
        for limit in (1, 4, 50):
            for sort, order in (("date", expected()), ("-date", expected()[::-1])):
                params = {"q": "pipeline", "limit": limit, "sort": sort}
                assert walked_ids(client, "/v1/events", params) == order, (limit, sort)

    assert expected()[:3] == ["m-17", "m-00", "m-01"]  # 2009-12-31, then 2010-01-01 by id
    assert_pages_in_order()
    # A new date moves an event's match; a deleted event's match is not shown.
    headers = auth | {"Content-Type": "application/merge-patch+json", "If-Match": '"1"'}
    moved = client.patch("/v1/events/m-07", json={"date": "2011-05"}, headers=headers)
    assert moved.status_code == 200, moved.text
    assert client.delete("/v1/events/m-03", headers=auth | {"If-Match": '"1"'}).status_code == 204
    assert expected()[-1] == "m-07" and "m-03" not in expected()
    assert_pages_in_order()
    # An import's updates, a batch of several, move them too.
    records = [
        {"id": f"m-{n:02d}", "title": "Pipeline talks", "date": when}
        | {"type": "consult", "countries": ["AZE", "IRN"]}
        for n, when in ((1, "2008-02-03"), (16, "2012"))
    ]
    imported = client.post("/v1/imports", content=orjson.dumps(records), headers=auth)
    assert imported.status_code == 200, imported.text
    assert imported.json()["updated"] == 2
    assert expected()[0] == "m-01" and expected()[-1] == "m-16"
    assert_pages_in_order()


def test_postgresql_fold_passes_ascii_through_and_folds_the_rest_as_before(session):
    # ASCII text skips normalize() (revision a4c7e1f9b3d2): every text folds as it did.
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL's fold function; SQLite folds in its tokenizer")
    before = (
        "regexp_replace(normalize(translate(t, 'Əə\u0131', 'aai'), NFD),"
        " '[\\u0300-\\u036f]', '', 'g')"
    )
    texts = ["Tehran summit", "", "Bak\u0131 forum", "Gəncə", "Café Şuşa", "ƏLİYEV", "a\u0301"]
    query = f"SELECT t, event_search_fold(t), {before} FROM unnest(CAST(:texts AS text[])) AS t"
    rows = session.connection().execute(text(query), {"texts": texts}).all()
    folded = {t: now for t, now, _ in rows}
    assert folded == {t: then for t, _, then in rows}
    assert folded["Tehran summit"] == "Tehran summit"
    assert folded["Gəncə"] == "Ganca"
    assert folded["Café Şuşa"] == "Cafe Susa"
    null = session.connection().execute(text("SELECT event_search_fold(NULL)")).scalar_one()
    assert null is None
