"""GET /v1/events as streamed exports: CSV, NDJSON, iCalendar and TimelineJS."""

import csv
import io
import itertools
import json
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert, update

from app.events import csv_cells, formats
from app.events.csv_cells import CSV_COLUMNS
from app.events.filters import EventQuery
from app.events.formats import ExportContext
from app.events.models import Event, EventCountry, TimelineDocument
from app.events.public import store_documents
from tests.factories import make_actor, make_event, make_source
from tests.support import walk_pages

SEED_COUNT = 11
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "ics": "text/calendar; charset=utf-8",
    "timelinejs": "application/json",
}
EXTENSIONS = {"csv": "csv", "ndjson": "ndjson", "ics": "ics", "timelinejs": "json"}


# --- reading exports back ---------------------------------------------------------------


def items(client: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of the JSON pages of /v1/events."""
    return [item for page in walk_pages(client, "/v1/events", params) for item in page["items"]]


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert not body.startswith(b"\xef\xbb\xbf"), "CSV has a BOM only when asked"
    reader = csv.DictReader(io.StringIO(body.decode("utf-8"), newline=""))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def ndjson_items(body: bytes) -> list[dict[str, Any]]:
    assert body == b"" or body.endswith(b"\n")
    return [json.loads(line) for line in body.decode("utf-8").splitlines()]


def vevents(body: bytes) -> list[icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0"
    assert "Dyad" in str(calendar["PRODID"])
    return list(calendar.events)


def slides(body: bytes) -> list[dict[str, Any]]:
    document = json.loads(body)
    TimelineDocument.model_validate(document)  # as the OpenAPI schema documents it
    assert document["title"]["text"]["headline"]
    events: list[dict[str, Any]] = document["events"]
    return events


def export_ids(export_format: str, body: bytes) -> list[str]:
    """The event ids of an export, in its order, whatever the format."""
    if export_format == "csv":
        return [row["id"] for row in csv_rows(body)]
    if export_format == "ndjson":
        return [item["id"] for item in ndjson_items(body)]
    if export_format == "ics":
        return [str(component["UID"]).removesuffix("@dyad") for component in vevents(body)]
    return [slide["unique_id"] for slide in slides(body)]


def export(client: Any, export_format: str, **params: Any) -> bytes:
    response = client.get("/v1/events", params={**params, "format": export_format})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == MEDIA_TYPES[export_format]
    body: bytes = response.content
    return body


ALL_FORMATS = pytest.mark.parametrize("export_format", list(MEDIA_TYPES))


# --- every format ------------------------------------------------------------------------


@ALL_FORMATS
def test_export_has_every_seed_event_in_list_order(client, seeded, export_format):
    expected = [item["id"] for item in items(client, {"limit": 4})]
    assert len(expected) == SEED_COUNT
    assert export_ids(export_format, export(client, export_format)) == expected


@ALL_FORMATS
def test_export_is_an_attachment_named_after_its_format(client, seeded, export_format):
    response = client.get("/v1/events", params={"format": export_format})
    disposition = f'attachment; filename="dyad-events.{EXTENSIONS[export_format]}"'
    assert response.headers["content-disposition"] == disposition
    assert response.headers["vary"] == "Accept"


@ALL_FORMATS
def test_export_ignores_limit_and_cursor(client, seeded, export_format):
    first_page = client.get("/v1/events", params={"limit": 2}).json()
    body = export(client, export_format, limit=2, cursor=first_page["next_cursor"])
    assert len(export_ids(export_format, body)) == SEED_COUNT


@ALL_FORMATS
def test_dyad_and_date_filters_apply_to_exports(client, session, export_format):
    make_event(session, id="aze-irn-2012", date="2012-12-31", countries=["AZE", "IRN"])
    make_event(session, id="aze-irn-2013-03", date="2013-03", countries=["IRN", "AZE"])
    make_event(session, id="aze-irn-2013-06", date="2013-06-01", countries=["AZE", "IRN", "ISR"])
    make_event(session, id="aze-arm-2013-03", date="2013-03-02", countries=["AZE", "ARM"])
    make_event(session, id="aze-irn-2014", date="2014-01-01", countries=["AZE", "IRN"])
    body = export(client, export_format, dyad="ir-az", **{"from": "2013-03-15", "to": "2013-06"})
    assert export_ids(export_format, body) == ["aze-irn-2013-03", "aze-irn-2013-06"]


@ALL_FORMATS
def test_sort_applies_to_exports(client, seeded, export_format):
    expected = [item["id"] for item in items(client, {"sort": "-date"})]
    assert export_ids(export_format, export(client, export_format, sort="-date")) == expected


@ALL_FORMATS
def test_export_of_no_match_is_an_empty_document(client, seeded, export_format):
    body = export(client, export_format, country="BRA")
    assert export_ids(export_format, body) == []


@ALL_FORMATS
def test_filter_error_is_a_422_problem_before_streaming(client, export_format):
    response = client.get("/v1/events", params={"format": export_format, "from": "2013-13"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "content-disposition" not in response.headers
    problem = response.json()
    assert problem["status"] == 422
    assert [error["loc"] for error in problem["errors"]] == [["query", "from"]]


def test_unknown_format_is_a_422_problem(client):
    response = client.get("/v1/events", params={"format": "xml"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


@ALL_FORMATS
def test_export_larger_than_a_batch_arrives_complete_and_in_order(client, session, export_format):
    # Inserted in bulk: 1,200 events through the services would take long and test nothing more.
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": f"bulk-{n:04d}",
            "title": f"Bulk event {n}",
            "date": (date(2000, 1, 1) + timedelta(days=n // 3)).isoformat(),
            "date_lower": date(2000, 1, 1) + timedelta(days=n // 3),
            "date_upper": date(2000, 1, 1) + timedelta(days=n // 3),
            "date_precision": "day",
            "type": "consult",
            "status": "unsourced",
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        # In reverse, so that the insertion order is not the documented order by chance.
        for n in reversed(range(1200))
    ]
    connection = session.connection()
    connection.execute(insert(Event.__table__), rows)  # type: ignore[attr-defined]
    connection.execute(
        insert(EventCountry.__table__),  # type: ignore[attr-defined]
        [{"event_id": row["id"], "country": c} for row in rows for c in ("AZE", "IRN")],
    )
    store_documents(session, [str(row["id"]) for row in rows])
    expected = [f"bulk-{n:04d}" for n in range(1200)]  # three a day, then by id
    assert [item["id"] for item in items(client, {"limit": 500})] == expected
    assert export_ids(export_format, export(client, export_format)) == expected


@pytest.mark.parametrize("chosen", formats.EXPORTS.values(), ids=lambda export: export.extension)
def test_writers_stream_without_reading_every_event_first(seeded, chosen):
    event = next(chosen.items(seeded, EventQuery()))  # an event dict, or a flat row
    endless = itertools.repeat(event)  # a writer that collected its input would never return
    context = ExportContext(events_url="https://dyad.example.org/v1/events")
    chunks = chosen.write(endless, context)
    assert all(next(chunks) for _ in range(3))


# --- content negotiation -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "media_type"),
    [
        ("text/csv", MEDIA_TYPES["csv"]),
        ("application/x-ndjson", MEDIA_TYPES["ndjson"]),
        ("text/calendar", MEDIA_TYPES["ics"]),
        ("text/calendar; charset=utf-8", MEDIA_TYPES["ics"]),
        ("text/csv;q=0.5, application/x-ndjson", MEDIA_TYPES["ndjson"]),
        ("application/json;q=0.9, text/csv", MEDIA_TYPES["csv"]),
        ("text/csv, */*;q=0.1", MEDIA_TYPES["csv"]),
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        ("text/csv;q=0, application/json", "application/json"),
        ("image/png", "application/json"),
    ],
)
def test_accept_header_chooses_the_format(client, seeded, accept, media_type):
    response = client.get("/v1/events", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == media_type
    assert response.headers["vary"] == "Accept"
    if media_type == "application/json":
        assert len(response.json()["items"]) == SEED_COUNT
        assert "content-disposition" not in response.headers
    else:
        assert response.headers["content-disposition"].startswith("attachment;")


@pytest.mark.parametrize(("export_format", "accept"), [("json", "text/csv"), ("ics", "text/csv")])
def test_explicit_format_wins_over_accept(client, seeded, export_format, accept):
    response = client.get(
        "/v1/events", params={"format": export_format}, headers={"Accept": accept}
    )
    expected = "application/json" if export_format == "json" else MEDIA_TYPES[export_format]
    assert response.headers["content-type"] == expected


# --- CSV ----------------------------------------------------------------------------------


def test_csv_has_a_bom_a_header_and_lists_joined_with_semicolons(client, seeded):
    rows = {row["id"]: row for row in csv_rows(export(client, "csv"))}
    assert len(rows) == SEED_COUNT
    row = rows["2012-08-aliyev-declines-nam-summit"]
    assert row["countries"] == "AZE;IRN"
    assert row["tags"] == "diplomacy;summit"
    assert row["actors"] == "ilham-aliyev;government-of-iran"
    assert row["actor_names"].startswith("Ilham Aliyev;")
    assert row["date"] == "2012-08"
    assert (row["date_lower"], row["date_upper"], row["date_precision"]) == (
        "2012-08-01",
        "2012-08-31",
        "month",
    )
    assert row["end_date"] == ""
    assert row["tone"] == "-5.0"  # a number, not neutralised
    assert row["location_name"] == "Tehran"
    assert (row["location_lat"], row["location_lon"]) == ("35.69", "51.39")
    assert (
        row["source_urls"]
        == "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"
    )
    assert row["source_publishers"] == "New Eastern Outlook"
    assert row["status"] == "reported"


def test_csv_round_trips_azerbaijani_and_persian_text(client, session):
    actor = make_actor(session, name="İlham Əliyev")
    source = make_source(session, publisher="ایران", url="https://news.example.org/fa/خبر")
    make_event(
        session,
        id="unicode",
        title="Əliyev Tehranda görüşdü",
        summary="رئیس‌جمهور آذربایجان در تهران — «دیدار»",
        tags=["əlaqələr", "دیپلماسی"],
        actors=[{"id": actor, "role": "initiator"}],
        location={"name": "تهران", "country": "IRN"},
        citations=[{"source_id": source}],
    )
    [row] = csv_rows(export(client, "csv"))
    assert row["title"] == "Əliyev Tehranda görüşdü"
    assert row["summary"] == "رئیس‌جمهور آذربایجان در تهران — «دیدار»"
    assert row["tags"].split(";") == sorted(["əlaqələr", "دیپلماسی"])
    assert row["actor_names"] == "İlham Əliyev"
    assert row["location_name"] == "تهران"
    assert row["source_publishers"] == "ایران"


def test_csv_neutralises_text_cells_a_spreadsheet_would_run(client, session):
    make_event(
        session,
        id="formula",
        title='=HYPERLINK("https://evil.example","click")',
        summary="+1 more",
        tags=["@sum", "ok"],
        tone=-3,
        location={"name": "-Baku"},
    )
    make_event(session, id="plain", title="Talks resume", summary="=", tone=4)
    rows = {row["id"]: row for row in csv_rows(export(client, "csv"))}
    formula = rows["formula"]
    assert formula["title"] == '\'=HYPERLINK("https://evil.example","click")'
    assert formula["summary"] == "'+1 more"
    assert formula["tags"] == "'@sum;ok"
    assert formula["location_name"] == "'-Baku"
    assert formula["tone"] == "-3.0"  # numbers stay numbers
    assert rows["plain"]["title"] == "Talks resume"
    assert rows["plain"]["summary"] == "'="


def test_csv_times_are_the_documents_in_utc_with_microseconds_only_when_there_are_some(
    client, session
):
    # The times of a line come from the database's columns, the other cells from what the
    # document made: both must say what the JSON says.
    plus_four = timezone(timedelta(hours=4))
    times = {
        "whole": (
            datetime(2026, 1, 1, tzinfo=UTC),
            datetime(2026, 1, 2, 7, 4, 5, tzinfo=plus_four),
        ),
        "fraction": (
            datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC),
            datetime(2026, 1, 2, 3, 4, 5, 120000, tzinfo=UTC),
        ),
    }
    for event_id, (created, updated) in times.items():
        make_event(session, id=event_id)
        session.connection().execute(
            update(Event.__table__)  # type: ignore[attr-defined]
            .where(Event.__table__.c.id == event_id)  # type: ignore[attr-defined]
            .values(created_at=created, updated_at=updated)
        )
    store_documents(session, list(times))
    rows = {row["id"]: row for row in csv_rows(export(client, "csv"))}
    assert (rows["whole"]["created_at"], rows["whole"]["updated_at"]) == (
        "2026-01-01T00:00:00+00:00",
        "2026-01-02T03:04:05+00:00",
    )
    assert (rows["fraction"]["created_at"], rows["fraction"]["updated_at"]) == (
        "2026-01-01T00:00:00.000005+00:00",
        "2026-01-02T03:04:05.120000+00:00",
    )
    for event_id in times:
        document = client.get(f"/v1/events/{event_id}").json()
        for name in ("created_at", "updated_at"):
            assert rows[event_id][name] == document[name].removesuffix("Z") + "+00:00"


def test_csv_quotes_commas_quotes_and_line_breaks(client, session):
    make_event(session, id="quoted", title='He said "no", twice', summary="line one\nline two")
    [row] = csv_rows(export(client, "csv"))
    assert row["title"] == 'He said "no", twice'
    assert row["summary"] == "line one\nline two"


def _written_by_csv_module(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(cells)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "cells",
    [
        ["plain", "", "Əliyev", "-5.0"],
        ['He said "no"', "x"],
        ["a,b", "c"],
        ["line\nbreak", "carriage\rreturn", "both\r\n"],
        ["", ""],
        ['"', ",", '""', "'=1"],
    ],
)
def test_csv_lines_are_what_csv_writer_writes(cells):
    assert csv_cells.csv_line(cells) == _written_by_csv_module(cells)


@given(st.lists(st.text(), min_size=2, max_size=6))
def test_csv_lines_of_any_text_are_what_csv_writer_writes(cells):
    assert csv_cells.csv_line(cells) == _written_by_csv_module(cells)


# --- NDJSON -------------------------------------------------------------------------------


def test_ndjson_lines_equal_the_items_of_the_json_pages(client, seeded):
    lines = ndjson_items(export(client, "ndjson"))
    assert lines == items(client, {"limit": 3})


def test_ndjson_takes_the_fields_of_lean_pages(client, seeded):
    lines = ndjson_items(export(client, "ndjson", fields="id,date"))
    assert lines == items(client, {"fields": "id,date"})
    assert set(lines[0]) == {"id", "date"}


# --- iCalendar -----------------------------------------------------------------------------


def test_a_server_imports_icalendar_only_to_write_an_icalendar_export():
    # A few megabytes in every worker process otherwise, for the one export that uses it.
    script = (
        "import sys; from app.main import create_app; create_app();"
        "print('icalendar' in sys.modules);"
        "from app.events import formats; formats._calendar_header();"
        "print('icalendar' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize(
    ("edtf", "end_date", "start", "end"),
    [
        ("2013-03-30", None, date(2013, 3, 30), date(2013, 3, 31)),
        ("2012-08", None, date(2012, 8, 1), date(2012, 9, 1)),
        ("2013?", None, date(2013, 1, 1), date(2014, 1, 1)),
        ("2012-12~", None, date(2012, 12, 1), date(2013, 1, 1)),
        ("2013-03-30", "2013-05", date(2013, 3, 30), date(2013, 6, 1)),
    ],
)
def test_ics_events_are_all_day_from_first_to_day_after_last(
    client, session, edtf, end_date, start, end
):
    make_event(session, id="dated", date=edtf, end_date=end_date)
    [component] = vevents(export(client, "ics"))
    assert component["DTSTART"].params["VALUE"] == "DATE"
    assert component["DTEND"].params["VALUE"] == "DATE"
    dtstart, dtend = component.decoded("DTSTART"), component.decoded("DTEND")
    assert not isinstance(dtstart, datetime)
    assert not isinstance(dtend, datetime)
    assert (dtstart, dtend) == (start, end)


def test_ics_uids_and_bytes_are_stable_across_exports(client, seeded):
    first, second = export(client, "ics"), export(client, "ics")
    uids = [str(component["UID"]) for component in vevents(first)]
    assert len(uids) == len(set(uids)) == SEED_COUNT
    assert "2012-08-aliyev-declines-nam-summit@dyad" in uids
    assert first == second


def test_ics_event_carries_title_description_sources_and_link(client, session):
    source = make_source(
        session,
        url="https://news.example.org/denial",
        title="Baku denies it",
        publisher="APA",
    )
    event = make_event(
        session,
        id="disputed-claim",
        title="Airbases claim; denied, later",
        summary="A claim about airbases.",
        type="accuse",
        tags=["military", "israel"],
        location={"name": "Baku", "country": "AZE", "lat": 40.41, "lon": 49.87},
        citations=[{"source_id": source, "stance": "disputes", "quote": "No such access."}],
    )
    [component] = vevents(export(client, "ics"))
    assert str(component["UID"]) == "disputed-claim@dyad"
    assert str(component["SUMMARY"]) == "Airbases claim; denied, later"
    description = str(component["DESCRIPTION"])
    assert description.startswith("A claim about airbases.")
    assert "disputed" in description
    assert "https://news.example.org/denial" in description
    assert "No such access." in description
    assert str(component["URL"]) == "http://testserver/v1/events/disputed-claim"
    assert [str(name) for name in component.categories] == ["accuse", "israel", "military"]
    changed = event.updated_at.replace(microsecond=0)  # iCalendar times are in seconds
    assert component.decoded("LAST-MODIFIED") == changed
    assert component.decoded("DTSTAMP") == changed
    assert str(component["LOCATION"]) == "Baku"


# --- TimelineJS -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edtf", "start_date", "display_date"),
    [
        ("2013-03-30", {"year": 2013, "month": 3, "day": 30}, "30 March 2013"),
        ("2012-08", {"year": 2012, "month": 8}, "August 2012"),
        ("2013-04~", {"year": 2013, "month": 4}, "about April 2013"),
        ("2013?", {"year": 2013}, "2013 (uncertain)"),
    ],
)
def test_timelinejs_dates_follow_the_edtf_precision(
    client, session, edtf, start_date, display_date
):
    make_event(session, id="dated", date=edtf)
    [slide] = slides(export(client, "timelinejs"))
    assert slide["start_date"] == start_date
    assert "end_date" not in slide
    assert slide["display_date"] == display_date


def test_timelinejs_end_date_follows_its_own_precision(client, session):
    make_event(session, id="span", date="2013-03-30", end_date="2014")
    [slide] = slides(export(client, "timelinejs"))
    assert slide["start_date"] == {"year": 2013, "month": 3, "day": 30}
    assert slide["end_date"] == {"year": 2014}
    assert slide["display_date"] == "30 March 2013 – 2014"


def test_timelinejs_slides_have_headline_group_id_and_escaped_html(client, session):
    source = make_source(session, title="<b>Bold</b> & co", publisher="A & B")
    make_event(
        session,
        id="html-title",
        title="<script>alert(1)</script> & more",
        summary="Tom & Jerry <i>meet</i>",
        type="protest",
        citations=[{"source_id": source, "stance": "disputes", "quote": "<img src=x>"}],
    )
    [slide] = slides(export(client, "timelinejs"))
    assert slide["unique_id"] == "html-title"
    assert slide["group"] == "protest"
    assert slide["text"]["headline"] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
    text = slide["text"]["text"]
    assert "<p>Tom &amp; Jerry &lt;i&gt;meet&lt;/i&gt;</p>" in text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in text
    assert "&lt;img src=x&gt;" in text
    assert "<script>" not in text
    assert "<img" not in text
    assert "Disputed" in text


def test_timelinejs_of_the_seed_marks_uncertain_years(client, seeded):
    by_id = {slide["unique_id"]: slide for slide in slides(export(client, "timelinejs"))}
    slide = by_id["2013-us-led-sanctions-on-iran"]
    assert slide["start_date"] == {"year": 2013}
    assert slide["display_date"] == "2013 (uncertain)"
    assert slide["group"] == "sanction"


@ALL_FORMATS
def test_search_and_relevance_apply_to_exports(client, seeded, export_format):
    params = {"q": "Baku conference", "sort": "relevance"}
    expected = [item["id"] for item in items(client, params)]
    assert expected
    assert export_ids(export_format, export(client, export_format, **params)) == expected


def test_csv_has_a_byte_order_mark_only_with_bom_true(client, seeded):
    plain = client.get("/v1/events", params={"format": "csv", "dyad": "AZE-IRN"})
    for_excel = client.get("/v1/events", params={"format": "csv", "dyad": "AZE-IRN", "bom": "true"})

    assert plain.status_code == for_excel.status_code == 200
    assert next(csv.DictReader(io.StringIO(plain.text))).keys() == set(CSV_COLUMNS)
    assert for_excel.content == b"\xef\xbb\xbf" + plain.content
