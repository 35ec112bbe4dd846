"""The image's start command, run here as the image runs it: on an empty database it migrates,
loads the seed and serves; on a second start it keeps what is there. (No Docker engine is
needed: the command line is read from the Dockerfile.)"""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml

from tests.e2e.test_serve import Server, _environment, _free_port, _stop, _wait_until_healthy

ROOT = Path(__file__).resolve().parents[2]


def _image_command() -> list[str]:
    """The Dockerfile's CMD, in exec form."""
    match = re.search(r"^CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert match, "the Dockerfile has no CMD in exec form"
    command: list[str] = json.loads(match.group(1))
    return command


def _start(command: list[str], env: dict[str, str], cwd: Path) -> tuple[Server, int]:
    port = _free_port()
    line = command[-1].replace("--host 0.0.0.0", "--host 127.0.0.1")
    line = line.replace("--port 8000", f"--port {port}")
    stderr_path = cwd / f"start-{port}.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            [*command[:-1], line], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr
        )
    server = Server(process, f"http://127.0.0.1:{port}", stderr_path, env)
    try:
        _wait_until_healthy(server)
    except BaseException:
        _stop(process)
        raise
    return server, port


def test_the_image_migrates_seeds_an_empty_database_and_serves(fresh_database_url, tmp_path):
    command = _image_command()
    assert command[:2] == ["sh", "-c"]
    assert command[2].startswith("dyad migrate && dyad seed --if-empty && exec dyad serve ")
    env = _environment(fresh_database_url)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # this dyad

    server, _ = _start(command, env, tmp_path)
    try:
        page = httpx.get(f"{server.base_url}/v1/events", params={"dyad": "AZE-IRN", "limit": 3})
        assert page.status_code == 200
        assert [event["id"] for event in page.json()["items"]] == [
            "2012-08-aliyev-declines-nam-summit",
            "2013-aliyev-calls-attack-on-iran-catastrophe",
            "2013-khamenei-orders-release-of-azerbaijani-poets",
        ]
    finally:
        # `exec`: the signal reaches dyad serve itself, which shuts down and re-raises it.
        assert _stop(server.process) in (0, -signal.SIGTERM)
    assert "seed loaded" in server.stderr()
    assert "Application shutdown complete" in server.stderr()

    again, _ = _start(command, env, tmp_path)  # the same database, as after a restart
    _stop(again.process)
    assert "the database has events already: seed not loaded" in again.stderr()


def test_compose_runs_the_image_as_built_with_postgresql():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    api = compose["services"]["api"]
    assert api["build"] == "."
    assert "command" not in api and "entrypoint" not in api  # the image's CMD: it seeds
    assert api["environment"]["DYAD_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert api["depends_on"]["db"]["condition"] == "service_healthy"
