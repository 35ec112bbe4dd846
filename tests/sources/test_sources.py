"""GET /v1/sources and /v1/sources/{id}: search, filters, pages, citation counts, citing events."""

import base64
import json
from pathlib import Path
from typing import Any, get_args

import pytest
from sqlmodel import Session

from app.core.dates import span
from app.events.models import Stance
from app.sources.models import CitingEvent
from tests.events.test_query_count import counting
from tests.factories import make_event, make_source
from tests.support import soft_delete, walk_pages

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
SEED_SOURCES: list[dict[str, Any]] = json.loads((SEED_DIR / "sources.json").read_text())
SEED_EVENTS: list[dict[str, Any]] = json.loads((SEED_DIR / "events.json").read_text())
NEO = "neo-2013-06-21-pivin-iran-azerbaijan"


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _make_library(session: Session) -> None:
    make_source(
        session,
        id="fp",
        title="Israel's Secret Staging Ground",
        publisher="Foreign Policy",
        author="Mark Perry",
        kind="news",
    )
    make_source(session, id="apa", title="Baku Conference Ends", publisher="APA", kind="news")
    make_source(
        session,
        id="irna",
        title="Tehran Protests",
        publisher="IRNA",
        author="Staff",
        kind="official",
    )
    make_source(session, id="blog", title="Notes on 100% of the_story", kind="opinion")


# --- q -----------------------------------------------------------------------------------


def test_q_matches_title_publisher_or_author_in_any_case(client, session):
    _make_library(session)
    assert ids(client.get("/v1/sources", params={"q": "STAGING"})) == ["fp"]
    assert ids(client.get("/v1/sources", params={"q": "foreign pol"})) == ["fp"]
    assert ids(client.get("/v1/sources", params={"q": "perry"})) == ["fp"]
    assert ids(client.get("/v1/sources", params={"q": "irna"})) == ["irna"]
    assert ids(client.get("/v1/sources", params={"q": "tehran"})) == ["irna"]
    assert ids(client.get("/v1/sources", params={"q": "staff"})) == ["irna"]


def test_q_wildcards_are_literal(client, session):
    _make_library(session)
    make_source(session, id="plain", title="Notes on 1000 of theXstory")
    assert ids(client.get("/v1/sources", params={"q": "%"})) == ["blog"]
    assert ids(client.get("/v1/sources", params={"q": "0% of"})) == ["blog"]
    assert ids(client.get("/v1/sources", params={"q": "e_s"})) == ["blog"]


def test_q_finds_azerbaijani_text_in_any_case(client, session):
    make_source(session, id="az", title="Azərbaycan və İran", publisher="Azərtac", language="az")
    make_source(session, id="en", title="Azerbaijan and Iran", publisher="Reuters")
    for q in ["azərbaycan", "AZƏRBAYCAN", "və iran", "azərtac"]:
        assert ids(client.get("/v1/sources", params={"q": q})) == ["az"], q
    (item,) = client.get("/v1/sources", params={"q": "və"}).json()["items"]
    assert (item["title"], item["publisher"]) == ("Azərbaycan və İran", "Azərtac")


# --- publisher and kind --------------------------------------------------------------------


def test_publisher_is_the_whole_name_in_any_case(client, session):
    _make_library(session)
    for name in ["Foreign Policy", "foreign policy", "FOREIGN POLICY"]:
        assert ids(client.get("/v1/sources", params={"publisher": name})) == ["fp"], name
    assert ids(client.get("/v1/sources", params={"publisher": "Foreign"})) == []


def test_azerbaijani_publisher_is_matched_in_any_case(client, session):
    make_source(session, id="az", title="Xəbər", publisher="Azərtac")
    for name in ["Azərtac", "azərtac", "AZƏRTAC"]:
        assert ids(client.get("/v1/sources", params={"publisher": name})) == ["az"], name


def test_repeated_publisher_means_any_of_them(client, session):
    _make_library(session)
    response = client.get("/v1/sources", params=[("publisher", "irna"), ("publisher", "APA")])
    assert ids(response) == ["apa", "irna"]


def test_kind_filter_and_repeated_kind(client, session):
    _make_library(session)
    assert ids(client.get("/v1/sources", params={"kind": "news"})) == ["apa", "fp"]
    response = client.get("/v1/sources", params=[("kind", "opinion"), ("kind", "official")])
    assert ids(response) == ["blog", "irna"]


def test_filters_combine_with_and(client, session):
    _make_library(session)
    params = {"kind": "news", "q": "baku", "publisher": "apa"}
    assert ids(client.get("/v1/sources", params=params)) == ["apa"]
    assert ids(client.get("/v1/sources", params={"kind": "news", "q": "tehran"})) == []


# --- pages ---------------------------------------------------------------------------------


