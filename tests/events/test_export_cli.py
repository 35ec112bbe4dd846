"""`dyad export`: the same exports as GET /v1/events, streamed to standard output."""

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner, Result

from app.cli import app
from app.core.settings import Settings, get_settings
from app.seed import SEED_DIR
from tests.events.test_formats import MEDIA_TYPES, csv_rows, export_ids, vevents

runner = CliRunner()
SEED_IDS = {event["id"] for event in json.loads((SEED_DIR / "events.json").read_text("utf-8"))}


@pytest.fixture(autouse=True)
def seeded_database(monkeypatch, tmp_path, fresh_database_url) -> Iterator[None]:
    """DYAD_DATABASE_URL names a fresh database holding the seed; no other DYAD_* leaks in."""
    for field in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{field.upper()}", raising=False)
    monkeypatch.setenv("DYAD_DATABASE_URL", fresh_database_url)
    monkeypatch.chdir(tmp_path)  # away from any .env file of the checkout
    get_settings.cache_clear()
    seeded = dyad("seed")
    assert seeded.exit_code == 0, seeded.output
    yield
    get_settings.cache_clear()


def dyad(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="dyad")


def exported(*args: str) -> bytes:
    result = dyad("export", *args)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no progress bar when stderr is not a terminal
    return result.stdout_bytes


@pytest.mark.parametrize("export_format", list(MEDIA_TYPES))
def test_export_writes_every_seed_event_in_date_order(export_format):
    ids = export_ids(export_format, exported("--format", export_format))
    assert set(ids) == SEED_IDS
    assert len(ids) == len(SEED_IDS)
    assert ids[0] == "2012-08-aliyev-declines-nam-summit"  # the oldest


@pytest.mark.parametrize("export_format", list(MEDIA_TYPES))
def test_export_filters_by_type_country_and_dates(export_format):
    body = exported("-f", export_format, "--type", "accuse", "--type", "protest", "--dyad", "IR-AZ")
    assert export_ids(export_format, body) == [
        "2013-03-30-baku-conference-southern-azerbaijan",
        "2013-04-sanai-calls-baku-conference-unacceptable",
        "2013-04-tehran-calls-baku-conference-interference",
    ]
    body = exported("-f", export_format, "--country", "az", "--to", "2012")
    assert export_ids(export_format, body) == ["2012-08-aliyev-declines-nam-summit"]
    body = exported("-f", export_format, "--country", "USA", "--from", "2013-02", "--to", "2013")
    assert export_ids(export_format, body) == [
        "2013-aliyev-calls-attack-on-iran-catastrophe",
        "2013-us-led-sanctions-on-iran",
    ]


def test_export_searches_with_q():
    body = exported("-f", "ndjson", "--q", "poets prison")
    assert export_ids("ndjson", body) == ["2013-khamenei-orders-release-of-azerbaijani-poets"]


def test_export_sorts_as_asked():
    forward = export_ids("ndjson", exported("-f", "ndjson"))
    assert export_ids("ndjson", exported("-f", "ndjson", "--sort", "-date")) == forward[::-1]


def test_csv_export_is_the_same_as_the_api_writes():
    rows = csv_rows(exported("--format", "csv", "--tag", "summit"))
    assert [row["id"] for row in rows] == ["2012-08-aliyev-declines-nam-summit"]
    assert rows[0]["countries"] == "AZE;IRN"


def test_ics_export_links_events_to_the_given_base_url():
    body = exported("-f", "ics", "--to", "2012", "--base-url", "https://dyad.example.org/")
    [component] = vevents(body)
    assert str(component["URL"]) == (
        "https://dyad.example.org/v1/events/2012-08-aliyev-declines-nam-summit"
    )
    assert "URL" not in vevents(exported("-f", "ics", "--to", "2012"))[0]


def test_bad_from_exits_2_with_one_line():
    result = dyad("export", "--format", "csv", "--from", "2013-13")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert lines == ["error: --from: '2013-13' is not a valid calendar date"]


def test_several_bad_options_are_named_on_one_line():
    result = dyad("export", "-f", "ndjson", "--country", "XX", "--tone-min", "hot", "--type", "x")
    assert result.exit_code == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: ")
    for option in ("--country", "--tone-min", "--type"):
        assert option in line


def test_format_is_required():
    result = dyad("export", "--country", "AZE")
    assert result.exit_code == 2
    assert "--format" in result.stderr


def test_database_without_the_schema_is_one_line_before_any_output(monkeypatch, tmp_path):
    monkeypatch.setenv("DYAD_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    get_settings.cache_clear()
    result = dyad("export", "--format", "ics")
    assert result.exit_code == 1
    assert result.stdout == ""  # not even the calendar's header
    [line] = result.stderr.strip().splitlines()
    assert "dyad migrate" in line


def test_from_after_to_exits_2_naming_both():
    result = dyad("export", "-f", "csv", "--from", "2014", "--to", "2012")
    assert result.exit_code == 2
    assert result.stdout == ""
    [line] = result.stderr.strip().splitlines()
    assert (
        line
        == "error: --to: `to` (2012) ends before `from` (2014) begins: give `from` the earlier date"
    )


def test_csv_export_has_a_bom_only_with_the_bom_option():
    plain = exported("-f", "csv", "--dyad", "AZE-IRN")
    assert exported("-f", "csv", "--dyad", "AZE-IRN", "--bom") == b"\xef\xbb\xbf" + plain
    assert plain.startswith(b"id,title,")


@pytest.mark.parametrize("export_format", ["ndjson", "csv"])
def test_an_export_imports_back_unchanged(tmp_path, export_format):
    backup = tmp_path / f"backup.{export_format}"
    backup.write_bytes(exported("-f", export_format))

    result = dyad("import", str(backup))

    assert result.exit_code == 0, result.stderr
    assert result.stderr == f"{backup}: imported 0 created, 0 updated, {len(SEED_IDS)} unchanged\n"
    assert exported("-f", export_format) == backup.read_bytes()


def test_every_filter_of_the_list_is_an_export_option():
    import typer

    from app.events.filters import EventFilter

    command = typer.main.get_command(app).commands["export"]  # type: ignore[attr-defined]
    options = {option for param in command.params for option in param.opts}
    for name, field in EventFilter.model_fields.items():
        assert "--" + (field.alias or name).replace("_", "-") in options, name
    assert {"--sort", "--bom", "--format", "--base-url"} <= options


def test_json_is_not_an_export_format():
    result = dyad("export", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --format: choose csv, ndjson, ics or timelinejs"
