"""The fixed job categories and city normalisation, so list filters always match.

Categories are a closed list: a job, a worker profile and a list filter all name one of
``CATEGORIES``; anything else is a 400. Cities are free text normalised to a slug
(``city_slug``): trimmed, spaces collapsed, accents stripped, casefolded, non-alphanumerics
to ``-`` — so ``"  Cape   Town"``, ``"cape town"`` and ``"Cápe-Town"`` are one city.
"""

from __future__ import annotations

import re
import unicodedata

CATEGORIES: tuple[str, ...] = (
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
)

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def city_slug(city: str) -> str:
    """``" Cápe  Town "`` → ``"cape-town"``; empty when nothing usable is left."""
    decomposed = unicodedata.normalize("NFKD", " ".join(city.split()))
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("-", ascii_only.casefold()).strip("-")


def display_city(city: str) -> str:
    """The city as the user typed it, with its spaces tidied (for display only)."""
    return " ".join(city.split())
