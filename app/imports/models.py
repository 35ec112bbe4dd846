"""The schemas of imports: the modes, the formats, and what an import answers."""

from enum import StrEnum

from pydantic import BaseModel, Field


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


class DatasetImportResult(BaseModel):
    """What an import of a public dataset's file did (with `format`)."""

    rows: int = Field(description="Rows read from the file.", examples=[16])
    created: int = Field(description="New events.", examples=[7])
    updated: int = Field(description="Stored events that the import changed.", examples=[0])
    unchanged: int = Field(
        description="Stored events equal to their row: no new version.", examples=[0]
    )
    deleted: int = Field(description="Events deleted by an ACLED deletions list.", examples=[0])
    skipped: dict[str, int] = Field(
        description="Rows that made no event, counted by reason (no two countries, a region "
        "or bloc code, a CAMEO root without PLOVER type, an unparsable line, …).",
        examples=[{"no two countries": 2, "region or bloc code": 2}],
    )
    unparsable: list[dict[str, object]] = Field(
        description="The first 100 unparsable lines: file, line and problem.",
        examples=[[{"file": "20240519153000.export.CSV", "line": 9, "problem": "5 columns"}]],
    )
    dry_run: bool = Field(description="True when nothing was kept.", examples=[False])


class Mode(StrEnum):
    upsert = "upsert"
    create = "create"


class InputFormat(StrEnum):
    json = "json"
    ndjson = "ndjson"
    csv = "csv"
