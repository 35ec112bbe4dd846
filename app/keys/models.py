"""API keys: stored only as a SHA-256 hash, found by their public prefix."""

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField  # sqlmodel's Field takes no examples
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


# --- the schemas of /v1/keys -----------------------------------------------------------


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = PydanticField(
        min_length=1,
        max_length=100,
        description="Who or what will use the key; revisions record it as `key_name`.",
        examples=["newsroom-editor"],
    )
    scope: Scope = PydanticField(
        default=Scope.read,
        description="`read` (the default), `write` (also reads) or `admin` (also manages keys).",
        examples=["write"],
    )


class KeyCreated(ApiKeyPublic):
    key: str = PydanticField(
        description="The key itself: shown this once, stored only as a hash.",
        examples=["dyad_a8a50015_q9Xr2LmZ0dWcB1vT8sYkPn4fJ7uHeA5oRi3Ng6Ct-Qw"],
    )
