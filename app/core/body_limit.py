"""413 for request bodies over the limit, before they are read into memory."""

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

IMPORT_PATH = "/v1/imports"


class BodyLimitMiddleware:
    """Refuse a declared Content-Length over the limit at once; count chunked bodies as read."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_import_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_import_bytes = max_import_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_import_bytes if scope["path"] == IMPORT_PATH else self.max_bytes
        detail = f"The request body is larger than {limit:,} bytes."
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            status, why = _check_length(declared, limit)
            if status:
                await problem_response(Request(scope), status, why or detail)(scope, receive, send)
                return

        received = 0

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException, because FastAPI turns other errors met while reading
                    # a body into a 400; the app's handler makes it problem+json.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counted_receive, send)


def _check_length(declared: bytes, limit: int) -> tuple[int, str | None]:
    """(0, None) when a Content-Length is acceptable, else the status and, for 400, why."""
    if not declared.isdigit():
        return 400, "Content-Length must be a number of bytes."
    return (413, None) if int(declared) > limit else (0, None)
