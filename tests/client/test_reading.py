"""Dyad's reading methods against the real app, in-process: typed results and lazy pages."""

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from dyad_client import (
    BadRequest,
    Change,
    Citation,
    Event,
    InvalidInput,
    Link,
    NotFound,
    Partner,
    Source,
    to_records,
)

from tests.e2e.test_serve import IRN_AZE_2012_2013
from tests.factories import make_event

CLAIM = "2013-03-perry-israel-airbases-claim"
DENIAL = "2013-03-perry-israel-airbases-denial"
NEO = "neo-2013-06-21-pivin-iran-azerbaijan"


def test_events_are_fetched_lazily_page_by_page_following_the_cursors(seeded, dyad, transport):
    events = dyad.events(dyad="IRN-AZE", from_=2012, to=2013, page_size=3)
    assert transport.requests == []  # nothing is asked before the first item is wanted

    first = next(iter(events))
    assert first.id == IRN_AZE_2012_2013[0]
    assert len(transport.requests) == 1

    transport.requests.clear()
    assert [event.id for event in events] == IRN_AZE_2012_2013
    assert len(transport.requests) == 4  # 3 + 3 + 3 + 1
    sent = [dict(request.url.params.multi_items()) for request in transport.requests]
    assert [params.get("cursor") is None for params in sent] == [True, False, False, False]
    assert {(p["dyad"], p["from"], p["to"], p["limit"]) for p in sent} == {
        ("IRN-AZE", "2012", "2013", "3")
    }


def test_every_page_is_walked_with_repeated_filters_meaning_any(seeded, session, dyad):
    for n in range(7):
        make_event(session, id=f"armenia-{n}", countries=["ARM", "GEO"], date=f"2014-0{n + 1}")
    session.flush()
    pages = list(dyad.events(country=["ARM", "ISR"], page_size=4).pages())
    ids = [event.id for page in pages for event in page.items]
    assert len(pages) == 3
    assert ids == [
        "2013-03-perry-israel-airbases-claim",
        "2013-03-perry-israel-airbases-denial",
        *[f"armenia-{n}" for n in range(7)],
    ]
    assert pages[-1].next_cursor is None


def test_an_event_is_typed_with_its_sources_and_links(seeded, dyad):
    claim = dyad.event(CLAIM)
    assert isinstance(claim, Event)
    assert (claim.date, claim.date_lower, claim.date_upper) == (
        "2013-03",
        date(2013, 3, 1),
        date(2013, 3, 31),
    )
    assert claim.date_precision == "month"
    assert claim.countries == ["AZE", "IRN", "ISR"]
    assert claim.status == "disputed"
    assert [citation.stance for citation in claim.citations] == ["supports", "disputes"]
    assert claim.disputing == [claim.citations[1]]
    assert claim.disputing[0].quote == "Azerbaijan then had to deny that information at all levels."
    source = claim.citations[0].source
    assert isinstance(claim.citations[0], Citation) and isinstance(source, Source)
    assert (source.id, source.publisher, source.published) == (
        NEO,
        "New Eastern Outlook",
        "2013-06-21",
    )
    assert claim.linked_from == [Link(DENIAL, "denies")]
    assert claim.version == 1
    assert isinstance(claim.updated_at, datetime) and claim.updated_at.tzinfo is not None


def test_an_event_as_it_stood_before_an_update(seeded, editor):
    before = datetime.now(UTC)
    editor.update_event(CLAIM, {"tone": -3})
    assert editor.event(CLAIM).tone == -3
    past = editor.event(CLAIM, as_of=before + timedelta(microseconds=-1))
    assert (past.version, past.tone) == (1, None)


def test_an_unknown_event_is_not_found_with_the_problem_details(seeded, dyad):
    with pytest.raises(NotFound) as caught:
        dyad.event("no-such-event")
    error = caught.value
    assert (error.status, error.title) == (404, "Not Found")
    assert error.detail == "No event with id 'no-such-event'."
    assert error.instance == "/v1/events/no-such-event"
    assert error.request_id
    assert str(error) == "404 Not Found: No event with id 'no-such-event'."


