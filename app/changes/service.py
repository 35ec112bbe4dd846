"""The record's history: each event's revisions, an event as it was, and the changes feed."""

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from app.changes.models import Revision
from app.core.errors import BadRequest, NotFound
from app.core.pagination import decode_cursor, encode_cursor

FEED = "changes"  # the kind of the feed's cursors


def revisions(session: Session, event_id: str) -> list[Revision]:
    """Every revision of the event, newest first (deleted events keep theirs)."""
    rows = session.exec(
        select(Revision).where(Revision.event_id == event_id).order_by(col(Revision.id).desc())
    ).all()
    if not rows:
        raise NotFound(f"No event with id {event_id!r}.")
    return list(rows)


def as_of(session: Session, event_id: str, moment: datetime) -> dict[str, Any]:
    """The event as it stood at `moment`: its newest revision written by then."""
    revision = session.exec(
        select(Revision)
        .where(Revision.event_id == event_id, col(Revision.created_at) <= moment)
        .order_by(col(Revision.id).desc())
        .limit(1)
    ).first()
    if revision is None:
        raise NotFound(f"Event {event_id!r} did not exist at {moment.isoformat()}.")
    if revision.action == "delete":
        raise NotFound(f"Event {event_id!r} was deleted at {moment.isoformat()}.")
    return revision.data | {"linked_from": []}


def changes(session: Session, since: str | None, limit: int) -> tuple[list[Revision], str]:
    """Revisions after the cursor `since` in the order they were committed (writers take
    turns), and the cursor to continue from: the same until there is more."""
    after = _position(since) if since else 0
    rows = list(
        session.exec(
            select(Revision).where(col(Revision.id) > after).order_by(col(Revision.id)).limit(limit)
        ).all()
    )
    last = rows[-1].id if rows else after
    return rows, encode_cursor(FEED, [last])


def _position(since: str) -> int:
    (position,) = decode_cursor(since, FEED, 1)
    if not isinstance(position, int) or position < 0:
        raise BadRequest("Invalid cursor: pass the next_cursor of a previous call.")
    return position
