"""GET /v1/conversations — mine, most recent activity first (one GSI query)."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import conversations
from khaya.params import Query

router = Router()


@router.get("/v1/conversations", summary="My conversations", tags=["conversations"])
def list_conversations(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> conversations.ConversationPage:
    return conversations.list_conversations(caller().user_id, limit=limit, cursor=cursor)


handler = make_handler(router)
