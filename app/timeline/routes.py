"""The HTTP surface of the timeline: parse, call one service function, shape the answer."""

from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Response

from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.http import LIST_CACHE_CONTROL
from app.timeline import service
from app.timeline.models import Timeline, TimelineQuery
from app.timeline.service import MAX_PERIODS

router = APIRouter(prefix="/v1", tags=["timeline"])


@router.get(
    "/timeline",
    response_model=Timeline,
    responses=problem_responses(422),
    summary="Count events per period",
    description=f"""The events that `GET /v1/events` would list with the same filters, counted
per year, month or day (`bucket`), with their mean tone, their count by type, and how many are
dated less precisely than the bucket.

An event counts in the period of its `date_lower` (the first day its date can mean), so a
year-precision event counts in January of that year in a month bucket: `imprecise` says how
many such events a period holds. Every period from `from` to `to` is listed, empty ones with
`count: 0`, and so are earlier ones where a matching event that overlaps `from` begins; without
`from` (or `to`) the periods start at the first (or end at the last) that has an event.
More than {MAX_PERIODS:,} periods (e.g. `bucket=day` over decades) is a 422: choose a coarser
bucket or narrow `from`/`to`.""",
)
def timeline(
    session: SessionDep,
    query: Annotated[TimelineQuery, Query()],
) -> Response:
    # In a worker thread (a plain def), even from the stored monthly counts: SQLite runs the
    # grouping query without the GIL, beside another request's Python. On the event loop a
    # worker read one timeline at a time, and served a quarter fewer under load (bench/).
    # Serialised here, straight from the counts: Timeline documents the shape.
    return Response(
        orjson.dumps(service.timeline(session, query)),
        media_type="application/json",
        headers={"Cache-Control": LIST_CACHE_CONTROL},
    )
