"""Keyset cursors (opaque to clients) and RFC 8288 Link headers."""

import base64
import binascii
from typing import Any

import orjson
from starlette.datastructures import URL

from app.core.errors import BadRequest
from app.core.slugs import SLUG


def encode_cursor(kind: str, key: list[Any]) -> str:
    """An opaque cursor holding the sort `kind` and the sort key of the last item served."""
    raw = orjson.dumps([kind, *key])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, size: int) -> list[Any]:
    """The sort key inside `cursor`; a 400 if it is not one this API made for `kind`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = orjson.loads(raw)
    except (binascii.Error, ValueError):
        value = None
    if (
        not isinstance(value, list)
        or len(value) != size + 1
        or value[0] != kind
        or not all(isinstance(part, str | int) for part in value[1:])
    ):
        raise BadRequest(
            "Invalid cursor: pass the next_cursor of a previous page, with the same sort."
        )
    return value[1:]


def next_link(url: URL, cursor: str, param: str = "cursor") -> str:
    """An RFC 8288 Link header to the same request with `param` set to `cursor`."""
    return f'<{url.include_query_params(**{param: cursor})}>; rel="next"'


def decode_text_cursor(cursor: str, kind: str, size: int) -> list[str]:
    """The sort key in `cursor`: text ending with an id; a 400 for anything this API never made."""
    key = decode_cursor(cursor, kind, size)
    # A NUL cannot even be sent to PostgreSQL: refuse it here rather than fail there.
    texts = [part for part in key if isinstance(part, str) and "\x00" not in part]
    if len(texts) != size or not SLUG.fullmatch(texts[-1]):
        raise BadRequest("Invalid cursor: pass the next_cursor of a previous page.")
    return texts
