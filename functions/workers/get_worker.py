"""GET /v1/workers/{id} — a worker's public profile (any signed-in user)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import workers
from khaya.params import Path

router = Router()


@router.get(
    "/v1/workers/<id>",
    summary="A worker's public profile",
    description="Public fields only (no phone), a rating summary, and short-lived links to portfolio images.",
    tags=["workers"],
    responses={404: {"description": "No such worker"}},
)
def get_worker(id: Annotated[str, Path(max_length=64)]) -> workers.WorkerProfile:
    caller()
    return workers.get_worker(id)


handler = make_handler(router)
