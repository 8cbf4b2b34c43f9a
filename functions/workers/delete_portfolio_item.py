"""DELETE /v1/me/portfolio/{itemId} — a worker removes one of its portfolio images."""

from typing import Annotated

from khaya.http import Router, json_response, make_handler, require_role
from khaya.market import workers
from khaya.params import Path

router = Router()


@router.delete(
    "/v1/me/portfolio/<itemId>",
    summary="Remove a portfolio image",
    tags=["workers"],
    responses={204: {"description": "Removed"}, 404: {"description": "Not one of mine"}},
)
def delete_portfolio_item(itemId: Annotated[str, Path(max_length=64)]) -> None:
    who = require_role("worker")
    workers.delete_portfolio_item(who.user_id, itemId)
    return json_response(204, None)  # type: ignore[return-value]


handler = make_handler(router)
