"""Who is calling: the API key in `Authorization: Bearer`, and what its scope allows."""

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from app.core.db import SAFE_METHODS, SessionDep, begin_write, utcnow
from app.core.errors import Forbidden, Unauthorized, Unavailable
from app.keys.models import ApiKey, Scope
from app.keys.service import find_valid_key, record_use

# auto_error=False: a missing key is our 401 problem, not FastAPI's 403.
_bearer = HTTPBearer(auto_error=False, description="An API key: `dyad_<prefix>_<secret>`.")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]

RANK = {Scope.read: 0, Scope.write: 1, Scope.admin: 2}

# last_used_at is written at most this often per key, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


async def current_key(
    session: SessionDep, request: Request, credentials: BearerDep
) -> ApiKey | None:
    """The caller's key, None when no key is sent; 401 for a wrong or revoked one.

    Async, so that an anonymous read costs no trip to a worker thread.
    """
    if credentials is None:
        return None
    now = utcnow()
    key, record_use = await run_in_threadpool(
        _check_key, session, request, credentials.credentials, now
    )
    if record_use:
        await run_in_threadpool(_record_use, request, key.id, now)
    return key


def _check_key(
    session: Session, request: Request, secret: str, now: datetime
) -> tuple[ApiKey, bool]:
    """The valid key, and whether its use is to be recorded by a write of its own."""
    key = find_valid_key(session, secret)
    if key is None:
        raise Unauthorized()
    recent = key.last_used_at is not None and now - key.last_used_at <= LAST_USED_RESOLUTION
    if recent or request.app.state.settings.read_only:  # a read replica writes nothing
        return key, False
    if request.method not in SAFE_METHODS:
        key.last_used_at = now  # the request writes anyway: in its transaction
        session.add(key)
        return key, False
    # A read never turns into a write halfway through: the use is a short write of its own.
    # Hand the request's connection back first (it has only read the key; expunged, the key
    # keeps its values), so that no request holds one while waiting for a second: under load,
    # that would drain the pool.
    session.expunge(key)
    session.rollback()
    return key, True


def _record_use(request: Request, key_id: int | None, now: datetime) -> None:
    with request.app.state.sessions() as writer:
        begin_write(writer)
        record_use(writer, key_id, now)
        writer.commit()


def require(scope: Scope) -> Any:
    """A dependency that lets through keys of at least `scope`: 401 without one, else 403."""

    async def check(
        request: Request, key: Annotated[ApiKey | None, Depends(current_key)]
    ) -> ApiKey:
        if scope is not Scope.read and request.app.state.settings.read_only:
            raise Unavailable(
                "This server only reads (it serves a read replica): send writes to the primary.",
                retry_after=None,
            )
        if key is None:
            raise Unauthorized()
        if RANK[Scope(key.scope)] < RANK[scope]:
            raise Forbidden(f"This needs a key with {scope.value} scope; yours has {key.scope}.")
        return key

    return Depends(check)


async def read_access(
    request: Request, key: Annotated[ApiKey | None, Depends(current_key)]
) -> None:
    """Reads are public unless DYAD_PUBLIC_READ=false; then they need a `read` key."""
    if key is None and not request.app.state.settings.public_read:
        raise Unauthorized("Reading needs an API key here: Authorization: Bearer <key>.")
