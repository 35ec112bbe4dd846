"""The HTTP surface of the vocabularies in use: countries and tags, with their counts."""

from fastapi import APIRouter, Response

from app.core.countries import country_name
from app.core.db import SessionDep
from app.core.http import LIST_CACHE_CONTROL
from app.countries import service
from app.countries.models import CountryCount, TagCount

router = APIRouter(prefix="/v1", tags=["vocabulary"])


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
