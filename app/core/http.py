"""HTTP pieces that several domains' routes share: cache headers and path parameters."""

from typing import Annotated

from fastapi import Path

# Public data that changes rarely: let browsers and shared caches keep lists briefly.
LIST_CACHE_CONTROL = "public, max-age=60"

EventId = Annotated[
    str,
    Path(
        max_length=200,
        description="The event's id (a slug).",
        examples=["2012-08-aliyev-declines-nam-summit"],
    ),
]
