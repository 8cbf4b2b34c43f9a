"""POST /v1/conversations/{id}/attachments — a presigned upload (images or PDF, ≤ 10 MB)."""

from typing import Annotated, Literal

from pydantic import ConfigDict

from khaya.api import ApiModel
from khaya.http import Router, caller, make_handler
from khaya.market import conversations
from khaya.market.workers import Upload
from khaya.params import Path

router = Router()


class AttachmentIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    content_type: Literal["image/jpeg", "image/png", "image/webp", "application/pdf"]


class AttachmentOut(ApiModel):
    attachment_key: str
    upload: Upload


@router.post(
    "/v1/conversations/<id>/attachments",
    summary="Upload an attachment",
    description="Participants only. A presigned S3 POST pinned to the declared content type, at most 10 MB; "
    "send the returned `attachmentKey` with the message.",
    tags=["conversations"],
    responses={201: {"description": "Upload instructions"}, 404: {"description": "Not a participant"}},
)
def create_attachment(id: Annotated[str, Path(max_length=200)], body: AttachmentIn) -> tuple[AttachmentOut, int]:
    out = conversations.create_attachment(caller(), id, body.content_type)
    return AttachmentOut.model_validate(out), 201


handler = make_handler(router)
