"""POST /v1/jobs/{id}/bids — a worker bids on an open job (one live bid per worker per job)."""

from typing import Annotated

from pydantic import ConfigDict, Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.market import bids
from khaya.money import Money
from khaya.params import Path

router = Router()


class BidIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    amount: Money
    message: str = Field(min_length=1, max_length=2000)
    eta_days: int = Field(ge=0, le=365)


@router.post(
    "/v1/jobs/<id>/bids",
    summary="Bid on a job",
    description="Workers only; job `open`; not one's own job (422 `own_job`); a second live bid is 409 "
    "`duplicate_bid`; over the plan's live-bid limit → 422 `plan_limit_reached`.",
    tags=["bids"],
    responses={201: {"description": "The bid"}, 404: {"description": "No such job"}, 409: {"description": "Dup"}},
)
def create_bid(id: Annotated[str, Path(max_length=64)], body: BidIn) -> tuple[bids.Bid, int]:
    who = require_role("worker")
    return bids.create_bid(who.user_id, id, body.model_dump(by_alias=True)), 201


handler = make_handler(router)
