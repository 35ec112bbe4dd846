"""Exports read back as imports: an unedited export changes nothing, an edit changes only itself."""

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.factories import make_event, make_source

PERRY_CLAIM = "2013-03-perry-israel-airbases-claim"


def exported(client: TestClient, **params: str) -> bytes:
    response = client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    return response.content


def imported(
    client: TestClient, auth: dict[str, str], body: bytes, media_type: str, status: int = 200
) -> dict[str, Any]:
    response = client.post("/v1/imports", content=body, headers=auth | {"Content-Type": media_type})
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def every_event(client: TestClient) -> dict[str, dict[str, Any]]:
    body = exported(client, format="ndjson")
    return {event["id"]: event for event in map(orjson.loads, body.splitlines())}


# --- NDJSON and JSON ------------------------------------------------------------------------


def test_an_ndjson_export_imports_back_unchanged(client, seeded, auth):
    before = every_event(client)
    body = exported(client, country="AZE", format="ndjson")

    result = imported(client, auth, body, "application/x-ndjson")

    assert result == {
        "created": 0,
        "updated": 0,
        "unchanged": len(body.splitlines()),
        "errors": [],
        "dry_run": False,
    }
    assert every_event(client) == before


def test_a_json_page_imports_back_unchanged(client, seeded, auth):
    before = every_event(client)
    items = orjson.loads(exported(client, dyad="AZE-IRN", limit="500"))["items"]

    result = imported(client, auth, orjson.dumps(items), "application/json")

    assert (result["unchanged"], result["updated"], result["created"]) == (len(items), 0, 0)
    assert every_event(client) == before


def test_an_edited_ndjson_line_updates_that_event_alone(client, seeded, auth):
    before = every_event(client)
    lines = [orjson.loads(line) for line in exported(client, format="ndjson").splitlines()]
    edited = next(line for line in lines if line["id"] == PERRY_CLAIM)
    edited["title"] = "Perry claims Israel has access to Azerbaijani airbases"

    result = imported(client, auth, b"\n".join(map(orjson.dumps, lines)), "application/x-ndjson")

    assert (result["updated"], result["unchanged"]) == (1, len(lines) - 1)
    after = every_event(client)
    changed = {
        key for key in after[PERRY_CLAIM] if after[PERRY_CLAIM][key] != before[PERRY_CLAIM][key]
    }
    assert changed == {"title", "version", "updated_at"}
    assert after[PERRY_CLAIM]["status"] == "disputed"
    assert {k: v for k, v in after.items() if k != PERRY_CLAIM} == {
        k: v for k, v in before.items() if k != PERRY_CLAIM
    }


@pytest.mark.parametrize(
    "field, value, problem",
    [
        ("date_lower", "2013-03-02", "date_lower: '2013-03-02' is not what date '2013-03' gives"),
        ("date_upper", "2013-04-30", "date_upper: '2013-04-30' is not what date '2013-03' gives"),
        ("date_precision", "day", "date_precision: 'day' is not what date '2013-03' gives"),
        ("status", "reported", "status: 'reported' is not what the citations' stances give"),
    ],
)
def test_a_derived_field_that_contradicts_the_record_is_refused(
    client, seeded, auth, field, value, problem
):
    before = every_event(client)
    event = before[PERRY_CLAIM] | {field: value}

    result = imported(client, auth, orjson.dumps(event), "application/x-ndjson", 422)

    [error] = result["errors"]
    assert error["line"] == 1 and error["id"] == PERRY_CLAIM
    assert error["problem"].startswith(problem), error["problem"]
    assert every_event(client) == before


def test_a_record_of_a_deleted_event_is_refused_with_the_way_to_restore_it(client, seeded, auth):
    event = every_event(client)[PERRY_CLAIM]
    response = client.delete(
        f"/v1/events/{PERRY_CLAIM}", headers=auth | {"If-Match": f'"{event["version"]}"'}
    )
    assert response.status_code == 204, response.text

    result = imported(client, auth, orjson.dumps(event), "application/x-ndjson", 422)

    assert result["errors"] == [
        {
            "line": 1,
            "id": PERRY_CLAIM,
            "problem": f"event {PERRY_CLAIM!r} is deleted: restore it first "
            f"(POST /v1/events/{PERRY_CLAIM}/restore), then import it",
        }
    ]


# --- CSV: a spreadsheet changes only what its columns show ----------------------------------


