"""dyad-client, the command line, run in-process against the real app."""

import csv
import io
import json

import httpx
import pytest
from dyad_client import cli

from app.core.settings import Settings
from app.main import create_app
from tests.client.conftest import BASE_URL, SyncASGITransport
from tests.e2e.test_serve import IRN_AZE_2012_2013, _free_port

CLAIM = "2013-03-perry-israel-airbases-claim"


class Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def run(
    transport: httpx.BaseTransport | None,
    *argv: str,
    env: dict[str, str] | None = None,
    stderr: io.StringIO | None = None,
) -> tuple[int, bytes, str]:
    """(exit code, stdout bytes, stderr text) of one command."""
    out = io.BytesIO()
    err = stderr if stderr is not None else io.StringIO()
    code = cli.main(
        list(argv),
        env={"DYAD_URL": BASE_URL} if env is None else env,
        stdout=out,
        stderr=err,
        transport=transport,
    )
    return code, out.getvalue(), err.getvalue()


def test_events_as_csv_like_the_issue_says(seeded, transport):
    code, out, err = run(
        transport,
        "events",
        "--dyad",
        "AZE-IRN",
        "--from",
        "2012",
        "--to",
        "2013",
        "--format",
        "csv",
    )
    assert (code, err) == (0, "")  # stderr is not a terminal: no progress
    rows = list(csv.DictReader(io.StringIO(out.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == IRN_AZE_2012_2013
    assert rows[0]["title"] == "Aliyev declines to attend the Non-Aligned Movement summit in Tehran"


def test_events_as_a_table_with_repeated_filters(seeded, transport):
    code, out, _ = run(transport, "events", "--type", "accuse", "--type", "protest", "--sort=-date")
    lines = out.decode().splitlines()
    assert code == 0
    assert [line.split()[0] for line in lines] == ["2013-04~", "2013-04~", "2013-03-30"]
    assert lines[-1].split()[1:4] == [
        "protest",
        "reported",
        "2013-03-30-baku-conference-southern-azerbaijan",
    ]


def test_events_as_a_json_array_hold_the_items_of_the_json_pages(seeded, transport):
    code, out, _ = run(transport, "events", "--dyad", "AZE-IRN", "--format", "json")
    assert code == 0
    with httpx.Client(base_url=BASE_URL, transport=transport) as http:
        page = http.get("/v1/events", params={"dyad": "AZE-IRN", "limit": 500}).json()
    assert json.loads(out) == page["items"]


def test_events_written_to_a_file(seeded, transport, tmp_path):
    path = tmp_path / "events.ics"
    argv = ["events", "--status", "disputed", "--format", "ics", "-o", str(path)]
    code, out, _ = run(transport, *argv)
    assert (code, out) == (0, b"")
    text = path.read_text()
    assert text.startswith("BEGIN:VCALENDAR")
    assert f"UID:{CLAIM}@dyad" in text


def test_one_event_as_text_and_as_json(seeded, transport):
    code, out, _ = run(transport, "event", CLAIM)
    text = out.decode()
    assert code == 0
    assert text.splitlines()[0].startswith("Mark Perry writes in Foreign Policy that Israel")
    assert "[supports] New Eastern Outlook" in text
    assert "[disputes] New Eastern Outlook" in text
    assert "denies: 2013-03-perry-israel-airbases-denial" in text

    code, out, _ = run(transport, "event", CLAIM, "--format", "json")
    event = json.loads(out)
    assert (event["id"], event["date_lower"], event["status"]) == (CLAIM, "2013-03-01", "disputed")


def test_timeline_as_a_table_and_as_csv(seeded, transport):
    code, out, _ = run(
        transport, "timeline", "--dyad", "AZE-IRN", "--from", "2013-01", "--to", "2013-04",
        "--bucket", "month",
    )  # fmt: skip
    assert code == 0
    assert out.decode().splitlines() == [
        "period   count   tone  types",
        "2013-01      4   +4.0  concede 2, cooperate 1, reject 1",
        "2013-02      0      –  ",
        "2013-03      3   -1.0  cooperate 1, protest 1, reject 1",
        "2013-04      2   -4.5  accuse 2",
    ]
    code, out, _ = run(transport, "timeline", "--dyad", "AZE-IRN", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out.decode())))
    assert [(row["period"], row["count"]) for row in rows] == [("2012", "1"), ("2013", "9")]


def test_relation_of_a_pair_in_either_form(seeded, transport):
    code, out, _ = run(transport, "relation", "IRN", "AZE")
    assert code == 0
    assert out.decode().splitlines()[:3] == [
        "AZE–IRN: 10 events, 1 disputed, mean tone +0.0",
        "from 2012-08-01 to 2013-12-31",
        "by year: 2012 1, 2013 9",
    ]
    code, out, _ = run(transport, "relation", "aze-irn", "--to", "2012", "--format", "json")
    assert json.loads(out)["count"] == 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["event", "no-such-event"], cli.NOT_FOUND, "404 Not Found: No event with id"),
        (["events", "--country", "XX"], cli.USAGE, "query.country.0: unknown country code 'XX'"),
        (["relation", "AZE", "AZE"], cli.USAGE, "422 Unprocessable Entity"),
    ],
)
def test_errors_have_their_exit_code_and_one_message(seeded, transport, argv, code, message):
    exit_code, out, err = run(transport, *argv)
    assert (exit_code, out) == (code, b"")
    assert err.startswith("dyad-client: ")
    assert message in err


