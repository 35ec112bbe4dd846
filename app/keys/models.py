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
    name: str = Field(min_length=1, max_length=100)
    scope: Scope = Field(sa_type=String(8))


class ApiKey(ApiKeyBase, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    prefix: str = Field(unique=True, max_length=8)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiKeyPublic(ApiKeyBase):
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
