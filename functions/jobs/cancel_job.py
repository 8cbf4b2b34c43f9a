"""POST /v1/jobs/{id}/cancel — the owner cancels a job; a funded one through a refund."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import jobs
from khaya.params import Path

router = Router()


@router.post(
    "/v1/jobs/<id>/cancel",
    summary="Cancel a job",
    description=(
        "Owner only: `open`/`assigned` → `cancelled`. A `funded` job starts exactly one refund "
        "(`refundStatus: pending`) and becomes `cancelled` when the provider confirms it."
    ),
    tags=["jobs"],
    responses={
        403: {"description": "Not the owner"},
        404: {"description": "No such job"},
        409: {"description": "State"},
        502: {"description": "The provider refused the refund"},
        503: {"description": "The provider is unavailable"},
    },
)
def cancel_job(id: Annotated[str, Path(max_length=64)]) -> jobs.Job:
    who = require_role("client")
    try:
        return jobs.cancel_job(who.user_id, id)
    except jobs.RefundRequired:
        from khaya.payments.refunds import cancel_funded_job

        return cancel_funded_job(who.user_id, id)


handler = make_handler(router)
