"""GET /v1/bids/{id} — one bid, for the job's owner or the bidder (anyone else: 404)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import bids
from khaya.params import Path

router = Router()


@router.get("/v1/bids/<id>", summary="Get a bid", tags=["bids"], responses={404: {"description": "Not found"}})
def get_bid(id: Annotated[str, Path(max_length=200)]) -> bids.Bid:
    return bids.get_bid(caller(), id)


handler = make_handler(router)
