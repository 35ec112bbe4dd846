"""GET /v1/events against a plain Python model of its filters and order.

One random data set is built per test (seeded, so a failure is reproducible), then
Hypothesis draws filter combinations; walking every page of the list must give exactly
the ids that the Python filter gives, in the documented order.
"""

import random
from calendar import monthrange
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from app.core.dates import DateBounds, parse
from app.events.models import Citation, Event, EventActor, EventCountry, EventTag
from app.events.public import store_documents
from app.events.types import EventType
from tests.factories import make_actor, make_source

SEED = 20130330
EVENT_COUNT = 240
COUNTRIES = ["AZE", "IRN", "ARM", "RUS", "UKR", "USA", "ISR", "TUR", "GEO"]
TYPES = [event_type.value for event_type in EventType]
TAGS = ["summit", "diplomacy", "military", "energy", "trade", "media"]
ACTORS = ["ilham-aliyev", "hassan-rouhani", "serzh-sargsyan", "government-of-israel"]
SOURCES = {
    "neo-article": "New Eastern Outlook",
    "reuters-wire": "Reuters",
    "reuters-analysis": "Reuters",
    "tasnim-report": "Tasnim",
}
TONES: list[float | None] = [None, -10.0, -7.5, -5.0, -2.0, 0.0, 1.5, 3.0, 6.5, 10.0]
QUALIFIERS = ["", "", "", "?", "~", "%"]
# Prefixes whose byte-wise order differs from a naive one ("-" sorts before letters).
ID_PREFIXES = ["a", "a-", "b", "x-a", "x0", "xa", "z"]
PRECISION_RANK = {"day": 0, "month": 1, "year": 2}
PROPERTY_SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,  # keep no example database in the work tree
)


@dataclass(frozen=True)
class Fact:
    """What the Python model knows of one stored event."""

    id: str
    lower: date
    upper: date
    precision: str
    countries: frozenset[str]
    type: str
    tone: float | None
    tags: frozenset[str]
    actors: frozenset[str]
    sources: frozenset[str]
    publishers: frozenset[str]
    status: str

    def key(self) -> tuple[date, int, str]:
        """The documented order: date_lower, finer precision first, then id."""
        return self.lower, PRECISION_RANK[self.precision], self.id


def _edtf(rng: random.Random, year: int) -> str:
    precision = rng.choice(["year", "month", "month", "day", "day"])
    text = f"{year:04d}"
    if precision != "year":
        # Few months and days, so that bounds and precisions often tie.
        text += f"-{rng.choice([1, 1, 2, 6, 12]):02d}"
    if precision == "day":
        text += f"-{rng.choice([1, 1, 15, 28]):02d}"
    return text + rng.choice(QUALIFIERS)


@cache
def bounds(text: str) -> DateBounds:
    """app.core.dates.parse, remembered: its EDTF grammar is slow to run hundreds of times."""
    return parse(text)


def span_of(text: str) -> tuple[date, date, str]:
    """The first and last day of an EDTF date, and its precision, computed here by hand."""
    parts = [int(part) for part in text.rstrip("?~%").split("-")]
    year, month, day = [*parts, 0, 0][:3]
    if day:
        return date(year, month, day), date(year, month, day), "day"
    if month:
        return date(year, month, 1), date(year, month, monthrange(year, month)[1]), "month"
    return date(year, 1, 1), date(year, 12, 31), "year"


def _status(stances: set[str]) -> str:
    if "disputes" in stances:
        return "disputed"
    return "reported" if stances else "unsourced"


