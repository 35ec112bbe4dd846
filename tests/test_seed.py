"""The seed: the founding article's events, true to the article, loaded idempotently."""

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, select

from app.actors.models import Actor, ActorKind
from app.changes.models import Revision, revision_written
from app.core.countries import to_alpha3
from app.events.models import Citation, Event, EventActor, EventLink
from app.events.public import get_event
from app.seed import SEED_DIR, load_seed
from app.sources.models import Source

# CI checks the repository out with shared/ as its sibling: <checkout>/../shared/sources/.
SOURCES_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "sources"

NAM_SUMMIT = "2012-08-aliyev-declines-nam-summit"
BAKU_CONFERENCE = "2013-03-30-baku-conference-southern-azerbaijan"
PERRY_CLAIM = "2013-03-perry-israel-airbases-claim"
PERRY_DENIAL = "2013-03-perry-israel-airbases-denial"
TEHRAN_REACTION = "2013-04-tehran-calls-baku-conference-interference"
SANAI_REACTION = "2013-04-sanai-calls-baku-conference-unacceptable"
REQUIRED = (NAM_SUMMIT, BAKU_CONFERENCE, PERRY_CLAIM, PERRY_DENIAL, TEHRAN_REACTION, SANAI_REACTION)

TABLES = {
    "event": Event,
    "actor": Actor,
    "source": Source,
    "citation": Citation,
    "revision": Revision,
    "event_link": EventLink,
}


