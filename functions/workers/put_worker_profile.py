"""PUT /v1/me/worker-profile — a worker sets its public profile."""

from typing import Annotated

from pydantic import ConfigDict, Field, StringConstraints

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.market import workers
from khaya.market.catalog import Category, CityText
from khaya.money import Money

router = Router()


class WorkerProfileIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    skills: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=r"\S")]
    ] = Field(max_length=30)
    categories: list[Category] = Field(min_length=1, max_length=15)
    city: CityText
    bio: str = Field(max_length=2000)
    hourly_rate: Money


@router.put(
    "/v1/me/worker-profile",
    summary="Set my worker profile",
    description="Workers only. Categories come from the fixed list; the city is normalised.",
    tags=["workers"],
    responses={403: {"description": "Not a worker"}},
)
def put_worker_profile(body: WorkerProfileIn) -> workers.WorkerProfile:
    who = require_role("worker")
    return workers.put_profile(who.user_id, body.model_dump(by_alias=True))


handler = make_handler(router)