def test_reads_need_a_key_when_the_server_says_so(database_url, engine, sessions):
    settings = Settings(database_url=database_url, rate_limit=None, public_read=False)
    private = SyncASGITransport(create_app(settings, engine, sessions))
    code, _, err = run(private, "events")
    assert code == cli.DENIED
    assert "401 Unauthorized" in err


def test_no_server_is_exit_code_7():
    closed = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    code, _, err = run(None, "--url", closed, "--timeout", "2", "events")
    assert code == cli.UNREACHABLE
    assert f"dyad-client: GET {closed}/v1/events" in err


def test_bad_arguments_exit_with_2(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["events", "--format", "xlsx"], env={})
    assert caught.value.code == cli.USAGE
    assert "invalid choice: 'xlsx'" in capsys.readouterr().err


def test_url_and_key_come_from_the_environment():
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": [], "next_cursor": None})

    env = {"DYAD_URL": "http://dyad.example:9000", "DYAD_API_KEY": "dyad_12345678_secret"}
    code, out, _ = run(httpx.MockTransport(answer), "events", "--dyad", "AZE-IRN", env=env)
    assert (code, out) == (0, b"")
    assert str(seen[0].url) == "http://dyad.example:9000/v1/events?dyad=AZE-IRN&limit=500"
    assert seen[0].headers["Authorization"] == "Bearer dyad_12345678_secret"


def test_a_long_export_shows_progress_on_a_terminal_only():
    body = b"x" * 100_000

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body)

    terminal = Terminal()
    code, out, err = run(httpx.MockTransport(answer), "events", "--format", "csv", stderr=terminal)
    assert (code, out) == (0, body)
    assert err == ""  # a quick export says nothing, even on a terminal


def test_progress_appears_after_a_while_and_ends_with_a_newline():
    now = [0.0]
    terminal = Terminal()
    progress = cli.Progress(terminal, clock=lambda: now[0])
    progress(1000)
    assert terminal.getvalue() == ""
    now[0] = 1.5
    progress(3 * 1024 * 1024)
    now[0] = 1.6
    progress(4 * 1024 * 1024)  # too soon after the last line to redraw
    assert terminal.getvalue() == "\rexported 3.0 MB in 2 s "
    now[0] = 2.0
    progress.finish()
    assert terminal.getvalue().endswith("\rexported 4.0 MB in 2 s \n")


def test_json_array_joins_ndjson_split_anywhere():
    out = io.BytesIO()
    array = cli.JsonArray(out)
    for chunk in (b'{"id": "a"}\n{"i', b'd": "b"}', b"\n", b'{"id": "c"}'):
        array.write(chunk)
    array.close()
    assert json.loads(out.getvalue()) == [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    empty = io.BytesIO()
    cli.JsonArray(empty).close()
    assert json.loads(empty.getvalue()) == []
