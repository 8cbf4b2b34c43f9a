"""The shape of a price and timeline suggestion: what ``POST /v1/ai/job-suggestions`` answers
and what a job shows as its ``aiSuggestion`` (``khaya.ai.suggestions`` makes them; the job
only stores one). Here, below both, so the job's schema can name it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from khaya.api import ApiModel
from khaya.money import Money


class PriceRange(ApiModel):
    min: Money
    max: Money


class DayRange(ApiModel):
    min: int = Field(ge=1)
    max: int = Field(ge=1)


class Suggestion(ApiModel):
    price_range: PriceRange
    timeline_days: DayRange
    rationale: str
    source: Literal["bedrock", "fallback"] = Field(description="Who answered: the model, or the local method.")


class JobSuggestion(Suggestion):
    """A job's ``aiSuggestion``: a suggestion made for it shortly after it was posted."""

    generated_at: str
