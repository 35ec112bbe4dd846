"""Importing GDELT, POLECAT, ICEWS and ACLED files: each sample file's report, the events it
makes, and re-imports that change nothing (tests/data/datasets/, written to the published
layouts with their tricky rows)."""

import gzip
import io
import zipfile
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlmodel import Session, func, select

from app.changes.models import Revision
from app.datasets.models import DatasetFormat
from app.datasets.rows import opened, unpacked
from app.datasets.service import (
    DatasetReport,
    StrictStop,
    UnreadableFile,
    import_dataset,
)
from app.events.models import MAX_CITATIONS, Citation, Event, EventExternalId
from app.events.public import get_event
from app.keys.models import Scope
from app.keys.service import create_key

DATA = Path(__file__).parents[1] / "data" / "datasets"
GDELT = "20240519153000.export.CSV"
MENTIONS = "20240519153000.mentions.CSV"


def load(session: Session, fmt: str, *names: str, **options: Any) -> DatasetReport:
    return import_dataset(
        session, DatasetFormat(fmt), opened([DATA / name for name in names]), **options
    )


def summary(report: DatasetReport) -> dict[str, Any]:
    return {
        "rows": report.rows,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "deleted": report.deleted,
        "skipped": report.skipped,
    }


def event(session: Session, event_id: str) -> dict[str, Any]:
    return dict(orjson.loads(orjson.dumps(get_event(session, event_id))))


def gdelt(session: Session, global_event_id: int) -> dict[str, Any]:
    """The event a GDELT row made (its id says the day, dyad, type and actors)."""
    locator = f"GLOBALEVENTID {global_event_id}"
    event_id = session.exec(select(Citation.event_id).where(Citation.locator == locator)).one()
    return event(session, event_id)


def by_external_id(session: Session, scheme: str, value: str) -> dict[str, Any]:
    held = select(EventExternalId.event_id).where(
        EventExternalId.scheme == scheme, EventExternalId.value == value
    )
    return event(session, session.exec(held).one())


def revisions(session: Session) -> int:
    return session.exec(select(func.count()).select_from(Revision)).one()


def test_a_gdelt_export_file_imports_with_its_report(session):
    report = load(session, "gdelt", GDELT)
    assert summary(report) == {
        "rows": 16,
        "created": 7,  # 9 rows made events: 3 of them report one AZE-IRN consultation
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "CAMEO root without PLOVER type": 2,  # 0211 and 010
            "no two countries": 2,  # a blank Actor2CountryCode, and AZE with AZE
            "region or bloc code": 2,  # EUR and MEA
            "unparsable line": 1,
        },
    }
    assert report.unparsable == [{"file": GDELT, "line": 9, "problem": "5 columns, not 61"}]


def test_a_gdelt_row_becomes_a_machine_coded_event_citing_its_article(session):
    load(session, "gdelt", GDELT)
    visit = event(session, "gdelt-2024-05-19-aze-irn-consult-2c814ac387")
    assert {k: visit[k] for k in ("title", "date", "type", "tone", "countries", "tags")} == {
        "title": "Azerbaijan → Iran: Make a visit",
        "date": "2024-05-19",
        "type": "consult",
        "tone": 1.9,  # GoldsteinScale
        "countries": ["AZE", "IRN"],
        "tags": ["gdelt", "imported", "machine-coded"],
    }
    assert [(a["id"], a["kind"], a["country"], a["role"]) for a in visit["actors"]] == [
        ("azerbaijan", "government", "AZE", "initiator"),
        ("iran", "government", "IRN", "target"),
    ]
    first = visit["citations"][0]
    assert first["locator"] == "GLOBALEVENTID 1171598031"
    assert {k: first["source"][k] for k in ("url", "title", "publisher", "kind", "published")} == {
        "url": "https://www.trend.az/azerbaijan/politics/3901234-aliyev-visits-tehran.html",
        "title": "Aliyev visits tehran",
        "publisher": "trend.az",
        "kind": "news",
        "published": "2024-05-19",
    }
    assert visit["external_ids"] == {"gdelt": "1171598031"}
    assert visit["status"] == "reported"
    assert visit["location"] == {
        "name": "Baku, Baki, Azerbaijan",
        "country": None,  # ActionGeo_CountryCode is FIPS 10-4, not ISO
        "lat": 40.3953,
        "lon": 49.8822,
    }


