"""GET /v1/jobs/{id}/bids — the job's owner sees every bid, a worker only its own."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import bids
from khaya.params import Path, Query

router = Router()


@router.get(
    "/v1/jobs/<id>/bids",
    summary="Bids on a job",
    tags=["bids"],
    responses={403: {"description": "Another client"}, 404: {"description": "No such job"}},
)
def list_job_bids(
    id: Annotated[str, Path(max_length=64)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> bids.BidPage:
    return bids.list_job_bids(caller(), id, limit=limit, cursor=cursor)


handler = make_handler(router)
