"""GET /v1/jobs/{id} — one job (any signed-in user; who won it only for its owner, that worker and admins)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import jobs
from khaya.params import Path

router = Router()


@router.get("/v1/jobs/<id>", summary="Get a job", tags=["jobs"], responses={404: {"description": "No such job"}})
def get_job(id: Annotated[str, Path(max_length=64)]) -> jobs.Job:
    return jobs.get_job(caller(), id)


handler = make_handler(router)