def test_pages_of_two_walk_every_source_once_with_those_without_publisher_first(client, session):
    make_source(session, id="b-beta", title="Same", publisher="Beta")
    make_source(session, id="none-2", title="Zulu")
    make_source(session, id="a-beta", title="Same", publisher="Beta")
    make_source(session, id="alpha", title="Only", publisher="Alpha")
    make_source(session, id="none-1", title="Alpha story")
    make_source(session, id="empty-title-tie", title="Zulu")
    make_source(session, id="beta-first", title="Early", publisher="Beta")
    expected = [
        "none-1",  # no publisher: titles "Alpha story" < "Zulu"
        "empty-title-tie",  # no publisher, "Zulu", id before none-2
        "none-2",
        "alpha",
        "beta-first",  # Beta: "Early" < "Same"
        "a-beta",
        "b-beta",
    ]
    pages = list(walk_pages(client, "/v1/sources", {"limit": 2}))
    assert [[item["id"] for item in page["items"]] for page in pages] == [
        expected[0:2],
        expected[2:4],
        expected[4:6],
        expected[6:7],
    ]


def test_seeded_sources_walk_in_the_documented_order(client, seeded):
    _make_library(seeded)
    everything = [
        {"id": s["id"], "publisher": s["publisher"], "title": s["title"]} for s in SEED_SOURCES
    ] + [
        {"id": "fp", "publisher": "Foreign Policy", "title": "Israel's Secret Staging Ground"},
        {"id": "apa", "publisher": "APA", "title": "Baku Conference Ends"},
        {"id": "irna", "publisher": "IRNA", "title": "Tehran Protests"},
        {"id": "blog", "publisher": None, "title": "Notes on 100% of the_story"},
    ]
    expected = [
        s["id"]
        for s in sorted(everything, key=lambda s: (s["publisher"] or "", s["title"], s["id"]))
    ]
    walked = [
        item["id"]
        for page in walk_pages(client, "/v1/sources", {"limit": 2})
        for item in page["items"]
    ]
    assert walked == expected


