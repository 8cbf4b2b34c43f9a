"""GET /v1/conversations/{id}/messages — newest first, participants only."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.market import conversations
from khaya.params import Path, Query

router = Router()


@router.get(
    "/v1/conversations/<id>/messages",
    summary="Messages of a conversation",
    tags=["conversations"],
    responses={404: {"description": "Not a participant, or no such conversation"}},
)
def list_messages(
    id: Annotated[str, Path(max_length=200)],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=2048)] = None,
) -> conversations.MessagePage:
    return conversations.list_messages(caller(), id, limit=limit, cursor=cursor)


handler = make_handler(router)
