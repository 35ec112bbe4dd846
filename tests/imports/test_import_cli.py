"""`dyad import`: files into the database, all or nothing per file, as POST /v1/imports."""

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, func, select
from typer.testing import CliRunner, Result

from app.changes.models import Revision
from app.cli import app
from app.core.db import create_db_engine
from app.events.models import Event

runner = CliRunner()

RECORDS: list[dict[str, Any]] = [
    {
        "title": "Imported consultation",
        "date": "2014-01",
        "countries": ["AZE", "ARM"],
        "type": "consult",
    },
    {
        "title": "Imported accusation",
        "date": "2014-02-03",
        "countries": ["az", "ir"],
        "type": "accuse",
        "links": [{"event_id": "2014-01-imported-consultation", "relation": "follows"}],
    },
]
CSV = (
    "id,title,date,countries,type,tone,tags\n"
    "csv-one,Əliyev visits Tehran,2014-05,AZE;IRN,consult,3,visit\n"
    "csv-two,سفر به باکو,2014-06-01,IRN;AZE,consult,2,visit;persian\n"
)


def dyad(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args], prog_name="dyad")


def stored(url: str) -> dict[str, tuple[str, int, str | None]]:
    """id -> (title, version, author of the newest revision) for every event."""
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            events = session.exec(select(Event)).all()
            authors = {
                revision.event_id: revision.key_name
                for revision in session.exec(select(Revision).order_by(col(Revision.id))).all()
            }
            return {e.id: (e.title, e.version, authors.get(e.id)) for e in events}
    finally:
        engine.dispose()


def revision_count(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return session.exec(select(func.count()).select_from(Revision)).one()
    finally:
        engine.dispose()


def test_imports_json_ndjson_and_csv_files(cli_database_url, tmp_path):
    (tmp_path / "events.json").write_text(json.dumps(list(reversed(RECORDS))), "utf-8")
    ndjson = json.dumps(
        {"title": "From NDJSON", "date": "2015", "countries": ["RU", "UA"], "type": "threaten"}
    )
    (tmp_path / "more.jsonl").write_text("\n" + ndjson + "\n", "utf-8")
    (tmp_path / "sheet.csv").write_text(CSV, "utf-8")

    result = dyad("import", "events.json", "more.jsonl", "sheet.csv", "--as", "desk")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines() == [
        "events.json: imported 2 created, 0 updated, 0 unchanged",
        "more.jsonl: imported 1 created, 0 updated, 0 unchanged",
        "sheet.csv: imported 2 created, 0 updated, 0 unchanged",
    ]
    assert stored(cli_database_url) == {
        "2014-01-imported-consultation": ("Imported consultation", 1, "desk"),
        "2014-02-03-imported-accusation": ("Imported accusation", 1, "desk"),
        "2015-from-ndjson": ("From NDJSON", 1, "desk"),
        "csv-one": ("Əliyev visits Tehran", 1, "desk"),
        "csv-two": ("سفر به باکو", 1, "desk"),
    }


def test_a_second_run_of_the_same_file_changes_nothing(cli_database_url, tmp_path):
    (tmp_path / "sheet.csv").write_text(CSV, "utf-8")
    assert dyad("import", "sheet.csv").exit_code == 0
    before = revision_count(cli_database_url)

    again = dyad("import", "sheet.csv")
    assert again.exit_code == 0, again.output
    assert again.stderr == "sheet.csv: imported 0 created, 0 updated, 2 unchanged\n"
    assert revision_count(cli_database_url) == before

    (tmp_path / "sheet.csv").write_text(CSV.replace("Əliyev visits", "Əliyev leaves"), "utf-8")
    changed = dyad("import", "sheet.csv")
    assert changed.stderr == "sheet.csv: imported 0 created, 1 updated, 1 unchanged\n"
    assert stored(cli_database_url)["csv-one"] == ("Əliyev leaves Tehran", 2, "import")


def test_create_mode_refuses_an_existing_event(cli_database_url, tmp_path):
    (tmp_path / "sheet.csv").write_text(CSV, "utf-8")
    assert dyad("import", "sheet.csv").exit_code == 0
    result = dyad("import", "--mode", "create", "sheet.csv")
    assert result.exit_code == 1
    assert "line 2:" in result.stderr and "csv-one" in result.stderr
    assert "line 3:" in result.stderr and "csv-two" in result.stderr


def test_dry_run_counts_but_writes_nothing(cli_database_url, tmp_path):
    (tmp_path / "events.json").write_text(json.dumps(RECORDS), "utf-8")
    result = dyad("import", "--dry-run", "events.json")
    assert result.exit_code == 0, result.output
    assert result.stderr == "events.json: would import 2 created, 0 updated, 0 unchanged\n"
    assert stored(cli_database_url) == {}
    assert revision_count(cli_database_url) == 0


def test_bad_lines_are_listed_and_their_file_writes_nothing(cli_database_url, tmp_path):
    lines = [
        json.dumps(RECORDS[0]),
        "{not json",
        json.dumps(RECORDS[0] | {"title": "Bad date", "date": "2013-02-30"}),
        json.dumps(RECORDS[0] | {"title": "Bad country", "countries": ["XX"]}),
    ]
    (tmp_path / "bad.ndjson").write_text("\n".join(lines), "utf-8")
    (tmp_path / "good.csv").write_text(CSV, "utf-8")

    result = dyad("import", "bad.ndjson", "good.csv")
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert errors[0] == "bad.ndjson: 3 of the records are invalid: nothing was imported."
    assert [line.split(":")[0].strip() for line in errors[1:4]] == ["line 2", "line 3", "line 4"]
    assert "not valid JSON" in errors[1]
    assert "2013-02-30" in errors[2]
    assert "XX" in errors[3]
    # The other file is its own transaction: it still goes in.
    assert errors[4] == "good.csv: imported 2 created, 0 updated, 0 unchanged"
    assert set(stored(cli_database_url)) == {"csv-one", "csv-two"}


def test_a_file_that_is_not_utf8_is_refused_cleanly(cli_database_url, tmp_path):
    latin = "id,title,date,countries,type\ncafe,Réunion à Bakou,2014,AZ;FR,consult\n"
    (tmp_path / "latin.csv").write_bytes(latin.encode("latin-1"))
    result = dyad("import", "latin.csv")
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert stored(cli_database_url) == {}


def test_a_missing_file_is_a_usage_error(cli_database_url):
    result = dyad("import", "nowhere.json")
    assert result.exit_code == 2
    assert "nowhere.json" in result.stderr


def test_an_import_leaves_fresh_planner_statistics(cli_database_url, tmp_path):
    (tmp_path / "sheet.csv").write_text(CSV, "utf-8")
    assert dyad("import", "sheet.csv").exit_code == 0
    engine = create_db_engine(cli_database_url)
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "postgresql":
                statement = "SELECT n_live_tup FROM pg_stat_user_tables WHERE relname = 'event'"
                analyzed = "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables "
                assert connection.exec_driver_sql(analyzed + "WHERE relname = 'event'").scalar()
            else:
                statement = "SELECT stat FROM sqlite_stat1 WHERE tbl = 'event' LIMIT 1"
            assert connection.exec_driver_sql(statement).scalar() is not None
    finally:
        engine.dispose()
