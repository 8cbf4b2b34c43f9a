"""GET /v1/jobs — jobs by status (default open), category and city, newest first (one Query)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import jobs
from khaya.market.catalog import Category, CityText, city_slug
from khaya.params import Query

router = Router()


@router.get(
    "/v1/jobs",
    summary="List jobs",
    description="Filters `category`, `city` (normalised), `status` (default `open`); newest first; signed cursor.",
    tags=["jobs"],
)
def list_jobs(
    status: Annotated[jobs.Status, Query()] = "open",
    category: Annotated[Category | None, Query()] = None,
    city: Annotated[CityText | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> jobs.JobPage:
    caller()
    slug = city_slug(city) if city else None
    return jobs.list_jobs(status=status, category=category, city=slug, limit=limit, cursor=cursor)


handler = make_handler(router)
