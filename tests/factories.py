"""Builders of test data, through the same services the API uses."""

import itertools
from typing import Any

from sqlmodel import Session

from app.actors.models import ActorCreate
from app.actors.service import ensure_actor
from app.events.models import Event, EventCreate
from app.events.writes import create_event
from app.sources.models import SourceCreate
from app.sources.service import ensure_source

_numbers = itertools.count(1)


def make_source(session: Session, **fields: Any) -> str:
    n = next(_numbers)
    data = {"url": f"https://news.example.org/story-{n}", "title": f"Story {n}"} | fields
    source, _ = ensure_source(session, SourceCreate.model_validate(data))
    return source.id


def make_actor(session: Session, **fields: Any) -> str:
    n = next(_numbers)
    data = {"id": f"actor-{n}", "name": f"Actor {n}", "kind": "person"} | fields
    actor, _ = ensure_actor(session, ActorCreate.model_validate(data))
    return actor.id


def make_event(session: Session, **fields: Any) -> Event:
    """An event with one supporting citation unless `citations` is given."""
    n = next(_numbers)
    data: dict[str, Any] = {
        "id": f"event-{n:05d}",
        "title": f"Event {n}",
        "date": "2013-03-30",
        "countries": ["AZE", "IRN"],
        "type": "consult",
    } | fields
    if "citations" not in fields:
        data["citations"] = [{"source_id": make_source(session), "quote": f"quote {n}"}]
    return create_event(session, EventCreate.model_validate(data))
