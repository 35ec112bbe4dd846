"""What every HTTP exchange gets, in one pure-ASGI layer, the outermost: an X-Request-ID (the
client's own when sane, else a new one), the headers that keep browsers safe, a count and a
time in the metrics (to the last byte of the answer, 429s and 413s included), and one
access-log line. One wrapper of `send` sees the answer start and end for all four.
"""

import logging
import re
import time
import uuid
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core import metrics
from app.core.logs import request_id
from app.core.ratelimit import identity

# Only this origin's own files: no inline script or style, no outside host, no framing.
# Swagger UI and the timeline page load their scripts and styles as files; data: images
# are Swagger UI's icons.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}

_SANE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
access_log = logging.getLogger("dyad.access")


class ExchangeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        current = given if _SANE.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = current
        token = request_id.set(current)
        root_path = scope.get("root_path", "")
        started = time.perf_counter()
        answered: float | None = None  # when the last byte went, not counting work after it
        status = 500  # what the client gets if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = _with_headers(message.get("headers", ()), current)
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = time.perf_counter()

        try:
            await self.app(scope, receive, sending)
        finally:
            ended = time.perf_counter()
            metrics.observe(scope, root_path, status, (answered or ended) - started)
            _log(scope, status, round((ended - started) * 1000, 2))
            request_id.reset(token)


RawHeaders = list[tuple[bytes, bytes]]
_REQUEST_ID = b"x-request-id"
_SECURITY = [(name.lower().encode(), value.encode()) for name, value in SECURITY_HEADERS.items()]


def _with_headers(headers: Iterable[tuple[bytes, bytes]], current: str) -> RawHeaders:
    """An answer's headers with the request id (instead of any the app set) and each security
    header the app did not set: one pass over the raw pairs, not one per name."""
    kept = [(name, value) for name, value in headers if name.lower() != _REQUEST_ID]
    present = {name.lower() for name, _value in kept}
    kept.append((_REQUEST_ID, current.encode("latin-1")))
    kept.extend(pair for pair in _SECURITY if pair[0] not in present)
    return kept


def _log(scope: Scope, status: int, duration_ms: float) -> None:
    access_log.info(
        "%s %s %s %.1f ms",
        scope["method"],
        scope["path"],
        status,
        duration_ms,
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "duration_ms": duration_ms,
            # Whose request: a key's public prefix or an address, never a secret.
            "client": identity(scope),
        },
    )
