"""A page's statement is built once per shape of query and run with each request's values:
the values of one request never leak into the next, and the statements do not grow with them."""

from typing import Any

from sqlmodel import Session

from app.events import service
from tests.factories import make_event


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def _events(session: Session) -> None:
    for n, (countries, date, kind) in enumerate(
        [
            (["AZE", "IRN"], "2010-03-01", "reject"),
            (["AZE", "IRN"], "2012-05", "accuse"),
            (["AZE", "IRN"], "2014", "reject"),
            (["ARM", "AZE"], "2011-01-02", "reject"),
            (["ARM", "AZE"], "2013-07", "agree"),
            (["IRN", "USA"], "2012-02-02", "sanction"),
        ]
    ):
        make_event(session, id=f"e{n}", date=date, countries=countries, type=kind)


def test_same_shape_with_other_values_answers_for_its_own_values(client, session):
    _events(session)
    first = {"dyad": "AZE-IRN", "from": "2011", "to": "2015"}
    assert ids(client.get("/v1/events", params=first)) == ["e1", "e2"]
    # The same filters, other values: the statement built for the first is reused.
    second = {"dyad": "ARM-AZE", "from": "2010", "to": "2012"}
    assert ids(client.get("/v1/events", params=second)) == ["e3"]
    third = {"dyad": "AZE-IRN", "from": "2009", "to": "2010"}
    assert ids(client.get("/v1/events", params=third)) == ["e0"]
    typed = [("type", "reject"), ("type", "agree")]
    assert ids(client.get("/v1/events", params=[("country", "AZE"), *typed])) == [
        "e0",
        "e3",
        "e4",
        "e2",
    ]
    assert ids(client.get("/v1/events", params=[("country", "USA"), ("type", "sanction")])) == [
        "e5"
    ]


def test_cursor_pages_of_one_shape_follow_each_own_cursor(client, session):
    _events(session)
    pages: dict[str, list[str]] = {}
    for dyad in ("AZE-IRN", "ARM-AZE"):
        params: dict[str, Any] = {"dyad": dyad, "from": "2009", "limit": 1}
        while True:
            response = client.get("/v1/events", params=params)
            pages.setdefault(dyad, []).extend(ids(response))
            cursor = response.json()["next_cursor"]
            if not cursor:
                break
            params["cursor"] = cursor
    assert pages == {"AZE-IRN": ["e0", "e1", "e2"], "ARM-AZE": ["e3", "e4"]}


def test_statements_are_kept_per_shape_not_per_value(client, session):
    _events(session)
    client.get("/v1/events", params={"dyad": "AZE-IRN", "from": "2011", "to": "2015"})
    kept = len(service._PAGE_STATEMENTS)
    for dyad, start, end in [("ARM-AZE", "2010", "2012"), ("IRN-USA", "2012-02", "2013-01-05")]:
        response = client.get("/v1/events", params={"dyad": dyad, "from": start, "to": end})
        assert response.status_code == 200
    assert len(service._PAGE_STATEMENTS) == kept


def test_a_search_is_never_kept(client, session):
    make_event(session, id="e-summit", title="A summit in Baku")
    make_event(session, id="e-border", title="A border incident")
    before = len(service._PAGE_STATEMENTS)
    assert ids(client.get("/v1/events", params={"q": "summit", "sort": "relevance"})) == [
        "e-summit"
    ]
    assert ids(client.get("/v1/events", params={"q": "border", "sort": "relevance"})) == [
        "e-border"
    ]
    assert len(service._PAGE_STATEMENTS) == before
