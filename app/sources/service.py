"""Queries and writes for sources."""

from typing import Any

from sqlalchemy import func, literal, or_, tuple_
from sqlalchemy import select as core_select  # a view's columns, as a Core statement
from sqlmodel import Session, col, select

from app.core.db import insert_rows, table_of, utcnow
from app.core.errors import Conflict, NotFound
from app.core.pagination import decode_text_cursor, encode_cursor
from app.core.preconditions import apply_patched, check_version, patched
from app.core.slugs import SLUG, free_id, make_slug
from app.core.text_match import contains_folded, equals_text, search_text
from app.sources.models import (
    CitingEvent,
    Source,
    SourceCreate,
    SourcePublicWithCount,
    SourcePublicWithEvents,
    SourceQuery,
    source_citation,
    source_usage,
)

CURSOR_KIND = "sources"


def find_by_url(session: Session, url: str) -> Source | None:
    """The source with this URL (already normalised by SourceCreate)."""
    return session.exec(select(Source).where(Source.url == url)).first()


def ensure_source(session: Session, data: SourceCreate) -> tuple[Source, bool]:
    """The source with this URL, created from `data` if there is none; True if created."""
    existing = find_by_url(session, data.url)
    if existing is not None:
        return existing, False
    source_id = data.id or free_id(session, Source, make_slug(data.publisher or "", data.title))
    source = Source.model_validate(data, update={"id": source_id})
    session.add(source)
    session.flush()
    return source, True


def ensure_sources(
    session: Session, given: list[SourceCreate]
) -> tuple[dict[str, str], dict[str, str]]:
    """`ensure_source` for many at once: one query to match URLs, one INSERT for the new.

    Returns the stored id of each URL, and for URLs that could not be stored, why (an id
    that another source holds). The first source given for a URL is the one created.
    """
    by_url: dict[str, SourceCreate] = {}
    for source in given:
        by_url.setdefault(source.url, source)
    ids: dict[str, str] = dict(
        session.exec(select(Source.url, Source.id).where(col(Source.url).in_(by_url))).all()
    )
    new = [source for url, source in by_url.items() if url not in ids]
    named = [source.id for source in new if source.id is not None]
    taken = set(session.exec(select(Source.id).where(col(Source.id).in_(named))).all())
    refused: dict[str, str] = {}
    rows = []
    now = utcnow()
    for source in new:
        source_id = source.id
        if source_id is None:
            base = make_slug(source.publisher or "", source.title)
            source_id = free_id(session, Source, base, taken)
        elif source_id in taken:
            refused[source.url] = f"source id {source_id!r} belongs to another URL"
            continue
        taken.add(source_id)
        ids[source.url] = source_id
        rows.append(
            source.model_dump(exclude={"id"})
            | {
                "id": source_id,
                "version": 1,
                "created_at": now,
                "updated_at": now,
                "search_text": search_text(source.title, source.publisher, source.author),
            }
        )
    insert_rows(session, table_of(Source), rows)
    return ids, refused


def list_sources(
    session: Session, query: SourceQuery
) -> tuple[list[SourcePublicWithCount], str | None]:
    """One page of matching sources by publisher, title and id, and the next page's cursor."""
    # '' for no publisher keeps the order total and the cursor free of NULLs.
    publisher = func.coalesce(col(Source.publisher), "")
    statement = select(Source)
    if query.q:
        statement = statement.where(contains_folded(col(Source.search_text), query.q))
    if query.publisher:
        statement = statement.where(
            or_(*(equals_text(col(Source.publisher), name) for name in query.publisher))
        )
    if query.kind:
        statement = statement.where(col(Source.kind).in_(query.kind))
    if query.cursor:
        after = decode_text_cursor(query.cursor, CURSOR_KIND, 3)
        statement = statement.where(
            tuple_(publisher, col(Source.title), col(Source.id)) > tuple_(*map(literal, after))
        )
    statement = statement.order_by(publisher, col(Source.title), col(Source.id))
    sources = list(session.exec(statement.limit(query.limit + 1)).all())
    page = sources[: query.limit]
    next_cursor = None
    if len(sources) > query.limit:
        last = page[-1]
        next_cursor = encode_cursor(CURSOR_KIND, [last.publisher or "", last.title, last.id])
    counts = _citation_counts(session, [source.id for source in page])
    return [_with_count(source, counts.get(source.id, 0)) for source in page], next_cursor


def get_source(session: Session, source_id: str) -> SourcePublicWithEvents:
    """The source with this id and the events citing it in date order, or NotFound."""
    source = session.get(Source, source_id) if SLUG.fullmatch(source_id) else None
    if source is None:
        raise NotFound(f"No source with id {source_id!r}.")
    cited = source_citation.c
    rows = session.execute(
        core_select(
            cited.event_id, cited.title, cited.date, cited.stance, cited.quote, cited.locator
        )
        .where(cited.source_id == source_id)
        # The documented order of events (date_lower, finer precision first, then id).
        .order_by(cited.date_lower, cited.date_precision, cited.event_id, cited.citation_id)
    ).all()
    events = [
        CitingEvent(id=id_, title=title, date=date, stance=stance, quote=quote, locator=locator)
        for id_, title, date, stance, quote, locator in rows
    ]
    return SourcePublicWithEvents.model_validate(
        source, update={"citation_count": len(events), "events": events}
    )


def _citation_counts(session: Session, source_ids: list[str]) -> dict[str, int]:
    if not source_ids:
        return {}
    usage = source_usage.c
    rows = session.execute(
        select(usage.source_id, usage.citations).where(usage.source_id.in_(source_ids))
    ).all()
    return {source_id: count for source_id, count in rows}


def _with_count(source: Source, citation_count: int) -> SourcePublicWithCount:
    return SourcePublicWithCount.model_validate(source, update={"citation_count": citation_count})


def create_source(session: Session, data: SourceCreate) -> Source:
    """A new source; 409 if its id or its (normalised) URL is taken."""
    existing = find_by_url(session, data.url)
    if existing is not None:
        raise Conflict(f"Source {existing.id!r} has this URL already.", source_id=existing.id)
    if data.id is not None and session.get(Source, data.id) is not None:
        raise Conflict(f"A source with id {data.id!r} exists already.")
    return ensure_source(session, data)[0]


def patch_source(
    session: Session, source_id: str, patch: dict[str, Any], *, if_match: int | None
) -> Source:
    """Apply a JSON Merge Patch to a source's writable fields; its id never changes."""
    source = session.get(Source, source_id)
    if source is None:
        raise NotFound(f"No source with id {source_id!r}.")
    check_version("source", source.version, if_match)
    data = patched(source, SourceCreate, patch, "source")
    if data is None:
        return source
    holder = find_by_url(session, data.url)
    if holder is not None and holder.id != source_id:
        raise Conflict(f"Source {holder.id!r} has this URL already.", source_id=holder.id)
    apply_patched(source, data)
    session.add(source)
    session.flush()
    return source
