"""Exports read back as imports: an unedited export changes nothing, an edit changes only itself."""

import csv
import io
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.keys.models import Scope
from app.keys.service import create_key

PERRY_CLAIM = "2013-03-perry-israel-airbases-claim"


@pytest.fixture
def writer(session: Session) -> dict[str, str]:
    _record, key = create_key(session, "round-trip", Scope.write)
    return {"Authorization": f"Bearer {key}"}


def exported(client: TestClient, **params: str) -> bytes:
    response = client.get("/v1/events", params=params)
    assert response.status_code == 200, response.text
    return response.content


def imported(
    client: TestClient, writer: dict[str, str], body: bytes, media_type: str, status: int = 200
) -> dict[str, Any]:
    response = client.post(
        "/v1/imports", content=body, headers=writer | {"Content-Type": media_type}
    )
    assert response.status_code == status, response.text
    result: dict[str, Any] = response.json()
    return result


def every_event(client: TestClient) -> dict[str, dict[str, Any]]:
    body = exported(client, format="ndjson")
    return {event["id"]: event for event in map(orjson.loads, body.splitlines())}


# --- NDJSON and JSON ------------------------------------------------------------------------


def test_an_ndjson_export_imports_back_unchanged(client, seeded, writer):
    before = every_event(client)
    body = exported(client, country="AZE", format="ndjson")

    result = imported(client, writer, body, "application/x-ndjson")

    assert result == {
        "created": 0,
        "updated": 0,
        "unchanged": len(body.splitlines()),
        "errors": [],
        "dry_run": False,
    }
    assert every_event(client) == before


def test_a_json_page_imports_back_unchanged(client, seeded, writer):
    before = every_event(client)
    items = orjson.loads(exported(client, dyad="AZE-IRN", limit="500"))["items"]

    result = imported(client, writer, orjson.dumps(items), "application/json")

    assert (result["unchanged"], result["updated"], result["created"]) == (len(items), 0, 0)
    assert every_event(client) == before


def test_an_edited_ndjson_line_updates_that_event_alone(client, seeded, writer):
    before = every_event(client)
    lines = [orjson.loads(line) for line in exported(client, format="ndjson").splitlines()]
    edited = next(line for line in lines if line["id"] == PERRY_CLAIM)
    edited["title"] = "Perry claims Israel has access to Azerbaijani airbases"

    result = imported(client, writer, b"\n".join(map(orjson.dumps, lines)), "application/x-ndjson")

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
    client, seeded, writer, field, value, problem
):
    before = every_event(client)
    event = before[PERRY_CLAIM] | {field: value}

    result = imported(client, writer, orjson.dumps(event), "application/x-ndjson", 422)

    [error] = result["errors"]
    assert error["line"] == 1 and error["id"] == PERRY_CLAIM
    assert error["problem"].startswith(problem), error["problem"]
    assert every_event(client) == before


def test_a_record_of_a_deleted_event_is_refused_with_the_way_to_restore_it(client, seeded, writer):
    event = every_event(client)[PERRY_CLAIM]
    response = client.delete(
        f"/v1/events/{PERRY_CLAIM}", headers=writer | {"If-Match": f'"{event["version"]}"'}
    )
    assert response.status_code == 204, response.text

    result = imported(client, writer, orjson.dumps(event), "application/x-ndjson", 422)

    assert result["errors"] == [
        {
            "line": 1,
            "id": PERRY_CLAIM,
            "problem": f"event {PERRY_CLAIM!r} is deleted: restore it first "
            f"(POST /v1/events/{PERRY_CLAIM}/restore), then import it",
        }
    ]