def _build(session: Session) -> list[Fact]:
    """Store the random data set in bulk; return the model of it."""
    rng = random.Random(SEED)
    for actor_id in ACTORS:
        make_actor(session, id=actor_id)
    for source_id, publisher in SOURCES.items():
        make_source(session, id=source_id, publisher=publisher)
    facts = []
    rows: list[Any] = []
    for n in range(EVENT_COUNT):
        event_id = f"{rng.choice(ID_PREFIXES)}{n}"
        start = _edtf(rng, rng.randint(1990, 2026))
        end = None
        if rng.random() < 0.2:
            end = _edtf(rng, rng.randint(int(start[:4]) + 1, 2027))
        countries = rng.sample(COUNTRIES, rng.choice([1, 2, 2, 2, 3]))
        tags = rng.sample(TAGS, rng.randint(0, 2))
        actors = rng.sample(ACTORS, rng.randint(0, 2))
        citations = [
            (rng.choice(list(SOURCES)), rng.choice(["supports", "supports", "disputes"]))
            for _ in range(rng.randint(0, 2))
        ]
        fact = Fact(
            id=event_id,
            lower=span_of(start)[0],
            upper=span_of(end or start)[1],
            precision=span_of(start)[2],
            countries=frozenset(countries),
            type=TYPES[n % len(TYPES)],  # every type, in an order unrelated to dates or ids
            tone=rng.choice(TONES),
            tags=frozenset(tags),
            actors=frozenset(actors),
            sources=frozenset(source for source, _ in citations),
            publishers=frozenset(SOURCES[source].lower() for source, _ in citations),
            status=_status({stance for _, stance in citations}),
        )
        facts.append(fact)
        rows.append(
            Event(
                id=event_id,
                title=f"Event {n}",
                date=start,
                end_date=end,
                date_lower=fact.lower,
                date_upper=fact.upper,
                date_precision=fact.precision,
                type=EventType(fact.type),
                tone=fact.tone,
                status=fact.status,
            )
        )
        rows += [EventCountry(event_id=event_id, country=country) for country in countries]
        rows += [EventTag(event_id=event_id, tag=tag) for tag in tags]
        rows += [
            EventActor(event_id=event_id, actor_id=actor, role="initiator", position=position)
            for position, actor in enumerate(actors)
        ]
        rows += [
            Citation(event_id=event_id, source_id=source, stance=stance)
            for source, stance in citations
        ]
    # Events first: the other rows refer to them.
    session.add_all(row for row in rows if isinstance(row, Event))
    session.flush()
    session.add_all(row for row in rows if not isinstance(row, Event))
    session.flush()
    store_documents(session, [row.id for row in rows if isinstance(row, Event)])
    session.expire_all()  # the requests read what is stored, not the objects just built
    return facts


def _model(facts: list[Fact], params: dict[str, Any]) -> list[str]:
    """The ids that the documented filters and order give, computed without the app's SQL."""
    tests: list[Callable[[Fact], bool]] = []
    if params.get("country"):
        tests.append(lambda f: bool(f.countries & set(params["country"])))
    if params.get("dyad"):
        pair = set(params["dyad"].split("-"))
        tests.append(lambda f: pair <= f.countries)
    if params.get("type"):
        tests.append(lambda f: f.type in params["type"])
    if params.get("tag"):
        tests.append(lambda f: bool(f.tags & {tag.lower() for tag in params["tag"]}))
    if params.get("actor"):
        tests.append(lambda f: bool(f.actors & set(params["actor"])))
    if params.get("source"):
        tests.append(lambda f: bool(f.sources & set(params["source"])))
    if params.get("publisher"):
        tests.append(lambda f: bool(f.publishers & {p.lower() for p in params["publisher"]}))
    if params.get("status"):
        tests.append(lambda f: f.status in params["status"])
    if "from" in params:
        start = bounds(params["from"]).lower
        tests.append(lambda f: f.upper >= start)
    if "to" in params:
        end = bounds(params["to"]).upper
        tests.append(lambda f: f.lower <= end)
    if "tone_min" in params:
        tests.append(lambda f: f.tone is not None and f.tone >= params["tone_min"])
    if "tone_max" in params:
        tests.append(lambda f: f.tone is not None and f.tone <= params["tone_max"])
    matching = sorted((f for f in facts if all(test(f) for test in tests)), key=Fact.key)
    ordered = [f.id for f in matching]
    return ordered[::-1] if params.get("sort") == "-date" else ordered


