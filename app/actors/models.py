"""Actors: the people, governments and organisations that take part in events."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from app.core.countries import CountryCode
from app.core.db import UTCDateTime, utcnow


class ActorKind(StrEnum):
    person = "person"
    organization = "organization"
    government = "government"
    media = "media"
    group = "group"


class ActorBase(SQLModel):
    name: str = Field(min_length=1, max_length=300, index=True)
    kind: ActorKind = Field(sa_type=String(16))
    wikidata: str | None = Field(default=None, max_length=20, regex=r"^Q[1-9][0-9]*$")
    description: str | None = Field(default=None, max_length=2000)


class Actor(ActorBase, table=True):
    id: str = Field(primary_key=True, max_length=200)
    country: str | None = Field(default=None, max_length=3, index=True)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActorCreate(ActorBase):
    id: str | None = Field(default=None, max_length=200, regex=r"^[a-z0-9][a-z0-9-]*$")
    country: CountryCode | None = None
    aliases: list[str] = []


class ActorPublic(ActorBase):
    id: str
    country: str | None
    aliases: list[str]
