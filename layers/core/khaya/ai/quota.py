"""Cost control: how many AI requests a user may make per UTC day, per feature.

``text`` (job suggestions and fresh conversation summaries; a cached summary is free) and
``search`` each have a daily limit (``AI_DAILY_QUOTA``, ``AI_SEARCH_DAILY_QUOTA``). ``enrich``
counts the model calls made for a client's jobs after they are written (a search vector for a
new text, a suggestion for a new job; ``AI_ENRICH_DAILY_QUOTA``): posting, cancelling and
reposting, or editing over and over, cannot run up the model bill; past it, the job is
enriched by the local methods until midnight UTC (``allows``), nothing is refused. Each request
takes a slot with one atomic conditional ADD on ``AIQUOTA#<userId>#<day> | <feature>`` (the
same pattern as the identity rate limits), so concurrent requests cannot get past the limit;
past it the answer is 429 ``ai_quota_exceeded`` with ``Retry-After`` until midnight UTC.
"""

from __future__ import annotations

import time
from typing import Literal

from khaya import db
from khaya.ai import keys
from khaya.ai.backend import ai_settings
from khaya.errors import RateLimited
from khaya.observability import metric

Feature = Literal["text", "search", "enrich"]
_DAY = 86400


def spend(user_id: str, feature: Feature) -> None:
    """Take one of today's slots for ``feature``; 429 when none is left."""
    cfg = ai_settings()
    limit = {"text": cfg.daily_quota, "search": cfg.search_daily_quota, "enrich": cfg.enrich_daily_quota}[feature]
    now = int(time.time())
    end = (now // _DAY + 1) * _DAY
    try:
        db.increment(
            *keys.quota(user_id, time.strftime("%Y%m%d", time.gmtime(now)), feature),
            "count",
            limit=limit,
            ttl=end + 3600,
            on_limit=RateLimited(
                f"You have used today's {limit} AI requests; try again tomorrow.",
                retry_after=end - now,
                code="ai_quota_exceeded",
            ),
        )
    except RateLimited:
        metric("AiQuotaExceeded", feature=feature)
        raise


def allows(user_id: str, feature: Feature) -> bool:
    """For work no one waits on: take a slot if one is left, else ``False`` (counted) instead of
    a 429."""
    try:
        spend(user_id, feature)
    except RateLimited:
        return False
    return True
