"""Price and timeline arithmetic: the categories' configured ranges, the percentiles of recent
accepted bids, and the sane bounds every suggestion is clamped to. No I/O here.

Amounts are integer minor units (cents, kobo, pesewas: 1/100 of the unit in every supported
currency). The configured ranges are the usual total price of a job of each category in South
African rand; ``PRICE_LEVEL`` carries them to the other currencies (a rough level of local
prices, for ranges and bounds only, never for money that moves).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

MINOR = 100  # minor units per unit, in every supported currency
MIN_SAMPLES = 3
BOUND_FACTOR = 4  # a suggestion stays within [low / 4, high * 4] of the configured range
MAX_DAYS = 90

# category → (usual low, usual high) in ZAR units, (usual fewest, most) working days
RANGES: dict[str, tuple[tuple[int, int], tuple[int, int]]] = {
    "plumbing": ((450, 3500), (1, 3)),
    "electrical": ((500, 4000), (1, 3)),
    "carpentry": ((600, 6000), (1, 7)),
    "painting": ((1500, 12000), (2, 7)),
    "cleaning": ((250, 1200), (1, 1)),
    "gardening": ((250, 1500), (1, 2)),
    "moving": ((900, 6000), (1, 2)),
    "appliance_repair": ((350, 2500), (1, 3)),
    "roofing": ((1500, 15000), (2, 10)),
    "tiling": ((1500, 12000), (2, 7)),
    "welding": ((800, 8000), (1, 5)),
    "tutoring": ((200, 1500), (1, 7)),
    "beauty": ((150, 1200), (1, 1)),
    "it_support": ((300, 2000), (1, 2)),
    "other": ((300, 3000), (1, 5)),
}
PRICE_LEVEL: dict[str, float] = {"ZAR": 1.0, "KES": 7.0, "NGN": 85.0, "GHS": 0.8, "USD": 0.055}


@dataclass(frozen=True)
class Estimate:
    min_amount: int  # minor units
    max_amount: int
    min_days: int
    max_days: int


def nice(amount: int) -> int:
    """Round a minor-unit amount half up to two significant figures of whole units (R3 487 → R3 500)."""
    units = amount / MINOR
    if units < 10:
        return max(MINOR, math.floor(units + 0.5) * MINOR)
    step = 10 ** (int(math.log10(units)) - 1)
    return int(math.floor(units / step + 0.5) * step * MINOR)


def configured(category: str, currency: str) -> Estimate:
    (low, high), (fewest, most) = RANGES.get(category, RANGES["other"])
    level = PRICE_LEVEL[currency]
    return Estimate(nice(int(low * level * MINOR)), nice(int(high * level * MINOR)), fewest, most)


def percentile(values: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (``q`` in [0, 1]); ``values`` non-empty."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def from_samples(amounts: Sequence[int], days: Sequence[int]) -> Estimate | None:
    """The middle half (25th to 75th percentile) of recent accepted bids; ``None`` under 3 of them."""
    if len(amounts) < MIN_SAMPLES:
        return None
    low, high = nice(int(percentile(amounts, 0.25))), nice(int(percentile(amounts, 0.75)))
    fewest, most = 1, 1
    if len(days) >= MIN_SAMPLES:
        fewest = max(1, math.floor(percentile(days, 0.25)))
        most = max(fewest, math.ceil(percentile(days, 0.75)))
    return Estimate(low, max(low, high), min(fewest, MAX_DAYS), min(most, MAX_DAYS))


@dataclass(frozen=True)
class Aggregates:
    """What may be said of other jobs' accepted bids: how many, and (from ``MIN_SAMPLES`` on)
    their quartiles, amounts rounded by ``nice``. Never one bid's own figure."""

    count: int
    amounts: tuple[int, int, int] | None  # 25th, 50th, 75th percentile, minor units
    days: tuple[int, int, int] | None

    def figures(self) -> dict[str, object]:
        """As the model reads them: whole units and days."""
        out: dict[str, object] = {"count": self.count}
        if self.amounts is not None:
            out["price"] = dict(zip(("p25", "median", "p75"), (a // MINOR for a in self.amounts), strict=True))
        if self.days is not None:
            out["days"] = dict(zip(("p25", "median", "p75"), self.days, strict=True))
        return out


def aggregates(amounts: Sequence[int], days: Sequence[int]) -> Aggregates:
    prices = spans = None
    if len(amounts) >= MIN_SAMPLES:
        p25, p50, p75 = (nice(int(percentile(amounts, q))) for q in (0.25, 0.5, 0.75))
        prices = (p25, p50, p75)
    if len(days) >= MIN_SAMPLES:
        d25, d50, d75 = (max(1, math.floor(percentile(days, q) + 0.5)) for q in (0.25, 0.5, 0.75))
        spans = (d25, d50, d75)
    return Aggregates(len(amounts), prices, spans)


def bounds(category: str, currency: str, amounts: Sequence[int]) -> tuple[int, int]:
    """The sane price interval: the configured range widened by ``BOUND_FACTOR`` each way,
    and by whatever was actually accepted lately (rounded by ``nice``, so a clamped answer
    never shows one bid's exact amount)."""
    usual = configured(category, currency)
    low = min([usual.min_amount // BOUND_FACTOR, *([nice(min(amounts))] if amounts else [])])
    high = max([usual.max_amount * BOUND_FACTOR, *([nice(max(amounts))] if amounts else [])])
    return max(MINOR, low), high


def clamp(estimate: Estimate, low: int, high: int) -> tuple[Estimate, bool]:
    """``estimate`` inside [low, high] and [1, MAX_DAYS] days, min ≤ max; and whether it moved."""
    lo_amount = min(max(estimate.min_amount, low), high)
    hi_amount = min(max(estimate.max_amount, lo_amount), high)
    lo_days = min(max(estimate.min_days, 1), MAX_DAYS)
    hi_days = min(max(estimate.max_days, lo_days), MAX_DAYS)
    clamped = Estimate(lo_amount, hi_amount, lo_days, hi_days)
    return clamped, clamped != estimate


def money_text(amount: int, currency: str) -> str:
    return f"{currency} {amount / MINOR:,.0f}"
