"""GET /v1/me/bids — the worker's own bids, newest first (one GSI query)."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import bids
from khaya.params import Query

router = Router()


@router.get("/v1/me/bids", summary="My bids", tags=["bids"], responses={403: {"description": "Not a worker"}})
def list_my_bids(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> bids.BidPage:
    who = require_role("worker")
    return bids.list_my_bids(who.user_id, limit=limit, cursor=cursor)


handler = make_handler(router)
