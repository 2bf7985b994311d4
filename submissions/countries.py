"""ISO 3166-1 alpha-3 country codes, from pycountry's bundled ISO data."""

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_3 for country in pycountry.countries)


def country_is_valid(code: str) -> bool:
    return code in country_codes()


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_3=code)
    return country.name if country else code
