from tests.factories import make_event


def test_list_returns_a_made_event(client, session):
    make_event(session, id="smoke-event", date="2012-08")
    body = client.get("/v1/events").json()
    assert [item["id"] for item in body["items"]] == ["smoke-event"]


def test_no_rows_leak_between_tests(client):
    assert client.get("/v1/events").json()["items"] == []
