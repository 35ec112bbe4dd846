"""Conditional GET of one event (ETag, If-None-Match), the Cache-Control of lists, and
GET /v1/events/{id}/citation in text and Markdown."""

import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markdown_it import MarkdownIt
from sqlmodel import Session

from app.core.db import utcnow
from app.events.models import Event
from app.events.public import store_documents
from tests.factories import make_event, make_source

SUMMIT = "2012-08-aliyev-declines-nam-summit"
PERRY = "2013-03-perry-israel-airbases-claim"
NEO_URL = "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"
NEO_TITLE = "Iran-Azerbaijan: Conflict or Friendship?"
SUMMIT_TITLE = "Aliyev declines to attend the Non-Aligned Movement summit in Tehran"
SUMMIT_QUOTE = (
    "They were at their worst when Azerbaijani President Ilham Aliyev declined to participate "
    "in the August 2012 Non-Aligned Movement summit that was held in Tehran."
)
PERRY_DENIAL = "Azerbaijan then had to deny that information at all levels."
BASE = "http://testserver"
RETRIEVED = re.compile(r"\(retrieved (\d{4}-\d{2}-\d{2})\)")


def set_version(session: Session, event_id: str, version: int) -> None:
    event = session.get(Event, event_id)
    assert event is not None
    event.version = version
    session.add(event)
    session.flush()
    store_documents(session, [event_id])


def max_age(response: Any) -> int:
    cache_control = response.headers["cache-control"]
    assert "public" in [part.strip() for part in cache_control.split(",")], cache_control
    match = re.search(r"(?:^|,)\s*max-age=(\d+)\s*(?:,|$)", cache_control)
    assert match is not None, cache_control
    return int(match[1])


# --- ETag and If-None-Match ----------------------------------------------------------------


def test_event_etag_is_its_version_in_quotes(client, session):
    make_event(session, id="e1")
    assert client.get("/v1/events/e1").headers["etag"] == '"1"'
    set_version(session, "e1", 3)
    response = client.get("/v1/events/e1")
    assert response.status_code == 200
    assert response.headers["etag"] == '"3"'
    assert response.json()["version"] == 3


def test_if_none_match_with_the_current_etag_is_a_304_without_body(client, session):
    make_event(session, id="e1")
    set_version(session, "e1", 3)
    response = client.get("/v1/events/e1", headers={"If-None-Match": '"3"'})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"3"'


@pytest.mark.parametrize(
    "header",
    [
        pytest.param('W/"1"', id="weak"),
        pytest.param("*", id="star"),
        pytest.param('"7", "1"', id="in-a-list"),
        pytest.param('"7",W/"1"', id="weak-in-a-list"),
    ],
)
def test_if_none_match_matches_weakly_and_any_of_a_list(client, session, header):
    make_event(session, id="e1")
    response = client.get("/v1/events/e1", headers={"If-None-Match": header})
    assert response.status_code == 304
    assert response.content == b""
    assert response.headers["etag"] == '"1"'


@pytest.mark.parametrize("header", ['"2"', 'W/"2"', '"11"', '"1-old", "0"'])
def test_if_none_match_with_another_version_gives_the_event(client, session, header):
    make_event(session, id="e1", title="The event")
    response = client.get("/v1/events/e1", headers={"If-None-Match": header})
    assert response.status_code == 200
    assert response.headers["etag"] == '"1"'
    assert (response.json()["id"], response.json()["title"]) == ("e1", "The event")


