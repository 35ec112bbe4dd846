"""Every read endpoint of the API, timed at one connection against `dyad serve`.

Generates and loads N events as bench/run.py does (reusing bench/data/n<N>/ when an earlier run
left it), serves the SQLite database, then sends each GET of the OpenAPI document, with its
defaults and with the typical filters (`country=AZE`, `dyad=AZE-IRN`), one request at a time:
a few to warm up, then `--requests` timed ones. Also times the requests of the timeline page's
first load (`/?dyad=AZE-IRN`), in the order the page makes them. Writes its own section of
bench/RESULTS.md.

Run with the project's virtualenv (`make bench-endpoints N=100000`), from the repository's root.
"""

import http.client
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402
import run  # noqa: E402

GOAL_MS = 100.0
PAGE_GOAL_MS = 1000.0
# GET /v1/keys needs an admin key; every other GET of the OpenAPI document is here.
ENDPOINTS = [
    "/v1/events",
    "/v1/events?country=AZE",
    "/v1/events?dyad=AZE-IRN",
    "/v1/events?country=AZE&include_total=true",
    "/v1/events?dyad=AZE-IRN&include_total=true",
    "/v1/events/{event}",
    "/v1/events/{event}/citation",
    "/v1/events/{event}/revisions",
    "/v1/event-types",
    "/v1/countries",
    "/v1/tags",
    "/v1/timeline",
    "/v1/timeline?country=AZE",
    "/v1/timeline?dyad=AZE-IRN",
    "/v1/relations?country=AZE",
    "/v1/relations/AZE-IRN",
    "/v1/actors",
    "/v1/actors?country=AZE",
    "/v1/actors/{actor}",
    "/v1/sources",
    "/v1/sources/{source}",
    "/v1/changes",
    "/healthz",
    "/readyz",
    "/metrics",
]
# What the page asks for on its first load of /?dyad=AZE-IRN (app/web/index.html, then
# app/web/static/app.js: start, then load), step by step; a browser makes each step's requests
# at once. There is no Chromium to time it in here: its requests, one after another, stand in.
PAGE_STEPS = [
    ["/?dyad=AZE-IRN"],
    ["/static/app.css", "/static/app.js", "/static/favicon.svg"],
    ["/static/api.js", "/static/chart.js", "/static/events.js", "/static/format.js"],
    ["/v1/countries", "/v1/event-types"],
    [
        "/v1/timeline?dyad=AZE-IRN&bucket=year",
        "/v1/events?dyad=AZE-IRN&limit=50&include_total=true",
    ],
]


class Client:
    """One kept-alive HTTP connection."""

    def __init__(self, port: int) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def get(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path)
        response = self.connection.getresponse()
        return response.status, response.read()

    def json(self, path: str) -> Any:
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {body[:200]!r}")
        return orjson.loads(body)


def time_path(client: Client, path: str, requests: int, warmup: int = 3) -> dict[str, Any]:
    """p50 and p99 of `requests` sequential GETs of `path`, in milliseconds."""
    for _ in range(warmup):
        client.get(path)
    samples = []
    status = 0
    for _ in range(requests):
        started = time.perf_counter()
        status, _body = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p99 = samples[min(len(samples) - 1, round(0.99 * (len(samples) - 1)))]
    return {"path": path, "status": status, "p50": statistics.median(samples), "p99": p99}


def page_load(client: Client) -> float:
    """Milliseconds of the page's first load, its steps one after another (the slowest request
    of a step counting for the step: the browser makes them at once)."""
    total = 0.0
    for step in PAGE_STEPS:
        slowest = 0.0
        for path in step:
            started = time.perf_counter()
            status, _body = client.get(path)
            slowest = max(slowest, (time.perf_counter() - started) * 1000)
            if status != 200:
                raise RuntimeError(f"GET {path}: {status}")
        total += slowest
    return total


def ids(client: Client) -> dict[str, str]:
    """An event, an actor and a source to ask for: one of AZE-IRN's events, the first of the
    actors' and the sources' lists."""
    return {
        "event": client.json("/v1/events?dyad=AZE-IRN&limit=1")["items"][0]["id"],
        "actor": client.json("/v1/actors?limit=1")["items"][0]["id"],
        "source": client.json("/v1/sources?limit=1")["items"][0]["id"],
    }


