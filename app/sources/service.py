"""Queries and writes for sources."""

from sqlmodel import Session, select

from app.core.slugs import make_slug
from app.sources.models import Source, SourceCreate


def find_by_url(session: Session, url: str) -> Source | None:
    """The source with this URL (already normalised by SourceCreate)."""
    return session.exec(select(Source).where(Source.url == url)).first()


def ensure_source(session: Session, data: SourceCreate) -> tuple[Source, bool]:
    """The source with this URL, created from `data` if there is none; True if created."""
    existing = find_by_url(session, data.url)
    if existing is not None:
        return existing, False
    source_id = data.id or make_slug(data.publisher or "", data.title)
    source = Source.model_validate(data, update={"id": source_id})
    session.add(source)
    session.flush()
    return source, True
