"""The record's history: each event's revisions, an event as it was, and the changes feed.

Revisions are read with what they wrote from the view revision_written (an event's newest
revision keeps no copy of its own: see app.changes.models)."""

from datetime import datetime
from typing import Any

from sqlalchemy import Row, select
from sqlmodel import Session

from app.changes.models import revision_written
from app.core.errors import BadRequest, NotFound
from app.core.pagination import decode_cursor, encode_cursor

FEED = "changes"  # the kind of the feed's cursors

_written = revision_written.c


def revisions(session: Session, event_id: str) -> list[Row[Any]]:
    """Every revision of the event, newest first (deleted events keep theirs)."""
    rows = session.connection().execute(
        select(revision_written).where(_written.event_id == event_id).order_by(_written.id.desc())
    )
    found = list(rows.all())
    if not found:
        raise NotFound(f"No event with id {event_id!r}.")
    return found


def as_of(session: Session, event_id: str, moment: datetime) -> dict[str, Any]:
    """The event as it stood at `moment`: its newest revision written by then."""
    revision = (
        session.connection()
        .execute(
            select(revision_written)
            .where(_written.event_id == event_id, _written.created_at <= moment)
            .order_by(_written.id.desc())
            .limit(1)
        )
        .first()
    )
    if revision is None:
        raise NotFound(f"Event {event_id!r} did not exist at {moment.isoformat()}.")
    if revision.action == "delete":
        raise NotFound(f"Event {event_id!r} was deleted at {moment.isoformat()}.")
    data: dict[str, Any] = revision.data
    return data | {"linked_from": []}


def changes(session: Session, since: str | None, limit: int) -> tuple[list[Row[Any]], str]:
    """Revisions after the cursor `since` in the order they were committed (writers take
    turns), and the cursor to continue from: the same until there is more."""
    after = _position(since) if since else 0
    rows = list(
        session.connection()
        .execute(
            select(revision_written).where(_written.id > after).order_by(_written.id).limit(limit)
        )
        .all()
    )
    last = rows[-1].id if rows else after
    return rows, encode_cursor(FEED, [last])


def _position(since: str) -> int:
    (position,) = decode_cursor(since, FEED, 1)
    if not isinstance(position, int) or position < 0:
        raise BadRequest("Invalid cursor: pass the next_cursor of a previous call.")
    return position
