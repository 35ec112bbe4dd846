"""GET /metrics: request counts and durations by route template, added up across workers."""

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi.testclient import TestClient
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from app.core.exchange import ExchangeMiddleware
from app.main import create_app
from tests.e2e.test_serve import _environment, _stop, start_server
from tests.factories import make_event

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
FAMILY = "dyad_http_requests"  # the counter's name, without the _total of its sample
REQUESTS = f"{FAMILY}_total"
DURATION = "dyad_http_request_duration_seconds"
EVENT_ROUTE = "/v1/events/{event_id}"


def _parse(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _scrape(client: TestClient | httpx.Client) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200
    return _parse(response.text)


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_requests_are_counted_by_route_template_and_status(client, session):
    event = make_event(session, id="metrics-counted-event")
    before = _scrape(client)
    assert client.get(f"/v1/events/{event.id}").status_code == 200
    assert client.get("/v1/events/metrics-no-such-event").status_code == 404
    assert client.get("/v1/events/metrics-no-such-event").status_code == 404
    assert client.get("/v1/events", params={"limit": "many"}).status_code == 422
    assert client.get("/v1/events", params={"format": "csv"}).status_code == 200
    assert client.get("/metrics-no-such-path/42").status_code == 404
    assert client.request("BREW", f"/v1/events/{event.id}").status_code == 405
    assert client.get("/docs/assets/docs.js").status_code == 200
    response = client.get("/metrics")
    after = _parse(response.text)

    def grew(method: str, route: str, status: str) -> float:
        labels = {"method": method, "route": route, "status": status}
        return _value(after, REQUESTS, **labels) - _value(before, REQUESTS, **labels)

    assert grew("GET", EVENT_ROUTE, "200") == 1
    assert grew("GET", EVENT_ROUTE, "404") == 2
    assert grew("GET", "/v1/events", "422") == 1
    assert grew("GET", "/v1/events", "200") == 1  # the streamed CSV export
    assert grew("GET", "unmatched", "404") == 1
    assert grew("other", EVENT_ROUTE, "405") == 1  # invented methods share one label
    assert grew("GET", "/docs/assets/{path}", "200") == 1  # static files by their mount
    # Raw paths never become labels: ids would grow the set without bound.
    for raw in (event.id, "metrics-no-such-event", "metrics-no-such-path", "BREW", "docs.js"):
        assert raw not in response.text


def test_the_duration_histogram_counts_every_request_in_its_buckets(client):
    labels = {"method": "GET", "route": "/healthz"}
    before = _scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    after = _scrape(client)

    count = _value(after, f"{DURATION}_count", **labels)
    assert count - _value(before, f"{DURATION}_count", **labels) == 3
    assert _value(after, f"{DURATION}_sum", **labels) > _value(before, f"{DURATION}_sum", **labels)
    assert _value(after, f"{DURATION}_bucket", **labels, le="+Inf") == count
    # Buckets from a millisecond up: an API's reads are mostly fast.
    assert _value(after, f"{DURATION}_bucket", **labels, le="0.001") <= count
    assert _value(after, f"{DURATION}_bucket", **labels, le="30.0") == count


def test_metrics_is_uncached_prometheus_text_with_the_process_metrics(client):
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    families = {
        family.name: family.type for family in text_string_to_metric_families(response.text)
    }
    assert families[FAMILY] == "counter"
    assert families[DURATION] == "histogram"
    assert "process_resident_memory_bytes" in families  # one process: its own metrics too


def test_metrics_needs_no_key_even_when_reads_do(settings, engine, sessions):
    # Scrapers inside the network ask without a key; the text holds no data and no ids.
    private = settings.model_copy(update={"public_read": False})
    with TestClient(create_app(private, engine, sessions)) as client:
        assert client.get("/v1/events").status_code == 401
        assert client.get("/metrics").status_code == 200


def test_metrics_is_described_in_the_schema_as_text(client):
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    assert operation["summary"]
    assert "text/plain" in operation["responses"]["200"]["content"]
    assert "security" not in operation


def test_a_streamed_answer_is_timed_until_its_last_byte(client):
    pause = 0.2

    async def slow_chunks() -> AsyncIterator[bytes]:
        for chunk in (b"a,b\n", b"1,2\n"):
            yield chunk
            await asyncio.sleep(pause)

    async def stream(request: Request) -> StreamingResponse:
        return StreamingResponse(slow_chunks(), media_type="text/csv")

    route = "/metrics-test/slow-stream"
    labels = {"method": "GET", "route": route}
    before = _scrape(client)  # the same process, so the same counters
    with TestClient(ExchangeMiddleware(Starlette(routes=[Route(route, stream)]))) as streamed:
        assert streamed.get(route).text == "a,b\n1,2\n"
    after = _scrape(client)

    def grew(name: str) -> float:
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert grew(f"{DURATION}_count") == 1
    assert grew(f"{DURATION}_sum") >= 2 * pause  # not just until the first byte


# A real `dyad serve --workers 2`: whichever worker answers /metrics, it tells the total.


def _event_requests_by_worker(metrics_dir: Path) -> list[float]:
    """What each worker's own file holds for the event route (one counter file per process)."""
    counts = []
    for path in sorted(metrics_dir.glob("counter_*.db")):
        merged = MultiProcessCollector.merge([str(path)])  # type: ignore[no-untyped-call]
        # A worker's file may not hold the family yet: it has counted none of those requests.
        samples = [s for metric in merged if metric.name == FAMILY for s in metric.samples]
        counts.append(sum(s.value for s in samples if s.labels["route"] == EVENT_ROUTE))
    return counts


def test_every_worker_answers_metrics_with_the_total_of_all_workers(fresh_database_url, tmp_path):
    temporary = tmp_path / "tmp"  # where `dyad serve` makes its metrics directory
    temporary.mkdir()
    env = _environment(fresh_database_url, TMPDIR=str(temporary))
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    server = start_server(env, tmp_path, workers=2)
    try:
        [metrics_dir] = temporary.glob("dyad-metrics-*")
        sent = 0
        # New connections until both workers have answered some: each then holds only a part.
        while sum(1 for count in _event_requests_by_worker(metrics_dir) if count) < 2:
            assert sent < 400, f"one worker answered all {sent} requests"
            for _ in range(10):
                response = httpx.get(f"{server.base_url}/v1/events/missing-{sent}", timeout=10)
                assert response.status_code == 404
                sent += 1
        # A worker counts a request just after sending its answer: wait for the last counts.
        deadline = time.monotonic() + 10
        while sum(_event_requests_by_worker(metrics_dir)) < sent:
            assert time.monotonic() < deadline, _event_requests_by_worker(metrics_dir)
            time.sleep(0.05)
        assert sum(_event_requests_by_worker(metrics_dir)) == sent

        for _ in range(10):  # each on a new connection, so to either worker
            with httpx.Client(base_url=server.base_url, timeout=10) as scraper:
                samples = _scrape(scraper)
            labels = {"method": "GET", "route": EVENT_ROUTE, "status": "404"}
            assert _value(samples, REQUESTS, **labels) == sent
            assert _value(samples, f"{DURATION}_count", method="GET", route=EVENT_ROUTE) == sent
    finally:
        _stop(server.process)
    assert not metrics_dir.exists()  # removed at exit: the next start begins at zero
