"""API keys: made from `secrets`, shown once, stored as a SHA-256 hash, found by prefix."""

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.core.db import utcnow
from app.core.errors import NotFound
from app.keys.models import ApiKey, Scope

KEY_PREFIX = "dyad"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_key(session: Session, name: str, scope: Scope) -> tuple[ApiKey, str]:
    """A new key record and the key itself, `dyad_<prefix>_<secret>`, which is never stored."""
    prefix = secrets.token_hex(4)
    while session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first() is not None:
        prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    record = ApiKey(name=name, scope=scope, prefix=prefix, key_hash=_hash(key))
    session.add(record)
    session.flush()
    return record, key


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at))).all())


def revoke_key(session: Session, prefix: str) -> ApiKey:
    record = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if record is None:
        raise NotFound(f"No key with prefix {prefix!r}.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        session.add(record)
        session.flush()
    return record


def find_valid_key(session: Session, key: str) -> ApiKey | None:
    """The live record of `key`, or None for a malformed, unknown, wrong or revoked key."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    record = session.exec(select(ApiKey).where(ApiKey.prefix == parts[1])).first()
    if record is None or record.revoked_at is not None:
        return None
    return record if secrets.compare_digest(record.key_hash, _hash(key)) else None


def record_use(session: Session, key_id: int | None, now: datetime) -> None:
    """Note that the key was used at `now` (one UPDATE, without loading the key)."""
    session.execute(update(ApiKey).where(col(ApiKey.id) == key_id).values(last_used_at=now))
