"""`dyad serve` as a real process: it migrates, serves the seed over HTTP and stops on SIGTERM."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

DYAD = str(Path(sys.executable).with_name("dyad"))
STARTUP_SECONDS = 30
SHUTDOWN_SECONDS = 15

# The seeded events between Iran and Azerbaijan in 2012-2013, in the documented order:
# date_lower, then finer precision first, then id.
IRN_AZE_2012_2013 = [
    "2012-08-aliyev-declines-nam-summit",
    "2013-aliyev-calls-attack-on-iran-catastrophe",
    "2013-khamenei-orders-release-of-azerbaijani-poets",
    "2013-media-reduce-hostile-stories",
    "2013-snsc-bans-sahar-2-anti-azerbaijani-programs",
    "2013-03-perry-israel-airbases-claim",
    "2013-03-perry-israel-airbases-denial",
    "2013-03-30-baku-conference-southern-azerbaijan",
    "2013-04-sanai-calls-baku-conference-unacceptable",
    "2013-04-tehran-calls-baku-conference-interference",
]
PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base_url: str
    stderr_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(database_url: str, **settings: str) -> dict[str, str]:
    """The parent's environment without its DYAD_* settings, plus the given ones."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
    env["DYAD_DATABASE_URL"] = database_url
    env.update(settings)
    return env


def _stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then wait; kill if it hangs so no process outlives the test."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise


