"""POST /v1/imports: many events in one request, in one transaction."""

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, Field

from app.core.db import SessionDep
from app.core.errors import UnsupportedMediaType, problem_responses
from app.imports import service
from app.imports.service import MEDIA_TYPES, InputFormat, Mode
from app.keys.auth import require
from app.keys.models import ApiKey, Scope

router = APIRouter(prefix="/v1", tags=["imports"])


class ImportResult(BaseModel):
    created: int = Field(description="New events.", examples=[1])
    updated: int = Field(description="Stored events that the import changed.", examples=[0])
    unchanged: int = Field(
        description="Stored events equal to their record: no new version.", examples=[0]
    )
    errors: list[dict[str, object]] = Field(
        default=[],
        description="Empty on success: a failed import answers 422 listing them.",
        examples=[[]],
    )
    dry_run: bool = Field(description="True when nothing was kept.", examples=[False])


async def request_body(request: Request) -> bytes:
    return await request.body()


def input_format(
    content_type: Annotated[
        str | None,
        Header(
            description="application/json, application/x-ndjson or text/csv.",
            examples=["text/csv"],
        ),
    ] = None,
) -> InputFormat:
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    fmt = MEDIA_TYPES.get(media_type)
    if fmt is None:
        raise UnsupportedMediaType(f"Send events as {', '.join(MEDIA_TYPES)}; got {media_type!r}.")
    return fmt


@router.post(
    "/imports",
    response_model=ImportResult,
    responses=problem_responses(401, 403, 413, 415, 422),
    summary="Import many events",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
def import_events(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    body: Annotated[bytes, Depends(request_body)],
    fmt: Annotated[InputFormat, Depends(input_format)],
    mode: Annotated[
        Mode, Query(description="upsert: create or update; create: new only.", examples=["create"])
    ] = (Mode.upsert),
    dry_run: Annotated[
        bool, Query(description="Check and count, but keep nothing.", examples=[True])
    ] = False,
) -> ImportResult:
    """A JSON array, NDJSON or CSV of events, all written or none.

    Records match stored events by `id` or by any of their `external_ids`. On any bad
    record the answer is 422 with every bad line in `errors`, and nothing is written.
    """
    records = service.read_records(io.BytesIO(body), fmt)
    report = service.import_records(session, records, mode=mode, key_name=key.name)
    if dry_run:
        session.rollback()
    return ImportResult(
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        dry_run=dry_run,
    )
