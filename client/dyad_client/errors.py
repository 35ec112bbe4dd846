"""The errors the client raises: one class per kind of problem+json answer, and network ones."""

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import httpx


class DyadError(Exception):
    """Base of every error this client raises."""


class NetworkError(DyadError):
    """The server could not be reached, or did not answer in time."""


class ApiError(DyadError):
    """An error answer of the API, read from its RFC 9457 problem+json body."""

    def __init__(self, response: httpx.Response) -> None:
        body = _problem(response)
        self.response = response
        self.status: int = response.status_code
        self.title: str = str(body.get("title") or _phrase(self.status))
        self.detail: str = str(body.get("detail") or "")
        self.type: str = str(body.get("type") or "about:blank")
        self.instance: str | None = body.get("instance")
        # Validation errors ({"loc", "msg"}) or, for imports, bad lines ({"line", "id", "problem"}).
        self.errors: list[dict[str, Any]] = list(body.get("errors") or [])
        self.body: dict[str, Any] = body
        self.request_id: str | None = response.headers.get("X-Request-ID")
        super().__init__(self._message())

    def _message(self) -> str:
        lines = [f"{self.status} {self.title}" + (f": {self.detail}" if self.detail else "")]
        for error in self.errors:
            if "loc" in error:
                where = ".".join(str(part) for part in error["loc"])
                lines.append(f"  {where}: {error.get('msg', '')}")
            else:
                lines.append(f"  line {error.get('line')}: {error.get('problem', error)}")
        return "\n".join(lines)


class BadRequest(ApiError):
    """400: a malformed request, such as a cursor this API did not make."""


class Unauthorized(ApiError):
    """401: no API key, or a wrong or revoked one."""


class Forbidden(ApiError):
    """403: the key lacks the scope this call needs."""


class NotFound(ApiError):
    """404: no such event, actor or source (or it was deleted)."""


class Conflict(ApiError):
    """409 (the id exists) or 412 (someone else wrote first; `current_version` says which)."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        version = self.body.get("current_version")
        etag = response.headers.get("ETag", "").strip('W/"')
        if version is None and etag.isdigit():
            version = int(etag)
        self.current_version: int | None = version


class InvalidInput(ApiError):
    """422: a value the API refuses; `errors` says which and why."""


class RateLimited(ApiError):
    """429 after the allowed retries; `retry_after` is the wait the server asked for."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self.retry_after: float | None = retry_after(response)


class Unavailable(ApiError):
    """503 after the allowed retries: the server or its database is down for now."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response)
        self.retry_after: float | None = retry_after(response)


class ServerError(ApiError):
    """Any other 5xx answer."""


_BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: Conflict,
    422: InvalidInput,
    429: RateLimited,
    503: Unavailable,
}


def error_for(response: httpx.Response) -> ApiError:
    """The exception for an error answer (its body must have been read)."""
    kind = _BY_STATUS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else ApiError
    return kind(response)


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds (it may be a number or an HTTP date), if any."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
        date = response.headers.get("Date")
        # Measured against the server's clock when it says the time: ours may be off.
        now = parsedate_to_datetime(date) if date else datetime.now(UTC)
        return max(0.0, (moment - now).total_seconds())
    except (TypeError, ValueError):
        return None


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        return body
    # Not problem+json (a proxy's HTML page, say): keep a short excerpt as the detail.
    return {"detail": response.text[:300].strip()}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
