"""Keys of the AI items. Jobs, the open-jobs index and conversations are market's keys.

Every read is one key lookup or one Query (never a Scan).

Access patterns, as built
=========================

``pk | sk`` on the table:

- a user's AI requests today (daily quota): ``AIQUOTA#<userId>#<yyyymmdd> | <feature>``
  (``count``, ``ttl``): an atomic ADD under the limit, like the identity rate limits
- recent accepted prices of a category in a currency (grounding and the fallback's
  percentiles): ``PRICES#<category>#<currency> | <acceptedAt>#<jobId>`` (``amount``,
  ``etaDays``, ``ttl`` one year); newest first, one Query
- a job's search vector: ``JOB#<jobId> | AI#EMBEDDING`` (``vector`` float16 bytes,
  ``model``, ``textHash``); deleted when the job leaves ``open``
- search candidates: market's open-jobs index partitions (``JOBS#open``, ``…#cat#<c>``,
  ``…#city#<c>``, ``…#cat#<c>#city#<c>``), whose items also carry ``embedding`` and
  ``embeddingModel``; one Query of the partition the filters name
- a conversation's cached summary: the ``summary`` attribute of ``CONV#<id> | META``
"""

from __future__ import annotations

from khaya.db.keys import Key, join, part
from khaya.market.keys import job_pk

QUOTA_PREFIX = "AIQUOTA#"
PRICES_PREFIX = "PRICES#"
EMBEDDING = "AI#EMBEDDING"


def quota(user_id: str, day: str, feature: str) -> Key:
    return Key(QUOTA_PREFIX + join(user_id, day), part(feature))


def prices_pk(category: str, currency: str) -> str:
    return PRICES_PREFIX + join(category, currency)


def price_sample(category: str, currency: str, accepted_at: str, job_id: str) -> Key:
    return Key(prices_pk(category, currency), join(accepted_at, job_id))


def job_embedding(job_id: str) -> Key:
    return Key(job_pk(job_id), EMBEDDING)
