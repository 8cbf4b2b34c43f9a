"""GET /v1/health — liveness plus a read of the table (public)."""

from typing import Literal, TypedDict

from khaya.health import check_health
from khaya.http import Router, make_handler

router = Router()


class HealthOut(TypedDict):
    """A TypedDict, not a pydantic model: documented the same, and pydantic stays out of the
    cold start of the route monitors hit most."""

    status: Literal["ok"]
    version: str
    stage: str


@router.get(
    "/v1/health",
    summary="Health check",
    description="Answers 200 when the function runs and the table is reachable, 503 otherwise.",
    tags=["platform"],
    responses={200: {"description": "Healthy"}, 503: {"description": "The table is unreachable"}},
)
def get_health() -> HealthOut:
    return check_health()


handler = make_handler(router, validation=False)
