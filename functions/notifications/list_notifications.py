"""GET /v1/me/notifications — mine, newest first; ``?unread=true`` for unread only (one Query)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import notifications
from khaya.params import Query

router = Router()


@router.get("/v1/me/notifications", summary="My notifications", tags=["notifications"])
def list_notifications(
    unread: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> notifications.NotificationPage:
    return notifications.list_notifications(caller().user_id, unread=unread, limit=limit, cursor=cursor)


handler = make_handler(router)
