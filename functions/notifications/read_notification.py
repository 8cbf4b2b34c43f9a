"""POST /v1/me/notifications/{id}/read — mark one of my notifications read."""

from typing import Annotated

from khaya.http import Router, caller, json_response, make_handler
from khaya.market import notifications
from khaya.params import Path

router = Router()


@router.post(
    "/v1/me/notifications/<id>/read",
    summary="Mark a notification read",
    tags=["notifications"],
    responses={204: {"description": "Read"}, 404: {"description": "Not one of mine"}},
)
def read_notification(id: Annotated[str, Path(max_length=64)]) -> None:
    notifications.read_notification(caller().user_id, id)
    return json_response(204, None)  # type: ignore[return-value]


handler = make_handler(router)
