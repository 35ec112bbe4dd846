"""Faults a long-lived server meets: its PostgreSQL going away and coming back, and SIGTERM
arriving while a write is still being uploaded."""

import glob
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from app.core.db import create_db_engine
from tests.e2e.test_serve import (
    DYAD,
    SHUTDOWN_SECONDS,
    _environment,
    _free_port,
    _stop,
    start_server,
)

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))


def _write_key(env: dict[str, str], tmp_path: Path) -> str:
    made = subprocess.run(
        [DYAD, "keys", "create", "--name", "faults", "--scope", "write"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


# --- SIGTERM during a write --------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_lets_an_import_in_flight_finish_and_commit(fresh_database_url, tmp_path, workers):
    env = _environment(fresh_database_url, DYAD_RATE_LIMIT="off")
    key = _write_key(env, tmp_path)
    server = start_server(env, tmp_path, workers=workers)
    uploading, signalled = threading.Event(), threading.Event()
    rows = [f"late-{n},Event {n} of a slow upload,2015,AZE;IRN,consult\n" for n in range(50)]

    def slow_body() -> Iterator[bytes]:
        yield b"id,title,date,countries,type\n"
        yield rows[0].encode()
        uploading.set()
        signalled.wait(10)  # the rest is sent only after the server was told to stop
        time.sleep(0.5)
        for row in rows[1:]:
            yield row.encode()

    answers: list[httpx.Response] = []
    upload = threading.Thread(
        target=lambda: answers.append(
            httpx.post(
                f"{server.base_url}/v1/imports",
                content=slow_body(),
                headers={"Authorization": f"Bearer {key}", "Content-Type": "text/csv"},
                timeout=30,
            )
        )
    )
    try:
        upload.start()
        assert uploading.wait(10)
        time.sleep(0.3)  # the request has reached the app
        server.process.send_signal(signal.SIGTERM)
        signalled.set()
        upload.join(30)
        assert server.process.wait(timeout=SHUTDOWN_SECONDS) in (0, -signal.SIGTERM)
    finally:
        signalled.set()
        _stop(server.process)

    assert answers, server.stderr()
    assert answers[0].status_code == 200, answers[0].text
    assert answers[0].json()["created"] == 50
    engine = create_db_engine(fresh_database_url)
    try:
        with engine.connect() as connection:
            stored = connection.execute(
                text("SELECT count(*) FROM event WHERE id LIKE 'late-%'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert stored == 50


# --- PostgreSQL going away ---------------------------------------------------------------


class Cluster:
    """A PostgreSQL cluster of the test's own, in its own directory, on its own port."""

    def __init__(self, root: Path) -> None:
        self.bin = Path(PG_BIN[-1])
        self.data = root / "data"
        self.port = _free_port()
        self.root = root
        self.user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        subprocess.run([*self.user, *args], check=True, capture_output=True, timeout=60)

    def init(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.user:
            shutil.chown(self.root, "postgres")
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust")

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"


@pytest.fixture
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    if not os.environ.get("DYAD_TEST_DATABASE_URL", "").startswith("postgresql"):
        pytest.skip("PostgreSQL fault tests run in the PostgreSQL pass of the suite")
    if not PG_BIN:
        pytest.fail("PostgreSQL's server binaries (/usr/lib/postgresql/*/bin) are missing")
    # A short path: the socket directory must fit in 107 bytes.
    cluster = Cluster(Path("/tmp") / f"dyad-pg-{os.getpid()}-{_free_port()}")
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        subprocess.run(
            [*cluster.user, str(cluster.bin / "pg_ctl"), "-D", str(cluster.data), "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(cluster.root, ignore_errors=True)


def test_postgresql_stopped_and_started_gives_503s_then_service_without_restart(cluster, tmp_path):
    env = _environment(cluster.url, DYAD_RATE_LIMIT="off")
    seeded = subprocess.run(
        [DYAD, "seed"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert seeded.returncode == 0, seeded.stderr
    key = _write_key(env, tmp_path)
    writer = {"Authorization": f"Bearer {key}"}
    event = {"title": "Written while the database was down", "date": "2016", "type": "consult"}
    server = start_server(env, tmp_path)
    pid = server.process.pid
    client = httpx.Client(base_url=server.base_url, timeout=10)
    try:
        assert client.get("/v1/events", params={"dyad": "AZE-IRN"}).status_code == 200
        assert client.get("/readyz").json() == {"status": "ready"}

        cluster.stop()
        for path in ("/v1/events", "/v1/timeline", "/v1/events/2012-08-aliyev-declines-nam-summit"):
            down = client.get(path)
            assert down.status_code == 503, (path, down.text)
            assert down.headers["content-type"] == "application/problem+json"
            assert int(down.headers["retry-after"]) > 0
            assert down.json()["detail"] == "The database is not answering; try again shortly."
        refused = client.post(
            "/v1/events", json=event | {"countries": ["AZ", "IR"]}, headers=writer
        )
        assert refused.status_code == 503
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["status"] == 503
        assert client.get("/healthz").status_code == 200  # the process itself is fine

        cluster.start()
        # The pool replaces the connections the server ended: the first request may still meet
        # one while PostgreSQL finishes starting, so allow a few seconds, not a restart.
        deadline = time.monotonic() + 15
        while client.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, server.stderr()
            time.sleep(0.2)
        back = client.get("/v1/events", params={"dyad": "AZE-IRN", "limit": 3})
        assert back.status_code == 200
        assert len(back.json()["items"]) == 3
        written = client.post(
            "/v1/events", json=event | {"countries": ["AZ", "IR"]}, headers=writer
        )
        assert written.status_code == 201, written.text
        assert server.process.pid == pid and server.process.poll() is None
        assert "Traceback" not in server.stderr()
    finally:
        client.close()
        _stop(server.process)