def csv_table(body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    return list(reader.fieldnames or []), list(reader)


def csv_file(columns: list[str], rows: list[dict[str, str]]) -> bytes:
    """The table as a spreadsheet saves it: every cell rewritten, LF line ends."""
    out = io.StringIO()
    auth = csv.DictWriter(out, columns, lineterminator="\n")
    auth.writeheader()
    auth.writerows(rows)
    return out.getvalue().encode("utf-8")


def test_an_unedited_csv_export_imports_back_unchanged(client, seeded, auth):
    before = every_event(client)
    body = exported(client, dyad="AZE-IRN", format="csv")

    result = imported(client, auth, body, "text/csv")

    assert (result["created"], result["updated"], result["unchanged"]) == (0, 0, 10)
    after = every_event(client)
    assert after == before
    claim = after[PERRY_CLAIM]
    assert claim["status"] == "disputed"
    assert [c["stance"] for c in claim["citations"]] == ["supports", "disputes"]
    assert claim["linked_from"] == [
        {"event_id": "2013-03-perry-israel-airbases-denial", "relation": "denies"}
    ]


def test_editing_one_title_in_a_spreadsheet_changes_that_title_alone(client, seeded, auth):
    before = every_event(client)
    columns, rows = csv_table(exported(client, dyad="AZE-IRN", format="csv", bom="true"))
    row = next(row for row in rows if row["id"] == PERRY_CLAIM)
    row["title"] = "Mark Perry claims Israel may use Azerbaijani airbases"

    result = imported(client, auth, csv_file(columns, rows), "text/csv")

    assert (result["updated"], result["unchanged"]) == (1, 9)
    after = every_event(client)
    changed = {
        name for name, value in after[PERRY_CLAIM].items() if value != before[PERRY_CLAIM][name]
    }
    assert changed == {"title", "version", "updated_at"}
    assert after[PERRY_CLAIM]["title"] == "Mark Perry claims Israel may use Azerbaijani airbases"
    assert after[PERRY_CLAIM]["citations"] == before[PERRY_CLAIM]["citations"]
    assert {k: v for k, v in after.items() if k != PERRY_CLAIM} == {
        k: v for k, v in before.items() if k != PERRY_CLAIM
    }


def test_a_csv_adds_citations_but_never_removes_one(client, seeded, auth):
    other = make_source(seeded, url="https://example.org/denial")
    before = every_event(client)
    columns, rows = csv_table(exported(client, dyad="AZE-IRN", format="csv"))
    for row in rows:
        row["source_urls"] = ""  # every URL gone from the cell: no citation goes
    next(row for row in rows if row["id"] == PERRY_CLAIM)["source_urls"] = (
        "https://example.org/denial"
    )

    result = imported(client, auth, csv_file(columns, rows), "text/csv")

    assert (result["updated"], result["unchanged"]) == (1, 9)
    after = every_event(client)[PERRY_CLAIM]
    assert after["citations"][:2] == before[PERRY_CLAIM]["citations"]
    assert [(c["source"]["id"], c["stance"]) for c in after["citations"][2:]] == [
        (other, "supports")
    ]


def test_a_csv_cell_changes_what_it_shows_and_keeps_the_rest(client, seeded, auth):
    before = every_event(client)[PERRY_CLAIM]
    columns = ["id", "title", "date", "type", "summary", "actors", "tags"]
    row = {
        "id": PERRY_CLAIM,
        "title": before["title"],
        "date": before["date"],
        "type": before["type"],
        "summary": "",  # an empty cell clears the field
        "actors": "government-of-israel:initiator;government-of-azerbaijan",
        "tags": "airbases;israel",
    }

    result = imported(client, auth, csv_file(columns, [row]), "text/csv")

    assert result["updated"] == 1
    after = every_event(client)[PERRY_CLAIM]
    assert after["summary"] is None
    assert [(a["id"], a["role"]) for a in after["actors"]] == [
        ("government-of-israel", "initiator"),
        ("government-of-azerbaijan", "participant"),
    ]
    assert after["tags"] == ["airbases", "israel"]
    for kept in ("countries", "tone", "citations", "links", "linked_from", "location", "status"):
        assert after[kept] == before[kept], kept


@pytest.mark.parametrize("title", ["=HYPERLINK(1)", "-30 degrees in Baku", "'=quoted", "'quoted'"])
def test_formula_like_text_survives_a_csv_round_trip(client, session, auth, title):
    make_event(session, id="formula", title=title, tags=["+tag"])
    body = exported(client, format="csv")

    result = imported(client, auth, body, "text/csv")

    assert (result["updated"], result["unchanged"]) == (0, 1)
    event = client.get("/v1/events/formula").json()
    assert (event["title"], event["tags"]) == (title, ["+tag"])