def _walk(client: TestClient, params: dict[str, Any]) -> Iterator[str]:
    """The ids of every page of the list, following next_cursor."""
    query = [
        (name, item)
        for name, value in params.items()
        for item in (value if isinstance(value, list) else [value])
    ]
    cursor = None
    for _ in range(EVENT_COUNT + 2):
        response = client.get(
            "/v1/events",
            params=[*query, ("fields", "id")] + ([("cursor", cursor)] if cursor else []),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        yield from (item["id"] for item in body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return
    raise AssertionError("pagination did not end")


# --- strategies ----------------------------------------------------------------------------


@st.composite
def edtf_dates(draw: st.DrawFn) -> str:
    """An EDTF date between 1989 and 2027 at year, month or day precision, maybe qualified."""
    year = draw(st.integers(1989, 2027))
    precision = draw(st.sampled_from(["year", "month", "day"]))
    text = f"{year:04d}"
    if precision != "year":
        text += f"-{draw(st.integers(1, 12)):02d}"
    if precision == "day":
        text += f"-{draw(st.integers(1, 28)):02d}"
    return text + draw(st.sampled_from(["", "?", "~", "%"]))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Absent more often than not, so that combinations still match something."""
    return st.one_of(st.none(), st.none(), strategy)


def some(values: list[str], most: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), min_size=1, max_size=most, unique=True)


tones = st.sampled_from([t for t in TONES if t is not None]) | st.floats(-10, 10).map(
    lambda t: round(t, 2)
)


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    candidates: dict[str, Any] = {
        "country": draw(maybe(some(COUNTRIES))),
        "dyad": draw(maybe(some(COUNTRIES, 2).filter(lambda p: len(p) == 2).map("-".join))),
        "type": draw(maybe(some(TYPES, 6))),
        "tag": draw(maybe(some([*TAGS, "Summit", "MILITARY"]))),
        "actor": draw(maybe(some(ACTORS, 2))),
        "source": draw(maybe(some(list(SOURCES), 2))),
        "publisher": draw(maybe(some(["reuters", "New Eastern Outlook", "TASNIM"], 2))),
        "status": draw(maybe(some(["unsourced", "reported", "disputed"], 2))),
        "from": draw(maybe(edtf_dates())),
        "to": draw(maybe(edtf_dates())),
        "tone_min": draw(maybe(tones)),
        "tone_max": draw(maybe(tones)),
        "sort": draw(st.sampled_from(["date", "-date"])),
        "limit": draw(st.integers(1, 50)),
    }
    return in_order({name: value for name, value in candidates.items() if value is not None})


def in_order(params: dict[str, Any]) -> dict[str, Any]:
    """`from` and `to` swapped when `to` ends before `from` begins: that range is a 422
    (tests/events/test_event_filters.py), and the swapped one is as random."""
    start, end = params.get("from"), params.get("to")
    if start and end and bounds(start).lower > bounds(end).upper:
        return params | {"from": end, "to": start}
    return params


# --- the property --------------------------------------------------------------------------


def test_walking_every_page_gives_the_modelled_matches_in_the_documented_order(client, session):
    facts = _build(session)
    assert {f.type for f in facts} == set(TYPES)
    for sort in ["date", "-date"]:
        everything = list(_walk(client, {"sort": sort, "limit": 37}))
        assert len(everything) == len(set(everything)) == EVENT_COUNT
        assert everything == _model(facts, {"sort": sort})

    @PROPERTY_SETTINGS
    @given(params=queries())
    def walk_equals_model(params: dict[str, Any]) -> None:
        walked = list(_walk(client, params))
        assert walked == _model(facts, params), params

    walk_equals_model()
