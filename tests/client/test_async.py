"""AsyncDyad against the real app through httpx's ASGI transport."""

import io
import json

import httpx
import pytest
from dyad_client import AsyncDyad, Conflict, Dyad, Event, NotFound
from fastapi import FastAPI

from tests.client.conftest import BASE_URL
from tests.e2e.test_serve import IRN_AZE_2012_2013

pytestmark = pytest.mark.anyio

CLAIM = "2013-03-perry-israel-airbases-claim"


def client(app: FastAPI, key: str | None = None) -> AsyncDyad:
    return AsyncDyad(BASE_URL, key, transport=httpx.ASGITransport(app=app))


async def test_async_events_follow_the_cursors_as_the_sync_client_does(seeded, app, dyad):
    async with client(app) as adyad:
        events = adyad.events(dyad="AZE-IRN", from_="2012", to="2013", page_size=4)
        pages = [page async for page in events.pages()]
        ids = [event.id async for event in events]
        records = await events.to_records()
    assert [len(page.items) for page in pages] == [4, 4, 2]
    assert ids == IRN_AZE_2012_2013
    assert records == dyad.events(dyad="AZE-IRN", from_="2012", to="2013").to_records()


async def test_async_reads_are_typed(seeded, app):
    async with client(app) as adyad:
        claim = await adyad.event(CLAIM)
        timeline = await adyad.timeline(dyad="AZE-IRN", bucket="year")
        relation = await adyad.relation("IRN", "AZE")
        partners = await adyad.relations("AZE")
        actors = await adyad.actors(q="khamenei").to_list()
        source = await adyad.source("neo-2013-06-21-pivin-iran-azerbaijan")
        countries = await adyad.countries()
        changes = [change async for change in adyad.changes(page_size=5)]
        with pytest.raises(NotFound):
            await adyad.event("no-such-event")
    assert isinstance(claim, Event) and claim.status == "disputed"
    assert [bucket.count for bucket in timeline.buckets] == [1, 9]
    assert (relation.count, relation.disputed) == (10, 1)
    assert [(p.country, p.count) for p in partners] == [("IRN", 10), ("ISR", 2), ("USA", 1)]
    assert [actor.id for actor in actors] == ["ali-khamenei"]
    assert source.citation_count == 14
    assert countries[0].code == "IRN"
    assert len(changes) == 11


async def test_async_export_streams_ndjson(seeded, app):
    out = io.BytesIO()
    async with client(app) as adyad:
        written = await adyad.export("ndjson", out, dyad="AZE-IRN", from_=2012, to=2013)
    lines = out.getvalue().splitlines()
    assert written == len(out.getvalue())
    assert [json.loads(line)["id"] for line in lines] == IRN_AZE_2012_2013


async def test_async_stale_update_is_a_conflict(app, write_key):
    async with client(app, write_key) as adyad:
        created = await adyad.create_event(
            {"title": "Talks", "date": "2013-05", "countries": ["AZE"], "type": "consult"}
        )
        assert created.id == "2013-05-talks"
        await adyad.update_event(created.id, {"tone": 3})
        with pytest.raises(Conflict) as caught:
            await adyad.update_event(created, {"tone": -3})
        assert caught.value.current_version == 2
        await adyad.delete_event(created.id)
        restored = await adyad.restore_event(created.id)
    assert restored.version == 4
    assert restored.tone == 3.0


async def test_async_import_file(app, write_key, tmp_path):
    path = tmp_path / "events.json"
    path.write_text(
        json.dumps([{"title": "One", "date": "2014", "countries": ["GEO"], "type": "agree"}])
    )
    async with client(app, write_key) as adyad:
        result = await adyad.import_file(path, dry_run=True)
        assert await adyad.count(country="GEO") == 0
    assert (result.created, result.dry_run) == (1, True)


def test_the_sync_and_async_clients_offer_the_same_methods():
    public = {name for name in dir(Dyad) if not name.startswith("_")}
    async_public = {name for name in dir(AsyncDyad) if not name.startswith("_")}
    assert public - {"close"} == async_public - {"aclose"}
