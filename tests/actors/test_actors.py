"""GET /v1/actors and /v1/actors/{id}: search, filters, pages and event counts."""

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.events.test_query_count import counting
from tests.factories import make_actor, make_event
from tests.support import soft_delete, walk_pages

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
SEED_ACTORS: list[dict[str, Any]] = json.loads((SEED_DIR / "actors.json").read_text())
SEED_EVENTS: list[dict[str, Any]] = json.loads((SEED_DIR / "events.json").read_text())


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def in_order(actors: list[dict[str, Any]]) -> list[str]:
    """Ids in the documented order: name, then id (code point order, as both databases use)."""
    return [actor["id"] for actor in sorted(actors, key=lambda a: (a["name"], a["id"]))]


# --- q -----------------------------------------------------------------------------------


def test_q_matches_the_name_in_any_case(client, seeded):
    for q in ["khamenei", "KHAMENEI", "Khamenei", "li khame"]:
        assert ids(client.get("/v1/actors", params={"q": q})) == ["ali-khamenei"], q


def test_q_matches_an_alias_in_any_case(client, seeded):
    assert ids(client.get("/v1/actors", params={"q": "SNSC"})) == ["iran-snsc"]
    assert ids(client.get("/v1/actors", params={"q": "snsc"})) == ["iran-snsc"]
    # Only an alias of Ali Khamenei says "Ayatollah".
    assert ids(client.get("/v1/actors", params={"q": "ayatollah"})) == ["ali-khamenei"]


def test_q_finds_what_a_substring_search_of_the_seed_finds(client, seeded):
    for q in ["government", "IRAN", "us", "a"]:
        expected = in_order(
            [
                actor
                for actor in SEED_ACTORS
                if any(q.lower() in text.lower() for text in [actor["name"], *actor["aliases"]])
            ]
        )
        assert expected, q
        assert ids(client.get("/v1/actors", params={"q": q, "limit": 500})) == expected, q


def test_q_wildcards_are_literal(client, session):
    make_actor(session, id="percent", name="100% Media")
    make_actor(session, id="underscore", name="Under_score")
    make_actor(session, id="alias-percent", name="Plain", aliases=["Half 50% off"])
    make_actor(session, id="backslash", name="Back\\slash")
    make_actor(session, id="other", name="Underscore 1000 Media")
    assert ids(client.get("/v1/actors", params={"q": "%"})) == ["percent", "alias-percent"]
    assert ids(client.get("/v1/actors", params={"q": "0% m"})) == ["percent"]
    assert ids(client.get("/v1/actors", params={"q": "_"})) == ["underscore"]
    assert ids(client.get("/v1/actors", params={"q": "r_s"})) == ["underscore"]
    assert ids(client.get("/v1/actors", params={"q": "\\"})) == ["backslash"]


def test_q_is_trimmed_and_an_empty_q_is_no_filter(client, session):
    make_actor(session, id="a1", name="Alpha")
    make_actor(session, id="b1", name="Beta")
    assert ids(client.get("/v1/actors", params={"q": "  alpha "})) == ["a1"]
    assert ids(client.get("/v1/actors", params={"q": ""})) == ["a1", "b1"]
    assert ids(client.get("/v1/actors", params={"q": "   "})) == ["a1", "b1"]


def test_q_does_not_match_the_json_spelling_of_aliases(client, session):
    # Stored as JSON, "Əliyev" reads ["\u018fliyev"]: neither "u0" nor "1" is in the alias.
    make_actor(session, id="aliyev", name="Heydar", aliases=["Əliyev", "Nəsimi"])
    for q in ["u0", "018f", "\\u", '"', ",", "[", "]"]:
        assert ids(client.get("/v1/actors", params={"q": q})) == [], q


# --- Azerbaijani text ----------------------------------------------------------------------


def test_azerbaijani_name_is_found_in_any_case_and_round_trips(client, session):
    make_actor(session, id="heydar-aliyev", name="Heydər Əliyev", aliases=["Ulu Öndər"])
    make_actor(session, id="other", name="Ilham Aliyev")
    for q in ["heydər", "HEYDƏR ə", "öndər", "ULU ÖNDƏR", "heydar", "ondar"]:
        response = client.get("/v1/actors", params={"q": q})
        assert ids(response) == ["heydar-aliyev"], q
    # ə is a, as in the events' search: every spelling of Əliyev finds both.
    for q in ["əliyev", "Əliyev", "ƏLİYEV", "aliyev"]:
        assert ids(client.get("/v1/actors", params={"q": q})) == ["heydar-aliyev", "other"], q
    (actor,) = client.get("/v1/actors", params={"q": "heydər"}).json()["items"]
    assert actor["name"] == "Heydər Əliyev"
    assert actor["aliases"] == ["Ulu Öndər"]
    assert client.get("/v1/actors/heydar-aliyev").json()["name"] == "Heydər Əliyev"


