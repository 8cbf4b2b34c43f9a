"""POST /v1/conversations/{id}/summary — a participant's summary of the conversation so far."""

from typing import Annotated

from khaya.ai import summaries
from khaya.http import Router, caller, make_handler
from khaya.params import Path

router = Router()


@router.post(
    "/v1/conversations/<id>/summary",
    summary="Summarise a conversation",
    description=(
        "Participants only. Reused until a new message arrives; `source` says whether Bedrock or the local "
        "method wrote it. A fresh summary is one of the caller's daily AI requests (429 `ai_quota_exceeded`)."
    ),
    tags=["conversations"],
    responses={
        404: {"description": "Not a participant, or no such conversation"},
        429: {"description": "Daily AI quota used"},
    },
)
def summarise_conversation(id: Annotated[str, Path(max_length=200)]) -> summaries.Summary:
    return summaries.summarise(caller(), id)


handler = make_handler(router)
