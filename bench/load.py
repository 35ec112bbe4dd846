"""Many clients reading and editing at once against `dyad serve --workers N` on PostgreSQL,
for a bounded time on 127.0.0.1: no answer may be a 5xx, and every write the server accepted
must be in the revisions afterwards.

    .venv/bin/python bench/load.py --clients 16 --duration 60 --workers 2

Exits 1 if any 5xx was seen or any accepted write is missing; writes bench/LOAD.md.
"""

import os
import platform
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import httpx
import psycopg
import typer

ROOT = Path(__file__).resolve().parents[1]
DYAD = str(Path(sys.executable).with_name("dyad"))
SERVER = "postgresql://postgres@127.0.0.1:5432"
DATABASE = "dyad_load"
PAIRS = [["AZE", "IRN"], ["ARM", "AZE"], ["RUS", "UKR"], ["AZE", "TUR"]]


@dataclass
class Tally:
    """What every client saw; one lock, since clients are threads."""

    statuses: Counter[str] = field(default_factory=Counter)
    accepted: list[tuple[str, int]] = field(default_factory=list)  # (event id, version)
    # Events any client may edit, so that editors race on the same ones (412s expected).
    known: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, response: httpx.Response) -> None:
        with self.lock:
            self.statuses[f"{kind} {response.status_code}"] += 1
            if kind in ("create", "patch") and response.status_code in (200, 201):
                body = response.json()
                self.accepted.append((body["id"], body["version"]))
                if kind == "create":
                    self.known.append(body["id"])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _fresh_database() -> str:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.execute(f"CREATE DATABASE {DATABASE}")
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{DATABASE}"


def _client(base_url: str, key: str, seed: int, deadline: float, tally: Tally) -> None:
    """One editor: mostly reads, some creates, some merge-patches with If-Match."""
    rng = random.Random(seed)
    writer = {"Authorization": f"Bearer {key}"}
    known = tally.known
    with httpx.Client(base_url=base_url, timeout=30) as api:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            roll = rng.random()
            try:
                if roll < 0.15 or not known:
                    event = {
                        "title": f"Load event {seed}-{n}",
                        "date": f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}",
                        "countries": rng.choice(PAIRS),
                        "type": rng.choice(["consult", "accuse", "agree", "protest"]),
                        "tone": rng.randint(-10, 10),
                    }
                    tally.record("create", api.post("/v1/events", json=event, headers=writer))
                elif roll < 0.30:
                    event_id = rng.choice(known[-20:])  # the newest: where editors collide
                    current = api.get(f"/v1/events/{event_id}")
                    tally.record("read-one", current)
                    response = api.patch(
                        f"/v1/events/{event_id}",
                        json={"tone": rng.randint(-10, 10)},
                        headers=writer | {"If-Match": current.headers.get("etag", '"1"')},
                    )
                    tally.record("patch", response)  # a 412 is a fair answer to a race
                elif roll < 0.70:
                    pair = "-".join(rng.choice(PAIRS))
                    tally.record("list", api.get("/v1/events", params={"dyad": pair}))
                elif roll < 0.85:
                    params = {"dyad": "-".join(rng.choice(PAIRS)), "bucket": "year"}
                    tally.record("timeline", api.get("/v1/timeline", params=params))
                else:
                    tally.record("changes", api.get("/v1/changes", params={"limit": 50}))
            except httpx.HTTPError as error:
                with tally.lock:
                    tally.errors[type(error).__name__] += 1


def _missing_writes(accepted: list[tuple[str, int]]) -> list[tuple[str, int]]:
    with psycopg.connect(f"{SERVER}/{DATABASE}") as connection:
        stored = set(connection.execute("SELECT event_id, version FROM revision").fetchall())
    return [write for write in accepted if write not in stored]


def main(
    clients: Annotated[int, typer.Option(help="Concurrent editors.")] = 16,
    duration: Annotated[float, typer.Option(help="Seconds of load.")] = 60.0,
    workers: Annotated[int, typer.Option(help="dyad serve worker processes.")] = 2,
    output: Annotated[Path, typer.Option(help="Where to write the report.")] = ROOT
    / "bench"
    / "LOAD.md",
) -> None:
    url = _fresh_database()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DYAD_")}
    env |= {"DYAD_DATABASE_URL": url, "DYAD_RATE_LIMIT": "off", "DYAD_LOG_LEVEL": "warning"}
    subprocess.run([DYAD, "seed"], env=env, check=True, capture_output=True)
    made = subprocess.run(
        [DYAD, "keys", "create", "--name", "load", "--scope", "write"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    port = _free_port()
    server = subprocess.Popen(
        [DYAD, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        tally = Tally()
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=_client, args=(base_url, key, seed, deadline, tally))
            for seed in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)

    missing = _missing_writes(tally.accepted)
    total = sum(tally.statuses.values())
    server_errors = sum(n for kind, n in tally.statuses.items() if kind.split()[1][0] == "5")
    lines = [
        "# Load with writes",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores; "
        f"PostgreSQL, `dyad serve --workers {workers}`, {clients} clients for {duration:.0f} s "
        "on 127.0.0.1 (`bench/load.py`).",
        "",
        f"- requests: {total} in {elapsed:.1f} s = **{total / elapsed:.0f} requests/s**",
        f"- 5xx answers: **{server_errors}**; transport errors: {sum(tally.errors.values())}",
        f"- accepted writes: {len(tally.accepted)}; missing from the revisions: **{len(missing)}**",
        "",
        "| request | status | count |",
        "| --- | --- | --- |",
        *[
            f"| {kind.split()[0]} | {kind.split()[1]} | {count} |"
            for kind, count in sorted(tally.statuses.items())
        ],
        "",
    ]
    report = "\n".join(lines)
    output.write_text(report, "utf-8")
    print(report)
    if server_errors or missing or tally.errors:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
