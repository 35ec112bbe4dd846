"""Queries and writes for actors."""

from sqlmodel import Session

from app.actors.models import Actor, ActorCreate
from app.core.slugs import make_slug


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
