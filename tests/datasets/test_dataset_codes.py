"""The shared code tables of the dataset readers: CAMEO -> PLOVER, and countries."""

import pytest

from app.datasets.codes import (
    Reason,
    Skip,
    cameo_table,
    country_code,
    country_of_name,
    country_of_number,
    plover_type,
)
from app.datasets.rows import article
from app.events.types import EventType


@pytest.mark.parametrize(
    ("code", "expected", "label"),
    [
        ("042", EventType.consult, "Make a visit"),
        ("0871", EventType.retreat, "Declare truce, ceasefire"),
        ("081", EventType.concede, "Ease administrative sanctions"),
        ("084", EventType.retreat, "Return, release"),
        ("0813", EventType.retreat, "Ease curfew"),  # the editor's remark after it is dropped
        ("0814", EventType.retreat, "Ease state of emergency or martial law"),
        ("090", EventType.accuse, "Investigate"),
        ("100", EventType.request, "Request"),
        ("1041", EventType.request, "Demand change in leadership"),
        ("163", EventType.coerce, "Impose embargo, boycott, or sanctions"),
        ("1712", EventType.assault, "Destroy property"),
        ("175", EventType.assault, "Use violent repression"),
        ("191", EventType.coerce, "Impose blockade, restrict movement"),
        ("192", EventType.coerce, "Occupy territory"),
        ("190", EventType.assault, "Use conventional military force"),
    ],
)
def test_cameo_codes_take_the_plover_projects_table(code, expected, label):
    assert plover_type(code) == (expected, label)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("0459", EventType.consult),  # unknown 4-digit code: its 3-digit parent's type
        ("0879", EventType.retreat),  # 087 is retreat, as is 0871
        ("08", EventType.concede),
        ("19", EventType.assault),
        ("1999", EventType.assault),
    ],
)
def test_codes_the_table_lacks_fall_back_to_the_root_table(code, expected):
    assert plover_type(code)[0] == expected


@pytest.mark.parametrize("code", ["010", "0211", "02", "01"])
def test_roots_01_and_02_have_no_plover_type(code):
    with pytest.raises(Skip) as caught:
        plover_type(code)
    assert caught.value.reason == Reason.no_type


@pytest.mark.parametrize("code", ["42", "99", "13y", "", "---", "04200"])
def test_a_code_that_is_not_cameo_is_unknown(code):
    # "42" is 042 read as a number: codes keep their leading zeros.
    with pytest.raises(Skip) as caught:
        plover_type(code)
    assert caught.value.reason == Reason.unknown_type


def test_the_shipped_table_reads_every_line_with_a_known_type():
    table = cameo_table()
    assert len(table) == 256
    assert {event_type for event_type, _label in table.values()} == set(EventType)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("AZE", "AZE"),
        ("irn", "IRN"),
        ("KSV", "XKX"),
        ("TMP", "TLS"),
        ("ROM", "ROU"),
        ("GZS", "PSE"),
        ("", None),
        ("  ", None),
    ],
)
def test_cameo_country_codes_become_alpha3(code, expected):
    assert country_code(code) == expected


@pytest.mark.parametrize("code", ["EUR", "AFR", "MEA", "SAS", "WST", "IGO", "UNO", "NGO"])
def test_regions_and_blocs_are_refused_with_their_reason(code):
    with pytest.raises(Skip) as caught:
        country_code(code)
    assert (caught.value.reason, caught.value.detail) == (Reason.region, code)


def test_an_unknown_code_is_refused_as_unknown():
    with pytest.raises(Skip) as caught:
        country_code("XYZ")
    assert caught.value.reason == Reason.unknown_country


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Russian Federation", "RUS"),
        ("Iran", "IRN"),
        ("Azerbaijan", "AZE"),
        ("Occupied Palestinian Territory", "PSE"),  # not in pycountry: Dyad's table
        ("Kosovo", "XKX"),
        ("Serbia and Montenegro", "SCG"),
        ("", None),
    ],
)
def test_icews_country_names_through_pycountry_and_a_small_table(name, expected):
    assert country_of_name(name) == expected


def test_an_unknown_country_name_is_refused():
    with pytest.raises(Skip) as caught:
        country_of_name("Atlantis")
    assert (caught.value.reason, caught.value.detail) == (Reason.unknown_country, "Atlantis")


@pytest.mark.parametrize(
    ("number", "name", "expected"),
    [
        ("31", "Azerbaijan", "AZE"),
        ("051", "Armenia", "ARM"),
        ("364", "", "IRN"),
        ("0", "Kosovo", "XKX"),
    ],
)
def test_acled_numeric_codes(number, name, expected):
    assert country_of_number(number, name) == expected


def test_an_article_is_a_source_whose_id_is_unique_by_its_url():
    first = article("https://www.example.com/news/123/index.html", "2024-05-19")
    second = article("https://www.example.com/world/456/index.html", None)
    same = article("HTTPS://WWW.EXAMPLE.COM/news/123/index.html#top", None)
    assert first is not None and second is not None and same is not None
    assert (first["title"], first["publisher"], first["kind"]) == (
        "Index",
        "example.com",
        "news",
    )
    assert first["id"].startswith("example-com-")
    assert first["id"] != second["id"]
    assert first["id"] == same["id"]  # the same URL, normalised
    assert article("BBC Monitoring", None) is None
    assert article("ftp://example.com/file", None) is None