def test_invalid_filters_raise_with_each_invalid_input(seeded, dyad):
    with pytest.raises(InvalidInput) as caught:
        dyad.events(country="XX", from_="2013-02-30").to_list()
    error = caught.value
    assert error.status == 422
    assert [item["loc"] for item in error.errors] == [["query", "from"], ["query", "country", 0]]
    assert "'2013-02-30' is not a valid calendar date" in str(error)


def test_a_cursor_the_api_did_not_make_is_a_bad_request(dyad):
    with pytest.raises(BadRequest) as caught:
        dyad.changes_page("not-a-cursor")
    assert caught.value.status == 400
    assert caught.value.detail.startswith("Invalid cursor")


def test_count_matches_the_events_listed(seeded, dyad):
    assert dyad.count(dyad="AZE-IRN", from_=2012, to=2013) == len(IRN_AZE_2012_2013)
    assert dyad.count(status="disputed") == 1


def test_timeline_counts_each_period(seeded, dyad):
    timeline = dyad.timeline(dyad="AZE-IRN", from_=2012, to=2013, bucket="year")
    assert timeline.bucket == "year"
    assert [(b.period, b.start, b.end, b.count) for b in timeline.buckets] == [
        ("2012", date(2012, 1, 1), date(2012, 12, 31), 1),
        ("2013", date(2013, 1, 1), date(2013, 12, 31), 9),
    ]
    assert timeline.buckets[0].types == {"reject": 1}
    assert timeline.buckets[0].tone_mean == -5.0
    assert timeline.to_records()[0] == {
        "period": "2012",
        "start": date(2012, 1, 1),
        "end": date(2012, 12, 31),
        "count": 1,
        "tone_mean": -5.0,
        "types": "reject=1",
        "imprecise": 0,
    }


def test_a_pair_is_the_same_in_either_order_and_either_form(seeded, dyad):
    relation = dyad.relation("IRN", "AZE")
    assert relation == dyad.relation("az-ir")
    assert relation.countries == ["AZE", "IRN"]
    assert (relation.count, relation.disputed) == (10, 1)
    assert relation.by_year == {"2012": 1, "2013": 9}
    assert (relation.first_date, relation.last_date) == (date(2012, 8, 1), date(2013, 12, 31))
    assert relation.top_actors[0].id == "government-of-azerbaijan"
    assert dyad.relation("AZE", "IRN", to=2012).count == 1


def test_relations_list_a_countrys_partners(seeded, dyad):
    partners = dyad.relations("IRN")
    assert [(p.country, p.count) for p in partners] == [("AZE", 10), ("ISR", 2), ("USA", 2)]
    assert isinstance(partners[0], Partner)
    assert partners[0].first_date == date(2012, 8, 1)
    assert [p.country for p in dyad.relations("ir", type="accuse")] == ["AZE"]


def test_actors_and_sources_are_paged_and_typed(seeded, dyad):
    iranians = dyad.actors(country="IRN", page_size=2)
    ids = [actor.id for actor in iranians]
    assert ids == sorted(ids, key=lambda i: dyad.actor(i).name)
    assert "ali-khamenei" in ids and len(list(iranians.pages())) == (len(ids) + 1) // 2
    khamenei = dyad.actor("ali-khamenei")
    assert (khamenei.name, khamenei.kind, khamenei.country) == ("Ali Khamenei", "person", "IRN")
    assert khamenei.event_count == 1
    assert "Supreme Ayatollah Khamenei" in khamenei.aliases

    sources = dyad.sources(publisher="new eastern outlook").to_list()
    assert [source.id for source in sources] == [NEO]
    assert sources[0].citation_count == 14
    source = dyad.source(NEO)
    assert source.title == "Iran-Azerbaijan: Conflict or Friendship?"
    assert source.events[0].id == "2012-08-aliyev-declines-nam-summit"
    assert {(e.id, e.stance) for e in source.events if e.id == CLAIM} == {
        (CLAIM, "supports"),
        (CLAIM, "disputes"),
    }


