"""The record's history: each event's revisions, an event as it was, and the changes feed."""

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlmodel import Session, col, select

from app.changes.models import Revision
from app.core.db import utcnow
from app.core.pagination import encode_cursor
from tests.support import assert_problem

SEED_EVENT = "2012-08-aliyev-declines-nam-summit"
REVISION_FIELDS = {"change_id", "event_id", "version", "action", "key_name", "at", "event"}


def body(event_id: str, title: str) -> dict[str, Any]:
    return {
        "id": event_id,
        "title": title,
        "date": "2013-05-01",
        "countries": ["AZE", "IRN"],
        "type": "consult",
    }


class Writer:
    """Writes events over HTTP with a write key, asserting each write succeeds."""

    def __init__(self, client: TestClient, auth: dict[str, str]) -> None:
        self.client = client
        self.auth = auth

    def create(self, event_id: str, title: str = "Created") -> dict[str, Any]:
        response = self.client.post("/v1/events", json=body(event_id, title), headers=self.auth)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    def patch(self, event_id: str, version: int, **changes: Any) -> dict[str, Any]:
        response = self.client.patch(
            f"/v1/events/{event_id}",
            json=changes,
            headers=self.auth | {"If-Match": f'"{version}"'},
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    def delete(self, event_id: str, version: int) -> None:
        response = self.client.delete(
            f"/v1/events/{event_id}", headers=self.auth | {"If-Match": f'"{version}"'}
        )
        assert response.status_code == 204, response.text

    def restore(self, event_id: str) -> dict[str, Any]:
        response = self.client.post(f"/v1/events/{event_id}/restore", headers=self.auth)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def writer(client: TestClient, auth: dict[str, str]) -> Writer:
    return Writer(client, auth)


def revisions(client: TestClient, event_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/v1/events/{event_id}/revisions")
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def without(event: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: value for name, value in event.items() if name not in names}


# --- revisions ---------------------------------------------------------------------


def test_every_write_stores_a_revision_listed_newest_first(
    client: TestClient, writer: Writer
) -> None:
    start = utcnow()
    created = writer.create("tracked", "First title")
    patched = writer.patch("tracked", 1, title="Second title")
    writer.delete("tracked", 2)
    restored = writer.restore("tracked")
    end = utcnow()

    listed = revisions(client, "tracked")

    assert [set(revision) for revision in listed] == [REVISION_FIELDS] * 4
    assert [(r["version"], r["action"]) for r in listed] == [
        (4, "restore"),
        (3, "delete"),
        (2, "update"),
        (1, "create"),
    ]
    assert [r["event_id"] for r in listed] == ["tracked"] * 4
    assert [r["key_name"] for r in listed] == ["editor"] * 4
    assert [r["event"]["title"] for r in listed] == ["Second title"] * 3 + ["First title"]
    assert [r["event"]["version"] for r in listed] == [4, 3, 2, 1]
    times = [moment(r["at"]) for r in listed]
    assert all(time.tzinfo is not None for time in times)
    assert times == sorted(times, reverse=True)
    assert start <= times[-1] and times[0] <= end
    ids = [r["change_id"] for r in listed]
    assert ids == sorted(ids, reverse=True)
    assert len(set(ids)) == 4
    # The whole event as written, as the write answered it (less who links to it).
    assert listed[3]["event"] == without(created, "linked_from")
    assert listed[2]["event"] == without(patched, "linked_from")
    assert listed[0]["event"] == without(restored, "linked_from")


def test_a_revision_holds_the_whole_event_as_written(
    client: TestClient, writer: Writer, auth: dict[str, str]
) -> None:
    full = body("rich", "Rich event") | {
        "summary": "With every field.",
        "tone": 3.5,
        "tags": ["summit"],
        "location": {"name": "Baku", "country": "AZE", "lat": 40.4, "lon": 49.9},
        "citations": [
            {
                "source": {"url": "https://example.org/rich", "title": "Rich story"},
                "quote": "A quote.",
                "locator": "p. 3",
            }
        ],
        "external_ids": {"acled": "R1"},
    }
    response = client.post("/v1/events", json=full, headers=auth)
    assert response.status_code == 201, response.text

    (revision,) = revisions(client, "rich")

    assert revision["event"] == without(response.json(), "linked_from")
    assert revision["event"]["citations"][0]["source"]["url"] == "https://example.org/rich"
    assert revision["event"]["status"] == "reported"


def test_the_seeds_revisions_carry_the_seed_key_name(client: TestClient, seeded: Session) -> None:
    listed = revisions(client, SEED_EVENT)

    assert [(r["version"], r["action"], r["key_name"]) for r in listed] == [(1, "create", "seed")]
    assert listed[0]["event"]["id"] == SEED_EVENT
    assert listed[0]["event"]["title"] == (
        "Aliyev declines to attend the Non-Aligned Movement summit in Tehran"
    )


def test_a_deleted_event_keeps_its_revisions(client: TestClient, writer: Writer) -> None:
    writer.create("short-lived", "Short-lived")
    writer.delete("short-lived", 1)

    assert client.get("/v1/events/short-lived").status_code == 404
    listed = revisions(client, "short-lived")
    assert [(r["version"], r["action"]) for r in listed] == [(2, "delete"), (1, "create")]
    assert listed[0]["event"]["title"] == "Short-lived"


def test_a_put_that_changes_nothing_stores_no_revision(
    client: TestClient, writer: Writer, auth: dict[str, str]
) -> None:
    writer.create("steady", "Steady")

    response = client.put(
        "/v1/events/steady", json=body("steady", "Steady"), headers=auth | {"If-Match": '"1"'}
    )

    assert response.status_code == 200, response.text
    assert [r["version"] for r in revisions(client, "steady")] == [1]


def test_revisions_of_an_unknown_event_are_a_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/events/no-such-event/revisions"), 404)


# --- as_of -------------------------------------------------------------------------


def _date_revisions(session: Session, event_id: str, *times: datetime) -> None:
    """Give the event's revisions, oldest first, these times."""
    session.expire_all()
    rows = session.exec(
        select(Revision).where(Revision.event_id == event_id).order_by(col(Revision.id))
    ).all()
    assert len(rows) == len(times)
    for row, time in zip(rows, times, strict=True):
        row.created_at = time
        session.add(row)
    session.flush()


@pytest.fixture
def dated(session: Session, writer: Writer) -> str:
    """An event written in 2020 ("First"), changed in 2021 ("Second"), deleted in 2022."""
    writer.create("dated", "First")
    writer.patch("dated", 1, title="Second")
    writer.delete("dated", 2)
    _date_revisions(
        session,
        "dated",
        datetime(2020, 1, 1, tzinfo=UTC),
        datetime(2021, 1, 1, tzinfo=UTC),
        datetime(2022, 1, 1, tzinfo=UTC),
    )
    return "dated"


@pytest.mark.parametrize(
    ("as_of", "title", "version"),
    [
        ("2020-01-01T00:00:00Z", "First", 1),
        ("2020-06-01T12:00:00Z", "First", 1),
        ("2020-12-31T23:59:59+00:00", "First", 1),
        ("2021-01-01T00:00:00Z", "Second", 2),
        ("2021-01-01T04:00:00+04:00", "Second", 2),
        ("2021-12-31T23:59:59.999999Z", "Second", 2),
    ],
)
def test_as_of_gives_the_event_as_it_stood_then(
    client: TestClient, dated: str, as_of: str, title: str, version: int
) -> None:
    response = client.get(f"/v1/events/{dated}", params={"as_of": as_of})

    assert response.status_code == 200, response.text
    past = response.json()
    assert past["id"] == "dated"
    assert past["title"] == title
    assert past["version"] == version
    assert past["date"] == "2013-05-01"
    assert past["countries"] == ["AZE", "IRN"]


@pytest.mark.parametrize(
    "as_of", ["2019-12-31T23:59:59Z", "2022-01-01T00:00:00Z", "2030-01-01T00:00:00Z"]
)
def test_as_of_before_creation_or_after_deletion_is_a_404(
    client: TestClient, dated: str, as_of: str
) -> None:
    assert_problem(client.get(f"/v1/events/{dated}", params={"as_of": as_of}), 404)


def test_as_of_after_a_restore_gives_the_restored_event(
    client: TestClient, session: Session, writer: Writer, dated: str
) -> None:
    writer.restore(dated)
    session.expire_all()
    restore = session.exec(
        select(Revision).where(Revision.event_id == dated, Revision.action == "restore")
    ).one()
    restore.created_at = datetime(2023, 1, 1, tzinfo=UTC)
    session.add(restore)
    session.flush()

    response = client.get(f"/v1/events/{dated}", params={"as_of": "2023-06-01T00:00:00Z"})

    assert response.status_code == 200, response.text
    assert (response.json()["title"], response.json()["version"]) == ("Second", 4)


def test_as_of_an_unknown_event_is_a_404(client: TestClient) -> None:
    response = client.get("/v1/events/no-such-event", params={"as_of": "2020-01-01T00:00:00Z"})

    assert_problem(response, 404)


@pytest.mark.parametrize("as_of", ["yesterday", "2020-01-01", "2020-01-01T00:00:00"])
def test_as_of_that_is_not_an_rfc3339_time_is_a_422(
    client: TestClient, dated: str, as_of: str
) -> None:
    response = client.get(f"/v1/events/{dated}", params={"as_of": as_of})

    problem = assert_problem(response, 422)
    assert [error["loc"] for error in problem["errors"]] == [["query", "as_of"]]


def test_as_of_uses_the_time_each_revision_was_written(client: TestClient, writer: Writer) -> None:
    writer.create("timed", "Before")
    writer.patch("timed", 1, title="After")
    first, second = reversed(revisions(client, "timed"))

    at_first = client.get("/v1/events/timed", params={"as_of": first["at"]})
    at_second = client.get("/v1/events/timed", params={"as_of": second["at"]})

    assert at_first.status_code == 200, at_first.text
    assert at_second.status_code == 200, at_second.text
    assert at_first.json()["title"] == "Before"
    assert at_second.json()["title"] == "After"


# --- the changes feed --------------------------------------------------------------


def changes(client: TestClient, **params: Any) -> Response:
    response = client.get("/v1/changes", params=params)
    assert response.status_code == 200, response.text
    return response


def cursor_now(client: TestClient) -> str:
    """The feed's cursor after every change so far."""
    since: str | None = None
    while True:
        page = changes(client, **({"since": since} if since else {}), limit=1000).json()
        since = page["next_cursor"]
        if not page["items"]:
            assert since is not None
            return since


def _history(writer: Writer) -> list[tuple[str, str, int]]:
    """Five writes to two events; (event_id, action, version) of each, in order."""
    writer.create("alpha", "Alpha")
    writer.create("beta", "Beta")
    writer.patch("alpha", 1, title="Alpha, again")
    writer.delete("beta", 1)
    writer.restore("beta")
    return [
        ("alpha", "create", 1),
        ("beta", "create", 1),
        ("alpha", "update", 2),
        ("beta", "delete", 2),
        ("beta", "restore", 3),
    ]


def test_the_feed_lists_every_write_in_order(client: TestClient, writer: Writer) -> None:
    start = cursor_now(client)
    expected = _history(writer)

    response = changes(client, since=start)

    items = response.json()["items"]
    assert [(i["event_id"], i["action"], i["version"]) for i in items] == expected
    ids = [item["change_id"] for item in items]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert [set(item) for item in items] == [REVISION_FIELDS] * 5
    assert [item["key_name"] for item in items] == ["editor"] * 5
    assert items[2]["event"]["title"] == "Alpha, again"
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_feed_matches_the_revisions_of_each_event(client: TestClient, writer: Writer) -> None:
    start = cursor_now(client)
    _history(writer)

    items = changes(client, since=start).json()["items"]

    for event_id in ("alpha", "beta"):
        fed = [item for item in items if item["event_id"] == event_id]
        assert list(reversed(fed)) == revisions(client, event_id)


def test_paging_the_feed_yields_each_change_exactly_once(
    client: TestClient, writer: Writer
) -> None:
    start = cursor_now(client)
    expected = _history(writer)

    pages: list[list[tuple[str, str, int]]] = []
    seen: list[int] = []
    since = start
    for _ in range(10):  # bounded: five changes take three pages and an empty one
        page = changes(client, since=since, limit=2).json()
        if not page["items"]:
            break
        pages.append([(i["event_id"], i["action"], i["version"]) for i in page["items"]])
        seen += [i["change_id"] for i in page["items"]]
        since = page["next_cursor"]

    assert [len(page) for page in pages] == [2, 2, 1]
    assert [change for page in pages for change in page] == expected
    assert len(set(seen)) == 5
    assert seen == sorted(seen)


def test_a_full_page_links_to_the_next_with_since(client: TestClient, writer: Writer) -> None:
    start = cursor_now(client)
    _history(writer)

    full = changes(client, since=start, limit=2)

    link = full.headers["Link"]
    assert link.endswith('>; rel="next"')
    url = urlsplit(link[1 : link.index(">")])
    assert url.path == "/v1/changes"
    assert parse_qs(url.query) == {"since": [full.json()["next_cursor"]], "limit": ["2"]}
    following = client.get(f"{url.path}?{url.query}")
    assert [i["action"] for i in following.json()["items"]] == ["update", "delete"]
    assert "Link" not in changes(client, since=start, limit=6).headers


def test_the_cursor_stays_put_until_something_new_is_written(
    client: TestClient, writer: Writer
) -> None:
    writer.create("first", "First")
    cursor = cursor_now(client)

    again = changes(client, since=cursor).json()
    once_more = changes(client, since=cursor).json()
    writer.patch("first", 1, title="First, changed")
    after_write = changes(client, since=cursor).json()
    then = changes(client, since=after_write["next_cursor"]).json()

    assert again == {"items": [], "next_cursor": cursor}
    assert once_more == {"items": [], "next_cursor": cursor}
    assert [(i["event_id"], i["action"], i["version"]) for i in after_write["items"]] == [
        ("first", "update", 2)
    ]
    assert after_write["next_cursor"] != cursor
    assert then == {"items": [], "next_cursor": after_write["next_cursor"]}


def test_the_feed_holds_the_seed(client: TestClient, seeded: Session) -> None:
    items = changes(client, limit=1000).json()["items"]

    seed_changes = [item for item in items if item["key_name"] == "seed"]
    assert len(seed_changes) == 11
    assert {item["action"] for item in seed_changes} == {"create"}
    assert SEED_EVENT in {item["event_id"] for item in seed_changes}


@pytest.mark.parametrize(
    "since",
    [
        "garbage",
        "!!!",
        encode_cursor("changes", [-1]),
        encode_cursor("changes", ["12"]),
        encode_cursor("changes", [1, 2]),
        encode_cursor("date", [1]),
    ],
)
def test_a_garbage_since_is_a_400(client: TestClient, since: str) -> None:
    assert_problem(client.get("/v1/changes", params={"since": since}), 400)


@pytest.mark.parametrize("limit", [0, 1001, "many"])
def test_a_bad_limit_is_a_422(client: TestClient, limit: Any) -> None:
    assert_problem(client.get("/v1/changes", params={"limit": limit}), 422)


def _instant(at: str, shift_us: int = 0) -> str:
    """`at` moved by `shift_us` microseconds, as RFC 3339 with every digit kept."""
    shifted = moment(at) + timedelta(microseconds=shift_us)
    return shifted.isoformat(timespec="microseconds").replace("+00:00", "Z")


def test_as_of_is_exact_at_every_boundary(client: TestClient, writer: Writer) -> None:
    created = writer.create("exact", "First")
    assert created["created_at"] == created["updated_at"]
    first = revisions(client, "exact")[-1]
    assert first["at"] == created["created_at"]

    def version_at(instant: str) -> int | None:
        response = client.get("/v1/events/exact", params={"as_of": instant})
        if response.status_code == 404:
            return None
        assert response.status_code == 200, response.text
        version: int = response.json()["version"]
        return version

    assert version_at(_instant(created["created_at"])) == 1
    assert version_at(_instant(created["created_at"], -1)) is None
    second = writer.patch("exact", 1, title="Second")
    third = writer.patch("exact", 2, title="Third")
    for later in (second, third):
        assert version_at(_instant(later["updated_at"])) == later["version"]
        assert version_at(_instant(later["updated_at"], -1)) == later["version"] - 1
    assert [r["at"] for r in revisions(client, "exact")] == [
        third["updated_at"],
        second["updated_at"],
        created["created_at"],
    ]