def test_mixed_case_azerbaijani_text_is_found_as_typed(client, session):
    # Capitals and small letters mixed in one name: found in its own case on every database.
    make_actor(session, id="ali-bey", name="ƏLİ bəy")
    assert ids(client.get("/v1/actors", params={"q": "ƏLİ bəy"})) == ["ali-bey"]
    assert ids(client.get("/v1/actors", params={"q": "ƏLİ"})) == ["ali-bey"]


def test_dotted_capital_i_matches_plain_i(client, session):
    make_actor(session, id="ilham-az", name="İlham Əliyev")
    make_actor(session, id="ilham-en", name="Ilham Aliyev")
    assert ids(client.get("/v1/actors", params={"q": "ilham"})) == ["ilham-en", "ilham-az"]
    # The spellings of one name are one name, as in the events' search.
    assert ids(client.get("/v1/actors", params={"q": "İLHAM ƏLİYEV"})) == ["ilham-en", "ilham-az"]


def test_azerbaijani_text_in_capitals_is_found_in_lower_case(client, session):
    make_actor(session, id="azertac", name="AZƏRTAC", aliases=["AZƏRBAYCAN DÖVLƏT AGENTLİYİ"])
    assert ids(client.get("/v1/actors", params={"q": "azərtac"})) == ["azertac"]
    assert ids(client.get("/v1/actors", params={"q": "dövlət"})) == ["azertac"]


# --- country and kind ----------------------------------------------------------------------


def test_country_filter_takes_any_code_spelling(client, seeded):
    expected = in_order([actor for actor in SEED_ACTORS if actor["country"] == "IRN"])
    assert len(expected) == 5
    for code in ["IRN", "irn", "IR", "ir"]:
        assert ids(client.get("/v1/actors", params={"country": code})) == expected, code


def test_repeated_country_means_any_of_them(client, seeded):
    expected = in_order([actor for actor in SEED_ACTORS if actor["country"] in ("AZE", "ISR")])
    response = client.get("/v1/actors", params=[("country", "az"), ("country", "ISR")])
    assert ids(response) == expected
    assert expected == ["government-of-azerbaijan", "government-of-israel", "ilham-aliyev"]


def test_kind_filter_and_repeated_kind(client, seeded):
    assert ids(client.get("/v1/actors", params={"kind": "organization"})) == ["nato"]
    response = client.get("/v1/actors", params=[("kind", "media"), ("kind", "organization")])
    assert ids(response) == ["foreign-policy", "nato", "sahar-2"]


def test_filters_combine_with_and(client, seeded):
    params = {"country": "IR", "kind": "person", "q": "a"}
    assert ids(client.get("/v1/actors", params=params)) == ["ali-khamenei", "mehdi-sanai"]
    assert ids(client.get("/v1/actors", params={"country": "IR", "q": "aliyev"})) == []


# --- pages ---------------------------------------------------------------------------------


def test_pages_of_two_walk_every_seeded_actor_once_in_order(client, seeded):
    pages = list(walk_pages(client, "/v1/actors", {"limit": 2}))
    walked = [item["id"] for page in pages for item in page["items"]]
    assert walked == in_order(SEED_ACTORS)
    assert [len(page["items"]) for page in pages] == [2] * 6
    assert [page["next_cursor"] is None for page in pages] == [False] * 5 + [True]


def test_actors_with_the_same_name_are_ordered_by_id_across_pages(client, session):
    for actor_id in ["same-c", "same-a", "same-b"]:
        make_actor(session, id=actor_id, name="Same Name")
    make_actor(session, id="aaa", name="Zed")
    walked = [
        item["id"]
        for page in walk_pages(client, "/v1/actors", {"limit": 2})
        for item in page["items"]
    ]
    assert walked == ["same-a", "same-b", "same-c", "aaa"]


def test_filtered_pages_keep_the_filter_and_the_link_header_leads_on(client, seeded):
    first = client.get("/v1/actors", params={"kind": "government", "limit": 2})
    assert ids(first) == ["government-of-azerbaijan", "government-of-iran"]
    link = first.headers["link"]
    assert link.startswith("<") and link.endswith('>; rel="next"')
    url = link[1 : link.index(">")]
    assert "kind=government" in url and "limit=2" in url
    assert ids(client.get(url)) == ["government-of-israel", "government-of-united-states"]


def test_last_page_has_no_cursor_and_no_link(client, seeded):
    response = client.get("/v1/actors", params={"limit": 500})
    assert response.json()["next_cursor"] is None
    assert "link" not in response.headers
    assert response.headers["cache-control"] == "public, max-age=60"