def report(results: dict[str, Any], path: Path) -> None:
    earlier = results.get("before") or {}
    lines = [
        "",
        f"Made by `make bench-endpoints` (bench/endpoints.py) on {results['date']}: "
        f"{results['n']:,} events on SQLite, `dyad serve` with its defaults, "
        f"{results['requests']} requests one after another "
        "on one kept-alive connection after 3 to warm up. Goal: p50 under "
        f"{GOAL_MS:.0f} ms at 1,000,000 events. The machine's load average at the end: "
        f"{results['load']} on {os.cpu_count()} cores (other work on it shows in p99).",
        "",
    ]
    header = "| GET | p50 ms | p99 ms |"
    if earlier:
        header += f" p50 ms before ({earlier['label']}) | p99 ms before |"
    lines += [header, "| --- | ---: | ---: |" + (" ---: | ---: |" if earlier else "")]
    before = {row["name"]: row for row in earlier.get("rows", [])}
    for row in results["rows"]:
        cells = f"| `{row['name']}` | {row['p50']:.1f} | {row['p99']:.1f} |"
        if earlier:
            old = before.get(row["name"])
            cells += f" {old['p50']:.1f} | {old['p99']:.1f} |" if old else " | |"
        lines.append(cells)
    page = f"{results['page_ms']:.0f} ms"
    if earlier.get("page_ms") and earlier.get("page_steps") == PAGE_STEPS:
        page += f" (before: {earlier['page_ms']:.0f} ms)"
    lines += [
        "",
        "The timeline page's first load of `/?dyad=AZE-IRN`: its requests in the page's order "
        f"(the page, its scripts, the vocabularies, the timeline and the first page of events), "
        f"the slowest of each step that a browser makes at once counted, median of 5: {page}.",
    ]
    run.replace_section(path, run.ENDPOINTS_HEADING, lines)


def main(
    n: Annotated[int, typer.Option(help="How many events.")] = 100_000,
    requests: Annotated[int, typer.Option(help="Timed requests per endpoint.")] = 50,
    seed: Annotated[int, typer.Option(help="Seed of the generator.")] = 7,
    before: Annotated[
        Path | None, typer.Option(help="An earlier run's JSON, shown beside this one.")
    ] = None,
    label: Annotated[str, typer.Option(help="What this run measures (for --before).")] = "",
    results_file: Annotated[Path, typer.Option("--results", help="Where to write.")] = (
        HERE / "RESULTS.md"
    ),
) -> None:
    """Time every read endpoint of `dyad serve` on N events; write a section of RESULTS.md."""
    data = HERE / "data" / f"n{n}"
    sqlite_file = data / "dyad.db"
    url = f"sqlite:///{sqlite_file}"
    if not (data / "meta.json").exists():
        run.say(f"generating {n:,} events")
        generate.write(n, data, seed)
    if not sqlite_file.exists():
        run.say("loading Dyad on SQLite: dyad import")
        run.load_dyad(url, data)
    subprocess.run([str(run.BIN / "dyad"), "migrate"], env=run.dyad_env(url), check=True)
    port = run.free_port()
    command = [str(run.BIN / "dyad"), "serve", "--port", str(port)]
    log = data / "endpoints-server.log"
    with run.Server("dyad", command, run.dyad_env(url), port, log):
        client = Client(port)
        names = ids(client)
        rows = []
        for template in ENDPOINTS:
            path = template.format(**{k: urllib.parse.quote(v) for k, v in names.items()})
            row = time_path(client, path, requests) | {"name": template}
            run.say(f"{template}: p50 {row['p50']:.1f} ms, p99 {row['p99']:.1f} ms")
            rows.append(row)
        page_ms = statistics.median(page_load(client) for _ in range(5))
    results = {
        "n": n,
        "requests": requests,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rows": rows,
        "page_ms": page_ms,
        "page_steps": PAGE_STEPS,
        "load": f"{os.getloadavg()[0]:.1f}",
        "label": label or "this run",
    }
    (data / "endpoints.json").write_text(json.dumps(results, indent=2))
    if before is not None:
        results["before"] = json.loads(before.read_text())
    report(results, results_file)
    run.say(f"written {results_file}")


if __name__ == "__main__":
    typer.run(main)
