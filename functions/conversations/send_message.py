"""POST /v1/conversations/{id}/messages — a participant sends a message (≤ 4000 characters)."""

from typing import Annotated

from pydantic import ConfigDict, Field

from khaya.api import ApiModel
from khaya.http import Router, caller, make_handler
from khaya.market import conversations
from khaya.params import Path

router = Router()


class MessageIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=conversations.MAX_TEXT)
    attachment_key: str | None = Field(
        default=None,
        max_length=300,
        pattern=r"^attachments/[^/]+/[0-9A-HJKMNP-TV-Z]{26}\.(?:jpg|png|webp|pdf)$",
        description="Exactly the `attachmentKey` this conversation's attachment upload answered (anything else: 400).",
    )


@router.post(
    "/v1/conversations/<id>/messages",
    summary="Send a message",
    description="Participants only. `attachmentKey` must come from this conversation's attachment upload.",
    tags=["conversations"],
    responses={201: {"description": "Sent"}, 404: {"description": "Not a participant"}},
)
def send_message(id: Annotated[str, Path(max_length=200)], body: MessageIn) -> tuple[conversations.Message, int]:
    return conversations.send_message(caller(), id, body.text, body.attachment_key), 201


handler = make_handler(router)