def test_rows_of_one_day_dyad_type_and_actors_are_one_event_citing_each_article(session):
    load(session, "gdelt", GDELT)
    visit = event(session, "gdelt-2024-05-19-aze-irn-consult-2c814ac387")
    # A visit (042), another article on it, and a negotiation (046) GDELT read in BBC
    # Monitoring, which has no web address: GDELT itself is cited for that row.
    assert [(c["source"]["url"], c["locator"]) for c in visit["citations"]] == [
        (
            "https://www.trend.az/azerbaijan/politics/3901234-aliyev-visits-tehran.html",
            "GLOBALEVENTID 1171598031",
        ),
        ("https://en.trend.az/azerbaijan/politics/3901240.html", "GLOBALEVENTID 1171598041"),
        ("https://www.gdeltproject.org/", "GLOBALEVENTID 1171598042"),
    ]
    assert gdelt(session, 1171598042)["id"] == visit["id"]
    assert session.exec(select(func.count()).select_from(Event)).one() == 7


def test_gdelt_country_exceptions_and_leading_zeros(session):
    load(session, "gdelt", GDELT)
    assert gdelt(session, 1171598036)["countries"] == ["SRB", "XKX"]  # KSV
    assert gdelt(session, 1171598037)["countries"] == ["IDN", "TLS"]  # TMP
    truce = gdelt(session, 1171598040)
    assert (truce["type"], truce["title"]) == (
        "retreat",
        "United States → Iran: Declare truce, ceasefire",
    )
    assert gdelt(session, 1171598044)["type"] == "coerce"  # 163, an exception
    assert gdelt(session, 1171598046)["type"] == "retreat"  # 084
    assert gdelt(session, 1171598038)["tone"] == -10.0


def test_reimporting_a_gdelt_file_changes_nothing(session):
    load(session, "gdelt", GDELT)
    before = revisions(session)
    again = load(session, "gdelt", GDELT)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)
    assert revisions(session) == before


def test_mentions_add_every_other_article_as_a_citation(session):
    load(session, "gdelt", GDELT)
    report = load(session, "gdelt-mentions", MENTIONS)
    assert summary(report) == {
        "rows": 7,
        "created": 0,
        "updated": 2,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "event not imported": 1,  # 1171598032 made no event (CAMEO 0211)
            "mention without a web address": 1,
            "unparsable line": 1,
        },
    }
    visit = gdelt(session, 1171598031)
    # The first mention is the SOURCEURL already cited: not cited twice.
    assert [(c["source"]["publisher"], c["stance"], c["locator"]) for c in visit["citations"]] == [
        ("trend.az", "supports", "GLOBALEVENTID 1171598031"),
        ("en.trend.az", "supports", "GLOBALEVENTID 1171598041"),
        ("The GDELT Project", "supports", "GLOBALEVENTID 1171598042"),
        ("en.irna.ir", "supports", "mention, confidence 80%, tone 3.1"),
        ("apa.az", "supports", "mention, confidence 60%, tone 2.0"),
    ]
    # Re-importing either file keeps the mentions and changes nothing.
    assert load(session, "gdelt", GDELT).unchanged == 7
    assert load(session, "gdelt-mentions", MENTIONS).unchanged == 2
    assert len(gdelt(session, 1171598031)["citations"]) == 5


