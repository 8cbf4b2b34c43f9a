"""POST /v1/jobs/{id}/cancel — the owner cancels an open or assigned job."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import jobs
from khaya.params import Path

router = Router()


@router.post(
    "/v1/jobs/<id>/cancel",
    summary="Cancel a job",
    description="Owner only: `open`/`assigned` → `cancelled`. A funded job needs a refund (409 `refund_required`).",
    tags=["jobs"],
    responses={
        403: {"description": "Not the owner"},
        404: {"description": "No such job"},
        409: {"description": "State"},
    },
)
def cancel_job(id: Annotated[str, Path(max_length=64)]) -> jobs.Job:
    who = require_role("client")
    return jobs.cancel_job(who.user_id, id)


handler = make_handler(router)
