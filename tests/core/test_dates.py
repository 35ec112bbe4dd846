"""EDTF text -> (lower, upper, precision): the bounds every filter and sort relies on."""

from datetime import date

import pytest

from app.core.dates import DateBounds, InvalidDate, Precision, parse, span


@pytest.mark.parametrize(
    ("text", "lower", "upper", "precision"),
    [
        ("2012", date(2012, 1, 1), date(2012, 12, 31), Precision.year),
        ("2012-08", date(2012, 8, 1), date(2012, 8, 31), Precision.month),
        ("2012-08-30", date(2012, 8, 30), date(2012, 8, 30), Precision.day),
        ("2013?", date(2013, 1, 1), date(2013, 12, 31), Precision.year),
        ("2012-08~", date(2012, 8, 1), date(2012, 8, 31), Precision.month),
        ("2012-08%", date(2012, 8, 1), date(2012, 8, 31), Precision.month),
        ("2012-08-30?", date(2012, 8, 30), date(2012, 8, 30), Precision.day),
        ("2012-02", date(2012, 2, 1), date(2012, 2, 29), Precision.month),
        ("2013-02", date(2013, 2, 1), date(2013, 2, 28), Precision.month),
        ("2000-02", date(2000, 2, 1), date(2000, 2, 29), Precision.month),
        ("1900-02", date(1900, 2, 1), date(1900, 2, 28), Precision.month),
        ("2012-12-31", date(2012, 12, 31), date(2012, 12, 31), Precision.day),
    ],
)
def test_edtf_date_gives_its_bounds_and_precision(text, lower, upper, precision):
    assert parse(text) == DateBounds(lower=lower, upper=upper, precision=precision)


@pytest.mark.parametrize(
    "text",
    [
        "2013-02-30",  # no such day
        "2013-13",  # no such month
        "2012-00",
        "2012-08-00",
        "0000",  # EDTF year zero has no calendar date here
        "12-08",
        "2012-8",
        "2012-08-3",
        "2012/2013",  # intervals are date..end_date, not one string
        "201X",  # unspecified digits are not supported
        "",
        "2012-08-30T10:00",
        "2012?~",
        "-2012",
        " 2012",
        "2012-08-30\n",  # a trailing newline is not part of an EDTF date
        "٢٠١٢",  # Arabic-Indic digits are not ASCII digits
    ],
)
def test_invalid_or_unsupported_date_is_refused(text):
    with pytest.raises(InvalidDate):
        parse(text)


def test_invalid_date_is_a_value_error_so_pydantic_reports_it_as_422():
    assert issubclass(InvalidDate, ValueError)


def test_span_without_end_date_is_the_date_itself():
    assert span("2012-08", None) == parse("2012-08")


def test_span_runs_from_lower_of_date_to_upper_of_end_date():
    assert span("2012-08", "2013?") == DateBounds(
        lower=date(2012, 8, 1), upper=date(2013, 12, 31), precision=Precision.month
    )


def test_span_keeps_the_precision_of_the_start_date():
    assert span("2013-03-30", "2013-04").precision == Precision.day
    assert span("2013", "2013-04-02").precision == Precision.year


def test_span_of_a_single_day_range():
    assert span("2013-03-30", "2013-03-30") == DateBounds(
        lower=date(2013, 3, 30), upper=date(2013, 3, 30), precision=Precision.day
    )


@pytest.mark.parametrize(
    ("start", "end"),
    [("2013", "2012-08"), ("2013-03-30", "2013-03-29"), ("2013-04", "2013-03")],
)
def test_span_refuses_an_end_date_before_the_date(start, end):
    with pytest.raises(InvalidDate):
        span(start, end)


def test_span_refuses_an_invalid_end_date():
    with pytest.raises(InvalidDate):
        span("2013-02", "2013-02-30")


def test_precision_names_sort_finest_first():
    # The database orders events by the stored precision text: "day" < "month" < "year"
    # must mean finer first, as the declared order of the enum does.
    assert sorted(["year", "month", "day"]) == ["day", "month", "year"]
    assert [p.value for p in Precision] == ["day", "month", "year"]
    assert sorted(p.value for p in Precision) == [p.value for p in Precision]


def _grammar_bounds(text: str) -> tuple[date, date] | None:
    """What edtf's full grammar makes of `text`: the reference `parse` must agree with."""
    from edtf import parse_edtf, struct_time_to_date

    try:
        parsed = parse_edtf(text)
        return struct_time_to_date(parsed.lower_strict()), struct_time_to_date(
            parsed.upper_strict()
        )
    except Exception:
        return None


_SAMPLE = [
    year + month + day + qualifier
    for year in ("1900", "1990", "2000", "2012", "2013", "2024")
    for month, days in [("", [""])]
    + [(f"-{m:02d}", ["", *(f"-{d:02d}" for d in (1, 15, 28, 29, 30, 31))]) for m in range(1, 13)]
    for day in days
    for qualifier in ("", "?", "~", "%")
]


def test_bounds_agree_with_the_edtf_grammar_for_every_month_and_edge_day():
    for text in _SAMPLE:
        expected = _grammar_bounds(text)
        if expected is None:
            with pytest.raises(InvalidDate):
                parse(text)
        else:
            assert (parse(text).lower, parse(text).upper) == expected, text


def test_seasons_and_impossible_months_are_refused():
    # EDTF's seasons (2013-21 = spring) have no month precision: Dyad refuses them.
    for text in ("2013-21", "2013-24", "2013-00", "2013-13", "2013-01-00", "2013-01-32"):
        with pytest.raises(InvalidDate):
            parse(text)
