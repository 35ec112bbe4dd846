"""400 for a NUL character in a request body: PostgreSQL text cannot hold one, and no event,
name or quote needs one, so it is refused at the door rather than deep in a write.

Query parameters check their own values, so that their 422 can name the parameter. Archives
(a dataset's .zip or .gz) are binary: their reader drops NULs from the text they unpack."""

import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DETAIL = "Text may not contain the NUL character (U+0000)."
# A raw NUL byte, or JSON's escape for one: \u0000 after an even run of backslashes
# (after an odd run, the backslash itself is escaped and "u0000" is plain text).
_IN_BODY = re.compile(rb"\x00|(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_CARRY = 6  # bytes kept from the end of a chunk, so a pattern split across chunks is seen


BINARY = (b"application/zip", b"application/gzip", b"application/octet-stream")


def _binary(scope: Scope) -> bool:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return value.split(b";")[0].strip().lower() in BINARY
    return False


class NulGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _binary(scope):
            await self.app(scope, receive, send)
            return
        tail = b""

        async def checked_receive() -> Message:
            nonlocal tail
            message = await receive()
            if message["type"] == "http.request":
                window = tail + message.get("body", b"")
                if _IN_BODY.search(window):
                    # FastAPI turns other errors met while reading a body into a plain 400.
                    raise HTTPException(400, DETAIL)
                tail = window[-_CARRY:]
            return message

        await self.app(scope, checked_receive, send)
