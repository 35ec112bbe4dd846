"""Sources: the articles, statements and reports that events cite."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, field_validator
from sqlalchemy import String
from sqlmodel import Field, SQLModel

from app.core.dates import EdtfDate
from app.core.db import UTCDateTime, utcnow


class SourceKind(StrEnum):
    news = "news"
    opinion = "opinion"
    official = "official"
    analysis = "analysis"
    academic = "academic"
    other = "other"


def normalise_url(url: str) -> str:
    """Scheme and host in lower case, no fragment: the form in which URLs are unique."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


HttpUrl = Annotated[str, AfterValidator(normalise_url), Field(max_length=2000)]


class SourceBase(SQLModel):
    title: str = Field(min_length=1, max_length=500)
    publisher: str | None = Field(default=None, max_length=200, index=True)
    author: str | None = Field(default=None, max_length=300)
    published: str | None = Field(default=None, max_length=16)
    kind: SourceKind = Field(default=SourceKind.other, sa_type=String(16))
    language: str | None = Field(
        default=None, max_length=35, schema_extra={"examples": ["en", "az", "fa"]}
    )


class Source(SourceBase, table=True):
    id: str = Field(primary_key=True, max_length=200)
    url: str = Field(unique=True, max_length=2000)
    archive_url: str | None = Field(default=None, max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SourceCreate(SourceBase):
    id: str | None = Field(default=None, max_length=200, regex=r"^[a-z0-9][a-z0-9-]*$")
    url: HttpUrl
    archive_url: HttpUrl | None = None
    published: EdtfDate | None = None

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        if value is not None and not all(part.isalnum() for part in value.split("-")):
            raise ValueError(f"{value!r} is not a BCP 47 language tag")
        return value


class SourcePublic(SourceBase):
    id: str
    url: str
    archive_url: str | None
