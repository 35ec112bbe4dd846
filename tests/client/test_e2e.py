"""The client against a real `dyad serve`: pages, conflicts, rate limits, exports, the CLI."""

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from dyad_client import Conflict, Dyad, RateLimited

from tests.client.conftest import Served
from tests.e2e.test_serve import IRN_AZE_2012_2013, PRECISION_RANK

DYAD_CLIENT = str(Path(sys.executable).with_name("dyad-client"))


@pytest.fixture(scope="module")
def meetings(served: Served, tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """240 events between France and Germany, imported once, in the documented order.

    Three a day, and every tenth dated only to its month: ties and precisions to order.
    """
    records = []
    for n in range(240):
        day = date(2020, 1, 1) + timedelta(days=n // 3)
        records.append(
            {
                "id": f"meeting-{n:03d}",
                "title": f"Meeting number {n}",
                "summary": "Delegations met; " * 20,
                "date": day.isoformat()[:7] if n % 10 == 0 else day.isoformat(),
                "countries": ["DEU", "FRA"],
                "type": "consult",
                "tags": ["talks", f"round-{n % 7}"],
            }
        )
    path = tmp_path_factory.mktemp("meetings") / "meetings.json"
    path.write_text(json.dumps(records))
    with served.client() as dyad:
        assert dyad.import_file(path).created == 240
    return sorted(records, key=order_key)


def order_key(record: dict[str, Any]) -> tuple[str, int, str]:
    """The documented order: date_lower, then finer precision first, then id."""
    precise = len(record["date"]) == 10
    lower = record["date"] if precise else record["date"] + "-01"
    return lower, PRECISION_RANK["day" if precise else "month"], record["id"]


def test_hundreds_of_events_are_walked_page_by_page_each_exactly_once(served, meetings):
    with served.client() as dyad:
        pages = list(dyad.events(dyad="FRA-DEU", tag="talks", page_size=50).pages())
        assert [len(page.items) for page in pages] == [50, 50, 50, 50, 40]
        ids = [event.id for page in pages for event in page.items]
        assert ids == [record["id"] for record in meetings]

        # Events written while a walk is under way: one after the cursor is met once, one
        # before it (already passed) is not, and nothing is seen twice.
        seen = []
        for n, event in enumerate(dyad.events(dyad="DEU-FRA", page_size=50)):
            if n == 75:
                talks = {"type": "consult", "countries": ["DEU", "FRA"]}
                dyad.create_event(talks | {"title": "Later talks", "date": "2021-01-05"})
                dyad.create_event(talks | {"title": "Earlier talks", "date": "2019-01-05"})
            seen.append(event.id)
    assert len(seen) == len(set(seen)) == 241
    assert seen[:240] == ids
    assert seen[-1] == "2021-01-05-later-talks"


def test_a_stale_write_is_a_conflict_and_a_fresh_read_succeeds(served):
    with served.client() as alice, served.client() as bob:
        created = alice.create_event(
            {
                "id": "e2e-armenia-talks",
                "title": "Armenian talks",
                "date": "2014-02",
                "countries": ["ARM"],
                "type": "consult",
            }
        )
        alices = alice.event(created.id)
        bobs = bob.event(created.id)
        assert alice.update_event(alices, {"tone": 3}).version == 2
        with pytest.raises(Conflict) as caught:
            bob.update_event(bobs, {"tone": -3})
        assert (caught.value.status, caught.value.current_version) == (412, 2)
        assert bob.event(created.id).tone == 3.0

        again = bob.update_event(bob.event(created.id), {"tone": -3})
        assert (again.version, again.tone) == (3, -3.0)


def test_a_streamed_export_holds_what_the_json_pages_list(served, meetings, tmp_path):
    ndjson = tmp_path / "events.ndjson"
    csv_out = io.BytesIO()
    progress: list[int] = []
    with served.client() as dyad:
        written = dyad.export(
            "ndjson", ndjson, dyad="DEU-FRA", tag="talks", progress=progress.append
        )
        dyad.export("csv", csv_out, dyad="DEU-FRA", tag="talks")

    items = []
    url: str | None = f"{served.url}/v1/events?dyad=DEU-FRA&tag=talks&limit=100"
    while url:
        page = httpx.get(url, timeout=10)
        items += page.json()["items"]
        url = page.links.get("next", {}).get("url")

    lines = [json.loads(line) for line in ndjson.read_text().splitlines()]
    assert [item["id"] for item in items] == [record["id"] for record in meetings]
    assert lines == items
    assert written == ndjson.stat().st_size
    assert len(progress) > 1  # it arrived in pieces, and was written as it came
    rows = list(csv.DictReader(io.StringIO(csv_out.getvalue().decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == [item["id"] for item in items]
    assert rows[0]["countries"] == "DEU;FRA"


async def _burst(url: str, key: str, count: int) -> list[httpx.Response]:
    """`count` requests at once; to a path that is not there, so none of them waits on SQL."""
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as http:
        return await asyncio.gather(*[http.get("/v1/nothing-here") for _ in range(count)])


def test_a_rate_limited_client_waits_as_told_and_carries_on(served):
    # The read key's budget (20 a second) is spent at once; no other test uses it.
    burst = asyncio.run(_burst(served.url, served.read_key, 30))
    assert {response.status_code for response in burst} == {404, 429}
    refused = [response for response in burst if response.status_code == 429]
    assert refused[0].headers["Content-Type"] == "application/problem+json"
    assert refused[0].json()["status"] == 429
    assert int(refused[0].headers["Retry-After"]) >= 1
    assert refused[0].headers["RateLimit-Limit"] == "20"

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    with Dyad(served.url, served.read_key, sleep=sleep) as patient:
        counts = [patient.relation("AZE", "IRN").count for _ in range(25)]
    assert counts == [10] * 25
    assert waits and all(wait >= 1 for wait in waits)

    with (
        Dyad(served.url, served.read_key, max_retries=0) as impatient,
        pytest.raises(RateLimited) as caught,
    ):
        for _ in range(30):
            impatient.countries()
    assert caught.value.status == 429
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1


def _environment(url: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("DYAD_")}
    return env | {"DYAD_URL": url}


def test_the_command_line_exports_csv_from_a_real_server(served):
    argv = ["events", "--dyad", "AZE-IRN", "--from", "2012", "--to", "2013", "--format", "csv"]
    result = subprocess.run(
        [DYAD_CLIENT, *argv], env=_environment(served.url), capture_output=True, timeout=60
    )
    assert (result.returncode, result.stderr) == (0, b"")
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == IRN_AZE_2012_2013

    missing = subprocess.run(
        [DYAD_CLIENT, "event", "no-such-event"],
        env=_environment(served.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert missing.returncode == 3
    assert missing.stderr == "dyad-client: 404 Not Found: No event with id 'no-such-event'.\n"