def _seed_file(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((SEED_DIR / name).read_text(encoding="utf-8"))
    return data


SEED_EVENTS = _seed_file("events.json")
SEED_ACTORS = _seed_file("actors.json")
SEED_SOURCES = _seed_file("sources.json")


def _counts(session: Session) -> dict[str, int]:
    return {
        name: session.exec(select(func.count()).select_from(table)).one()
        for name, table in TABLES.items()
    }


def _links(session: Session, event_id: str) -> set[tuple[str, str]]:
    rows = session.exec(select(EventLink).where(EventLink.event_id == event_id)).all()
    return {(row.relation, row.target_id) for row in rows}


def test_seed_file_has_the_articles_required_events():
    ids = [event["id"] for event in SEED_EVENTS]
    assert len(ids) == len(set(ids))
    assert set(REQUIRED) <= set(ids)


def test_every_seed_event_is_loaded(seeded):
    stored = set(seeded.exec(select(Event.id)).all())
    assert stored == {event["id"] for event in SEED_EVENTS}


def test_aliyev_declining_the_nam_summit_is_a_month_precise_rejection(seeded):
    event = seeded.get(Event, NAM_SUMMIT)
    assert event is not None
    assert event.date == "2012-08"
    assert event.date_precision == "month"
    assert event.date_lower.isoformat() == "2012-08-01"
    assert event.date_upper.isoformat() == "2012-08-31"
    assert event.type == "reject"
    assert event.status == "reported"
    assert {row.country for row in event.countries} == {"AZE", "IRN"}


def test_baku_conference_is_dated_to_the_day(seeded):
    event = seeded.get(Event, BAKU_CONFERENCE)
    assert event is not None
    assert event.date == "2013-03-30"
    assert event.date_precision == "day"
    assert event.date_lower.isoformat() == event.date_upper.isoformat() == "2013-03-30"
    assert event.location_name == "Baku"
    assert event.location_country == "AZE"


def test_perry_claim_is_disputed(seeded):
    event = seeded.get(Event, PERRY_CLAIM)
    assert event is not None
    assert event.status == "disputed"
    assert {citation.stance for citation in event.citations} == {"supports", "disputes"}


def test_azerbaijans_denial_links_denies_to_the_perry_claim(seeded):
    assert ("denies", PERRY_CLAIM) in _links(seeded, PERRY_DENIAL)
    claim = get_event(seeded, PERRY_CLAIM)
    assert [(link["event_id"], link["relation"]) for link in claim["linked_from"]] == [
        (PERRY_DENIAL, "denies")
    ]


def test_tehran_and_sanai_reactions_respond_to_the_baku_conference(seeded):
    assert ("responds_to", BAKU_CONFERENCE) in _links(seeded, TEHRAN_REACTION)
    assert ("responds_to", BAKU_CONFERENCE) in _links(seeded, SANAI_REACTION)
    conference = get_event(seeded, BAKU_CONFERENCE)
    assert sorted((link["event_id"], link["relation"]) for link in conference["linked_from"]) == [
        (SANAI_REACTION, "responds_to"),
        (TEHRAN_REACTION, "responds_to"),
    ]


def test_each_seed_event_is_stored_as_written_with_the_status_its_citations_give(seeded):
    for data in SEED_EVENTS:
        event = get_event(seeded, data["id"])
        stances = {citation["stance"] for citation in data["citations"]}
        expected_status = (
            "disputed" if "disputes" in stances else "reported" if stances else "unsourced"
        )
        assert (event["date"], event["end_date"], event["type"]) == (
            data["date"],
            data["end_date"],
            data["type"],
        ), data["id"]
        assert event["status"] == expected_status, data["id"]
        assert sorted(event["countries"]) == sorted(data["countries"]), data["id"]
        assert [(c["source"]["id"], c["stance"], c["quote"]) for c in event["citations"]] == [
            (c["source_id"], c["stance"], c["quote"]) for c in data["citations"]
        ], data["id"]


def test_every_citation_quote_is_an_exact_substring_of_its_source_article():
    assert SOURCES_DIR.is_dir(), (
        f"the article folder {SOURCES_DIR} is missing: the seed's quotes are checked against "
        "it, so check the repository out with shared/ as its sibling"
    )
    quotes = [
        (event["id"], citation["source_id"], citation["quote"])
        for event in SEED_EVENTS
        for citation in event["citations"]
        if citation.get("quote")
    ]
    assert quotes
    for event_id, source_id, quote in quotes:
        article = SOURCES_DIR / f"{source_id}.txt"
        assert article.is_file(), f"{event_id}: no article text for source {source_id!r}"
        text = article.read_text(encoding="utf-8")
        assert quote in text, f"{event_id}: quote not found verbatim in {article.name}: {quote!r}"


def test_every_cited_source_is_in_the_seed(seeded):
    cited = {c["source_id"] for event in SEED_EVENTS for c in event["citations"]}
    assert cited <= {source["id"] for source in SEED_SOURCES}
    stored = set(seeded.exec(select(Source.id)).all())
    assert cited <= stored


def test_every_referenced_actor_exists_with_a_kind_and_a_country(seeded):
    referenced = {actor["id"] for event in SEED_EVENTS for actor in event["actors"]}
    assert referenced <= {actor["id"] for actor in SEED_ACTORS}
    stored_links = set(seeded.exec(select(EventActor.actor_id)).all())
    assert stored_links == referenced
    for actor_id in sorted(referenced):
        actor = seeded.get(Actor, actor_id)
        assert actor is not None, actor_id
        assert actor.kind in set(ActorKind), actor_id
        if actor.country is None:
            # Only an international organisation (NATO) belongs to no one country.
            assert actor.kind == ActorKind.organization, f"{actor_id} has no country"
        else:
            assert to_alpha3(actor.country) == actor.country, actor_id


def test_load_seed_creates_everything_once_and_a_second_call_changes_nothing(session):
    total = len(SEED_EVENTS) + len(SEED_ACTORS) + len(SEED_SOURCES)
    before = _counts(session)

    first = load_seed(session)
    session.flush()
    assert (first.created, first.unchanged) == (total, 0)
    after_first = _counts(session)
    assert after_first["event"] == before["event"] + len(SEED_EVENTS)
    assert after_first["actor"] == before["actor"] + len(SEED_ACTORS)
    assert after_first["source"] == before["source"] + len(SEED_SOURCES)

    second = load_seed(session)
    session.flush()
    assert (second.created, second.unchanged) == (0, total)
    assert _counts(session) == after_first


def test_every_seeded_event_has_exactly_one_create_revision_by_seed(seeded):
    for data in SEED_EVENTS:
        revisions = (
            seeded.connection()
            .execute(sa_select(revision_written).where(revision_written.c.event_id == data["id"]))
            .all()
        )
        assert [(r.action, r.key_name, r.version) for r in revisions] == [("create", "seed", 1)], (
            data["id"]
        )
        assert revisions[0].data["id"] == data["id"]
        assert revisions[0].data["date"] == data["date"]


@pytest.mark.parametrize("event_id", REQUIRED)
def test_required_event_is_served_with_its_citations(seeded, event_id):
    event = get_event(seeded, event_id)
    assert event["citations"]
    assert all(
        c["source"]["id"] == "neo-2013-06-21-pivin-iran-azerbaijan" for c in event["citations"]
    )
