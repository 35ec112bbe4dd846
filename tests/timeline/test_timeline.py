"""GET /v1/timeline: matching events counted per period, checked against the event list."""

import json
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session

from app.core.countries import to_alpha3
from app.core.dates import parse, span
from app.core.db import utcnow
from app.events.models import Event
from app.timeline.models import Timeline
from tests.factories import make_event

SEED_DIR = Path(__file__).resolve().parents[2] / "seed"
# How many steps each precision is coarser than a day, to compare with a bucket.
COARSENESS = {"day": 0, "month": 1, "year": 2}


def timeline(client: Any, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/timeline", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert body["bucket"] == params.get("bucket", "year")
    return body


def listed(client: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every event GET /v1/events lists with these filters, walking all its pages."""
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        page = {**params, "limit": 500} | ({"cursor": cursor} if cursor else {})
        response = client.get("/v1/events", params=page)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


def expected_bucket(events: list[dict[str, Any]], bucket: str) -> dict[str, Any]:
    """What a timeline bucket should say of these events, computed in Python."""
    tones = [event["tone"] for event in events if event["tone"] is not None]
    return {
        "count": len(events),
        "tone_mean": sum(tones) / len(tones) if tones else None,
        "types": dict(Counter(event["type"] for event in events)),
        "imprecise": sum(
            COARSENESS[event["date_precision"]] > COARSENESS[bucket] for event in events
        ),
    }


def within(events: list[dict[str, Any]], period: dict[str, Any]) -> list[dict[str, Any]]:
    """The events whose date_lower is in the period of a timeline bucket."""
    return [e for e in events if period["start"] <= e["date_lower"] <= period["end"]]


def assert_agrees_with_the_event_list(client: Any, params: dict[str, Any], bucket: str) -> None:
    """Each period's figures are those of the events the list gives for that period.

    The list matches by overlap, so of its events we keep those whose date_lower is in the
    period: the timeline counts an event in the period of its date_lower. Periods with events
    are also checked against the list asked with that period's from and to.
    """
    body = timeline(client, **params, bucket=bucket)
    everything = listed(client, params)
    assert sum(item["count"] for item in body["buckets"]) == len(everything)
    for item in body["buckets"]:
        got = {key: item[key] for key in ("count", "tone_mean", "types", "imprecise")}
        assert got == expected_bucket(within(everything, item), bucket), (bucket, item["period"])
        if item["count"]:
            overlapping = listed(client, {**params, "from": item["start"], "to": item["end"]})
            expected = expected_bucket(within(overlapping, item), bucket)
            assert got == expected, (bucket, item["period"])
    # The periods run from `from` (or the first event) to `to` (or the last event).
    ends = sorted(event["date_lower"] for event in everything)
    if "from" in params:
        ends.append(parse(params["from"]).lower.isoformat())
    if "to" in params:
        ends.append(parse(params["to"]).upper.isoformat())
    if everything or ("from" in params and "to" in params):
        assert body["buckets"][0]["start"] == period_start(min(ends), bucket)
        assert body["buckets"][-1]["start"] == period_start(max(ends), bucket)
    else:
        assert body["buckets"] == []


def period_start(day: str, bucket: str) -> str:
    """The first day of the year, month or day that holds `day` (ISO text)."""
    return {"year": day[:4] + "-01-01", "month": day[:7] + "-01", "day": day}[bucket]


@pytest.fixture
def varied(session: Session) -> Session:
    """Events over a quarter and across a new year, of every precision, some without tone."""
    rows = [
        ("2012-12-31", None, ["AZE", "IRN"], "reject", -5.0),
        ("2013", None, ["AZE", "IRN"], "accuse", -2.5),
        ("2013-01", None, ["AZE", "IRN", "ISR"], "reject", None),
        ("2013-01-15", None, ["AZE", "ARM"], "consult", 1.5),
        ("2013-01-15", None, ["AZE", "IRN"], "reject", -4.0),
        ("2013-02~", "2013-03", ["IRN", "USA"], "sanction", -6.0),
        ("2013-03-01", None, ["AZE", "IRN"], "agree", 3.0),
        ("2013-03-30", None, ["AZE", "IRN"], "protest", -4.5),
        ("2013-03?", None, ["AZE", "TUR"], "cooperate", 4.0),
    ]
    for n, (when, end, countries, event_type, tone) in enumerate(rows):
        make_event(
            session,
            id=f"varied-{n}",
            date=when,
            end_date=end,
            countries=countries,
            type=event_type,
            tone=tone,
        )
    return session


# --- agreement with the event list -----------------------------------------------------


@pytest.mark.parametrize("bucket", ["year", "month", "day"])
@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="no-filter"),
        pytest.param({"dyad": "IRN-AZE"}, id="dyad"),
        pytest.param({"type": ["reject", "accuse"]}, id="types"),
        pytest.param({"country": "TR"}, id="country"),
        pytest.param({"from": "2013-01-15", "to": "2013-03"}, id="from-to"),
        pytest.param({"dyad": "az-ir", "from": "2013"}, id="dyad-from"),
    ],
)
def test_every_period_agrees_with_the_event_list(client, varied, params, bucket):
    assert_agrees_with_the_event_list(client, params, bucket)


def test_month_buckets_of_varied_events_hold_exact_values(client, varied):
    body = timeline(client, bucket="month")
    assert [(b["period"], b["start"], b["end"]) for b in body["buckets"]] == [
        ("2012-12", "2012-12-01", "2012-12-31"),
        ("2013-01", "2013-01-01", "2013-01-31"),
        ("2013-02", "2013-02-01", "2013-02-28"),
        ("2013-03", "2013-03-01", "2013-03-31"),
    ]
    january = body["buckets"][1]
    assert january == {
        "period": "2013-01",
        "start": "2013-01-01",
        "end": "2013-01-31",
        "count": 4,
        "tone_mean": (-2.5 + 1.5 - 4.0) / 3,
        "types": {"reject": 2, "accuse": 1, "consult": 1},
        "imprecise": 1,  # the year-precision event
    }
    assert body["buckets"][2]["types"] == {"sanction": 1}
    assert body["buckets"][3]["count"] == 3


# --- periods -----------------------------------------------------------------------------


def test_empty_periods_between_are_listed_with_count_zero(client, session):
    make_event(session, id="e1-feb", date="2012-02-10", type="reject", tone=-5)
    make_event(session, id="e2-may", date="2012-05", type="reject", tone=-3)
    body = timeline(client, bucket="month")
    empty: dict[str, Any] = {"count": 0, "tone_mean": None, "types": {}, "imprecise": 0}
    assert body["buckets"] == [
        {
            "period": "2012-02",
            "start": "2012-02-01",
            "end": "2012-02-29",  # a leap year
            "count": 1,
            "tone_mean": -5.0,
            "types": {"reject": 1},
            "imprecise": 0,
        },
        {"period": "2012-03", "start": "2012-03-01", "end": "2012-03-31", **empty},
        {"period": "2012-04", "start": "2012-04-01", "end": "2012-04-30", **empty},
        {
            "period": "2012-05",
            "start": "2012-05-01",
            "end": "2012-05-31",
            "count": 1,
            "tone_mean": -3.0,
            "types": {"reject": 1},
            "imprecise": 0,
        },
    ]


def test_periods_are_labelled_by_year_month_or_day(client, session):
    make_event(session, id="e1", date="2011-12-31")
    make_event(session, id="e2", date="2012-01-02")
    years = timeline(client, bucket="year")["buckets"]
    assert [(b["period"], b["start"], b["end"]) for b in years] == [
        ("2011", "2011-01-01", "2011-12-31"),
        ("2012", "2012-01-01", "2012-12-31"),
    ]
    months = timeline(client, bucket="month")["buckets"]
    assert [b["period"] for b in months] == ["2011-12", "2012-01"]
    days = timeline(client, bucket="day")["buckets"]
    assert [(b["period"], b["start"], b["end"], b["count"]) for b in days] == [
        ("2011-12-31", "2011-12-31", "2011-12-31", 1),
        ("2012-01-01", "2012-01-01", "2012-01-01", 0),
        ("2012-01-02", "2012-01-02", "2012-01-02", 1),
    ]


def test_default_bucket_is_year(client, session):
    make_event(session, date="2013-03-30")
    body = client.get("/v1/timeline").json()
    assert body["bucket"] == "year"
    assert [b["period"] for b in body["buckets"]] == ["2013"]


def test_event_counts_in_the_period_of_its_first_day_only(client, session):
    make_event(session, id="winter", date="2012-11", end_date="2013-02")
    body = timeline(client, bucket="year")
    assert [(b["period"], b["count"]) for b in body["buckets"]] == [("2012", 1)]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({}, id="events"),
        pytest.param({"dyad": "AZE-IRN", "bucket": "month"}, id="dyad-months"),
        pytest.param({"dyad": "AZE-IRN"}, id="dyad-months-added-into-a-year"),
    ],
)
def test_types_are_listed_most_frequent_first_then_by_name(client, session, params):
    types = ["reject", "accuse", "reject", "agree", "agree", "agree", "consult", "sanction"]
    for n, event_type in enumerate(types):
        # Two months of one year: a year bucket from dyad_month adds their counts up.
        make_event(session, id=f"e{n}", date=f"2013-0{3 + n % 2}-30", type=event_type)
    (only,) = [b for b in timeline(client, **params)["buckets"] if b["count"]][:1]
    if params.get("bucket") == "month":  # March alone: the even-numbered events
        assert list(only["types"].items()) == [("reject", 2), ("agree", 1), ("consult", 1)]
    else:
        assert list(only["types"].items()) == [
            ("agree", 3),
            ("reject", 2),
            ("accuse", 1),
            ("consult", 1),
            ("sanction", 1),
        ]


def test_tone_mean_ignores_events_without_tone_and_is_null_when_none_has_one(client, session):
    make_event(session, id="e1", date="2012-05-01", tone=-4.5)
    make_event(session, id="e2", date="2012-05-02", tone=None)
    make_event(session, id="e3", date="2012-05-03", tone=1.0)
    make_event(session, id="e4", date="2013-05-01", tone=None)
    buckets = timeline(client)["buckets"]
    assert [(b["period"], b["count"], b["tone_mean"]) for b in buckets] == [
        ("2012", 3, -1.75),
        ("2013", 1, None),
    ]


@pytest.mark.parametrize(
    "params",
    [{}, {"dyad": "AZE-IRN"}],  # counted from the events, and from dyad_month
    ids=["events", "dyad-month"],
)
def test_tone_mean_keeps_every_digit_of_the_sum(client, session, params):
    # 0.1 + 0.2 is 0.30000000000000004: a sum written with 15 digits would read back 0.3.
    make_event(session, id="e1", date="2012-05-01", tone=0.1)
    make_event(session, id="e2", date="2012-05-02", tone=0.2)
    [bucket] = timeline(client, **params, bucket="month")["buckets"]
    assert bucket["tone_mean"] == (0.1 + 0.2) / 2 == 0.15000000000000002


# --- precision ---------------------------------------------------------------------------


def test_imprecise_counts_events_dated_more_coarsely_than_the_bucket(client, session):
    make_event(session, id="year", date="2013")
    make_event(session, id="month", date="2013-03~")
    make_event(session, id="day", date="2013-03-05")
    make_event(session, id="day-first", date="2013-01-01")

    (year,) = timeline(client, bucket="year")["buckets"]
    assert (year["count"], year["imprecise"]) == (4, 0)

    months = {b["period"]: b for b in timeline(client, bucket="month")["buckets"]}
    assert (months["2013-01"]["count"], months["2013-01"]["imprecise"]) == (2, 1)
    assert (months["2013-02"]["count"], months["2013-02"]["imprecise"]) == (0, 0)
    assert (months["2013-03"]["count"], months["2013-03"]["imprecise"]) == (2, 0)

    days = {b["period"]: b for b in timeline(client, bucket="day")["buckets"]}
    assert (days["2013-01-01"]["count"], days["2013-01-01"]["imprecise"]) == (2, 1)
    assert (days["2013-03-01"]["count"], days["2013-03-01"]["imprecise"]) == (1, 1)
    assert (days["2013-03-05"]["count"], days["2013-03-05"]["imprecise"]) == (1, 0)
    assert len(days) == (date(2013, 3, 5) - date(2013, 1, 1)).days + 1


# --- filters -----------------------------------------------------------------------------


def test_dyad_type_and_dates_filter_what_is_counted(client, session):
    make_event(session, id="e1", date="2012-08", countries=["AZE", "IRN"], type="reject")
    make_event(session, id="e2", date="2013-03-30", countries=["AZE", "IRN"], type="protest")
    make_event(session, id="e3", date="2013-04", countries=["AZE", "IRN"], type="reject")
    make_event(session, id="e4", date="2013-04-02", countries=["AZE", "ARM"], type="reject")

    def counts(**params: Any) -> list[tuple[str, int]]:
        return [(b["period"], b["count"]) for b in timeline(client, **params)["buckets"]]

    assert counts() == [("2012", 1), ("2013", 3)]
    assert counts(dyad="ir-az") == [("2012", 1), ("2013", 2)]
    assert counts(dyad="AZE-IRN", type="reject") == [("2012", 1), ("2013", 1)]
    assert counts(dyad="AZE-IRN", type=["reject", "protest"]) == [("2012", 1), ("2013", 2)]
    assert counts(dyad="AZE-IRN", type="protest", to="2013-03") == [("2013", 1)]
    # The same statement with other values bound: the answers follow the values.
    assert counts(dyad="ARM-AZE", type="reject", bucket="month") == [("2013-04", 1)]
    assert counts(type=["reject", "protest"], country="am") == [("2013", 1)]
    assert counts(**{"from": "2013-04"}) == [("2013", 2)]
    assert counts(**{"to": "2012"}) == [("2012", 1)]
    assert counts(dyad="AZE-TUR") == []
    # A dyad's `to` at a month's end (dyad_month's counts) or within one (the events).
    assert counts(dyad="AZE-IRN", to="2013-03") == [("2012", 1), ("2013", 1)]
    assert counts(dyad="AZE-IRN", to="2013-03-29") == [("2012", 1), ("2013", 0)]
    # The last day there is, whose next day no date can hold.
    buckets = timeline(client, dyad="AZE-IRN", to="9999")["buckets"]
    assert (buckets[-1]["period"], buckets[-1]["count"]) == ("9999", 0)
    assert sum(bucket["count"] for bucket in buckets) == 3


def test_deleted_events_are_not_counted(client, session):
    make_event(session, id="kept", date="2012-05-01", tone=-2.0)
    deleted = make_event(session, id="deleted", date="2012-05-02", tone=8.0, type="aid")
    make_event(session, id="deleted-later", date="2014-01-01")
    for event in (deleted, session.get(Event, "deleted-later")):
        assert event is not None
        event.deleted_at = utcnow()
        session.add(event)
    session.flush()
    buckets = timeline(client, bucket="month")["buckets"]
    assert [(b["period"], b["count"], b["tone_mean"], b["types"]) for b in buckets] == [
        ("2012-05", 1, -2.0, {"consult": 1})
    ]


def test_no_matching_events_is_an_empty_list_of_buckets(client, session):
    assert client.get("/v1/timeline").json() == {"bucket": "year", "buckets": []}
    make_event(session, date="2013-03-30", type="consult")
    assert timeline(client, bucket="day", type="assault") == {"bucket": "day", "buckets": []}


# --- the seed ----------------------------------------------------------------------------


def test_seeded_aze_irn_timeline_by_year_counts_the_seeded_events(client, seeded):
    seed = json.loads((SEED_DIR / "events.json").read_text(encoding="utf-8"))
    pair = [event for event in seed if {"AZE", "IRN"} <= {to_alpha3(c) for c in event["countries"]}]
    by_year: dict[int, list[dict[str, Any]]] = {}
    for event in pair:
        by_year.setdefault(span(event["date"], event["end_date"]).lower.year, []).append(event)
    years = range(min(by_year), max(by_year) + 1)

    body = timeline(client, dyad="IRN-AZE", bucket="year")

    expected = []
    for year in years:
        events = by_year.get(year, [])
        tones = [event["tone"] for event in events if event["tone"] is not None]
        expected.append(
            {
                "period": str(year),
                "start": f"{year}-01-01",
                "end": f"{year}-12-31",
                "count": len(events),
                "tone_mean": sum(tones) / len(tones) if tones else None,
                "types": dict(Counter(event["type"] for event in events)),
                "imprecise": 0,
            }
        )
    assert body["buckets"] == expected
    assert sum(b["count"] for b in body["buckets"]) == len(pair)


@pytest.mark.parametrize("bucket", ["year", "month", "day"])
def test_seeded_timeline_agrees_with_the_event_list(client, seeded, bucket):
    assert_agrees_with_the_event_list(client, {"dyad": "AZE-IRN"}, bucket)


@pytest.mark.parametrize("bucket", ["year", "month", "day"])
@pytest.mark.parametrize(
    "params", [{"dyad": "AZE-IRN"}, {"q": "conference"}, {"q": "nothingmatches"}]
)
def test_the_json_is_the_documented_timeline_byte_for_byte(client, seeded, bucket, params):
    # Written from plain dicts, not through the model: the model's own JSON must be the same.
    response = client.get("/v1/timeline", params=params | {"bucket": bucket})
    assert response.status_code == 200, response.text
    documented = Timeline.model_validate_json(response.content)
    assert documented.model_dump_json().encode() == response.content
    assert documented.buckets or params == {"q": "nothingmatches"}


# --- validation and headers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        pytest.param({"bucket": "week"}, ["query", "bucket"], id="bad-bucket"),
        pytest.param({"bucket": "Year"}, ["query", "bucket"], id="bucket-is-case-sensitive"),
        pytest.param({"limit": "10"}, ["query", "limit"], id="list-only-parameter"),
        pytest.param({"colour": "red"}, ["query", "colour"], id="unknown-parameter"),
        pytest.param({"country": "XX"}, ["query", "country", 0], id="unknown-country"),
        pytest.param({"from": "2013-13"}, ["query", "from"], id="bad-date"),
        pytest.param({"type": "hug"}, ["query", "type", 0], id="unknown-type"),
    ],
)
def test_invalid_parameters_are_a_422_problem_naming_them(client, params, loc):
    response = client.get("/v1/timeline", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["loc"] for error in response.json()["errors"]] == [loc]


def test_too_many_day_periods_is_a_422_suggesting_a_coarser_bucket(client, session):
    make_event(session, id="old", date="1950-01-01")
    make_event(session, id="new", date="2013-03-30")
    response = client.get("/v1/timeline", params={"bucket": "day"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "coarser bucket" in body["detail"]
    assert body["errors"][0]["loc"] == ["query", "bucket"]
    # The same events by month are a fine timeline, and narrowing the dates mends the days.
    assert len(timeline(client, bucket="month")["buckets"]) == 63 * 12 + 3
    narrowed = timeline(client, bucket="day", **{"from": "2013-03"})["buckets"]
    assert [b["period"] for b in narrowed] == [f"2013-03-{day:02d}" for day in range(1, 31)]
    assert [b["count"] for b in narrowed] == [0] * 29 + [1]


def test_timeline_may_be_cached_like_the_event_list(client, session):
    make_event(session)
    response = client.get("/v1/timeline")
    assert response.headers["cache-control"] == client.get("/v1/events").headers["cache-control"]
    assert response.headers["cache-control"].startswith("public")


def test_the_range_asked_for_is_drawn_whole_even_without_events(client, session):
    make_event(session, id="mid", date="2013-03-30", countries=["AZE", "IRN"])
    body = timeline(client, bucket="month", dyad="AZE-IRN", **{"from": "2013-01", "to": "2013-06"})
    assert [(b["period"], b["count"]) for b in body["buckets"]] == [
        ("2013-01", 0),
        ("2013-02", 0),
        ("2013-03", 1),
        ("2013-04", 0),
        ("2013-05", 0),
        ("2013-06", 0),
    ]
    # With nothing matching, a closed range is still a row of empty periods to draw.
    empty = timeline(client, bucket="year", dyad="ARM-TUR", **{"from": "2010", "to": "2012"})
    assert [(b["period"], b["count"]) for b in empty["buckets"]] == [
        ("2010", 0),
        ("2011", 0),
        ("2012", 0),
    ]
    assert timeline(client, bucket="year", dyad="ARM-TUR", **{"from": "2010"})["buckets"] == []
