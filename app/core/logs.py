"""Logs as JSON lines, each with the id of the request it belongs to.

Nothing here logs headers or bodies, so keys and their secrets never reach a log.
"""

import logging
from contextvars import ContextVar
from typing import Any

# The request being served, set by the request id middleware.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def config(level: str) -> dict[str, Any]:
    """A logging.config dictionary for Dyad and uvicorn: JSON lines on standard error."""
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "json",
        "filters": ["request_id"],
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "json_ensure_ascii": False,
            }
        },
        "handlers": {"default": handler},
        "loggers": {
            "dyad": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            # Dyad writes its own access log, with the request id and the time taken.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
