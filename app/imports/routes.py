"""POST /v1/imports: many events in one request, in one transaction."""

import io
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request

from app.core.db import SessionDep
from app.core.errors import UnsupportedMediaType, problem_responses
from app.datasets import service as datasets
from app.datasets.models import DatasetFormat
from app.datasets.rows import unpacked
from app.imports import service
from app.imports.models import DatasetImportResult, ImportResult, InputFormat, Mode
from app.imports.service import MEDIA_TYPES
from app.keys.auth import require
from app.keys.models import ApiKey, Scope

router = APIRouter(prefix="/v1", tags=["imports"])


async def request_body(request: Request) -> bytes:
    return await request.body()


# What a dataset's file may be sent as: its own text, or a .zip or .gz archive of it.
DATASET_MEDIA_TYPES = (
    "text/tab-separated-values",
    "text/csv",
    "application/zip",
    "application/gzip",
    "application/octet-stream",
)


def input_format(
    content_type: Annotated[
        str | None,
        Header(
            description="application/json, application/x-ndjson or text/csv; with `format`, "
            + ", ".join(DATASET_MEDIA_TYPES)
            + ".",
            examples=["text/csv"],
        ),
    ] = None,
    dataset: Annotated[
        DatasetFormat | None,
        Query(
            alias="format",
            description="Read the body as a public dataset's file (or a .zip or .gz of it): "
            "gdelt, gdelt-mentions, polecat, icews or acled. Rows that make no event are "
            "skipped and counted by reason.",
            examples=["gdelt"],
        ),
    ] = None,
) -> InputFormat | DatasetFormat:
    media_type = (content_type or "application/json").split(";")[0].strip().lower()
    if dataset is not None:
        if media_type not in DATASET_MEDIA_TYPES:
            raise UnsupportedMediaType(
                f"Send a dataset's file as {', '.join(DATASET_MEDIA_TYPES)}; got {media_type!r}."
            )
        return dataset
    fmt = MEDIA_TYPES.get(media_type)
    if fmt is None:
        raise UnsupportedMediaType(f"Send events as {', '.join(MEDIA_TYPES)}; got {media_type!r}.")
    return fmt


@router.post(
    "/imports",
    response_model=ImportResult | DatasetImportResult,
    responses=problem_responses(401, 403, 413, 415, 422),
    summary="Import many events",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
                **{
                    media_type: {"schema": {"type": "string", "format": "binary"}}
                    for media_type in DATASET_MEDIA_TYPES
                    if media_type != "text/csv"
                },
            },
        }
    },
)
def import_events(
    session: SessionDep,
    key: Annotated[ApiKey, require(Scope.write)],
    body: Annotated[bytes, Depends(request_body)],
    fmt: Annotated[InputFormat | DatasetFormat, Depends(input_format)],
    mode: Annotated[
        Mode, Query(description="upsert: create or update; create: new only.", examples=["create"])
    ] = (Mode.upsert),
    dry_run: Annotated[
        bool, Query(description="Check and count, but keep nothing.", examples=[True])
    ] = False,
    strict: Annotated[
        bool,
        Query(
            description="With `format`: a row that makes no event refuses the whole file "
            "(422), instead of being skipped.",
            examples=[True],
        ),
    ] = False,
) -> ImportResult | DatasetImportResult:
    """A JSON array, NDJSON or CSV of events, all written or none; or, with `format`, a
    GDELT, POLECAT, ICEWS or ACLED file.

    Records match stored events by `id` or by any of their `external_ids`. On any bad
    record the answer is 422 with every bad line in `errors`, and nothing is written.
    A dataset's rows become events as the README's "Loading public datasets" says.
    """
    if isinstance(fmt, DatasetFormat):
        outcome = datasets.import_dataset(
            session,
            fmt,
            unpacked(f"body.{fmt.value}", io.BytesIO(body)),
            strict=strict,
            mode=mode,
            key_name=key.name,
        )
        if dry_run:
            session.rollback()
        return DatasetImportResult(
            rows=outcome.rows,
            created=outcome.created,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
            deleted=outcome.deleted,
            skipped=outcome.skipped,
            unparsable=outcome.unparsable,
            dry_run=dry_run,
        )
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
