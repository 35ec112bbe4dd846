"""Load the seed data in `seed/` (the events of the founding article) through the services."""

from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import orjson
from pydantic import TypeAdapter
from sqlmodel import Session

from app.actors.models import ActorCreate
from app.actors.service import ensure_actor
from app.core.migrate import ROOT
from app.events.models import Event, EventCreate
from app.events.service import create_event
from app.sources.models import SourceCreate
from app.sources.service import ensure_source

SEED_DIR = ROOT / "seed"
M = TypeVar("M")


@dataclass
class SeedReport:
    created: int = 0
    unchanged: int = 0


def load_seed(session: Session, directory: Path = SEED_DIR) -> SeedReport:
    """Create what the seed has and the database lacks; leave existing rows as they are."""
    report = SeedReport()
    for source in _read(directory / "sources.json", SourceCreate):
        _count(report, ensure_source(session, source)[1])
    for actor in _read(directory / "actors.json", ActorCreate):
        _count(report, ensure_actor(session, actor)[1])
    for event in _in_link_order(_read(directory / "events.json", EventCreate)):
        exists = event.id is not None and session.get(Event, event.id) is not None
        if not exists:
            create_event(session, event, key_name="seed")
        _count(report, not exists)
    return report


def _read(path: Path, model: type[M]) -> list[M]:
    return TypeAdapter(list[model]).validate_python(orjson.loads(path.read_bytes()))  # type: ignore[valid-type]


def _count(report: SeedReport, created: bool) -> None:
    if created:
        report.created += 1
    else:
        report.unchanged += 1


def _in_link_order(events: list[EventCreate]) -> list[EventCreate]:
    """Events ordered so that every link's target is created before the event that links."""
    pending = {event.id: event for event in events}
    ordered: list[EventCreate] = []
    while pending:
        ready = [
            event
            for event in pending.values()
            if all(link.event_id not in pending for link in event.links)
        ]
        if not ready:
            raise ValueError("the seed's links form a cycle")
        for event in ready:
            ordered.append(event)
            del pending[event.id]
    return ordered
