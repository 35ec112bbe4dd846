"""The OpenAPI document, completed with what FastAPI cannot know from the routes alone: every
error is problem+json, the statuses any request can meet (a bad body, a rate limit, the
database away), and reads that need no key when DYAD_PUBLIC_READ is on."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.core.errors import PROBLEM_JSON

PROBLEM = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
REASONS = {
    400: "Bad Request: malformed JSON, cursor, header or Content-Length",
    401: "Unauthorized: no key, or a wrong or revoked one",
    413: "Content Too Large: the body is over the limit",
    415: "Unsupported Media Type",
    429: "Too Many Requests: see Retry-After",
    503: "Service Unavailable: the database is not answering, or a query ran too long",
}
METHODS = {"get", "put", "post", "patch", "delete"}
# Every GET is a read (public unless DYAD_PUBLIC_READ=false) except key management's.
ADMIN_PATHS = ("/v1/keys",)


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json (built once, on first request)."""

    def document() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
            )
            settings = app.state.settings
            _complete(
                schema, public_read=settings.public_read, rate_limited=bool(settings.rate_limit)
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]


def _complete(schema: dict[str, Any], *, public_read: bool, rate_limited: bool) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = {503} if path.startswith("/v1/") else set()
            if path.startswith("/v1/"):
                statuses |= {400} | ({429} if rate_limited else set())
            if "requestBody" in operation:
                statuses |= {400, 413, 415}
            if operation.get("security"):
                statuses.add(401)
                if public_read and method == "get" and not path.startswith(ADMIN_PATHS):
                    # {} is "no credentials": a key is welcome, not needed.
                    operation["security"] = [{}, *operation["security"]]
            for status in statuses:
                responses.setdefault(str(status), {"description": REASONS[status]})
            for status, response in responses.items():
                if status.isdigit() and int(status) >= 400:
                    response["content"] = PROBLEM
    components = schema.get("components", {}).get("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
