"""Country codes: any accepted spelling -> ISO 3166-1 alpha-3, via pycountry."""

from functools import lru_cache
from typing import Annotated

import pycountry
from pydantic import BeforeValidator, Field


class UnknownCountry(ValueError):
    pass


# Kosovo has no ISO 3166-1 code; XK / XKX, from ISO's user-assigned range, is the one the
# European Commission, the World Bank and the event datasets (CAMEO's KSV) agree on.
USER_ASSIGNED = {"XK": "XKX", "XKX": "XKX"}
USER_ASSIGNED_NAMES = {"XKX": "Kosovo"}


@lru_cache(maxsize=1024)
def to_alpha3(code: str) -> str:
    """Normalise an alpha-2 or alpha-3 code (any case, ISO 3166-3 former countries too).

    Former countries such as SUN, YUG and CSK keep their alpha-3 code; Kosovo is XKX.
    """
    text = code.strip().upper()
    if text in USER_ASSIGNED:
        return USER_ASSIGNED[text]
    if len(text) == 2 and text.isalpha():
        country = pycountry.countries.get(alpha_2=text)
        if country is not None:
            return str(country.alpha_3)
    elif len(text) == 3 and text.isalpha():
        if pycountry.countries.get(alpha_3=text) is not None:
            return text
        if pycountry.historic_countries.get(alpha_3=text) is not None:
            return text
    raise UnknownCountry(
        f"unknown country code {code!r}: use ISO 3166-1 alpha-2 or alpha-3 (e.g. AZ or AZE)"
    )


def country_name(alpha3: str) -> str:
    if alpha3 in USER_ASSIGNED_NAMES:
        return USER_ASSIGNED_NAMES[alpha3]
    country = pycountry.countries.get(alpha_3=alpha3) or pycountry.historic_countries.get(
        alpha_3=alpha3
    )
    if country is None:
        return alpha3
    # "Iran" rather than "Iran, Islamic Republic of", where ISO gives a common name.
    return str(getattr(country, "common_name", None) or country.name)


def _normalise(value: object) -> object:
    return to_alpha3(value) if isinstance(value, str) else value


# A request field holding a country code, normalised to alpha-3; others are a 422.
CountryCode = Annotated[
    str,
    BeforeValidator(_normalise),
    Field(min_length=3, max_length=3, examples=["AZE", "IRN"]),
]
