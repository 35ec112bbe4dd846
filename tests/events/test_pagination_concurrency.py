"""Cursor pagination while the data changes: between page requests, events are inserted
before and after the current position and not-yet-seen events are soft-deleted; every event
that was there all along is still walked exactly once, in the documented order."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import utcnow
from app.events.models import Event
from tests.factories import make_event

Key = tuple[date, int, str]
PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
FILTER: dict[str, Any] = {"country": "IRN", "limit": 3}
MATCHING = ["AZE", "IRN"]
NOT_MATCHING = ["ARM", "TUR"]
# Ids chosen so that ties on date and precision are broken by id: "a-" ids sort before
# every "m" id, and "z-" ids after.
STABLE = [
    ("m07", "2013"),
    ("m03", "2013-01"),
    ("m11", "2013-01-01"),
    ("m01", "2013-01-01"),
    ("m12", "2013-02~"),
    ("m05", "2013-03-15"),
    ("m09", "2013-03-15?"),
    ("m02", "2013-06"),
    ("m14", "2013-06-30"),
    ("m04", "2013-07"),
    ("m13", "2013-09-01"),
    ("m06", "2013-12"),
    ("m15", "2014"),
    ("m08", "2014-01-01"),
    ("m10", "2014-02"),
]


def key_of(event: Event) -> Key:
    return event.date_lower, PRECISION_RANK[event.date_precision], event.id


@dataclass
class Walk:
    """What a walk served, and what happened to the data meanwhile."""

    descending: bool
    keys: dict[str, Key] = field(default_factory=dict)
    stable: set[str] = field(default_factory=set)
    deleted: set[str] = field(default_factory=set)
    inserted_before: set[str] = field(default_factory=set)
    inserted_after: set[str] = field(default_factory=set)
    not_matching: set[str] = field(default_factory=set)
    walked: list[str] = field(default_factory=list)
    pages: int = 0

    def add(self, session: Session, kind: set[str], **fields: Any) -> None:
        event = make_event(session, **fields)
        self.keys[event.id] = key_of(event)
        kind.add(event.id)

    def in_walk_order(self, ids: set[str]) -> list[str]:
        return sorted(ids, key=self.keys.__getitem__, reverse=self.descending)


def _make_stable(session: Session, walk: Walk) -> None:
    for event_id, when in STABLE:
        walk.add(session, walk.stable, id=event_id, date=when, countries=MATCHING)
    for n, when in enumerate(["2013-01-01", "2013-06", "2014"]):
        walk.add(session, walk.not_matching, id=f"other-{n}", date=when, countries=NOT_MATCHING)


def _change_around(session: Session, walk: Walk, last: dict[str, Any], page: int) -> None:
    """Insert events on both sides of the position just served, and delete one not yet seen."""
    position = date.fromisoformat(last["date_lower"])
    earlier = (position - timedelta(days=1)).isoformat()
    later = (position + timedelta(days=1)).isoformat()
    behind, ahead = (later, earlier) if walk.descending else (earlier, later)
    # A tie with the last item on date and precision: its id decides the side.
    tie_behind, tie_ahead = ("z-", "a-") if walk.descending else ("a-", "z-")
    n = f"p{page}"
    walk.add(session, walk.inserted_before, id=f"b-{n}-behind", date=behind, countries=MATCHING)
    walk.add(
        session,
        walk.inserted_before,
        id=f"{tie_behind}{n}-tie",
        date=last["date"],
        countries=MATCHING,
    )
    walk.add(session, walk.inserted_after, id=f"n-{n}-ahead", date=ahead, countries=MATCHING)
    walk.add(
        session,
        walk.inserted_after,
        id=f"{tie_ahead}{n}-tie",
        date=last["date"],
        countries=MATCHING,
    )
    walk.add(session, walk.not_matching, id=f"o-{n}-ahead", date=ahead, countries=NOT_MATCHING)
    # The event the next page would have started with, and the last one of the walk.
    unseen = walk.in_walk_order(walk.stable - set(walk.walked) - walk.deleted)
    for event_id in {unseen[0], unseen[-1]} if unseen else set():
        event = session.get(Event, event_id)
        assert event is not None
        event.deleted_at = utcnow()
        session.add(event)
        walk.deleted.add(event_id)
    session.flush()


def _walk_while_changing(client: TestClient, session: Session, sort: str) -> Walk:
    walk = Walk(descending=sort == "-date")
    _make_stable(session, walk)
    cursor = None
    for page in range(100):
        params: dict[str, Any] = {**FILTER, "sort": sort}
        if cursor:
            params["cursor"] = cursor
        response = client.get("/v1/events", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        walk.walked += [item["id"] for item in body["items"]]
        walk.pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return walk
        _change_around(session, walk, body["items"][-1], page)
    raise AssertionError("pagination did not end")


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_events_present_all_along_are_walked_exactly_once_despite_writes(client, session, sort):
    walk = _walk_while_changing(client, session, sort)
    assert walk.pages >= 4  # changes happened between several pages
    assert len(walk.walked) == len(set(walk.walked))
    survivors = walk.stable - walk.deleted
    assert [event_id for event_id in walk.walked if event_id in survivors] == (
        walk.in_walk_order(survivors)
    )
    assert len(survivors) >= 6


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_walk_under_writes_is_in_the_documented_order(client, session, sort):
    walk = _walk_while_changing(client, session, sort)
    keys = [walk.keys[event_id] for event_id in walk.walked]
    expected_keys = sorted(keys, reverse=walk.descending)
    assert keys == expected_keys
    assert len(set(keys)) == len(keys)  # a strict order: no two events share a key


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_walk_under_writes_skips_deleted_and_passed_events_and_serves_new_ones_ahead(
    client, session, sort
):
    walk = _walk_while_changing(client, session, sort)
    assert walk.deleted and walk.inserted_before and walk.inserted_after
    walked = set(walk.walked)
    assert walked.isdisjoint(walk.deleted)
    assert walked.isdisjoint(walk.inserted_before)
    assert walked.isdisjoint(walk.not_matching)
    assert walk.walked == walk.in_walk_order(
        (walk.stable - walk.deleted) | (walk.inserted_after - walk.deleted)
    )


@pytest.mark.parametrize("sort", ["date", "-date"])
def test_deleting_the_event_a_cursor_points_at_does_not_break_the_walk(client, session, sort):
    walk = Walk(descending=sort == "-date")
    _make_stable(session, walk)
    expected = walk.in_walk_order(walk.stable)
    first = client.get("/v1/events", params={**FILTER, "sort": sort})
    assert [item["id"] for item in first.json()["items"]] == expected[:3]
    position = session.get(Event, expected[2])
    assert position is not None
    position.deleted_at = utcnow()
    session.add(position)
    session.flush()

    cursor = first.json()["next_cursor"]
    rest: list[str] = []
    while cursor:
        response = client.get("/v1/events", params={**FILTER, "sort": sort, "cursor": cursor})
        assert response.status_code == 200, response.text
        rest += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
    assert rest == expected[3:]


def test_an_event_restored_ahead_of_the_position_is_walked(client, session):
    walk = Walk(descending=False)
    _make_stable(session, walk)
    expected = walk.in_walk_order(walk.stable)
    hidden = session.get(Event, expected[-1])
    assert hidden is not None
    hidden.deleted_at = utcnow()
    session.add(hidden)
    session.flush()
    first = client.get("/v1/events", params=FILTER)
    assert [item["id"] for item in first.json()["items"]] == expected[:3]

    hidden.deleted_at = None
    session.add(hidden)
    session.flush()
    cursor = first.json()["next_cursor"]
    rest: list[str] = []
    while cursor:
        response = client.get("/v1/events", params={**FILTER, "cursor": cursor})
        assert response.status_code == 200, response.text
        rest += [item["id"] for item in response.json()["items"]]
        cursor = response.json()["next_cursor"]
    assert rest == expected[3:]
