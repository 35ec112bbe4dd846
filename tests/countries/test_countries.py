"""Any accepted spelling of a country -> ISO 3166-1 alpha-3."""

import pytest

from app.core.countries import UnknownCountry, to_alpha3


@pytest.mark.parametrize("code", ["az", "AZ", "aze", "AZE", " Aze ", "aZe"])
def test_alpha2_and_alpha3_in_any_case_mean_the_same_country(code):
    assert to_alpha3(code) == "AZE"


def test_alpha2_is_turned_into_alpha3():
    assert to_alpha3("ir") == "IRN"
    assert to_alpha3("IL") == "ISR"


@pytest.mark.parametrize("code", ["SUN", "YUG", "CSK", "sun", "yug", "csk"])
def test_former_countries_are_accepted_as_their_alpha3(code):
    assert to_alpha3(code) == code.upper()


@pytest.mark.parametrize("code", ["XX", "ZZZ", "A", "AZER", "12", "", "   ", "A1", "AZ-"])
def test_unknown_code_is_refused(code):
    with pytest.raises(UnknownCountry):
        to_alpha3(code)


def test_unknown_country_is_a_value_error_so_pydantic_reports_it_as_422():
    assert issubclass(UnknownCountry, ValueError)