def test_polecat_files_of_both_header_layouts_import(session):
    report = load(session, "polecat", "polecat-2024-05-19.txt", "polecat-2024-05-20.txt")
    assert summary(report) == {
        "rows": 11,
        "created": 5,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "region or bloc code": 2,  # IGO, and EUR (the European Union)
            "no two countries": 1,
            "unknown event code": 1,  # CRIME is not one of Dyad's types
            "unparsable line": 1,
        },
    }
    assert report.unparsable == [
        {"file": "polecat-2024-05-19.txt", "line": 10, "problem": "3 cells, not 40"}
    ]
    meeting = event(session, "polecat-2024-05-19-aze-irn-consult-c20b6baf01")
    assert {k: meeting[k] for k in ("title", "date", "type", "tone", "countries")} == {
        "title": "Ilham Aliyev → Ebrahim Raisi: consult",
        "date": "2024-05-19",
        "type": "consult",
        "tone": 1.0,
        "countries": ["AZE", "IRN"],
    }
    assert meeting["summary"] == (
        "Machine-coded by POLECAT: CONSULT (visit), contexts: diplomatic. "
        "Reported by Trend News Agency, 2024-05-19."
    )
    # POLECAT repeats the event from another story (APA): one event, its row ids both named.
    assert [(c["source"]["url"], c["locator"]) for c in meeting["citations"]] == [
        (
            "https://doi.org/10.7910/DVN/AJGVIT",
            "Event ID 20240519-AZE-IRN-0001, version 1.1; "
            "Event ID 20240519-AZE-IRN-0009, version 1.1",
        )
    ]
    assert meeting["location"] == {
        "name": "Giz Galasi",
        "country": "AZE",
        "lat": 39.09,
        "lon": 46.88,
    }
    # The newer layout: "Event Intensity", and a header naming a Headline its rows lack.
    threat = by_external_id(session, "polecat", "20240520-IRN-ISR-0102")
    assert (threat["type"], threat["tone"], threat["countries"]) == (
        "threaten",
        -6.5,
        ["IRN", "ISR"],
    )
    assert by_external_id(session, "polecat", "20240519-XKX-SRB-0007")["countries"] == [
        "SRB",
        "XKX",
    ]
    again = load(session, "polecat", "polecat-2024-05-19.txt", "polecat-2024-05-20.txt")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_an_icews_file_imports_with_its_report(session):
    report = load(session, "icews", "icews-2013.tab")
    assert summary(report) == {
        "rows": 11,
        "created": 6,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "CAMEO root without PLOVER type": 1,
            "unknown event code": 1,  # 13y
            "unknown country": 1,  # Atlantis
            "no two countries": 1,
            "unparsable line": 1,
        },
    }
    hosted = event(session, "icews-20715001-2013-03-30")
    assert {k: hosted[k] for k in ("title", "type", "tone", "countries", "external_ids")} == {
        "title": "Azerbaijan → Iran: Host a visit",
        "type": "consult",
        "tone": 2.8,
        "countries": ["AZE", "IRN"],
        "external_ids": {"icews": "20715001:2013-03-30"},
    }
    # The same Event ID on another date is another event.
    assert event(session, "icews-20715001-2014-06-02")["type"] == "agree"
    assert event(session, "icews-20715003-2013-03-31")["countries"] == ["ISR", "PSE"]
    assert event(session, "icews-20715004-2013-03-31")["countries"] == ["RUS", "UKR"]
    again = load(session, "icews", "icews-2013.tab")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 6)


