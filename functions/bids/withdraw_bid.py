"""POST /v1/bids/{id}/withdraw — the bidder withdraws a bid."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import bids
from khaya.params import Path

router = Router()


@router.post(
    "/v1/bids/<id>/withdraw",
    summary="Withdraw a bid",
    description="A pending bid becomes `withdrawn`, freeing a live-bid slot (409 when it is not pending).",
    tags=["bids"],
    responses={404: {"description": "Not found"}, 409: {"description": "State"}},
)
def withdraw_bid(id: Annotated[str, Path(max_length=200)]) -> bids.Bid:
    who = require_role("worker")
    return bids.withdraw_bid(who.user_id, id)


handler = make_handler(router)
