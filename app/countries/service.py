"""The vocabularies in use, counted: the countries and the tags of events (not deleted)."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.events.models import Event, EventCountry, EventTag


def country_counts(session: Session) -> list[tuple[str, int]]:
    """(alpha-3 code, events involving it) for every country with events, most first."""
    count = func.count().label("count")
    rows = session.exec(
        select(EventCountry.country, count)
        .join(Event, col(Event.id) == col(EventCountry.event_id))
        .where(col(Event.deleted_at).is_(None))
        .group_by(col(EventCountry.country))
        .order_by(count.desc(), col(EventCountry.country))
    ).all()
    return [(code, total) for code, total in rows]


def tag_counts(session: Session) -> list[tuple[str, int]]:
    """(tag, events with it) for every tag in use, most first."""
    count = func.count().label("count")
    rows = session.exec(
        select(EventTag.tag, count)
        .join(Event, col(Event.id) == col(EventTag.event_id))
        .where(col(Event.deleted_at).is_(None))
        .group_by(col(EventTag.tag))
        .order_by(count.desc(), col(EventTag.tag))
    ).all()
    return [(tag, total) for tag, total in rows]
