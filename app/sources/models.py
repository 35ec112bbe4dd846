"""Sources: the articles, statements and reports that events cite."""

from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField  # sqlmodel's Field takes no examples
from sqlalchemy import Date, Integer, String, Text, column, event, table
from sqlmodel import Field, SQLModel

from app.core.dates import EdtfDate
from app.core.db import UTCDateTime, utcnow
from app.core.slugs import Slug
from app.core.text_match import SearchText, search_text


class SourceKind(StrEnum):
    news = "news"
    opinion = "opinion"
    official = "official"
    analysis = "analysis"
    academic = "academic"
    other = "other"


@lru_cache(maxsize=65536)  # a dataset's rows cite the same articles again and again
def normalise_url(url: str) -> str:
    """Scheme and host in lower case, no fragment: the form in which URLs are unique."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{url!r} is not an absolute http(s) URL")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path, parts.query, ""))


HttpUrl = Annotated[str, AfterValidator(normalise_url), Field(max_length=2000)]


class SourceBase(SQLModel):
    title: str = Field(
        min_length=1,
        max_length=500,
        description="The title of the article, statement or report.",
        schema_extra={"examples": ["Iran-Azerbaijan: Conflict or Friendship?"]},
    )
    publisher: str | None = Field(
        default=None,
        max_length=200,
        index=True,
        description="Who published it, or null.",
        schema_extra={"examples": ["New Eastern Outlook"]},
    )
    author: str | None = Field(
        default=None,
        max_length=300,
        description="Who wrote it, or null.",
        schema_extra={"examples": ["Sergey Pivin"]},
    )
    published: str | None = Field(
        default=None,
        max_length=16,
        description="When it was published (EDTF), or null.",
        schema_extra={"examples": ["2013-06-21"]},
    )
    kind: SourceKind = Field(
        default=SourceKind.other,
        sa_type=String(16),
        description="`news`, `opinion`, `official`, `analysis`, `academic` or `other` "
        "(the default).",
        schema_extra={"examples": ["opinion"]},
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        description="Its language, as a BCP 47 tag, or null.",
        schema_extra={"examples": ["en", "az", "fa"]},
    )


class Source(SourceBase, table=True):
    id: str = Field(primary_key=True, max_length=200)
    url: str = Field(unique=True, max_length=2000)
    archive_url: str | None = Field(default=None, max_length=2000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The title, publisher and author as `q` compares them (app.core.text_match): made by the
    # listener below for the ORM's inserts and updates, by ensure_sources for its bulk INSERT.
    search_text: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})


@event.listens_for(Source, "before_insert")
@event.listens_for(Source, "before_update")
def _fold_for_search(_mapper: Any, _connection: Any, source: Source) -> None:
    source.search_text = search_text(source.title, source.publisher, source.author)


# The citations of live events of each source, counted: a view over the counts the event
# tables' triggers keep (app.events.derived.usage), which sources read without knowing them.
source_usage = table("source_usage", column("source_id", String), column("citations", Integer))

# The citations of live events, by source: a view over the event tables
# (app.events.derived.views), which sources read without knowing them.
source_citation = table(
    "source_citation",
    column("source_id", String),
    column("citation_id", Integer),
    column("event_id", String),
    column("title", String),
    column("date", String),
    column("date_lower", Date),
    column("date_precision", String),
    column("stance", String),
    column("quote", String),
    column("locator", String),
)


# SourceBase's fields for input, as a plain pydantic model: pydantic calls SQLModel's __init__
# for each source nested in an event record, which took two thirds of validating an import.
class SourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = PydanticField(
        min_length=1,
        max_length=500,
        description="The title of the article, statement or report.",
        examples=["Iran-Azerbaijan: Conflict or Friendship?"],
    )
    publisher: str | None = PydanticField(
        default=None,
        max_length=200,
        description="Who published it, or null.",
        examples=["New Eastern Outlook"],
    )
    author: str | None = PydanticField(
        default=None,
        max_length=300,
        description="Who wrote it, or null.",
        examples=["Sergey Pivin"],
    )
    published: EdtfDate | None = PydanticField(
        default=None,
        description="When it was published (EDTF), or null.",
        examples=["2013-06-21"],
    )
    kind: SourceKind = PydanticField(
        default=SourceKind.other,
        description="`news`, `opinion`, `official`, `analysis`, `academic` or `other` "
        "(the default).",
        examples=["opinion"],
    )
    language: str | None = PydanticField(
        default=None,
        max_length=35,
        description="Its language, as a BCP 47 tag, or null.",
        examples=["en", "az", "fa"],
    )

    id: Slug | None = PydanticField(
        default=None,
        max_length=200,
        description="A slug; made from the publisher, date and title when left out.",
        examples=["neo-2013-06-21-pivin-iran-azerbaijan"],
    )
    url: HttpUrl = PydanticField(
        description="Where to read it: an absolute http(s) URL, unique once normalised "
        "(scheme and host in lower case, no fragment).",
        examples=["https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"],
    )
    archive_url: HttpUrl | None = PydanticField(
        default=None,
        description="A copy in a web archive, or null.",
        examples=["https://web.archive.org/web/2013/https://journal-neo.org/"],
    )

    @field_validator("language")
    @classmethod
    def _language_tag(cls, value: str | None) -> str | None:
        if value is not None and not all(part.isalnum() for part in value.split("-")):
            raise ValueError(f"{value!r} is not a BCP 47 language tag")
        return value


class SourcePublic(SourceBase):
    id: str = PydanticField(
        description="Slug: unique, never changes.",
        examples=["neo-2013-06-21-pivin-iran-azerbaijan"],
    )
    url: str = PydanticField(
        description="Where to read it (normalised: unique).",
        examples=["https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"],
    )
    archive_url: str | None = PydanticField(
        description="A copy in a web archive, or null.",
        examples=["https://web.archive.org/web/2013/https://journal-neo.org/"],
    )
    version: int = PydanticField(
        description="1 when created, one more at each write; `If-Match` takes it.", examples=[1]
    )


# --- read schemas ----------------------------------------------------------------------


class SourceQuery(BaseModel):
    """The parameters of `GET /v1/sources`: filters combine with AND, a repeated one means OR."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText = PydanticField(
        default=None,
        description="Part of the title, the publisher or the author. Case, diacritics and "
        "Azerbaijani ə/a, \u0131/i don't matter, as in the events' `q`. `%` and `_` are "
        "literal. Leading and trailing spaces are ignored, and an empty `q` "
        "is no filter.",
        examples=["azerbaijan"],
    )
    publisher: list[Annotated[str, PydanticField(min_length=1, max_length=200)]] = PydanticField(
        default=[],
        description="Sources of this publisher: the whole name, in any case; repeat for any of "
        "several.",
        examples=[["New Eastern Outlook"]],
    )
    kind: list[SourceKind] = PydanticField(
        default=[], description="Kind of source; repeat for any of several.", examples=[["news"]]
    )
    limit: int = PydanticField(
        default=50, ge=1, le=500, description="Sources per page.", examples=[50]
    )
    cursor: str | None = PydanticField(
        default=None,
        max_length=1024,
        description="The next_cursor of the previous page.",
        examples=[
            "WyJzb3VyY2VzIiwiTmV3IEVhc3Rlcm4gT3V0bG9vayIsIklyYW4tQXplcmJhaWphbjogQ29uZmxpY3Qgb3IgRnJpZW5kc2hpcD8iLCJuZW8tMjAxMy0wNi0yMS1waXZpbi1pcmFuLWF6ZXJiYWlqYW4iXQ"
        ],
    )

    @field_validator("publisher")
    @classmethod
    def _no_nul(cls, values: list[str]) -> list[str]:
        if any("\x00" in value for value in values):
            raise ValueError("must not contain a NUL character")
        return values