def _new_key(server: Server, cwd: Path, name: str, scope: str) -> str:
    """A new key made with `dyad keys create` against the server's database."""
    made = subprocess.run(
        [DYAD, "keys", "create", "--name", name, "--scope", scope],
        env=server.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def _wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"dyad serve exited with {server.process.returncode}:\n{server.stderr()}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # bounded polling
    pytest.fail(f"no answer on /healthz within {STARTUP_SECONDS} s:\n{server.stderr()}")


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[Server]:
    env = _environment(fresh_database_url)
    seeded = subprocess.run(
        [DYAD, "seed"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    assert "created" in seeded.stderr

    running = start_server(env, tmp_path)
    try:
        yield running
    finally:
        _stop(running.process)


def start_server(env: dict[str, str], cwd: Path, workers: int | None = 1) -> Server:
    """`dyad serve` on a free port with `env`, answering /healthz; stopped if it never does.
    `workers` None: serve's default."""
    port = _free_port()
    stderr_path = cwd / f"serve-{port}.stderr"
    command = [DYAD, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    running = Server(process, f"http://127.0.0.1:{port}", stderr_path, env)
    try:
        _wait_until_healthy(running)
    except BaseException:
        _stop(process)
        raise
    return running


def test_served_dyad_lists_the_seeded_events_in_date_order_with_citations(server):
    response = httpx.get(
        f"{server.base_url}/v1/events",
        params={"dyad": "IRN-AZE", "from": "2012", "to": "2013"},
        timeout=10,
    )
    assert response.status_code == 200
    body = response.json()
    items = body["items"]
    assert [item["id"] for item in items] == IRN_AZE_2012_2013
    assert body["next_cursor"] is None

    keys = [
        (item["date_lower"], PRECISION_RANK[item["date_precision"]], item["id"]) for item in items
    ]
    assert keys == sorted(keys)
    for item in items:
        assert {"AZE", "IRN"} <= set(item["countries"])
        assert item["citations"], item["id"]
        assert item["citations"][0]["source"]["id"] == "neo-2013-06-21-pivin-iran-azerbaijan"
        assert item["citations"][0]["quote"]

    first = items[0]
    assert (first["date"], first["date_lower"], first["date_upper"]) == (
        "2012-08",
        "2012-08-01",
        "2012-08-31",
    )
    claim = next(item for item in items if item["id"] == "2013-03-perry-israel-airbases-claim")
    assert claim["status"] == "disputed"
    assert claim["linked_from"] == [
        {"event_id": "2013-03-perry-israel-airbases-denial", "relation": "denies"}
    ]


def test_served_dyad_is_ready_and_echoes_the_request_id(server):
    response = httpx.get(
        f"{server.base_url}/readyz", headers={"X-Request-ID": "e2e-check-42"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}
    assert response.headers["X-Request-ID"] == "e2e-check-42"

    generated = httpx.get(f"{server.base_url}/healthz", timeout=10)
    assert generated.json() == {"status": "ok"}
    assert generated.headers["X-Request-ID"]


def test_served_openapi_describes_the_events_list(server):
    response = httpx.get(f"{server.base_url}/openapi.json", timeout=10)
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "get" in paths["/v1/events"]
    assert "/v1/events/{event_id}" in paths


def test_served_dyad_shuts_down_gracefully_on_sigterm(server):
    server.process.send_signal(signal.SIGTERM)
    # uvicorn finishes its shutdown, then re-raises the signal it caught: -SIGTERM, not 0.
    assert server.process.wait(timeout=SHUTDOWN_SECONDS) in (0, -signal.SIGTERM)
    log = server.stderr()
    assert "Application shutdown complete" in log
    assert "Finished server process" in log
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.base_url}/healthz", timeout=2)


def test_serve_with_a_bad_setting_exits_at_once_with_one_line_naming_it(
    fresh_database_url, tmp_path
):
    result = subprocess.run(
        [DYAD, "serve", "--port", str(_free_port())],
        env=_environment(fresh_database_url, DYAD_LOG_LEVEL="loud"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DYAD_LOG_LEVEL" in lines[0]
    assert result.stdout == ""


def _log_lines(server: Server) -> list[dict[str, object]]:
    """Every line the server wrote to stderr, each of which must be a JSON object."""
    return [json.loads(line) for line in server.stderr().splitlines() if line.strip()]


def test_served_dyad_logs_json_lines_with_request_ids_and_no_secrets(server, tmp_path):
    key = _new_key(server, tmp_path, "logged", "write")
    secret = key.split("_", 2)[2]
    keyed = httpx.get(
        f"{server.base_url}/v1/events",
        headers={"Authorization": f"Bearer {key}", "X-Request-ID": "log-check-1"},
        timeout=10,
    )
    assert keyed.status_code == 200
    wrong = httpx.post(
        f"{server.base_url}/v1/events",
        headers={"Authorization": f"Bearer {key}x"},
        json={},
        timeout=10,
    )
    assert wrong.status_code == 401
    missing = httpx.get(f"{server.base_url}/v1/events/no-such-event", timeout=10)
    assert missing.status_code == 404
    _stop(server.process)

    lines = _log_lines(server)
    access = {line["request_id"]: line for line in lines if line["logger"] == "dyad.access"}
    assert access["log-check-1"]["status"] == 200
    assert access["log-check-1"]["path"] == "/v1/events"
    assert access["log-check-1"]["client"] == "key:" + key.split("_")[1]
    assert access[wrong.headers["X-Request-ID"]]["status"] == 401
    assert access[missing.headers["X-Request-ID"]]["status"] == 404
    assert all(isinstance(line["duration_ms"], float) for line in access.values())
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    assert secret not in server.stderr()


def test_many_concurrent_reads_with_a_new_key_all_succeed(server, tmp_path):
    # Each one records the key's first use: a request must never hold two connections
    # while doing so, or 40 at once would drain the pool of 15 and time out.
    headers = {"Authorization": f"Bearer {_new_key(server, tmp_path, 'crowd', 'read')}"}

    clients = [httpx.Client(base_url=server.base_url, timeout=20) for _ in range(40)]
    for client in clients:  # connected beforehand, so that the reads start together
        client.get("/healthz")
    start = threading.Barrier(len(clients))

    def read(client: httpx.Client) -> int:
        start.wait()
        return client.get("/v1/countries", headers=headers).status_code

    try:
        with ThreadPoolExecutor(max_workers=len(clients)) as pool:
            assert list(pool.map(read, clients)) == [200] * len(clients)
    finally:
        for client in clients:
            client.close()


def _workers_started(server: Server, count: int) -> set[int]:
    """The process ids of the workers serving, once `count` of them have started."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        started = {
            int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", server.stderr())
        }
        alive = {pid for pid in started if Path(f"/proc/{pid}").exists()}
        if len(alive) >= count and server.stderr().count("Application startup complete") >= count:
            return alive
        time.sleep(0.1)  # bounded polling
    pytest.fail(f"fewer than {count} workers started:\n{server.stderr()}")


def test_serve_starts_one_worker_per_core_by_default_all_answering(fresh_database_url, tmp_path):
    cores = len(os.sched_getaffinity(0))
    running = start_server(_environment(fresh_database_url), tmp_path, workers=None)
    try:
        assert len(_workers_started(running, cores)) == cores
        plural = "es" if cores > 1 else ""
        assert f"serving with {cores} worker process{plural}" in running.stderr()
        if cores > 1:  # the start-up line says the limits are per process, and how to share
            assert "counted in each worker's memory" in running.stderr()
        with ThreadPoolExecutor(max_workers=8) as pool:
            urls = [f"{running.base_url}/v1/event-types"] * 32
            assert {r.status_code for r in pool.map(httpx.get, urls)} == {200}
    finally:
        _stop(running.process)


def test_rate_limits_through_redis_are_one_budget_for_every_worker(fresh_database_url, tmp_path):
    env = _environment(
        fresh_database_url, DYAD_REDIS_URL="redis://127.0.0.1:6379/0", DYAD_RATE_LIMIT="4/minute"
    )
    running = start_server(env, tmp_path, workers=2)
    try:
        _workers_started(running, 2)
        assert "rate limit 4/minute, shared through Redis" in running.stderr()
        # A new key: a budget no other test spends.
        headers = {"Authorization": f"Bearer {_new_key(running, tmp_path, 'limited', 'read')}"}
        # A new connection each: the kernel hands them to either worker.
        codes = [
            httpx.get(f"{running.base_url}/v1/event-types", headers=headers).status_code
            for _ in range(8)
        ]
        assert codes == [200] * 4 + [429] * 4
    finally:
        _stop(running.process)


# What only the command line needs: a server that kept them would hold them in every process.
COMMAND_LINE_ONLY = ("typer", "rich", "alembic", "httpx")


def _children(pid: int) -> set[int]:
    return {
        int(child)
        for task in Path(f"/proc/{pid}/task").iterdir()
        for child in (task / "children").read_text().split()
    }


def test_serve_becomes_a_server_that_imports_nothing_of_the_command_line(
    fresh_database_url, tmp_path
):
    running = start_server(_environment(fresh_database_url), tmp_path, workers=2)
    try:
        workers = _workers_started(running, 2)
        # The same process, now the server program: what `dyad serve` imported is gone.
        arguments = Path(f"/proc/{running.process.pid}/cmdline").read_bytes().split(b"\0")
        assert arguments[1:4] == [b"-P", b"-m", b"app.server"]
        # Its children are the workers, forked from it, and nothing else (no
        # multiprocessing resource tracker).
        assert _children(running.process.pid) == workers
        for pid in workers:
            assert Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") == arguments
        assert httpx.get(f"{running.base_url}/v1/event-types").status_code == 200
    finally:
        _stop(running.process)
    assert "serving with 2 worker processes" in running.stderr()


@pytest.mark.parametrize(
    ("database_url", "driver"),
    [("sqlite:///unused.db", "sqlite3"), ("postgresql+psycopg://nobody@127.0.0.1:1/x", "psycopg")],
)
def test_the_server_imports_the_app_before_forking_but_makes_no_engine(database_url, driver):
    """What the workers share: the parent's imports, app.main's, uvicorn's and the database
    driver's, none of the command line's, and no app, engine or connection (none could be
    made to that PostgreSQL), which each worker makes its own."""
    preloaded = (
        "import gc, sys, uvicorn, sqlalchemy, fastapi;"
        "from app import server;"
        "server.preload(uvicorn.Config('app.main:create_app', factory=True, workers=2));"
        "made = [type(o).__name__ for o in gc.get_objects()"
        " if isinstance(o, (sqlalchemy.Engine, fastapi.FastAPI))];"
        f"print(sorted(set({COMMAND_LINE_ONLY!r}) & set(sys.modules)), made,"
        f" [m in sys.modules for m in ('app.main', 'uvloop', 'httptools', {driver!r})])"
    )
    done = subprocess.run(
        [sys.executable, "-P", "-c", preloaded],
        env=_environment(database_url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] [] [True, True, True, True]"


def test_a_killed_worker_is_replaced(fresh_database_url, tmp_path):
    running = start_server(_environment(fresh_database_url), tmp_path, workers=2)
    try:
        first = _workers_started(running, 2)
        killed = min(first)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + STARTUP_SECONDS
        while Path(f"/proc/{killed}").exists() and time.monotonic() < deadline:
            time.sleep(0.1)  # until the parent has collected it
        now = _workers_started(running, 2)
        assert killed not in now
        assert now == _children(running.process.pid)
        assert f"Child process [{killed}] died" in running.stderr()
        urls = [f"{running.base_url}/v1/event-types"] * 16
        with ThreadPoolExecutor(max_workers=4) as pool:
            assert {r.status_code for r in pool.map(httpx.get, urls)} == {200}
    finally:
        _stop(running.process)


def test_sigterm_stops_every_worker_and_removes_the_metrics_directory(fresh_database_url, tmp_path):
    running = start_server(_environment(fresh_database_url), tmp_path, workers=2)
    arguments = Path(f"/proc/{running.process.pid}/cmdline").read_bytes().split(b"\0")
    metrics_dir = Path(arguments[arguments.index(b"--remove-at-exit") + 1].decode())
    workers = _workers_started(running, 2)
    assert metrics_dir.is_dir()
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=SHUTDOWN_SECONDS) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    assert not metrics_dir.exists()
    log = running.stderr()
    assert log.count("Finished server process") == 2
    assert "Stopping parent process" in log


def test_sighup_replaces_every_worker_and_serving_goes_on(fresh_database_url, tmp_path):
    running = start_server(_environment(fresh_database_url), tmp_path, workers=2)
    try:
        old = _workers_started(running, 2)
        running.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and (
            any(Path(f"/proc/{pid}").exists() for pid in old)
            or running.stderr().count("Application startup complete") < 4
        ):
            time.sleep(0.1)  # bounded polling
        new = _children(running.process.pid)
        assert len(new) == 2 and not new & old, running.stderr()
        assert httpx.get(f"{running.base_url}/v1/event-types").status_code == 200
    finally:
        _stop(running.process)
