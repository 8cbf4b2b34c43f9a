"""AI test helpers: the marketplace's people and shortcuts, the AI stream consumer, Bedrock stubs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.market.conftest import Market, market  # noqa: F401  (fixture)
from tests.support.market_stream import StreamPump

GEYSER_JOB = {
    "title": "Geyser leaking through the ceiling",
    "description": "Our geyser burst last night and water is dripping through the bedroom ceiling.",
    "category": "plumbing",
    "city": "Johannesburg",
}
LAWN_JOB = {
    "title": "Mow the lawn and trim the hedges",
    "description": "Big back garden, the grass is knee high. Take the cuttings away please.",
    "category": "gardening",
    "city": "Johannesburg",
}


@pytest.fixture
def enrich(market: Market) -> StreamPump:  # noqa: F811
    """The AI stream consumer (AiEnrichFunction), fed from the table's stream on demand."""
    return StreamPump("AiEnrichFunction")


def post(market: Market, body: dict[str, Any], **kw: Any) -> dict[str, Any]:  # noqa: F811
    return market.post_job(**{**body, "budget": None, **kw})