class SourcePublicWithCount(SourcePublic):
    """A source, and how many citations of events point at it."""

    id: str = PydanticField(
        description="Slug: unique, never changes.",
        examples=["neo-2013-06-21-pivin-iran-azerbaijan"],
    )
    url: str = PydanticField(
        description="The source's address: unique, scheme and host in lower case, no fragment.",
        examples=["https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"],
    )
    title: str = PydanticField(
        description="Its title.", examples=["Iran-Azerbaijan: Conflict or Friendship?"]
    )
    publisher: str | None = PydanticField(
        description="Who published it.", examples=["New Eastern Outlook"]
    )
    author: str | None = PydanticField(description="Who wrote it.", examples=["Sergey Pivin"])
    published: str | None = PydanticField(
        description="When it was published, as an EDTF date.", examples=["2013-06-21"]
    )
    kind: SourceKind = PydanticField(description="What sort of source it is.", examples=["opinion"])
    language: str | None = PydanticField(
        description="Its language, as a BCP 47 tag.", examples=["en"]
    )
    archive_url: str | None = PydanticField(
        description="A copy in a web archive, if one was recorded.", examples=[None]
    )
    citation_count: int = PydanticField(
        description="How many citations of events (not deleted) point at it; an event that "
        "quotes it twice counts twice. List those events with `GET /v1/events?source=<id>`.",
        examples=[14],
    )


class SourcePage(SQLModel):
    items: list[SourcePublicWithCount] = PydanticField(
        description="Sources by publisher (those without one first), then title, then id."
    )
    next_cursor: str | None = PydanticField(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=[
            "WyJzb3VyY2VzIiwiTmV3IEVhc3Rlcm4gT3V0bG9vayIsIklyYW4tQXplcmJhaWphbjogQ29uZmxpY3Qgb3Ig"
            "RnJpZW5kc2hpcD8iLCJuZW8tMjAxMy0wNi0yMS1waXZpbi1pcmFuLWF6ZXJiYWlqYW4iXQ"
        ],
    )


class CitingEvent(SQLModel):
    """An event citing the source, with what the citation says."""

    id: str = PydanticField(
        description="The event's id.", examples=["2012-08-aliyev-declines-nam-summit"]
    )
    title: str = PydanticField(
        description="The event's title.",
        examples=["Aliyev declines to attend the Non-Aligned Movement summit in Tehran"],
    )
    date: str = PydanticField(description="The event's EDTF date.", examples=["2012-08"])
    # The values of app.events.models.Stance, which cannot be imported here: that module
    # imports this one. A test checks that the two agree.
    stance: Literal["supports", "disputes"] = PydanticField(
        description="Whether the source supports or disputes the event.", examples=["supports"]
    )
    quote: str | None = PydanticField(
        description="The passage of the source that backs the event.",
        examples=["They were at their worst when Azerbaijani President Ilham Aliyev declined…"],
    )
    locator: str | None = PydanticField(
        description="Where in the source the quote is.", examples=["para. 1"]
    )


class SourcePublicWithEvents(SourcePublicWithCount):
    """A source, with every event (not deleted) that cites it."""

    events: list[CitingEvent] = PydanticField(
        description="One item per citation, in the events' date order (date_lower, finer "
        "precision first, then id). For a page-wise list of the events themselves, use "
        "`GET /v1/events?source=<id>`."
    )
