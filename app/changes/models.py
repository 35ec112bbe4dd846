"""The record's history: one revision per write of an event, and how the API shows them."""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, Integer, String, column, table
from sqlmodel import Field as SQLField
from sqlmodel import SQLModel

from app.core.db import UTCDateTime, utcnow
from app.core.slugs import SlugColumn


class Revision(SQLModel, table=True):
    """The whole event as written, by whom and when; one row per write, kept after deletes."""

    id: int | None = SQLField(default=None, primary_key=True)
    event_id: str = SQLField(sa_column=Column(SlugColumn, nullable=False, index=True))
    version: int
    action: str = SQLField(max_length=16)
    # Null while this is the event's newest revision: see revision_written.
    data: dict[str, Any] | None = SQLField(
        default=None, sa_column=Column(JSON(none_as_null=True), nullable=True)
    )
    key_name: str | None = SQLField(default=None, max_length=100)
    created_at: datetime = SQLField(default_factory=utcnow, sa_type=UTCDateTime)


# Every revision with the event as it wrote it, its newest from the event's stored document: a
# view (app.events.derived.views), read here as a table of its own.
revision_written = table(
    "revision_written",
    column("id", Integer),
    column("event_id", String),
    column("version", Integer),
    column("action", String),
    column("key_name", String),
    column("created_at", UTCDateTime),
    column("data", JSON),
)


# --- response schemas ----------------------------------------------------------------


class RevisionPublic(BaseModel):
    change_id: int = Field(description="Position in the changes feed.", examples=[42])
    event_id: str = Field(
        description="The event written.", examples=["2012-08-aliyev-declines-nam-summit"]
    )
    version: int = Field(description="The event's version after this change.", examples=[2])
    action: Literal["create", "update", "delete", "restore"] = Field(
        description="What the write did.", examples=["update"]
    )
    key_name: str | None = Field(
        description="The name of the API key that wrote it; null for the command line.",
        examples=["newsroom-editor"],
    )
    at: datetime = Field(
        description="When it was written (UTC).", examples=["2026-12-07T13:00:00Z"]
    )
    event: dict[str, Any] = Field(
        description="The whole event as written at this version (as `GET /v1/events/{id}` "
        "showed it then).",
        examples=[{"id": "2012-08-aliyev-declines-nam-summit", "tone": -6.0, "version": 2}],
    )


class ChangesPage(BaseModel):
    items: list[RevisionPublic] = Field(description="The changes, oldest first.")
    next_cursor: str = Field(
        description="Pass as `since` to get what comes after; stays the same until there is more.",
        examples=["WyJjaGFuZ2VzIiw0Ml0"],
    )
