"""Cities normalise to one slug and map to their country and its currency."""

from __future__ import annotations

import pytest

from khaya.market.catalog import city_slug, country_of_city, currency_of_country


@pytest.mark.parametrize(
    ("typed", "country", "currency"),
    [
        ("  Cápe   Town ", "ZA", "ZAR"),
        ("JOHANNESBURG", "ZA", "ZAR"),
        ("Nairobi", "KE", "KES"),
        ("Port Harcourt", "NG", "NGN"),
        ("Kumasi", "GH", "GHS"),
    ],
)
def test_a_known_city_gives_its_country_and_currency(typed: str, country: str, currency: str) -> None:
    assert country_of_city(typed) == country
    assert currency_of_country(country_of_city(typed)) == currency


def test_an_unknown_city_has_no_country_and_no_currency() -> None:
    assert country_of_city("Atlantis") is None
    assert currency_of_country(None) is None
    assert currency_of_country("US") is None


def test_spellings_of_one_city_share_one_slug() -> None:
    assert city_slug("  Cape   Town") == city_slug("cape town") == city_slug("Cápe-Town") == "cape-town"
