"""The vocabularies in use, counted: the countries and the tags of events (not deleted)."""

from sqlmodel import Session, col, select

from app.events.models import VocabularyCount


def _counts(session: Session, kind: str) -> list[tuple[str, int]]:
    """(value, live events) of one kind, most first, then by value: a few stored rows."""
    rows = session.exec(
        select(VocabularyCount.value, VocabularyCount.events)
        .where(VocabularyCount.kind == kind)
        .order_by(col(VocabularyCount.events).desc(), col(VocabularyCount.value))
    ).all()
    return [(value, events) for value, events in rows]


def country_counts(session: Session) -> list[tuple[str, int]]:
    """(alpha-3 code, events involving it) for every country with events, most first."""
    return _counts(session, "country")


def tag_counts(session: Session) -> list[tuple[str, int]]:
    """(tag, events with it) for every tag in use, most first."""
    return _counts(session, "tag")
