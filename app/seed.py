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
from app.events.create import event_id_for
from app.events.models import Event, EventCreate
from app.imports.models import Mode
from app.imports.service import import_records
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
    records = orjson.loads((directory / "events.json").read_bytes())
    missing = [
        (line, record)
        for line, record in enumerate(records, start=1)
        if session.get(Event, event_id_for(EventCreate.model_validate(record))) is None
    ]
    imported = import_records(session, missing, mode=Mode.create, key_name="seed")
    report.created += imported.created
    report.unchanged += len(records) - len(missing)
    return report


def _read(path: Path, model: type[M]) -> list[M]:
    return TypeAdapter(list[model]).validate_python(orjson.loads(path.read_bytes()))  # type: ignore[valid-type]


def _count(report: SeedReport, created: bool) -> None:
    if created:
        report.created += 1
    else:
        report.unchanged += 1
