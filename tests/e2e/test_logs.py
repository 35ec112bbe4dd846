"""What `dyad serve` logs: plain lines for a person at a terminal, JSON lines for machines."""

import io
import json
import os
import pty
import re
import select
import subprocess
from pathlib import Path

import httpx
import pytest

from app.core import logs
from tests.e2e.test_serve import DYAD, Server, _environment, _free_port, _stop, _wait_until_healthy

ACCESS_LINE = re.compile(r"^\d\d:\d\d:\d\d INFO GET /v1/events 200 \d+\.\d ms$")


def _serve_on_a_terminal(env: dict[str, str], cwd: Path) -> tuple[list[str], str]:
    """Serve with standard error on a pseudo-terminal, ask for the events once, stop, and
    return what the terminal showed (as lines) and the requested X-Request-ID."""
    port = _free_port()
    terminal, server_side = pty.openpty()
    process = subprocess.Popen(
        [DYAD, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=server_side,
    )
    os.close(server_side)
    shown = bytearray()
    try:
        _wait_until_healthy(Server(process, f"http://127.0.0.1:{port}", cwd / "none", env))
        response = httpx.get(f"http://127.0.0.1:{port}/v1/events", params={"dyad": "AZE-IRN"})
        assert response.status_code == 200
    finally:
        _stop(process)
        # Everything the server wrote, until the terminal has no writer left.
        while select.select([terminal], [], [], 1)[0]:
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # EIO: the server side is closed
                break
            if not chunk:
                break
            shown += chunk
        os.close(terminal)
    return shown.decode(errors="replace").splitlines(), response.headers["X-Request-ID"]


def test_on_a_terminal_each_request_is_one_plain_line(fresh_database_url, tmp_path):
    lines, _ = _serve_on_a_terminal(_environment(fresh_database_url), tmp_path)
    access = [line for line in lines if "/v1/events" in line]
    assert len(access) == 1, lines
    assert ACCESS_LINE.match(access[0]), access[0]
    assert any(line.endswith("INFO Application startup complete.") for line in lines), lines
    assert not [line for line in lines if line.startswith("{")]
    assert not [line for line in lines if "\x1b[" in line]  # no colour codes either


def test_log_format_json_gives_json_lines_even_on_a_terminal(fresh_database_url, tmp_path):
    env = _environment(fresh_database_url, DYAD_LOG_FORMAT="json")
    lines, request_id = _serve_on_a_terminal(env, tmp_path)
    records = [json.loads(line) for line in lines if line.strip()]
    access = [r for r in records if r["logger"] == "dyad.access" and r["path"] != "/healthz"]
    assert [(r["method"], r["path"], r["status"], r["request_id"]) for r in access] == [
        ("GET", "/v1/events", 200, request_id)
    ]
    assert access[0]["duration_ms"] > 0
    assert access[0]["message"] == f"GET /v1/events 200 {access[0]['duration_ms']:.1f} ms"
    assert "Finished server process" in {record["message"].split(" [")[0] for record in records}
    assert not [record for record in records if "color_message" in record]


def test_json_lines_to_a_file_carry_no_colour_codes(fresh_database_url, tmp_path):
    """Not a terminal, so JSON by default; uvicorn's coloured copies of its messages stay out."""
    env = _environment(fresh_database_url)
    port = _free_port()
    stderr_path = tmp_path / "serve.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            # One worker: the server process is this one, and logs its finish.
            [DYAD, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        _wait_until_healthy(Server(process, f"http://127.0.0.1:{port}", stderr_path, env))
    finally:
        _stop(process)
    text = stderr_path.read_text()
    records = [json.loads(line) for line in text.splitlines()]
    assert f"Finished server process [{process.pid}]" in [r["message"] for r in records]
    assert "color_message" not in text
    assert "\\u001b" not in text and "\x1b" not in text


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("log_format", "stream", "json_lines"),
    [
        ("auto", _Terminal(), False),
        ("auto", io.StringIO(), True),
        ("json", _Terminal(), True),
        ("plain", io.StringIO(), False),
    ],
)
def test_the_log_format_follows_the_setting_then_the_terminal(log_format, stream, json_lines):
    assert logs.wants_json(log_format, stream) is json_lines
