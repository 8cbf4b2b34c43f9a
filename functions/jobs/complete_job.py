"""POST /v1/jobs/{id}/complete — the owner confirms the work is done: `funded → completed`, payout starts."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market.jobs import Job
from khaya.params import Path
from khaya.payments import payouts

router = Router()


@router.post(
    "/v1/jobs/<id>/complete",
    summary="Complete a job",
    description=(
        "Owner only: `funded → completed`. The platform fee (5 % of the accepted bid, half-up; waived on the "
        "worker's first two completed jobs) is taken and the payout to the worker starts."
    ),
    tags=["jobs"],
    responses={
        403: {"description": "Not the owner"},
        404: {"description": "No such job"},
        409: {"description": "Not funded, or a refund is under way"},
    },
)
def complete_job(id: Annotated[str, Path(max_length=64)]) -> Job:
    who = require_role("client")
    return payouts.complete_job(who.user_id, id)


handler = make_handler(router)
