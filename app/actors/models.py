"""Actors: the people, governments and organisations that take part in events."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic import Field as PydanticField  # sqlmodel's Field takes no examples
from sqlalchemy import JSON, Integer, String, Text, column, event, table
from sqlmodel import Field, SQLModel

from app.core.countries import CountryCode
from app.core.db import UTCDateTime, utcnow
from app.core.slugs import Slug
from app.core.text_match import SearchText, search_text


class ActorKind(StrEnum):
    person = "person"
    organization = "organization"
    government = "government"
    media = "media"
    group = "group"


class ActorBase(SQLModel):
    name: str = Field(
        min_length=1,
        max_length=300,
        index=True,
        description="The name in its most common form.",
        schema_extra={"examples": ["Ilham Aliyev"]},
    )
    kind: ActorKind = Field(
        sa_type=String(16),
        description="`person`, `organization`, `government`, `media` or `group`.",
        schema_extra={"examples": ["person"]},
    )
    wikidata: str | None = Field(
        default=None,
        max_length=20,
        regex=r"^Q[1-9][0-9]*$",
        description="Wikidata item id, or null.",
        schema_extra={"examples": ["Q7184"]},
    )
    description: str | None = Field(
        default=None,
        max_length=2000,
        description="One line saying who this is, or null.",
        schema_extra={"examples": ["President of Azerbaijan."]},
    )


class Actor(ActorBase, table=True):
    id: str = Field(primary_key=True, max_length=200)
    country: str | None = Field(default=None, max_length=3, index=True)
    aliases: list[str] = Field(default_factory=list, sa_type=JSON)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The name and aliases as `q` compares them (app.core.text_match): made by the listener
    # below for the ORM's inserts and updates, by the column's default for a bulk INSERT.
    search_text: str = Field(
        default="",
        sa_type=Text,
        sa_column_kwargs={"server_default": "", "default": lambda c: _searched_row(c)},
    )


def _searched_row(context: Any) -> str:
    row = context.get_current_parameters()
    return search_text(row["name"], *(row.get("aliases") or []))


@event.listens_for(Actor, "before_insert")
@event.listens_for(Actor, "before_update")
def _fold_for_search(_mapper: Any, _connection: Any, actor: Actor) -> None:
    actor.search_text = search_text(actor.name, *actor.aliases)


# The live events each actor takes part in, counted: a view over the counts the event tables'
# triggers keep (app.events.derived.usage), which actors read without knowing them.
actor_usage = table("actor_usage", column("actor_id", String), column("events", Integer))


class ActorCreate(ActorBase):
    model_config = {"extra": "forbid"}

    id: Slug | None = PydanticField(
        default=None,
        max_length=200,
        description="A slug; made from the name when left out. It never changes.",
        examples=["ilham-aliyev"],
    )
    country: CountryCode | None = PydanticField(
        default=None,
        description="The country it belongs to (ISO alpha-3 or alpha-2, any case), or null.",
        examples=["AZE"],
    )
    aliases: list[str] = PydanticField(
        default=[],
        description="Other names it goes by; `q` searches them too.",
        examples=[["Aliyev"]],
    )


class ActorPublic(ActorBase):
    id: str = PydanticField(description="Slug: unique, never changes.", examples=["ilham-aliyev"])
    country: str | None = PydanticField(
        description="ISO 3166-1 alpha-3 code of the country it belongs to, or null.",
        examples=["AZE"],
    )
    aliases: list[str] = PydanticField(
        description="Other names it goes by; `q` searches them too.", examples=[["Aliyev"]]
    )
    version: int = PydanticField(
        description="1 when created, one more at each write; `If-Match` takes it.", examples=[1]
    )


# --- read schemas ----------------------------------------------------------------------


class ActorQuery(BaseModel):
    """The parameters of `GET /v1/actors`: filters combine with AND, a repeated one means OR."""

    model_config = ConfigDict(extra="forbid")

    q: SearchText = PydanticField(
        default=None,
        description="Part of the name or of any alias: `khamenei`, `snsc`. Case, diacritics "
        "and Azerbaijani ə/a, \u0131/i don't matter, as in the events' `q` (`Əliyev` finds "
        "`Aliyev`). `%` and `_` are literal. Leading and trailing spaces are ignored, and an "
        "empty `q` is no filter.",
        examples=["khamenei"],
    )
    country: list[CountryCode] = PydanticField(
        default=[],
        description="Actors of this country (ISO alpha-2 or alpha-3, any case); repeat for "
        "any of several.",
        examples=[["AZE"]],
    )
    kind: list[ActorKind] = PydanticField(
        default=[], description="Kind of actor; repeat for any of several.", examples=[["person"]]
    )
    limit: int = PydanticField(
        default=50, ge=1, le=500, description="Actors per page.", examples=[50]
    )
    cursor: str | None = PydanticField(
        default=None,
        max_length=1024,
        description="The next_cursor of the previous page.",
        examples=["WyJhY3RvcnMiLCJGb3JlaWduIFBvbGljeSIsImZvcmVpZ24tcG9saWN5Il0"],
    )


class ActorPublicWithCount(ActorPublic):
    """An actor, and how many events it takes part in."""

    id: str = PydanticField(description="Slug: unique, never changes.", examples=["ilham-aliyev"])
    name: str = PydanticField(
        description="The name in its most common form.", examples=["Ilham Aliyev"]
    )
    kind: ActorKind = PydanticField(description="What sort of actor this is.", examples=["person"])
    country: str | None = PydanticField(
        description="ISO 3166-1 alpha-3 code of the country it belongs to, if any.",
        examples=["AZE"],
    )
    aliases: list[str] = PydanticField(
        description="Other names it goes by; `q` searches them too.", examples=[["Aliyev"]]
    )
    wikidata: str | None = PydanticField(description="Wikidata item id.", examples=["Q7184"])
    description: str | None = PydanticField(
        description="One line saying who this is.", examples=["President of Azerbaijan."]
    )
    event_count: int = PydanticField(
        description="How many events (not deleted) it takes part in, in any role; list them "
        "with `GET /v1/events?actor=<id>`.",
        examples=[2],
    )


class ActorPage(SQLModel):
    items: list[ActorPublicWithCount] = PydanticField(description="Actors by name, then id.")
    next_cursor: str | None = PydanticField(
        description="Pass as `cursor` to get the next page; null on the last page.",
        examples=[
            "WyJhY3RvcnMiLCJHb3Zlcm5tZW50IG9mIEF6ZXJiYWlqYW4iLCJnb3Zlcm5tZW50LW9mLWF6ZXJiYWlqYW4iXQ"
        ],
    )
