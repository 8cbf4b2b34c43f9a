"""Prices and timelines: configured ranges per currency, percentiles of accepted bids, sane bounds."""

from __future__ import annotations

from khaya.ai import pricing
from khaya.market.catalog import CATEGORIES
from khaya.money import CURRENCIES


def test_every_category_has_a_range_in_every_currency():
    for category in CATEGORIES:
        for currency in CURRENCIES:
            usual = pricing.configured(category, currency)
            assert 0 < usual.min_amount < usual.max_amount and 1 <= usual.min_days <= usual.max_days


def test_amounts_are_rounded_to_two_significant_figures_of_whole_units():
    assert pricing.nice(348_765) == 350_000
    assert pricing.nice(95_000) == 95_000
    assert pricing.nice(450) == 500  # R4.50 → R5
    assert pricing.nice(10) == 100  # never below one unit


def test_the_middle_half_of_accepted_bids_needs_three_of_them():
    assert pricing.from_samples([80_000, 120_000], [1, 2]) is None
    got = pricing.from_samples([80_000, 100_000, 120_000, 500_000], [1, 2, 2, 4])
    assert got == pricing.Estimate(95_000, 220_000, 1, 3)


def test_a_suggestion_is_clamped_into_sane_bounds_and_ordered():
    low, high = pricing.bounds("plumbing", "ZAR", [])
    assert (low, high) == (45_000 // 4, 350_000 * 4)
    wild = pricing.Estimate(100, 100_000_000_00, 0, 400)
    clamped, moved = pricing.clamp(wild, low, high)
    assert moved and clamped == pricing.Estimate(low, high, 1, pricing.MAX_DAYS)
    fine = pricing.Estimate(90_000, 220_000, 1, 2)
    assert pricing.clamp(fine, low, high) == (fine, False)


def test_accepted_prices_widen_the_bounds():
    assert pricing.bounds("plumbing", "ZAR", [2_000_000])[1] == 2_000_000
