"""The fixed job categories and city normalisation, so list filters always match.

Categories are a closed list: a job, a worker profile and a list filter all name one of
``CATEGORIES``; anything else is a 400. Cities are free text normalised to a slug
(``city_slug``): trimmed, spaces collapsed, accents stripped, casefolded, non-alphanumerics
to ``-`` — so ``"  Cape   Town"``, ``"cape town"`` and ``"Cápe-Town"`` are one city.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, StringConstraints

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
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80), AfterValidator(_has_slug)
]
"""A city as a request carries it (validated; stored as ``city_slug`` + ``display_city``)."""
