"""Queries and writes for actors."""

from typing import Any

from sqlalchemy import insert, literal, tuple_
from sqlmodel import Session, col, select

from app.actors.models import (
    Actor,
    ActorCreate,
    ActorPublicWithCount,
    ActorQuery,
    actor_usage,
)
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound
from app.core.pagination import decode_text_cursor, encode_cursor
from app.core.preconditions import apply_patched, check_version, patched
from app.core.slugs import SLUG, free_id, make_slug
from app.core.text_match import contains_folded

CURSOR_KIND = "actors"


def ensure_actor(session: Session, data: ActorCreate) -> tuple[Actor, bool]:
    """The actor with this id, created from `data` if there is none; True if created."""
    actor_id = data.id or make_slug(data.name)
    existing = session.get(Actor, actor_id)
    if existing is not None:
        return existing, False
    actor = Actor.model_validate(data, update={"id": actor_id})
    session.add(actor)
    session.flush()
    return actor, True


def ensure_actors(session: Session, given: list[dict[str, Any]]) -> int:
    """`ensure_actor` for many actor bodies at once (each with its id): one query to find
    those stored, one INSERT for the rest; how many were created. The first body given for
    an id is the one created."""
    by_id: dict[str, dict[str, Any]] = {}
    for body in given:
        by_id.setdefault(body["id"], body)
    ids = sorted(by_id)
    stored: set[str] = set()
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        stored.update(session.exec(select(Actor.id).where(col(Actor.id).in_(chunk))).all())
    now = utcnow()
    rows = [
        ActorCreate.model_validate(body).model_dump()
        | {"id": actor_id, "version": 1, "created_at": now, "updated_at": now}
        for actor_id, body in by_id.items()
        if actor_id not in stored
    ]
    if rows:
        session.execute(insert(Actor), rows)
    return len(rows)


def list_actors(
    session: Session, query: ActorQuery
) -> tuple[list[ActorPublicWithCount], str | None]:
    """One page of matching actors by name then id, and the cursor of the next page."""
    statement = select(Actor)
    if query.q:
        statement = statement.where(contains_folded(col(Actor.search_text), query.q))
    if query.country:
        statement = statement.where(col(Actor.country).in_(query.country))
    if query.kind:
        statement = statement.where(col(Actor.kind).in_(query.kind))
    if query.cursor:
        name, actor_id = decode_text_cursor(query.cursor, CURSOR_KIND, 2)
        statement = statement.where(
            tuple_(col(Actor.name), col(Actor.id)) > tuple_(literal(name), literal(actor_id))
        )
    statement = statement.order_by(col(Actor.name), col(Actor.id)).limit(query.limit + 1)
    actors = list(session.exec(statement).all())
    page = actors[: query.limit]
    next_cursor = None
    if len(actors) > query.limit:
        next_cursor = encode_cursor(CURSOR_KIND, [page[-1].name, page[-1].id])
    return _with_counts(session, page), next_cursor


def get_actor(session: Session, actor_id: str) -> ActorPublicWithCount:
    """The actor with this id and its event count, or NotFound."""
    actor = session.get(Actor, actor_id) if SLUG.fullmatch(actor_id) else None
    if actor is None:
        raise NotFound(f"No actor with id {actor_id!r}.")
    return _with_counts(session, [actor])[0]


def _with_counts(session: Session, actors: list[Actor]) -> list[ActorPublicWithCount]:
    """The public form of `actors`, with their event counts from one query."""
    counts: dict[str, int] = {}
    if actors:
        usage = actor_usage.c
        rows = session.execute(
            select(usage.actor_id, usage.events).where(
                usage.actor_id.in_([actor.id for actor in actors])
            )
        ).all()
        counts = {actor_id: events for actor_id, events in rows}
    return [
        ActorPublicWithCount.model_validate(actor, update={"event_count": counts.get(actor.id, 0)})
        for actor in actors
    ]


def create_actor(session: Session, data: ActorCreate) -> Actor:
    """A new actor, its id given or made from its name; 409 if the id is taken."""
    if data.id is not None and session.get(Actor, data.id) is not None:
        raise Conflict(f"An actor with id {data.id!r} exists already.")
    actor_id = data.id or free_id(session, Actor, make_slug(data.name))
    actor = Actor.model_validate(data, update={"id": actor_id})
    session.add(actor)
    session.flush()
    return actor


def patch_actor(
    session: Session, actor_id: str, patch: dict[str, Any], *, if_match: int | None
) -> Actor:
    """Apply a JSON Merge Patch to an actor's writable fields; its id never changes."""
    actor = session.get(Actor, actor_id)
    if actor is None:
        raise NotFound(f"No actor with id {actor_id!r}.")
    check_version("actor", actor.version, if_match)
    data = patched(actor, ActorCreate, patch, "actor")
    if data is not None:
        apply_patched(actor, data)
        session.add(actor)
        session.flush()
    return actor
