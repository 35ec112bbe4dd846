"""POST and PATCH of actors and sources: write keys, If-Match versions, unique URLs."""

from app.keys.models import Scope
from app.keys.service import create_key
from tests.factories import make_actor, make_source


def test_actor_is_created_with_a_slug_location_and_etag(client, auth):
    body = {"name": "Heydər Əliyev", "kind": "person", "country": "az", "aliases": ["Aliyev Sr"]}
    response = client.post("/v1/actors", json=body, headers=auth)
    assert response.status_code == 201
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"].endswith("/v1/actors/heyder-eliyev")
    created = response.json()
    assert (created["id"], created["country"], created["version"]) == ("heyder-eliyev", "AZE", 1)
    assert client.get("/v1/actors/heyder-eliyev").json()["name"] == "Heydər Əliyev"


def test_actor_with_a_taken_id_is_a_409_and_a_taken_name_gets_a_free_id(client, session, auth):
    make_actor(session, id="sahar-2", name="Sahar 2")
    conflict = client.post(
        "/v1/actors", json={"id": "sahar-2", "name": "x", "kind": "media"}, headers=auth
    )
    assert conflict.status_code == 409
    again = client.post("/v1/actors", json={"name": "Sahar 2", "kind": "media"}, headers=auth)
    assert again.json()["id"] == "sahar-2-2"


def test_actor_patch_needs_if_match_and_refuses_stale_versions(client, session, auth):
    make_actor(session, id="mehdi-sanai", name="Mehdi Sanai")
    url = "/v1/actors/mehdi-sanai"
    assert client.patch(url, json={"country": "IR"}, headers=auth).status_code == 428
    done = client.patch(url, json={"country": "IR"}, headers=auth | {"If-Match": '"1"'})
    assert (done.status_code, done.json()["country"], done.json()["version"]) == (200, "IRN", 2)
    assert done.headers["ETag"] == '"2"'
    stale = client.patch(url, json={"country": "AZ"}, headers=auth | {"If-Match": '"1"'})
    assert (stale.status_code, stale.json()["current_version"]) == (412, 2)
    assert client.get(url).json()["country"] == "IRN"


def test_actor_patch_that_changes_nothing_keeps_the_version(client, session, auth):
    make_actor(session, id="nato", name="NATO", kind="organization")
    same = client.patch(
        "/v1/actors/nato", json={"name": "NATO"}, headers=auth | {"If-Match": '"1"'}
    )
    assert same.json()["version"] == 1


def test_actor_patch_refuses_invalid_values_and_unknown_fields(client, session, auth):
    make_actor(session, id="a-person", name="A person")
    headers = auth | {"If-Match": '"1"'}
    bad_kind = client.patch("/v1/actors/a-person", json={"kind": "robot"}, headers=headers)
    assert bad_kind.status_code == 422
    assert bad_kind.json()["errors"][0]["loc"] == ["body", "kind"]
    mass = client.patch("/v1/actors/a-person", json={"version": 7}, headers=headers)
    assert mass.status_code == 422
    renamed = client.patch("/v1/actors/a-person", json={"id": "other"}, headers=headers)
    assert renamed.status_code == 422
    assert client.get("/v1/actors/a-person").json()["version"] == 1


def test_source_urls_are_unique_once_normalised(client, session, auth):
    body = {"url": "HTTPS://Example.ORG/story#comments", "title": "A story", "publisher": "Ex"}
    created = client.post("/v1/sources", json=body, headers=auth)
    assert created.status_code == 201
    assert created.json()["url"] == "https://example.org/story"
    duplicate = client.post(
        "/v1/sources", json=body | {"url": "https://example.org/story"}, headers=auth
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["source_id"] == created.json()["id"]


def test_source_patch_sets_and_clears_fields_and_guards_urls(client, session, auth):
    first = make_source(session, id="first", url="https://a.example.org/1", title="One")
    make_source(session, id="second", url="https://a.example.org/2", title="Two")
    url = f"/v1/sources/{first}"
    archived = client.patch(
        url,
        json={"archive_url": "https://web.archive.org/x", "author": None},
        headers=auth | {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"},
    )
    assert archived.status_code == 200
    assert (archived.json()["archive_url"], archived.json()["version"]) == (
        "https://web.archive.org/x",
        2,
    )
    taken = client.patch(
        url, json={"url": "https://a.example.org/2"}, headers=auth | {"If-Match": '"2"'}
    )
    assert taken.status_code == 409
    assert client.get(url).json()["url"] == "https://a.example.org/1"


def test_actor_and_source_writes_need_a_write_key(client, session):
    _record, reader = create_key(session, "reader", Scope.read)
    body = {"name": "Someone", "kind": "person"}
    assert client.post("/v1/actors", json=body).status_code == 401
    denied = client.post("/v1/actors", json=body, headers={"Authorization": f"Bearer {reader}"})
    assert denied.status_code == 403
    source = {"url": "https://example.org/z", "title": "Z"}
    assert client.post("/v1/sources", json=source).status_code == 401


def test_q_follows_a_renamed_actor_and_source(client, session, auth):
    make_actor(session, id="renamed", name="Old Name")
    source_id = make_source(session, title="Old title", publisher="Old Press")
    patch = auth | {"If-Match": '"1"', "Content-Type": "application/merge-patch+json"}

    actor = client.patch("/v1/actors/renamed", json={"aliases": ["Ramiz Mehdiyev"]}, headers=patch)
    source = client.patch(f"/v1/sources/{source_id}", json={"publisher": "Şərq"}, headers=patch)

    assert (actor.status_code, source.status_code) == (200, 200), (actor.text, source.text)
    found = client.get("/v1/actors", params={"q": "MEHDİYEV"}).json()["items"]
    assert [item["id"] for item in found] == ["renamed"]
    assert client.get("/v1/sources", params={"q": "old press"}).json()["items"] == []
    found = client.get("/v1/sources", params={"q": "sarq"}).json()["items"]
    assert [item["id"] for item in found] == [source_id]