def test_acled_export_then_newer_export_then_deletions(session):
    first = load(session, "acled", "acled-2024-05.csv")
    assert summary(first) == {
        "rows": 7,
        "created": 4,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "no two countries": 1,  # protesters in Azerbaijan: one country
            "ACLED type without PLOVER type": 1,  # Other
            "unparsable line": 1,
        },
    }
    clash = event(session, "acled-aze1001")
    assert {k: clash[k] for k in ("type", "date", "tone", "countries", "tags")} == {
        "type": "assault",
        "date": "2024-05-19",
        "tone": None,
        "countries": ["ARM", "AZE"],
        "tags": ["acled", "imported"],  # coded by people: not machine-coded
    }
    assert [(a["role"], a["kind"], a["country"]) for a in clash["actors"]] == [
        ("participant", "government", "AZE"),
        ("participant", "government", "ARM"),
    ]
    assert event(session, "acled-arm2002")["date"] == "2024-05-18~"  # time_precision 2
    assert event(session, "acled-irn4004")["date"] == "2024-05"  # time_precision 3
    assert event(session, "acled-xkx5005")["countries"] == ["SRB", "XKX"]  # iso 0, Kosovo

    newer = load(session, "acled", "acled-2024-05-update.csv")
    assert (newer.created, newer.updated, newer.unchanged) == (0, 1, 1)
    assert "two soldiers were killed" in event(session, "acled-aze1001")["summary"]
    # The older export again: its older row never replaces the newer one.
    older = load(session, "acled", "acled-2024-05.csv")
    assert older.skipped["older than the stored event"] == 1
    assert older.updated == 0

    deletions = load(session, "acled", "acled-deletions.csv")
    assert summary(deletions) == {
        "rows": 2,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "deleted": 1,
        "skipped": {"event not imported": 1},
    }
    deleted = session.get(Event, "acled-arm2002")
    assert deleted is not None and deleted.deleted_at is not None
    # A deleted event stays deleted when an export that holds it is imported again.
    again = load(session, "acled", "acled-2024-05-update.csv")
    assert again.skipped == {"event deleted in Dyad": 1}
    assert load(session, "acled", "acled-deletions.csv").skipped == {
        "event deleted in Dyad": 1,
        "event not imported": 1,
    }


def test_strict_stops_at_the_first_row_that_makes_no_event(session):
    with session.begin_nested() as attempt, pytest.raises(StrictStop) as caught:
        load(session, "gdelt", GDELT, strict=True)
    assert caught.value.detail == (
        f"{GDELT}, line 2: CAMEO root without PLOVER type (CAMEO code '0211'); "
        "nothing was imported (strict)."
    )
    assert not attempt.is_active
    assert session.exec(select(func.count()).select_from(Event)).one() == 0


def test_zip_gzip_and_folders_are_read_as_their_files(session, tmp_path):
    (tmp_path / "day").mkdir()
    with zipfile.ZipFile(tmp_path / "day" / f"{GDELT}.zip", "w") as archive:
        archive.write(DATA / GDELT, GDELT)
    (tmp_path / "icews.tab.gz").write_bytes(gzip.compress((DATA / "icews-2013.tab").read_bytes()))
    report = import_dataset(session, DatasetFormat.gdelt, opened([tmp_path / "day"]))
    assert (report.rows, report.created) == (16, 7)
    assert report.unparsable[0]["file"] == f"{GDELT}.zip/{GDELT}"
    report = import_dataset(session, DatasetFormat.icews, opened([tmp_path / "icews.tab.gz"]))
    assert (report.rows, report.created) == (11, 6)


def test_a_broken_archive_is_refused(session):
    broken = io.BytesIO(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFile):
        import_dataset(session, DatasetFormat.gdelt, unpacked("day.zip", broken))


# --- POST /v1/imports?format=… ---------------------------------------------------------------


@pytest.fixture
def writer(session):
    _record, key = create_key(session, "importer", Scope.write)
    return {"Authorization": f"Bearer {key}"}


def post(client, writer, query: str, body: bytes, media_type: str) -> Any:
    headers = writer | {"Content-Type": media_type}
    return client.post(f"/v1/imports?{query}", content=body, headers=headers)


