"""The parameters and the answers of `GET /v1/relations` and `GET /v1/relations/{pair}`."""

from datetime import date

from pydantic import BaseModel, Field

from app.actors.models import ActorKind
from app.core.countries import CountryCode
from app.events.filters import Filters

# How many actors a pair's summary names.
TOP_ACTORS = 10


class RelationsQuery(Filters):
    """The parameters of `GET /v1/relations`: one country, and the event filters."""

    # One country, not the list EventFilter takes: the partners of several is not one answer.
    country: CountryCode = Field(
        description="The country whose partners to list (ISO alpha-2 or alpha-3, any case)."
    )

    def countries(self) -> list[str]:
        return [self.country]


class Partner(BaseModel):
    country: str = Field(description="The partner's ISO 3166 alpha-3 code.", examples=["AZE"])
    count: int = Field(description="Matching events that involve both countries.", examples=[9])
    first_date: date = Field(
        description="The earliest date_lower of those events.", examples=["2012-01-01"]
    )
    last_date: date = Field(
        description="The latest date_upper of those events.", examples=["2013-06-21"]
    )
    tone_mean: float | None = Field(
        description="The mean tone of those events that have one; null when none has.",
        examples=[-3.2],
    )


class Partners(BaseModel):
    country: str = Field(description="The country asked about.", examples=["IRN"])
    partners: list[Partner] = Field(
        description="Every country that shares a matching event with it, most events first, "
        "then by code."
    )


class TopActor(BaseModel):
    id: str = Field(description="The actor's id.", examples=["ilham-aliyev"])
    name: str = Field(description="The actor's name.", examples=["Ilham Aliyev"])
    kind: ActorKind = Field(description="What sort of actor.", examples=["person"])
    country: str | None = Field(description="The actor's country, or null.", examples=["AZE"])
    count: int = Field(description="The pair's events this actor takes part in.", examples=[2])


class PairRelation(BaseModel):
    countries: list[str] = Field(
        description="The two countries, in alphabetical order.", examples=[["AZE", "IRN"]]
    )
    count: int = Field(description="Matching events that involve both countries.", examples=[9])
    first_date: date | None = Field(
        description="The earliest date_lower; null without events.", examples=["2012-01-01"]
    )
    last_date: date | None = Field(
        description="The latest date_upper; null without events.", examples=["2013-06-21"]
    )
    tone_mean: float | None = Field(
        description="The mean tone of the events that have one; null when none has.",
        examples=[-3.2],
    )
    by_type: dict[str, int] = Field(
        description="The events counted by PLOVER type, most frequent first.",
        examples=[{"reject": 3, "concede": 2}],
    )
    by_year: dict[str, int] = Field(
        description="The events counted by the year of their date_lower, oldest first; "
        "years without events are left out (GET /v1/timeline lists them).",
        examples=[{"2012": 1, "2013": 9}],
    )
    top_actors: list[TopActor] = Field(
        description=f"The {TOP_ACTORS} actors in most of the pair's events, then by id."
    )
    disputed: int = Field(
        description="How many of the events have status `disputed`.", examples=[1]
    )
