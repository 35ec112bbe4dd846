"""Queries and writes for actors."""

from typing import Any

from sqlalchemy import ColumnElement, distinct, exists, func, insert, literal, or_, tuple_
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col, select

from app.actors.models import Actor, ActorCreate, ActorPublicWithCount, ActorQuery
from app.core.db import utcnow
from app.core.errors import BadRequest, Conflict, NotFound
from app.core.pagination import decode_cursor, encode_cursor
from app.core.preconditions import apply_patched, check_version, patched
from app.core.slugs import SLUG, free_id, make_slug
from app.events.models import Event, EventActor

CURSOR_KIND = "actors"
# What the text helpers below compare: a model attribute in col(), or a derived column.
TextColumn = ColumnElement[Any] | Mapped[Any]


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
        dialect = session.get_bind().dialect.name
        statement = statement.where(
            or_(contains_text(col(Actor.name), query.q), _alias_contains(dialect, query.q))
        )
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
    """The public form of `actors`, with their event counts from one grouped query."""
    counts: dict[str, int] = {}
    if actors:
        rows = session.exec(
            # DISTINCT: an actor can hold two roles in one event.
            select(EventActor.actor_id, func.count(distinct(col(EventActor.event_id))))
            .join(Event, col(Event.id) == col(EventActor.event_id))
            .where(
                col(EventActor.actor_id).in_([actor.id for actor in actors]),
                col(Event.deleted_at).is_(None),
            )
            .group_by(col(EventActor.actor_id))
        ).all()
        counts = dict(rows)
    return [
        ActorPublicWithCount.model_validate(actor, update={"event_count": counts.get(actor.id, 0)})
        for actor in actors
    ]


def _alias_contains(dialect: str, needle: str) -> ColumnElement[bool]:
    """Any alias of the actor contains `needle`, ignoring case."""
    # Element by element, not on the JSON text: that spells non-ASCII letters as \uXXXX
    # escapes, so `q=2` would match every alias with an ə (\u0259) in it. The two databases
    # name the function that unnests a JSON array differently.
    elements = (
        func.json_array_elements_text(col(Actor.aliases))
        if dialect == "postgresql"
        else func.json_each(col(Actor.aliases))
    )
    alias = elements.table_valued("value").alias("alias")
    return exists(select(literal(1)).select_from(alias).where(contains_text(alias.c.value, needle)))


# --- helpers shared by the searches of actors and sources --------------------------------


def contains_text(column: TextColumn, needle: str) -> ColumnElement[bool]:
    """`column` contains `needle`, ignoring case; `%` and `_` in `needle` are literal."""
    # SQLite's lower() folds ASCII letters only, so the needle is also tried in the cases a
    # stored name can keep there (see case_variants); PostgreSQL's lower() folds them all.
    lowered = func.lower(column)
    return or_(*(lowered.like(f"%{_escape_like(v)}%", escape="\\") for v in case_variants(needle)))


def equals_text(column: TextColumn, value: str) -> ColumnElement[bool]:
    """`column` equals `value`, ignoring case as contains_text does."""
    return func.lower(column).in_(case_variants(value))


def case_variants(text: str) -> list[str]:
    """`text` as SQLite's lower() can leave a stored text: ASCII lower, the rest in any case."""
    # Other letters lower, capital at each word's start, all capital, or as the user typed
    # them: what names take. A stored "ƏLİ bəy" (capitals and not, in one name) is the case
    # this misses, on SQLite only.
    lowered = "".join(_lower(char) for char in text)
    word_start = "".join(
        _upper(char) if index == 0 or not lowered[index - 1].isalnum() else char
        for index, char in enumerate(lowered)
    )
    upper = "".join(_upper(char) for char in lowered)
    as_given = "".join(char.lower() if char.isascii() else char for char in text)
    return list(dict.fromkeys([lowered, word_start, upper, as_given]))


def _lower(char: str) -> str:
    # Python lowers İ to i + a combining dot; databases (and Azerbaijani) to plain i.
    return "i" if char == "İ" else char.lower()


def _upper(char: str) -> str:
    """The capital of `char` that SQLite's lower() keeps: none for ASCII letters but i."""
    # SQLite lowers ASCII capitals itself; the Azerbaijani capital of i, İ, is not ASCII.
    if char == "i":
        return "İ"
    upper = char.upper()
    return upper if len(upper) == 1 and not upper.isascii() and not char.isascii() else char


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def decode_text_cursor(cursor: str, kind: str, size: int) -> list[str]:
    """The sort key in `cursor`: text ending with an id; a 400 for anything this API never made."""
    key = decode_cursor(cursor, kind, size)
    # A NUL cannot even be sent to PostgreSQL: refuse it here rather than fail there.
    texts = [part for part in key if isinstance(part, str) and "\x00" not in part]
    if len(texts) != size or not SLUG.fullmatch(texts[-1]):
        raise BadRequest("Invalid cursor: pass the next_cursor of a previous page.")
    return texts


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