def test_the_api_imports_a_gdelt_file_and_answers_its_report(client, writer):
    body = (DATA / GDELT).read_bytes()
    response = post(client, writer, "format=gdelt", body, "text/tab-separated-values")
    assert response.status_code == 200
    assert response.json() == {
        "rows": 16,
        "created": 7,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "skipped": {
            "CAMEO root without PLOVER type": 2,
            "no two countries": 2,
            "region or bloc code": 2,
            "unparsable line": 1,
        },
        "unparsable": [{"file": "body.gdelt", "line": 9, "problem": "5 columns, not 61"}],
        "dry_run": False,
    }
    assert client.get("/v1/events/gdelt-2024-05-19-aze-irn-consult-2c814ac387").json()["tags"] == [
        "gdelt",
        "imported",
        "machine-coded",
    ]
    assert client.get("/v1/events?tag=machine-coded&dyad=AZE-IRN").json()["items"]
    again = post(client, writer, "format=gdelt", body, "text/tab-separated-values").json()
    assert (again["created"], again["unchanged"]) == (0, 7)


def test_the_api_reads_a_zipped_file_and_keeps_nothing_on_a_dry_run(client, writer):
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w") as archive:
        archive.write(DATA / "icews-2013.tab", "icews-2013.tab")
    response = post(
        client, writer, "format=icews&dry_run=true", packed.getvalue(), "application/zip"
    )
    assert response.status_code == 200
    assert (response.json()["created"], response.json()["dry_run"]) == (6, True)
    assert client.get("/v1/events/icews-20715001-2013-03-30").status_code == 404


def test_the_api_refuses_with_strict_and_writes_nothing(client, writer):
    body = (DATA / "acled-2024-05.csv").read_bytes()
    response = post(client, writer, "format=acled&strict=true", body, "text/csv")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == (
        "body.acled, line 4: no two countries (AZE); nothing was imported (strict)."
    )
    assert client.get("/v1/events/acled-aze1001").status_code == 404


def test_the_api_refuses_a_broken_archive_and_a_json_body_for_a_dataset(client, writer):
    broken = post(client, writer, "format=gdelt", b"PK\x03\x04broken", "application/zip")
    assert broken.status_code == 422
    assert broken.json()["detail"].startswith("The file can't be read")
    json_body = post(client, writer, "format=gdelt", b"[]", "application/json")
    assert json_body.status_code == 415
    unknown = post(client, writer, "format=phoenix", b"", "text/tab-separated-values")
    assert unknown.status_code == 422


def test_an_acled_deletions_list_shows_in_the_changes_feed_as_deletes(client, writer):
    for name in ("acled-2024-05.csv", "acled-deletions.csv"):
        response = post(client, writer, "format=acled", (DATA / name).read_bytes(), "text/csv")
        assert response.status_code == 200
    assert response.json()["deleted"] == 1
    feed = client.get("/v1/changes", params={"limit": 1000}).json()["items"]
    deletes = [(item["event_id"], item["action"]) for item in feed if item["action"] == "delete"]
    assert deletes == [("acled-arm2002", "delete")]
    assert client.get("/v1/events/acled-arm2002").status_code == 404


def test_a_later_file_adds_its_articles_to_the_events_of_an_earlier_one_once(session, tmp_path):
    """Two files of one day: the second reports the AZE-IRN visit again, twice."""
    first = (DATA / GDELT).read_text().splitlines()[0].split("\t")
    later = []
    for n, url in enumerate(["https://apa.az/en/visit-1", "https://report.az/en/visit-2"]):
        cells = list(first)
        cells[0], cells[60] = str(1171599000 + n), url
        later.append("\t".join(cells))
    (tmp_path / GDELT).write_bytes((DATA / GDELT).read_bytes())
    (tmp_path / "20240519154500.export.CSV").write_text("\n".join(later) + "\n")
    before = revisions(session)
    report = import_dataset(session, DatasetFormat.gdelt, opened([tmp_path]))
    assert (report.rows, report.created, report.updated, report.unchanged) == (18, 7, 1, 0)
    visit = gdelt(session, 1171598031)
    assert [c["locator"] for c in visit["citations"]][-2:] == [
        "GLOBALEVENTID 1171599000",
        "GLOBALEVENTID 1171599001",
    ]
    assert visit["version"] == 2  # one update for both of the later file's rows
    assert revisions(session) == before + 7 + 1
    again = import_dataset(session, DatasetFormat.gdelt, opened([tmp_path]))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 7)


