"""Prometheus metrics: a count and a duration histogram of the requests, served at /metrics.

Routes are labelled by their template (`/v1/events/{event_id}`), never by the raw path, so
ids cannot grow the label set; static files by their mount (`/static/{path}`). A request that
no route answered (an unknown path, or one that the rate limit, the body limit or the NUL
guard refused before routing) is `unmatched`.

With several worker processes (`dyad serve --workers N`), prometheus-client's multiprocess
mode adds up every worker's numbers: each worker writes its own files in
PROMETHEUS_MULTIPROC_DIR, and /metrics reads them all. The variable must be set before
prometheus_client is first imported, as `dyad serve` does. Per-process metrics (memory, CPU)
are then left out: they describe one worker, not the server.
"""

import os

from fastapi import APIRouter
from prometheus_client import (
    CONTENT_TYPE_PLAIN_0_0_4,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.responses import Response
from starlette.types import Scope

# The classic text format, what prometheus-client itself sends a scraper that does not
# negotiate (its CONTENT_TYPE_LATEST now names version 1.0.0, same text for our names).
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
UNMATCHED = "unmatched"
# Any other method string is the client's invention: one label for all, not one each.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# From a cached read (about a millisecond) to a whole export streamed (seconds).
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

REQUESTS = Counter(
    "dyad_http_requests_total",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "dyad_http_request_duration_seconds",
    "Time from a request's arrival to the last byte of its answer, by method and route.",
    ["method", "route"],
    buckets=BUCKETS,
)

# Chosen once, as prometheus_client chose how to store values when it was imported.
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ


def _registry() -> CollectorRegistry:
    if not MULTIPROCESS:
        return REGISTRY  # ours and the default process, platform and GC metrics
    registry = CollectorRegistry()
    MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # untyped upstream
    return registry


def route_of(scope: Scope, root_path: str) -> str:
    """The template of the route that answered, from what the router left in the scope."""
    if template := getattr(scope.get("route"), "path_format", None):
        return str(template)
    # A mount (the static files) sets no route, but adds its prefix to root_path.
    mounted = scope.get("root_path", "")[len(root_path) :]
    return f"{mounted}/{{path}}" if mounted else UNMATCHED


def observe(scope: Scope, root_path: str, status: int, seconds: float) -> None:
    """Count a request answered and its time, by method, route template and status."""
    method = scope["method"] if scope["method"] in METHODS else "other"
    route = route_of(scope, root_path)
    REQUESTS.labels(method, route, str(status)).inc()
    DURATION.labels(method, route).observe(seconds)


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    summary="Request counts and durations, as Prometheus text",
    response_class=Response,
    responses={
        200: {
            "description": "The Prometheus text exposition format, version 0.0.4.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
def metrics() -> Response:
    """Every worker's numbers added up. Public, like /healthz: no ids, keys or data."""
    return Response(
        generate_latest(_registry()),
        media_type=CONTENT_TYPE,
        headers={"Cache-Control": "no-store"},
    )
