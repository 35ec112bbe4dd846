"""At most a few API reads run at once in a process; the others wait their turn on the event loop.

Python runs one thread at a time. Reads running side by side in worker threads mostly wait for
each other: each row SQLite hands over releases the GIL, and taking it back waits behind the
threads running Python. Measured in bench/: 2 at once served up to 1.4 times what 8 did.
A waiting request holds nothing (no thread, no connection), so the wait cannot deadlock.
"""

from anyio import Semaphore
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import SAFE_METHODS

API_PREFIX = "/v1/"


class ReadSlotsMiddleware:
    """Holds one of `slots` for an API read (GET, HEAD or OPTIONS) until its answer starts
    (a stream then goes on without it: exports are long, and their sending waits on the
    client)."""

    def __init__(self, app: ASGIApp, slots: int) -> None:
        self.app = app
        # fast_acquire: a free slot is taken without yielding to the event loop (which
        # would cost a small read a tenth of its time); waiters still get slots in turn.
        self.slots = Semaphore(slots, fast_acquire=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in SAFE_METHODS
            or not scope["path"].startswith(API_PREFIX)
        ):
            await self.app(scope, receive, send)  # writes, probes, docs and pages: never held
            return
        await self.slots.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                self.slots.release()

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            release()
