"""API keys: stored only as a SHA-256 hash, found by their public prefix."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.db import UTCDateTime, utcnow


class Scope(StrEnum):
    read = "read"
    write = "write"
    admin = "admin"


class ApiKeyBase(SQLModel):
    name: str = Field(
        min_length=1,
        max_length=100,
        description="Who or what uses the key; revisions record it as `key_name`.",
        schema_extra={"examples": ["newsroom-editor"]},
    )
    scope: Scope = Field(
        sa_type=String(8),
        description="`read`, `write` (also reads) or `admin` (also manages keys).",
        schema_extra={"examples": ["write"]},
    )


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(unique=True, max_length=8)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyPublic(ApiKeyBase):
    prefix: str = Field(
        description="The key's public part: `dyad_<prefix>_…`; revoke by it.",
        schema_extra={"examples": ["a8a50015"]},
    )
    created_at: datetime = Field(
        description="When it was made (UTC).", schema_extra={"examples": ["2026-12-07T13:00:00Z"]}
    )
    last_used_at: datetime | None = Field(
        description="When it last authorised a request (UTC), or null.",
        schema_extra={"examples": ["2026-12-07T14:00:00Z"]},
    )
    revoked_at: datetime | None = Field(
        description="When it was revoked (UTC), or null while it works.",
        schema_extra={"examples": [None]},
    )
