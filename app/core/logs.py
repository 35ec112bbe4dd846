"""Logs: one plain line per record on a terminal, JSON lines (each with the id of the request
it belongs to) for machines.

Nothing here logs headers or bodies, so keys and their secrets never reach a log.
"""

import logging
from contextvars import ContextVar
from typing import Any, TextIO

# The request being served, set by the exchange middleware (app.core.exchange).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record logged while a request is served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        # uvicorn's copy of the message with terminal colour codes: noise in a log file.
        record.__dict__.pop("color_message", None)
        return True


def wants_json(log_format: str, stream: TextIO) -> bool:
    """JSON lines when asked, or by default when the logs go to a file or a pipe."""
    if log_format == "auto":
        return not stream.isatty()
    return log_format == "json"


def config(level: str, *, json_lines: bool = True) -> dict[str, Any]:
    """A logging.config dictionary for Dyad and uvicorn, on standard error: JSON lines, or
    plain lines for a person at a terminal (`GET /v1/events 200 3.1 ms`)."""
    handler = {
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stderr",
        "formatter": "json" if json_lines else "plain",
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
            },
            "plain": {"format": "%(asctime)s %(levelname)s %(message)s", "datefmt": "%H:%M:%S"},
        },
        "handlers": {"default": handler},
        "loggers": {
            "dyad": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            "uvicorn": {"handlers": ["default"], "level": level.upper(), "propagate": False},
            # Dyad writes its own access log, with the request id and the time taken.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
