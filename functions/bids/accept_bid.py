"""POST /v1/bids/{id}/accept — the job's owner accepts a bid."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import bids
from khaya.params import Path

router = Router()


@router.post(
    "/v1/bids/<id>/accept",
    summary="Accept a bid",
    description="Exactly one bid per job is ever accepted: the job goes `open → assigned` with this bid, "
    "the other pending bids become `rejected`. A second accept is 409.",
    tags=["bids"],
    responses={404: {"description": "Not found"}, 409: {"description": "State"}},
)
def accept_bid(id: Annotated[str, Path(max_length=200)]) -> bids.Bid:
    who = require_role("client")
    return bids.accept_bid(who.user_id, id)


handler = make_handler(router)
