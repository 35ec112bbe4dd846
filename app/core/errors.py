"""Domain exceptions, each carrying its HTTP status, and their RFC 9457 problem+json form.

This module is the one place where errors become responses: services raise the
exceptions below and know nothing of HTTP; `install` registers the handlers.
"""

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.db import is_statement_timeout

logger = logging.getLogger("dyad.errors")

PROBLEM_JSON = "application/problem+json"


class DyadError(Exception):
    """Base of the errors a client can cause or should know about."""

    status: HTTPStatus = HTTPStatus.INTERNAL_SERVER_ERROR

    def __init__(
        self, detail: str, *, headers: Mapping[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


class BadRequest(DyadError):
    status = HTTPStatus.BAD_REQUEST


class NotFound(DyadError):
    status = HTTPStatus.NOT_FOUND


class Conflict(DyadError):
    status = HTTPStatus.CONFLICT


class InvalidInput(DyadError):
    """A value that passed the schema but breaks a rule (e.g. a link to an unknown event)."""

    status = HTTPStatus.UNPROCESSABLE_ENTITY


class PreconditionFailed(DyadError):
    """A stale If-Match: someone else wrote first."""

    status = HTTPStatus.PRECONDITION_FAILED


class PreconditionRequired(DyadError):
    """An update without If-Match, which could silently undo someone else's change."""

    status = HTTPStatus.PRECONDITION_REQUIRED


class Unauthorized(DyadError):
    """No key, or one that is wrong or revoked: the same answer for each, on purpose."""

    status = HTTPStatus.UNAUTHORIZED

    def __init__(
        self, detail: str = "A valid API key is required: Authorization: Bearer <key>."
    ) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="dyad"'})


class Forbidden(DyadError):
    status = HTTPStatus.FORBIDDEN


class UnsupportedMediaType(DyadError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class Unavailable(DyadError):
    status = HTTPStatus.SERVICE_UNAVAILABLE

    def __init__(self, detail: str, *, retry_after: int | None = 5) -> None:
        # No Retry-After when the same request would fail again.
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        super().__init__(detail, headers=headers)


class ProblemDetails(BaseModel):
    """An RFC 9457 problem; `errors` lists each invalid input of a 422."""

    type: str = Field(
        default="about:blank", description="Always `about:blank`.", examples=["about:blank"]
    )
    title: str = Field(description="The status's name.", examples=["Precondition Failed"])
    status: int = Field(description="The HTTP status.", examples=[412])
    detail: str = Field(
        description="What went wrong, and what to do.",
        examples=['If-Match "1" is stale: the event is at version 2.'],
    )
    instance: str = Field(
        description="The path asked for.",
        examples=["/v1/events/2012-08-aliyev-declines-nam-summit"],
    )
    errors: list[dict[str, Any]] | None = Field(
        default=None,
        description="A 422's invalid inputs, each with `loc` (where) and `msg` (why).",
        examples=[[{"loc": ["query", "from"], "msg": "'2013-02-30' is not a valid calendar date"}]],
    )


def problem_response(
    request: Request,
    status: int,
    detail: str,
    *,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def _location(loc: Sequence[Any]) -> list[str | int]:
    return [part if isinstance(part, int) else str(part) for part in loc]


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "extra_forbidden":
        return "unknown parameter: see /docs for the ones this endpoint takes"
    message = str(error.get("msg", "invalid value"))
    # Errors raised by our own validators read "Value error, <our text>".
    return message.removeprefix("Value error, ")


async def _on_dyad_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DyadError)
    return problem_response(request, exc.status, exc.detail, headers=exc.headers, **exc.extra)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(error.get("type") == "json_invalid" for error in raw):
        return problem_response(request, 400, "The request body is not valid JSON.")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if (
        content_type
        and not (content_type == "application/json" or content_type.endswith("+json"))
        and any(error["loc"][:1] == ("body",) for error in raw)
    ):
        return problem_response(
            request, 415, f"Send the body as application/json, not {content_type}."
        )
    errors = [{"loc": _location(error["loc"]), "msg": _message(error)} for error in raw]
    names = ", ".join(
        sorted({".".join(str(part) for part in error["loc"][1:]) or "body" for error in errors})
    )
    detail = f"Invalid input: {names}." if names else "Invalid input."
    return problem_response(request, 422, detail, errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"No resource at {request.url.path}."
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


async def _on_database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if is_statement_timeout(exc):
        # Not a passing outage: the same request would time out again, so no Retry-After.
        logger.warning("statement timeout on %s %s", request.method, request.url.path)
        return problem_response(
            request,
            503,
            "The query ran longer than this server allows and was stopped: narrow it "
            "(a shorter date range, a country, fewer search terms) and ask again.",
        )
    if not exc.connection_invalidated and not isinstance(exc, OperationalError):
        return await _on_unexpected_error(request, exc)
    logger.warning("database unavailable: %s", type(exc.orig).__name__)
    return problem_response(
        request,
        503,
        "The database is not answering; try again shortly.",
        headers={"Retry-After": "5"},
    )


async def _on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    # Starlette answers this one outside the middleware stack: add the request id here.
    request_id = getattr(request.state, "request_id", None)
    return problem_response(
        request,
        500,
        "An unexpected error occurred; it has been logged.",
        headers={"X-Request-ID": request_id} if request_id else None,
    )


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""
    app.add_exception_handler(DyadError, _on_dyad_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(DBAPIError, _on_database_unavailable)
    app.add_exception_handler(Exception, _on_unexpected_error)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for the problems a route can answer."""
    return {
        status: {
            "model": ProblemDetails,
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_JSON: {}},
        }
        for status in statuses
    }
