"""The fixed job categories, city normalisation and the cities' countries and currencies.

Categories are a closed list: a job, a worker profile and a list filter all name one of
``CATEGORIES``; anything else is a 400. Cities are free text normalised to a slug
(``city_slug``): trimmed, spaces collapsed, accents stripped, casefolded, non-alphanumerics
to ``-`` — so ``"  Cape   Town"``, ``"cape town"`` and ``"Cápe-Town"`` are one city.

``country_of_city`` knows the larger cities and towns of the four countries served (by slug,
including common alternative names); ``currency_of_country`` maps a country to the currency
its jobs are paid in. A city not in the list has no known country (``None``): callers fall
back to another signal (a budget's currency, the user's phone region).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, Field, StringConstraints

Category = Literal[
    "plumbing",
    "electrical",
    "carpentry",
    "painting",
    "cleaning",
    "gardening",
    "moving",
    "appliance_repair",
    "roofing",
    "tiling",
    "welding",
    "tutoring",
    "beauty",
    "it_support",
    "other",
]
CATEGORIES: tuple[str, ...] = get_args(Category)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def city_slug(city: str) -> str:
    """``" Cápe  Town "`` → ``"cape-town"``; empty when nothing usable is left."""
    decomposed = unicodedata.normalize("NFKD", " ".join(city.split()))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("-", ascii_only.casefold()).strip("-")


def display_city(city: str) -> str:
    """The city as the user typed it, with its spaces tidied (for display only)."""
    return " ".join(city.split())


def _has_slug(city: str) -> str:
    if not city_slug(city):
        raise ValueError("a city needs at least one letter or digit")
    return city


CityText = Annotated[
    str,
    # The pattern states the slug rule in the OpenAPI document: a letter A-Z or a digit is what
    # leaves a non-empty slug, whatever else the name holds.
    StringConstraints(strip_whitespace=True, min_length=1, max_length=80, pattern=r"[A-Za-z0-9]"),
    Field(description="A city name, e.g. `Cape Town`; it must hold at least one letter A-Z or digit."),
    AfterValidator(_has_slug),
]
"""A city as a request carries it (validated; stored as ``city_slug`` + ``display_city``)."""


COUNTRY_CURRENCY: dict[str, str] = {"ZA": "ZAR", "KE": "KES", "NG": "NGN", "GH": "GHS"}

_CITIES: dict[str, tuple[str, ...]] = {
    "ZA": (
        "johannesburg",
        "joburg",
        "jozi",
        "cape-town",
        "durban",
        "pretoria",
        "tshwane",
        "port-elizabeth",
        "gqeberha",
        "bloemfontein",
        "east-london",
        "pietermaritzburg",
        "polokwane",
        "nelspruit",
        "mbombela",
        "kimberley",
        "rustenburg",
        "george",
        "soweto",
        "sandton",
        "midrand",
        "centurion",
        "stellenbosch",
        "paarl",
        "benoni",
        "boksburg",
        "germiston",
        "randburg",
        "roodepoort",
        "umhlanga",
        "pinetown",
        "mthatha",
        "welkom",
        "vereeniging",
        "potchefstroom",
        "witbank",
        "emalahleni",
        "richards-bay",
    ),
    "KE": (
        "nairobi",
        "mombasa",
        "kisumu",
        "nakuru",
        "eldoret",
        "thika",
        "malindi",
        "kitale",
        "garissa",
        "nyeri",
        "machakos",
        "meru",
        "kericho",
        "naivasha",
        "kakamega",
        "kiambu",
        "ruiru",
        "lamu",
    ),
    "NG": (
        "lagos",
        "abuja",
        "kano",
        "ibadan",
        "port-harcourt",
        "benin-city",
        "kaduna",
        "enugu",
        "onitsha",
        "aba",
        "jos",
        "ilorin",
        "owerri",
        "warri",
        "calabar",
        "uyo",
        "abeokuta",
        "akure",
        "maiduguri",
        "zaria",
        "sokoto",
        "ikeja",
        "lekki",
        "ikorodu",
    ),
    "GH": (
        "accra",
        "kumasi",
        "tamale",
        "takoradi",
        "sekondi-takoradi",
        "cape-coast",
        "tema",
        "sunyani",
        "koforidua",
        "ho",
        "obuasi",
        "techiman",
        "wa",
        "bolgatanga",
        "kasoa",
        "madina",
    ),
}
_CITY_COUNTRY: dict[str, str] = {slug: country for country, slugs in _CITIES.items() for slug in slugs}


def country_of_city(city: str) -> str | None:
    """``"Cape Town"`` → ``"ZA"``; ``None`` for a city not in the list."""
    return _CITY_COUNTRY.get(city_slug(city))


def currency_of_country(country: str | None) -> str | None:
    """``"KE"`` → ``"KES"``; ``None`` for a country the marketplace does not serve."""
    return COUNTRY_CURRENCY.get(country or "")
