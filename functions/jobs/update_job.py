"""PATCH /v1/jobs/{id} — the owner edits its job while it is open."""

from datetime import date
from typing import Annotated

from pydantic import ConfigDict, Field, field_validator, model_validator

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.ids import now_iso
from khaya.market import jobs
from khaya.market.catalog import Category, CityText
from khaya.money import Money
from khaya.params import Path

router = Router()


class JobPatch(ApiModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    title: str | None = Field(default=None, min_length=3, max_length=120)
    description: str | None = Field(default=None, min_length=1, max_length=5000)
    category: Category | None = None
    city: CityText | None = None
    budget: Money | None = None
    due_date: date | None = Field(default=None, description="YYYY-MM-DD, today or later (UTC); a past date is 400.")

    @field_validator("due_date")
    @classmethod
    def _not_past(cls, value: date | None) -> date | None:
        if value is not None and value.isoformat() < now_iso()[:10]:
            raise ValueError("dueDate is in the past")
        return value

    @model_validator(mode="after")
    def _something(self) -> "JobPatch":
        if not self.model_fields_set:
            raise ValueError("nothing to change")
        return self


@router.patch(
    "/v1/jobs/<id>",
    summary="Edit a job",
    description="Owner only, while the job is `open` (409 otherwise). `budget`/`dueDate`: null clears them.",
    tags=["jobs"],
    responses={
        403: {"description": "Not the owner"},
        404: {"description": "No such job"},
        409: {"description": "Not open"},
    },
)
def update_job(id: Annotated[str, Path(max_length=64)], body: JobPatch) -> jobs.Job:
    who = require_role("client")
    return jobs.update_job(who.user_id, id, body.model_dump(by_alias=True, exclude_unset=True))


handler = make_handler(router)
