"""GET /v1/jobs/search — open jobs ranked by meaning (category and city filter first)."""

from typing import Annotated

from khaya.ai import search
from khaya.http import Router, caller, make_handler
from khaya.market.catalog import Category, CityText, city_slug
from khaya.params import Query

router = Router()


@router.get(
    "/v1/jobs/search",
    summary="Search open jobs by meaning",
    description=(
        "`q` (1 to 200 characters, not only spaces) is matched by meaning, not by shared words; `category` and "
        "`city` filter first. The best 20 (or `limit`) open jobs, best first, each with its `score`; `source` "
        "says whether Bedrock or the local method embedded the query. 429 `ai_quota_exceeded` past the daily "
        "search quota."
    ),
    tags=["jobs"],
    responses={429: {"description": "Daily search quota used"}},
)
def search_jobs(
    q: Annotated[str, Query(min_length=1, max_length=search.MAX_QUERY, pattern=r"\S")],
    category: Annotated[Category | None, Query()] = None,
    city: Annotated[CityText | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=search.MAX_RESULTS)] = search.MAX_RESULTS,
) -> search.SearchPage:
    who = caller()
    slug = city_slug(city) if city else None
    return search.search(who.user_id, q, category=category, city=slug, limit=limit)


handler = make_handler(router)