def test_link_header_leads_to_the_next_page(client, session):
    _make_library(session)
    first = client.get("/v1/sources", params={"limit": 2, "kind": "news"})
    assert ids(first) == ["apa", "fp"]
    assert "link" not in first.headers  # exactly two news sources: one page
    first = client.get("/v1/sources", params={"limit": 1, "kind": "news"})
    link = first.headers["link"]
    url = link[1 : link.index(">")]
    assert link.endswith('>; rel="next"') and "kind=news" in url
    followed = client.get(url)
    assert ids(followed) == ["fp"]
    assert followed.json()["next_cursor"] is None
    assert followed.headers["cache-control"] == "public, max-age=60"


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("abc", id="garbage"),
        pytest.param(_b64(["actors", "Name", "x"]), id="actors-cursor"),
        pytest.param(_b64(["sources", None, "Title", "x"]), id="null-publisher"),
        pytest.param(_b64(["sources", "", "Title", "Not A Slug"]), id="bad-id"),
        pytest.param(_b64(["sources", "", "Ti\u0000tle", "x"]), id="nul"),
    ],
)
def test_a_cursor_this_list_did_not_make_is_a_400_problem(client, cursor):
    response = client.get("/v1/sources", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"colour": "red"}, "colour"),
        ({"source": "x"}, "source"),
        ({"kind": "blog"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"publisher": ""}, "publisher"),
        ({"publisher": "a\u0000b"}, "publisher"),
    ],
)
def test_invalid_parameter_is_a_422_naming_it(client, params, name):
    response = client.get("/v1/sources", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"][:2] for error in response.json()["errors"]] == [["query", name]]


def test_a_page_takes_the_same_number_of_queries_whatever_its_size(client, session, engine):
    for n in range(12):
        make_event(session, id=f"event-{n:02d}")  # each with a source of its own
    session.flush()
    session.expunge_all()
    with counting(engine) as small:
        assert len(ids(client.get("/v1/sources", params={"limit": 2}))) == 2
    with counting(engine) as large:
        items = client.get("/v1/sources", params={"limit": 12}).json()["items"]
    assert [item["citation_count"] for item in items] == [1] * 12
    assert len(small) == len(large)


# --- citation counts -----------------------------------------------------------------------


def test_seeded_citation_count_is_the_citations_in_the_seed(client, seeded):
    expected = sum(
        citation["source_id"] == NEO for event in SEED_EVENTS for citation in event["citations"]
    )
    (item,) = client.get("/v1/sources").json()["items"]
    assert (item["id"], item["citation_count"]) == (NEO, expected)
    assert client.get(f"/v1/sources/{NEO}").json()["citation_count"] == expected


def test_citation_count_counts_citations_of_events_not_deleted(client, session):
    cited = make_source(session, id="cited", title="Cited")
    make_source(session, id="uncited", title="Uncited")
    twice = [
        {"source_id": cited, "quote": "first", "locator": "p. 1"},
        {"source_id": cited, "stance": "disputes", "quote": "second", "locator": "p. 2"},
    ]
    make_event(session, citations=twice)
    deleted = make_event(session, citations=[{"source_id": cited}])
    counts = {i["id"]: i["citation_count"] for i in client.get("/v1/sources").json()["items"]}
    assert (counts["cited"], counts["uncited"]) == (3, 0)
    soft_delete(session, deleted)
    counts = {i["id"]: i["citation_count"] for i in client.get("/v1/sources").json()["items"]}
    assert (counts["cited"], counts["uncited"]) == (2, 0)


# --- one source ----------------------------------------------------------------------------


def test_one_source_lists_its_citing_events_in_date_order(client, session):
    source = make_source(
        session,
        id="report",
        url="https://www.example.org/report",
        title="The Report",
        publisher="Example",
        author="A. Writer",
        published="2013-06",
        kind="analysis",
        language="en",
    )
    other = make_source(session, id="other", title="Other")

    def cite(stance: str, quote: str | None, locator: str | None) -> list[dict[str, Any]]:
        return [{"source_id": source, "stance": stance, "quote": quote, "locator": locator}]

    make_event(
        session, id="c-day", title="Day", date="2013-01-01", citations=cite("supports", "d", "p. 3")
    )
    make_event(
        session, id="b-year", title="Year", date="2013", citations=cite("disputes", "y", None)
    )
    make_event(
        session,
        id="a-month",
        title="Month",
        date="2013-01~",
        citations=cite("supports", None, "p. 1"),
    )
    make_event(
        session,
        id="a-day",
        title="Earlier",
        date="2012-12-31",
        citations=cite("supports", "e", "p. 9"),
    )
    make_event(session, id="uncited", citations=[{"source_id": other}])
    gone = make_event(session, id="gone", date="2012-01-01", citations=cite("supports", "x", None))
    soft_delete(session, gone)

    response = client.get("/v1/sources/report")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.json() == {
        "id": "report",
        "url": "https://www.example.org/report",
        "title": "The Report",
        "publisher": "Example",
        "author": "A. Writer",
        "published": "2013-06",
        "kind": "analysis",
        "language": "en",
        "archive_url": None,
        "version": 1,
        "citation_count": 4,
        "events": [
            {
                "id": "a-day",
                "title": "Earlier",
                "date": "2012-12-31",
                "stance": "supports",
                "quote": "e",
                "locator": "p. 9",
            },
            {
                "id": "c-day",
                "title": "Day",
                "date": "2013-01-01",
                "stance": "supports",
                "quote": "d",
                "locator": "p. 3",
            },
            {
                "id": "a-month",
                "title": "Month",
                "date": "2013-01~",
                "stance": "supports",
                "quote": None,
                "locator": "p. 1",
            },
            {
                "id": "b-year",
                "title": "Year",
                "date": "2013",
                "stance": "disputes",
                "quote": "y",
                "locator": None,
            },
        ],
    }


def test_seeded_source_lists_the_seeded_citations_in_date_order(client, seeded):
    body = client.get(f"/v1/sources/{NEO}").json()
    expected = [
        (event["id"], citation["quote"], citation["locator"], citation["stance"])
        for event in sorted(SEED_EVENTS, key=date_order)
        for citation in event["citations"]
        if citation["source_id"] == NEO
    ]
    assert [(e["id"], e["quote"], e["locator"], e["stance"]) for e in body["events"]] == expected
    assert body["events"][0]["id"] == "2012-08-aliyev-declines-nam-summit"
    assert body["citation_count"] == len(body["events"])


def date_order(event: dict[str, Any]) -> tuple[Any, ...]:
    """The documented order of events: date_lower, finer precision first, then id."""
    bounds = span(event["date"], event["end_date"])
    return (bounds.lower, bounds.precision, event["id"])


def test_citing_event_stances_are_the_events_stances():
    assert set(get_args(CitingEvent.model_fields["stance"].annotation)) == {s.value for s in Stance}


@pytest.mark.parametrize("source_id", ["no-such-source", "Not A Slug"])
def test_unknown_source_is_a_404_problem(client, seeded, source_id):
    response = client.get(f"/v1/sources/{source_id}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert (body["status"], body["title"]) == (404, "Not Found")
    assert "source" in body["detail"]


def test_q_folds_case_diacritics_and_azerbaijani_letters(client, session):
    first = make_source(session, title="Əliyev in Şuşa", publisher="Azərbaycan")
    second = make_source(session, title="Aliyev visits Shusha", author="İlkin Həsənov")

    def found(q: str) -> set[str]:
        response = client.get("/v1/sources", params={"q": q})
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert found("aliyev") == found("ƏLİYEV") == {first, second}
    assert found("susa") == {first}
    assert found("azarbaycan") == {first}
    assert found("ilkin hasanov") == {second}
