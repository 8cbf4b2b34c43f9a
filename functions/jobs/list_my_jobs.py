"""GET /v1/me/jobs — the client's own jobs, newest first (one GSI query)."""

from typing import Annotated

from khaya.http import Router, make_handler, require_role
from khaya.market import jobs
from khaya.params import Query

router = Router()


@router.get("/v1/me/jobs", summary="My jobs", tags=["jobs"], responses={403: {"description": "Not a client"}})
def list_my_jobs(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> jobs.JobPage:
    who = require_role("client")
    return jobs.list_my_jobs(who.user_id, limit=limit, cursor=cursor)


handler = make_handler(router)
