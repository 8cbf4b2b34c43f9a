"""Semantic job search: ``GET /v1/jobs/search?q=``.

1. The query is embedded (Titan, or the local method when Bedrock cannot answer or the
   backend is local: then ``source`` is ``fallback``).
2. The candidates are the open jobs of the open-jobs index partition the filters name
   (``JOBS#open[#cat#<c>][#city#<c>]``: category and city filter before any ranking), newest
   first, at most ``SEARCH_MAX_CANDIDATES``, read a page at a time with only what ranking needs.
3. Each candidate is scored by dot product with the query in the space of its stored vector:
   the query's own when the methods match (the common case: one matrix product per page);
   the local method's query vector for a candidate embedded locally; and for one not yet
   embedded, or embedded by Titan while the query fell back, the local method on its title.
4. The best ``limit`` (at most 20) are read whole (one BatchGetItem) and returned with their
   ``score``, best first.

Exact ranking inside the function costs one DynamoDB page per ~700 candidates: the README
says where that stops and what replaces it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from khaya import db
from khaya.ai import embeddings, quota, ranking
from khaya.ai.backend import Source, ai_settings
from khaya.api import ApiModel
from khaya.errors import ValidationFailed
from khaya.market import keys as market_keys
from khaya.market.jobs import SUMMARY_FIELDS, JobSummary

MAX_RESULTS = 20
MAX_QUERY = 200
_CANDIDATE_FIELDS = ["sk", "title", "category", "embedding", "embeddingModel"]  # the partition key is known


class SearchHit(JobSummary):
    score: float


class SearchPage(ApiModel):
    items: list[SearchHit]
    next_cursor: str | None = None
    source: Source


def _scored_pages(
    query: embeddings.Embedding, local_query: list[float], pages: Iterator[list[dict[str, Any]]]
) -> Iterator[list[tuple[float, dict[str, Any]]]]:
    """Each page of candidates with their scores (see the module's step 3)."""
    for page in pages:
        same = [c for c in page if c.get("embeddingModel") == query.model and isinstance(c.get("embedding"), bytes)]
        scored = list(zip(ranking.scores(query.vector, [c["embedding"] for c in same]), same, strict=True))
        for c in page:
            if c.get("embeddingModel") == query.model and isinstance(c.get("embedding"), bytes):
                continue
            if c.get("embeddingModel") == embeddings.LOCAL_MODEL and isinstance(c.get("embedding"), bytes):
                vector: Any = embeddings.from_bytes(c["embedding"])
            else:
                text = embeddings.job_text(str(c.get("title", "")), str(c.get("category", "")), "")
                vector = embeddings.local_embed(text)
            scored.append((embeddings.dot(local_query, vector), c))
        yield scored


def search(user_id: str, q: str, *, category: str | None, city: str | None, limit: int = MAX_RESULTS) -> SearchPage:
    text = " ".join(q.split())
    if not text or len(text) > MAX_QUERY:
        raise ValidationFailed(
            f"q: between 1 and {MAX_QUERY} characters", details=[{"field": "q", "issue": "out_of_range"}]
        )
    quota.spend(user_id, "search")
    query = embeddings.embed("search", text)
    local_query = query.vector if query.model == embeddings.LOCAL_MODEL else embeddings.local_embed(text)
    pk = market_keys.job_list_pk("open", category, city)
    pages = db.query_pages(pk, projection=_CANDIDATE_FIELDS, max_items=ai_settings().search_max_candidates)
    best = ranking.TopK(min(limit, MAX_RESULTS))
    for scored in _scored_pages(query, local_query, pages):
        for score, candidate in scored:
            if score > 0:
                best.offer(score, str(candidate["sk"]), candidate)
    winners = best.best()
    wanted = [(pk, str(c["sk"])) for _, c in winners]
    found = {i["sk"]: i for i in db.batch_get(wanted, projection=["sk", *SUMMARY_FIELDS])}
    hits = []
    for score, candidate in winners:
        item = found.get(candidate["sk"])
        if item is not None:  # it left the open list since the page was read
            hits.append({**item, "score": round(score, 4)})
    return SearchPage.from_item({"items": hits, "next_cursor": None, "source": query.source})
