"""POST /v1/jobs — a client posts a job (over the plan's open-job limit → 422)."""

from datetime import date

from pydantic import ConfigDict, Field, field_validator

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.ids import now_iso
from khaya.market import jobs
from khaya.market.catalog import Category, CityText
from khaya.money import Money

router = Router()


class JobIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=3, max_length=120)
    description: str = Field(min_length=1, max_length=5000)
    category: Category
    city: CityText
    budget: Money | None = None
    due_date: date | None = Field(default=None, description="YYYY-MM-DD, today or later (UTC); a past date is 400.")

    @field_validator("due_date")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value.isoformat() < now_iso()[:10]:
            raise ValueError("dueDate is in the past")
        return value


@router.post(
    "/v1/jobs",
    summary="Post a job",
    description="Clients only. 422 `plan_limit_reached` over the plan's open-job limit.",
    tags=["jobs"],
    responses={201: {"description": "The job"}, 403: {"description": "Not a client"}, 422: {"description": "Limit"}},
)
def create_job(body: JobIn) -> tuple[jobs.Job, int]:
    who = require_role("client")
    return jobs.create_job(who.user_id, body.model_dump(by_alias=True)), 201


handler = make_handler(router)