def test_a_stale_etag_gives_the_new_version(client, session):
    make_event(session, id="e1")
    etag = client.get("/v1/events/e1").headers["etag"]
    set_version(session, "e1", 2)
    response = client.get("/v1/events/e1", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["etag"] == '"2"'
    assert response.json()["version"] == 2


def test_if_none_match_on_an_unknown_event_is_a_404(client):
    response = client.get("/v1/events/no-such-event", headers={"If-None-Match": "*"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


# --- Cache-Control of lists ----------------------------------------------------------------


def test_every_page_of_a_list_is_publicly_cacheable(client, session):
    for n in range(1, 4):
        make_event(session, id=f"e{n}", date=f"2013-01-0{n}", type="reject")
    first = client.get("/v1/events", params={"type": "reject", "limit": 1, "facets": "year"})
    assert first.status_code == 200
    assert max_age(first) > 0
    later = client.get(
        "/v1/events", params={"type": "reject", "limit": 1, "cursor": first.json()["next_cursor"]}
    )
    assert later.status_code == 200
    assert [item["id"] for item in later.json()["items"]] == ["e2"]
    assert max_age(later) > 0


def test_the_event_types_list_is_publicly_cacheable(client):
    response = client.get("/v1/event-types")
    assert response.status_code == 200
    assert max_age(response) > 0


# --- citation ------------------------------------------------------------------------------


def cite(client: TestClient, event_id: str, **params: Any) -> tuple[Any, str]:
    """The citation response and the retrieval date it states, checked to be today's."""
    before = utcnow().date()
    response = client.get(f"/v1/events/{event_id}/citation", params=params)
    after = utcnow().date()
    assert response.status_code == 200, response.text
    match = RETRIEVED.search(response.text)
    assert match is not None, response.text
    retrieved = date.fromisoformat(match[1])
    assert retrieved in (before, after)
    return response, match[1]


def test_text_citation_of_the_summit_names_title_date_url_and_its_source(client, seeded):
    response, retrieved = cite(client, SUMMIT)
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == (
        f"“{SUMMIT_TITLE}” (August 2012). Dyad, version 1, {BASE}/v1/events/{SUMMIT} "
        f"(retrieved {retrieved}).\n"
        "\n"
        "Sources:\n"
        f"- Sergey Pivin, “{NEO_TITLE}”, New Eastern Outlook, 21 June 2013, {NEO_URL}, "
        f"para. 1. Supports: “{SUMMIT_QUOTE}”\n"
    )


def test_text_is_the_default_citation_style(client, seeded):
    default, _ = cite(client, SUMMIT)
    text, _ = cite(client, SUMMIT, style="text")
    assert default.text == text.text
    assert text.headers["content-type"] == "text/plain; charset=utf-8"


def test_markdown_citation_of_the_summit_links_to_the_event_and_its_source(client, seeded):
    response, retrieved = cite(client, SUMMIT, style="markdown")
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == (
        f"**{SUMMIT_TITLE}** (August 2012). Dyad, version 1, <{BASE}/v1/events/{SUMMIT}> "
        f"(retrieved {retrieved}).\n"
        "\n"
        "Sources:\n"
        f"- Sergey Pivin, [“{NEO_TITLE}”]({NEO_URL}), *New Eastern Outlook*, 21 June 2013, "
        f"para. 1. Supports: “{SUMMIT_QUOTE}”\n"
    )
    assert markdown_links(response.text) == [
        (f"{BASE}/v1/events/{SUMMIT}", f"{BASE}/v1/events/{SUMMIT}"),
        (NEO_URL, f"“{NEO_TITLE}”"),
    ]


def markdown_links(text: str) -> list[tuple[str, str]]:
    """(href, text) of every link in `text`, as a CommonMark renderer reads them."""
    links = []
    for block in MarkdownIt("commonmark").parse(text):
        children = block.children or []
        for n, token in enumerate(children):
            if token.type == "link_open":
                end = next(i for i in range(n, len(children)) if children[i].type == "link_close")
                label = "".join(child.content for child in children[n + 1 : end])
                links.append((str(token.attrs["href"]), label))
    return links


def test_markdown_link_to_a_source_survives_markdown_characters_in_its_title(client, session):
    source = make_source(
        session,
        url="https://news.example.org/brackets",
        title="Baku says ] no *bases* [sic",
        publisher="Example News",
    )
    make_event(session, id="odd-title", citations=[{"source_id": source}])
    response, _ = cite(client, "odd-title", style="markdown")
    assert markdown_links(response.text)[-1] == (
        "https://news.example.org/brackets",
        "“Baku says ] no *bases* [sic”",
    )


def test_citation_of_the_disputed_perry_claim_says_so_and_lists_the_disputing_source(
    client, seeded
):
    response, retrieved = cite(client, PERRY)
    lines = response.text.splitlines()
    assert lines[0] == (
        "“Mark Perry writes in Foreign Policy that Israel has gained access to airbases in "
        f"Azerbaijan” (March 2013). Dyad, version 1, {BASE}/v1/events/{PERRY} "
        f"(retrieved {retrieved})."
    )
    assert "Disputed: at least one source disputes this event." in lines
    disputing = [line for line in lines if line.startswith("- ") and "Disputes" in line]
    assert disputing == [
        f"- Sergey Pivin, “{NEO_TITLE}”, New Eastern Outlook, 21 June 2013, {NEO_URL}, "
        f"para. 5. Disputes: “{PERRY_DENIAL}”"
    ]
    supporting = [line for line in lines if line.startswith("- ") and "Supports" in line]
    assert len(supporting) == 1
    assert supporting[0].startswith(f"- Sergey Pivin, “{NEO_TITLE}”, New Eastern Outlook")


def test_citation_names_each_source_with_its_own_stance(client, session):
    reuters = make_source(
        session, url="https://reuters.example/report", title="Report", publisher="Reuters"
    )
    tasnim = make_source(
        session, url="https://tasnim.example/denial", title="Denial", publisher="Tasnim"
    )
    make_event(
        session,
        id="contested",
        title="A contested meeting",
        date="2013-03-30",
        citations=[
            {"source_id": reuters, "stance": "supports", "locator": "para. 1"},
            {
                "source_id": tasnim,
                "stance": "disputes",
                "quote": "No such meeting took place.",
                "locator": "para. 2",
            },
        ],
    )
    response, retrieved = cite(client, "contested")
    assert response.text == (
        f"“A contested meeting” (30 March 2013). Dyad, version 1, {BASE}/v1/events/contested "
        f"(retrieved {retrieved}).\n"
        "\n"
        "Disputed: at least one source disputes this event.\n"
        "\n"
        "Sources:\n"
        "- “Report”, Reuters, https://reuters.example/report, para. 1. Supports\n"
        "- “Denial”, Tasnim, https://tasnim.example/denial, para. 2. Disputes: "
        "“No such meeting took place.”\n"
    )


def test_citation_of_an_unknown_event_is_a_404_problem(client):
    response = client.get("/v1/events/no-such-event/citation")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404
    assert "no-such-event" in body["detail"]


def test_citation_of_a_deleted_event_is_a_404(client, session):
    event = make_event(session, id="gone")
    event.deleted_at = utcnow()
    session.add(event)
    session.flush()
    response = client.get("/v1/events/gone/citation")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_citation_style_html_is_a_422_naming_style(client, seeded):
    response = client.get(f"/v1/events/{SUMMIT}/citation", params={"style": "html"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"][:2] for error in response.json()["errors"]] == [["query", "style"]]
