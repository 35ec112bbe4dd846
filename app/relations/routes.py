"""The HTTP surface of relations: parse, call one service function, shape the answer."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import LIST_CACHE_CONTROL
from app.events.filters import Dyad, EventFilter
from app.relations import service
from app.relations.models import PairRelation, Partners, RelationsQuery

router = APIRouter(prefix="/v1", tags=["relations"])


@router.get(
    "/relations",
    response_model=Partners,
    responses=problem_responses(422),
    summary="List a country's partners",
)
def partners(
    session: SessionDep,
    response: Response,
    query: Annotated[RelationsQuery, Query()],
) -> Partners:
    """The countries that share at least one event with `country`: for each, the number of
    events, the first and last dates and the mean tone, most events first.

    The other event filters (`type`, `from`, `to`, ...) narrow the events counted.
    """
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return service.partners(session, query)


@router.get(
    "/relations/{pair}",
    response_model=PairRelation,
    responses=problem_responses(422),
    summary="Summarise the relations of two countries",
)
def pair(
    session: SessionDep,
    response: Response,
    pair: Annotated[
        Dyad,
        Path(
            description="Two country codes joined by a hyphen, in either order and any case: "
            "`AZE-IRN`, `IRN-AZE` and `az-ir` are the same pair.",
            examples=["AZE-IRN"],
        ),
    ],
    filters: Annotated[EventFilter, Query()],
) -> PairRelation:
    """The events between two countries summarised: count, date span, mean tone, counts by
    type and by year, the actors in most of them, and how many are disputed.

    The event filters (`type`, `from`, `to`, ...) narrow the events counted. A pair with no
    matching events is not an error: it answers 200 with `count: 0`. An unknown code, or the
    same country twice, is a 422.
    """
    response.headers["Cache-Control"] = LIST_CACHE_CONTROL
    return service.pair(session, pair, filters)
