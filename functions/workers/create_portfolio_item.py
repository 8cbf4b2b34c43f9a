"""POST /v1/me/portfolio — a presigned upload for one portfolio image (JPEG, PNG, WebP; ≤ 5 MB)."""

from typing import Literal

from pydantic import ConfigDict, Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.market import workers

router = Router()


class PortfolioItemIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    caption: str | None = Field(default=None, max_length=200)


@router.post(
    "/v1/me/portfolio",
    summary="Add a portfolio image",
    description="Workers only. Returns a presigned S3 POST whose policy pins the declared content type "
    "and a size of at most 5 MB; upload the file with those fields within `expiresIn` seconds.",
    tags=["workers"],
    responses={201: {"description": "Upload instructions"}, 422: {"description": "Portfolio full"}},
)
def create_portfolio_item(body: PortfolioItemIn) -> tuple[workers.PortfolioUpload, int]:
    who = require_role("worker")
    return workers.create_portfolio_item(who.user_id, body.content_type, body.caption), 201


handler = make_handler(router)
