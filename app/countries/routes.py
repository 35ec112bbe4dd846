"""The HTTP surface of the vocabularies in use: countries and tags, with their counts."""

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.core.countries import country_name
from app.core.db import SessionDep
from app.core.http import LIST_CACHE_CONTROL
from app.countries import service

router = APIRouter(prefix="/v1", tags=["vocabulary"])


class CountryCount(BaseModel):
    code: str = Field(description="ISO 3166-1 alpha-3 code.", examples=["AZE"])
    name: str = Field(description="Its short English name (ISO 3166).", examples=["Azerbaijan"])
    count: int = Field(description="How many events involve it.", examples=[10])


class TagCount(BaseModel):
    tag: str = Field(description="The tag, in lower case.", examples=["diplomacy"])
    count: int = Field(description="How many events carry it.", examples=[9])


@router.get("/countries", response_model=list[CountryCount], summary="List countries with events")
def countries(session: SessionDep, response: Response) -> list[CountryCount]:
    """Every country involved in at least one event (deleted events do not count), with how
    many events involve it: most first, then by code.

    Use a code as `country` in `GET /v1/events`, or pair two in `GET /v1/relations/{A}-{B}`.
    """
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return [
        CountryCount(code=code, name=country_name(code), count=count)
        for code, count in service.country_counts(session)
    ]


@router.get("/tags", response_model=list[TagCount], summary="List tags")
def tags(session: SessionDep, response: Response) -> list[TagCount]:
    """Every tag on at least one event (deleted events do not count), with how many events
    carry it: most first, then alphabetically.

    Use a tag as `tag` in `GET /v1/events`.
    """
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return [TagCount(tag=tag, count=count) for tag, count in service.tag_counts(session)]
