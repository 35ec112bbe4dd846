"""The `dyad` command, run in-process against an empty database of the run's kind."""

import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, make_url, text
from sqlmodel import Session, select
from typer.testing import CliRunner, Result

from app.cli import app
from app.core.db import create_db_engine, is_sqlite
from app.core.migrate import current_revision, head_revision
from app.core.settings import Settings, get_settings
from app.events.models import Event
from app.keys.models import ApiKey
from app.keys.service import find_valid_key
from app.seed import SEED_DIR

KEY = re.compile(r"^dyad_([0-9a-f]{8})_([A-Za-z0-9_-]{20,})$")

runner = CliRunner()


@pytest.fixture(autouse=True)
def cli_environment(monkeypatch, tmp_path, fresh_database_url) -> Iterator[None]:
    """DYAD_DATABASE_URL names a fresh database; no other DYAD_* setting leaks in."""
    for field in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{field.upper()}", raising=False)
    monkeypatch.setenv("DYAD_DATABASE_URL", fresh_database_url)
    monkeypatch.chdir(tmp_path)  # away from any .env file of the checkout
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def db(fresh_database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(fresh_database_url)
    yield engine
    engine.dispose()


def dyad(*args: str) -> Result:
    return runner.invoke(app, list(args), prog_name="dyad")


def _plain(output: str) -> str:
    """Help text without rich's box drawing and line wrapping."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", output).split())


def _key_row(listing: str, prefix: str) -> list[str]:
    """The cells of the `keys list` table row of the key with this prefix."""
    for line in listing.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if cells[0] == prefix:
            return cells
    raise AssertionError(f"no row for {prefix!r} in:\n{listing}")


def _create_key(name: str = "alice", scope: str = "write") -> str:
    result = dyad("keys", "create", "--name", name, "--scope", scope)
    assert result.exit_code == 0, result.output
    return result.stdout.rstrip("\n").splitlines()[-1]


def _event_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Event)).one()


def _seed_event_count() -> int:
    return len(json.loads((SEED_DIR / "events.json").read_text(encoding="utf-8")))


def test_help_lists_every_command():
    result = dyad("--help")
    assert result.exit_code == 0
    help_text = _plain(result.stdout)
    assert "Usage: dyad" in help_text
    for command in ("serve", "migrate", "seed", "keys"):
        assert re.search(rf"\b{command}\b", help_text), command


@pytest.mark.parametrize(
    ("command", "explanation"),
    [
        (["serve"], "Migrate the database if needed, then serve the API with uvicorn."),
        (["migrate"], "Bring the database schema to the newest revision (Alembic)."),
        (["seed"], "Load the events of `seed/` (idempotent: a second run changes nothing)."),
        (["keys"], "Create, list and revoke API keys."),
        (["keys", "create"], "Make a key and print it once; its last line is the key alone."),
        (["keys", "list"], "List keys: prefix, name, scope, when made, last used and revoked."),
        (["keys", "revoke"], "Revoke a key: it is refused from then on."),
    ],
)
def test_each_command_explains_itself_in_its_help(command, explanation):
    result = dyad(*command, "--help")
    assert result.exit_code == 0
    help_text = _plain(result.stdout)
    assert f"Usage: dyad {' '.join(command)}" in help_text
    assert explanation in help_text


def test_serve_help_documents_host_port_and_workers():
    help_text = _plain(dyad("serve", "--help").stdout)
    for option in ("--host", "--port", "--workers"):
        assert option in help_text


def test_migrate_creates_the_schema_at_the_newest_revision(db):
    assert current_revision(db) is None

    result = dyad("migrate")
    assert result.exit_code == 0, result.output
    assert "migrated to the newest revision" in result.stderr
    assert current_revision(db) == head_revision()
    with db.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    assert [row[0] for row in versions] == [head_revision()]

    again = dyad("migrate")
    assert again.exit_code == 0, again.output
    assert "already up to date" in again.stderr


def test_seed_loads_the_events_then_a_second_seed_creates_nothing(db):
    first = dyad("seed")
    assert first.exit_code == 0, first.output
    assert "created" in first.stderr
    assert "0 created" not in first.stderr
    assert _event_count(db) == _seed_event_count()

    second = dyad("seed")
    assert second.exit_code == 0, second.output
    assert "seed loaded: 0 created" in second.stderr
    assert _event_count(db) == _seed_event_count()


def test_seed_if_empty_loads_nothing_into_a_database_with_events(db):
    assert dyad("seed").exit_code == 0
    with db.begin() as connection:
        connection.execute(text("DELETE FROM event WHERE id = '2013-media-reduce-hostile-stories'"))
    remaining = _event_count(db)
    assert remaining == _seed_event_count() - 1

    result = dyad("seed", "--if-empty")
    assert result.exit_code == 0, result.output
    assert "seed not loaded" in result.stderr
    assert _event_count(db) == remaining


def test_seed_if_empty_loads_an_empty_database(db):
    result = dyad("seed", "--if-empty")
    assert result.exit_code == 0, result.output
    assert _event_count(db) == _seed_event_count()


def test_migrations_and_seeds_started_together_take_turns(db, fresh_database_url, tmp_path):
    # As `make run` beside a starting `dyad serve`, or several machines at once: each takes
    # the writer's lock, so the schema is migrated once and the seed is loaded once.
    env = {"PATH": os.environ["PATH"], "DYAD_DATABASE_URL": fresh_database_url}
    command = [str(Path(sys.executable).with_name("dyad"))]
    runs = [
        subprocess.Popen(
            [*command, *args], env=env, cwd=tmp_path, stderr=subprocess.PIPE, text=True
        )
        for args in (["seed", "--if-empty"], ["migrate"], ["seed", "--if-empty"], ["migrate"])
    ]
    outputs = [run.communicate(timeout=120)[1] for run in runs]
    assert [run.returncode for run in runs] == [0] * 4, outputs
    assert sum("seed loaded" in output for output in outputs) == 1, outputs
    assert current_revision(db) == head_revision()
    assert _event_count(db) == _seed_event_count()


def test_keys_create_prints_the_key_alone_on_the_last_line_of_stdout(db):
    result = dyad("keys", "create", "--name", "alice", "--scope", "write")
    assert result.exit_code == 0, result.output
    last_line = result.stdout.rstrip("\n").splitlines()[-1]
    match = KEY.match(last_line)
    assert match, last_line
    with Session(db) as session:
        record = session.exec(select(ApiKey)).one()
    assert (record.prefix, record.name, record.scope) == (match[1], "alice", "write")
    assert record.revoked_at is None


def test_keys_list_shows_prefix_name_and_scope_but_never_the_secret(db):
    key = _create_key("alice", "write")
    prefix, secret = KEY.match(key).groups()  # type: ignore[union-attr]

    result = dyad("keys", "list")
    assert result.exit_code == 0, result.output
    row = _key_row(result.stdout, prefix)
    assert row[:3] == [prefix, "alice", "write"]
    assert row[5] == "-"  # not revoked
    assert secret not in result.output
    assert key not in result.output


def test_key_secret_is_never_stored_only_its_sha256(db, fresh_database_url):
    key = _create_key("alice", "write")
    prefix, secret = KEY.match(key).groups()  # type: ignore[union-attr]

    if is_sqlite(fresh_database_url):
        path = Path(make_url(fresh_database_url).database or "")
        files = [path, path.with_name(path.name + "-wal")]
        stored = b"".join(f.read_bytes() for f in files if f.exists())
        assert prefix.encode() in stored
        assert secret.encode() not in stored
    else:
        with db.connect() as connection:
            rows = connection.execute(text("SELECT * FROM api_key")).all()
        values = [str(value) for row in rows for value in row]
        assert prefix in values
        assert not [value for value in values if secret in value]

    with Session(db) as session:
        record = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()


def test_created_key_is_valid_until_revoked(db):
    key = _create_key("alice", "write")
    prefix = key.split("_")[1]
    with Session(db) as session:
        found = find_valid_key(session, key)
        assert found is not None
        assert (found.prefix, found.name, found.scope) == (prefix, "alice", "write")

    result = dyad("keys", "revoke", prefix)
    assert result.exit_code == 0, result.output
    assert prefix in result.stderr

    with Session(db) as session:
        assert find_valid_key(session, key) is None
        record = session.exec(select(ApiKey).where(ApiKey.prefix == prefix)).one()
        assert record.revoked_at is not None
    revoked_cell = _key_row(dyad("keys", "list").stdout, prefix)[5]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", revoked_cell), revoked_cell


def test_revoking_an_unknown_prefix_exits_1_with_a_clear_message(db):
    assert dyad("migrate").exit_code == 0
    result = dyad("keys", "revoke", "deadbeef")
    assert result.exit_code == 1
    assert "No key with prefix 'deadbeef'" in result.stderr
    assert "Traceback" not in result.output


def test_bad_setting_stops_migrate_with_exit_2_and_one_line_naming_it(monkeypatch, db):
    monkeypatch.setenv("DYAD_PUBLIC_READ", "maybe")
    get_settings.cache_clear()

    result = dyad("migrate")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "DYAD_PUBLIC_READ" in lines[0]
    assert result.stdout == ""
    assert current_revision(db) is None


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        ([], ["Usage: dyad [OPTIONS] COMMAND [ARGS]..."]),
        (["import"], ["Usage: dyad import [OPTIONS] PATH...", "--mode upsert|create"]),
        (["export"], ["--format -f csv|ndjson|ics|timelinejs", "--country COUNTRY", "--from FROM"]),
        (["serve"], ["--host ADDRESS", "--port PORT", "--workers N"]),
        (["seed"], ["--if-empty Load only"]),
        (["keys", "create"], ["--name NAME", "--scope read|write|admin"]),
        (["keys", "revoke"], ["Usage: dyad keys revoke [OPTIONS] PREFIX"]),
        (["import"], ["--format gdelt|gdelt-mentions|polecat|icews|acled", "--strict With"]),
        (["fetch", "gdelt"], ["--date YYYY-MM-DD", "--to FOLDER", "--base-url URL"]),
        (["backup"], ["Usage: dyad backup [OPTIONS] FILE"]),
        (["restore"], ["Usage: dyad restore [OPTIONS] FILE"]),
    ],
)
def test_help_names_values_in_plain_words(command, shown):
    result = runner.invoke(
        app, [*command, "--help"], prog_name="dyad", env={"COLUMNS": "200", "NO_COLOR": "1"}
    )
    assert result.exit_code == 0, result.output
    plain = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())
    for words in shown:
        assert words in plain
    assert "--help Show this message and exit." in plain
    # No Python types (`<bool>`, `<list[Path]>`) nor `{files}...`.
    assert "<" not in plain
    assert "{" not in plain
