"""Rate limits per API key, or per client address when anonymous, with the `limits` library.

Counts live in this process's memory, or in Redis when DYAD_REDIS_URL is set, so that
several workers or machines share them (in memory, each worker would allow the limit).
"""

import logging
import math
import re
import time

import limits
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import problem_response

logger = logging.getLogger("dyad.ratelimit")

# Probes from load balancers and monitors are not API use, nor are the page's and the docs'
# static files (a browser fetches a dozen at once).
EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
EXEMPT_PREFIXES = ("/static/", "/docs/static/", "/docs/assets/")
_KEY = re.compile(rb"^Bearer\s+dyad_([0-9a-f]{8})_", re.IGNORECASE)


def storage_for(redis_url: str | None) -> Storage:
    if not redis_url:
        return MemoryStorage()
    # wrap_exceptions: any Redis failure arrives as limits.errors.StorageError.
    return RedisStorage(f"async+{redis_url}", implementation="redispy", wrap_exceptions=True)


def identity(scope: Scope) -> str:
    """Whose budget a request spends: its key's prefix, else the client's address."""
    authorization = dict(scope["headers"]).get(b"authorization", b"")
    if match := _KEY.match(authorization):
        return "key:" + match.group(1).decode().lower()
    client = scope.get("client")
    return "addr:" + (client[0] if client else "unknown")


class RateLimitMiddleware:
    """429 with Retry-After beyond the limit; RateLimit-* headers on every answer."""

    def __init__(self, app: ASGIApp, rate: str, redis_url: str | None = None) -> None:
        self.app = app
        self.item = limits.parse(rate)
        self.limiter = MovingWindowRateLimiter(storage_for(redis_url))
        self.policy = f"{self.item.amount};w={self.item.get_expiry()}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        who = identity(scope)
        try:
            allowed = await self.limiter.hit(self.item, who)
            reset_at, remaining = await self.limiter.get_window_stats(self.item, who)
        except limits.errors.StorageError as error:
            # Refusing every request because the counter store is down would be worse.
            logger.warning("rate limit store unavailable, not limiting: %s", error)
            await self.app(scope, receive, send)
            return
        reset = max(1, math.ceil(reset_at - time.time()))
        headers = {
            "RateLimit-Limit": str(self.item.amount),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
            "RateLimit-Policy": self.policy,
        }
        if not allowed:
            response = problem_response(
                Request(scope),
                429,
                f"More than {self.item.amount} requests in {self.item.get_expiry()} s: "
                f"try again in {reset} s.",
                headers={**headers, "Retry-After": str(reset)},
            )
            await response(scope, receive, send)
            return

        # Appended as they are: no answer of the app sets these names itself (MutableHeaders
        # would look for each in every answer's headers first).
        encoded = [(name.lower().encode(), value.encode()) for name, value in headers.items()]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *encoded]
            await send(message)

        await self.app(scope, receive, send_with_headers)
