"""POST /v1/me/notifications/read-all — mark all my notifications read."""

from khaya.http import Router, caller, json_response, make_handler
from khaya.market import notifications

router = Router()


@router.post(
    "/v1/me/notifications/read-all",
    summary="Mark all my notifications read",
    tags=["notifications"],
    responses={204: {"description": "All read"}},
)
def read_all_notifications() -> None:
    notifications.read_all(caller().user_id)
    return json_response(204, None)  # type: ignore[return-value]


handler = make_handler(router, validation=False)
