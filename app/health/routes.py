"""Liveness and readiness, for load balancers and orchestrators."""

from fastapi import APIRouter, Request
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import ping
from app.core.errors import Unavailable, problem_responses

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The database answers", responses=problem_responses(503))
def readyz(request: Request) -> dict[str, str]:
    try:
        ping(request.app.state.engine)
    except SQLAlchemyError:
        raise Unavailable("The database is not answering.") from None
    return {"status": "ready"}