def _b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("abc", id="garbage"),
        pytest.param(_b64(["date", "2013-01-01", "day", "x"]), id="events-cursor"),
        pytest.param(_b64(["sources", "", "Title", "x"]), id="sources-cursor"),
        pytest.param(_b64(["actors", "Name"]), id="short"),
        pytest.param(_b64(["actors", "Name", 7]), id="number-id"),
        pytest.param(_b64(["actors", "Name", "Not A Slug"]), id="bad-id"),
        pytest.param(_b64(["actors", "Na\u0000me", "x"]), id="nul"),
    ],
)
def test_a_cursor_this_list_did_not_make_is_a_400_problem(client, seeded, cursor):
    response = client.get("/v1/actors", params={"cursor": cursor})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert "cursor" in response.json()["detail"].lower()


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"colour": "red"}, "colour"),
        ({"actor": "ilham-aliyev"}, "actor"),
        ({"kind": "army"}, "kind"),
        ({"country": "XX"}, "country"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"q": "x" * 201}, "q"),
        ({"q": "a\u0000b"}, "q"),
    ],
)
def test_invalid_parameter_is_a_422_naming_it(client, params, name):
    response = client.get("/v1/actors", params=params)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"][:2] for error in response.json()["errors"]] == [["query", name]]


def test_a_page_takes_the_same_number_of_queries_whatever_its_size(client, session, engine):
    for n in range(12):
        actor = make_actor(session, id=f"actor-{n:02d}", name=f"Actor {n:02d}")
        make_event(session, id=f"event-{n:02d}", actors=[{"id": actor, "role": "initiator"}])
    session.flush()
    session.expunge_all()
    with counting(engine) as small:
        assert len(ids(client.get("/v1/actors", params={"limit": 2}))) == 2
    with counting(engine) as large:
        items = client.get("/v1/actors", params={"limit": 12}).json()["items"]
    assert [item["event_count"] for item in items] == [1] * 12
    assert len(small) == len(large)


# --- event counts --------------------------------------------------------------------------


def test_seeded_event_counts_are_the_events_each_actor_is_in(client, seeded):
    expected = {
        actor["id"]: sum(
            any(role["id"] == actor["id"] for role in event["actors"]) for event in SEED_EVENTS
        )
        for actor in SEED_ACTORS
    }
    items = client.get("/v1/actors", params={"limit": 500}).json()["items"]
    assert {item["id"]: item["event_count"] for item in items} == expected
    assert expected["government-of-azerbaijan"] == 5
    for actor_id in ["ilham-aliyev", "nato"]:
        response = client.get(f"/v1/actors/{actor_id}")
        assert response.json()["event_count"] == expected[actor_id]


def test_event_count_counts_each_event_once_and_skips_deleted_ones(client, session):
    actor = make_actor(session, id="busy", name="Busy")
    make_actor(session, id="idle", name="Idle")
    # Two roles in one event are still one event.
    make_event(
        session, actors=[{"id": actor, "role": "initiator"}, {"id": actor, "role": "target"}]
    )
    make_event(session, actors=[{"id": actor, "role": "participant"}])
    deleted = make_event(session, actors=[{"id": actor, "role": "target"}])
    assert client.get("/v1/actors/busy").json()["event_count"] == 3
    soft_delete(session, deleted)
    counts = {item["id"]: item["event_count"] for item in client.get("/v1/actors").json()["items"]}
    assert counts == {"busy": 2, "idle": 0}
    assert client.get("/v1/actors/busy").json()["event_count"] == 2


# --- one actor -----------------------------------------------------------------------------


def test_one_actor_has_its_fields_and_event_count(client, seeded):
    response = client.get("/v1/actors/nato")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.json() == {
        "id": "nato",
        "name": "North Atlantic Treaty Organization",
        "kind": "organization",
        "country": None,
        "aliases": ["NATO"],
        "wikidata": "Q7184",
        "description": "Military alliance of North American and European states.",
        "event_count": 1,
        "version": 1,
    }


@pytest.mark.parametrize("actor_id", ["no-such-actor", "Not A Slug", "%C3%A9"])
def test_unknown_actor_is_a_404_problem(client, seeded, actor_id):
    response = client.get(f"/v1/actors/{actor_id}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert body["title"] == "Not Found"
    assert "actor" in body["detail"]


def test_q_folds_names_as_the_events_search_does(client, seeded, session):
    make_actor(session, id="ilham-aliyev-az", name="İlham Əliyev")
    make_actor(session, id="susa-council", name="Şuşa Council", aliases=["Şuşa Şəhər Şuras\u0131"])

    assert ids(client.get("/v1/actors", params={"q": "Əliyev"})) == [
        "ilham-aliyev",  # the seed's "Ilham Aliyev"
        "ilham-aliyev-az",
    ]
    assert ids(client.get("/v1/actors", params={"q": "aliyev"})) == [
        "ilham-aliyev",
        "ilham-aliyev-az",
    ]
    assert ids(client.get("/v1/actors", params={"q": "ILHAM"})) == [
        "ilham-aliyev",
        "ilham-aliyev-az",
    ]
    assert ids(client.get("/v1/actors", params={"q": "susa"})) == ["susa-council"]
    assert ids(client.get("/v1/actors", params={"q": "sahar surasi"})) == ["susa-council"]