def test_mentions_find_a_row_merged_into_another_rows_citation(session, tmp_path):
    """Two rows of one event coded from one article: the second's mentions still find it."""
    first = (DATA / GDELT).read_text().splitlines()[0].split("\t")
    article = "https://www.trend.az/azerbaijan/politics/3901234-aliyev-visits-tehran.html"
    rows = []
    for gdelt_id, code in ((1171598900, "042"), (1171598901, "043")):  # both consult
        cells = list(first)
        cells[0], cells[26] = str(gdelt_id), code
        rows.append("\t".join(cells))
    (tmp_path / "day.export.CSV").write_text("\n".join(rows) + "\n")
    mentions = [
        [str(1171598901), "20240519153000", "20240519161500", "1", "trend.az", article],
        [str(1171598901), "20240519153000", "20240519161500", "1", "apa.az", "https://apa.az/x"],
    ]
    rest = ["3", "120", "200", "150", "1", "90", "2400", "2.0", "", ""]
    (tmp_path / "day.mentions.CSV").write_text(
        "\n".join("\t".join(m + rest) for m in mentions) + "\n"
    )
    assert (
        import_dataset(session, DatasetFormat.gdelt, opened([tmp_path / "day.export.CSV"])).created
        == 1
    )
    report = import_dataset(
        session, DatasetFormat.gdelt_mentions, opened([tmp_path / "day.mentions.CSV"])
    )
    assert (report.updated, report.skipped) == (1, {})
    visit = by_external_id(session, "gdelt", "1171598900")
    assert [(c["source"]["url"], c["locator"]) for c in visit["citations"]] == [
        (article, "GLOBALEVENTID 1171598900; GLOBALEVENTID 1171598901"),
        ("https://apa.az/x", "mention, confidence 90%, tone 2.0"),
    ]


def test_an_event_reported_by_more_articles_than_it_may_cite_keeps_the_first_and_counts_the_rest(
    session, tmp_path
):
    """A busy day's summit: 205 rows of one event in one file, 3 more in a later one, and
    mentions of it. It cites MAX_CITATIONS articles; every other row is counted, by reason,
    and the import goes on (one failing event would otherwise refuse the whole file)."""
    first = (DATA / GDELT).read_text().splitlines()[0].split("\t")

    def rows(start: int, count: int) -> str:
        lines = []
        for n in range(start, start + count):
            cells = list(first)
            cells[0], cells[60] = str(1171600000 + n), f"https://news{n}.example/visit"
            lines.append("\t".join(cells))
        return "\n".join(lines) + "\n"

    (tmp_path / "20240519153000.export.CSV").write_text(rows(0, 205))
    (tmp_path / "20240519154500.export.CSV").write_text(rows(205, 3))
    report = import_dataset(session, DatasetFormat.gdelt, opened([tmp_path]))
    assert (report.rows, report.created, report.updated) == (208, 1, 0)
    assert report.skipped == {"event cites the most sources it may": 8}
    summit = gdelt(session, 1171600000)
    assert MAX_CITATIONS == 200
    assert [c["locator"] for c in summit["citations"]] == [
        f"GLOBALEVENTID {1171600000 + n}" for n in range(MAX_CITATIONS)
    ]
    mentions = [
        [str(1171600000), "20240519153000", "20240519161500", "1", "apa.az", "https://apa.az/x"]
    ]
    rest = ["3", "120", "200", "150", "1", "90", "2400", "2.0", "", ""]
    (tmp_path / "day.mentions.CSV").write_text("\t".join(mentions[0] + rest) + "\n")
    mentioned = import_dataset(
        session, DatasetFormat.gdelt_mentions, opened([tmp_path / "day.mentions.CSV"])
    )
    assert (mentioned.updated, mentioned.unchanged) == (0, 1)
    assert mentioned.skipped == {"event cites the most sources it may": 1}
    assert len(gdelt(session, 1171600000)["citations"]) == MAX_CITATIONS
