"""POST /v1/conversations — the conversation between a job's owner and a bidder (created once)."""

from pydantic import ConfigDict, Field

from khaya.api import ApiModel
from khaya.http import Router, caller, make_handler
from khaya.market import conversations

router = Router()


class ConversationIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(min_length=1, max_length=64)
    worker_id: str | None = Field(default=None, min_length=1, max_length=64)


@router.post(
    "/v1/conversations",
    summary="Start (or get) a conversation",
    description="The job's owner names the bidder (`workerId`); a bidder omits it. 201 when created, "
    "200 with the same conversation when it already exists.",
    tags=["conversations"],
    responses={
        200: {"description": "It already existed"},
        201: {"description": "Created"},
        403: {"description": "Not owner or bidder"},
    },
)
def create_conversation(body: ConversationIn) -> tuple[conversations.Conversation, int]:
    conv, created = conversations.create_conversation(caller(), body.job_id, body.worker_id)
    return conv, 201 if created else 200


handler = make_handler(router)