def test_vocabularies_come_with_their_counts(seeded, dyad):
    countries = dyad.countries()
    assert [(c.code, c.name, c.count) for c in countries][:2] == [
        ("IRN", "Iran", 11),
        ("AZE", "Azerbaijan", 10),
    ]
    types = {t.type: t for t in dyad.event_types()}
    assert len(types) == 16
    assert (types["reject"].mode, types["reject"].orientation) == ("verbal", "conflictual")
    assert types["reject"].count == 3
    assert dyad.tags()[0].tag == "diplomacy"


def test_changes_follow_the_feed_and_resume_from_a_cursor(seeded, session, dyad):
    changes = list(dyad.changes(page_size=4))
    assert len(changes) == 11
    assert all(isinstance(change, Change) for change in changes)
    assert [change.action for change in changes] == ["create"] * 11
    assert changes[0].event.id == "2012-08-aliyev-declines-nam-summit"
    assert changes[0].key_name == "seed"

    caught_up = dyad.changes_page(limit=100)
    make_event(session, id="after-the-cursor")
    session.flush()
    later = list(dyad.changes(since=caught_up.next_cursor))
    assert [(change.event_id, change.action, change.version) for change in later] == [
        ("after-the-cursor", "create", 1)
    ]


def test_revisions_and_citation_of_an_event(seeded, editor):
    editor.update_event(CLAIM, {"tags": ["israel", "military", "airbases"]})
    revisions = editor.revisions(CLAIM)
    assert [(r.version, r.action, r.key_name) for r in revisions] == [
        (2, "update", "editor"),
        (1, "create", "seed"),
    ]
    assert revisions[0].event.tags == ["airbases", "israel", "military"]

    text = editor.citation(CLAIM, style="markdown")
    assert text.startswith(
        "**Mark Perry writes in Foreign Policy that Israel has gained access to airbases"
    )
    assert "New Eastern Outlook" in text


def test_csv_export_streams_every_match_to_a_file_object(seeded, dyad):
    out = io.BytesIO()
    seen: list[int] = []
    written = dyad.export("csv", out, dyad="AZE-IRN", from_=2012, to=2013, progress=seen.append)
    data = out.getvalue()
    assert written == len(data) > 0
    assert seen and seen[-1] == written and seen == sorted(seen)
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == IRN_AZE_2012_2013
    assert rows[0]["countries"] == "AZE;IRN"


def test_ndjson_export_to_a_path_holds_the_items_of_the_json_pages(seeded, dyad, tmp_path):
    path = tmp_path / "events.ndjson"
    dyad.export("ndjson", path, sort="-date", status="disputed")
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [line["id"] for line in lines] == [CLAIM]
    assert Event.from_json(lines[0]) == dyad.event(CLAIM)


def test_an_unknown_export_format_is_refused_before_any_request(dyad, transport):
    with pytest.raises(ValueError, match="csv, ndjson, ics, timelinejs"):
        dyad.export("xlsx", io.BytesIO())
    assert transport.requests == []


def test_records_are_flat_rows_with_the_first_source(seeded, dyad):
    records = dyad.events(dyad="AZE-IRN", status="disputed").to_records()
    assert records == to_records([dyad.event(CLAIM)])
    (record,) = records
    assert record["id"] == CLAIM
    assert record["countries"] == "AZE;IRN;ISR"
    assert record["tags"] == "israel;military"
    assert record["source_url"] == (
        "https://journal-neo.org/2013/06/21/iran-azerbaijan-conflict-or-friendship/"
    )
    assert (record["supporting"], record["disputing"]) == (1, 1)
    assert record["date_lower"] == date(2013, 3, 1)


def test_a_dataframe_has_one_row_per_event_and_date_columns(seeded, dyad):
    pandas = pytest.importorskip("pandas")
    frame = dyad.events(dyad="AZE-IRN", from_=2012, to=2013).to_dataframe()
    assert list(frame["id"]) == IRN_AZE_2012_2013
    assert frame.loc[0, "date_lower"] == pandas.Timestamp("2012-08-01")
    assert frame["type"].value_counts()["reject"] == 3
    assert str(frame["date_upper"].dtype).startswith("datetime64")

    timeline = dyad.timeline(dyad="AZE-IRN", bucket="year").to_dataframe()
    assert list(timeline["count"]) == [1, 9]
