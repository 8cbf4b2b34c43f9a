"""Conversations between a job's owner and one bidder, and their messages.

* One conversation per (job, worker): its id is ``<jobId>.<workerId>`` and its ``META`` item
  is put only if absent, so asking twice (or racing) returns the same conversation.
* Each participant has an index item ``USER#<id>`` / ``CONV#<convId>`` whose gsi1 sort key
  is the last activity, moved in the same transaction as every message: "my conversations"
  is one GSI query, most recent first.
* Messages ``CONV#<id>`` / ``MSG#<ulid>``, newest first with cursors; text ≤ 4000
  characters; an attachment is a key this conversation's presigned upload produced, exactly:
  ``attachments/<convId>/<ulid>.<ext>`` (anything else, ``..`` included, is a 400).
* Only the two participants read or write (anyone else: 404, nothing about it).
* A conversation is closed (``closedAt``) when one of its participants erases its account
  (``khaya.market.redaction``): the other still reads it, but nobody sends into it or uploads
  to it any more (409 ``conversation_closed``). A message racing the close either lands
  before it (and is seen by the erasure) or is refused: the send is conditional on the
  conversation not being closed.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field

from khaya import db
from khaya.api import ApiModel, Page
from khaya.errors import Conflict, Forbidden, NotFound, ValidationFailed
from khaya.http import Caller
from khaya.ids import new_id, now_iso
from khaya.market import keys

_ATTACHMENT_NAME = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}\.(?:jpg|png|webp|pdf)")
MAX_TEXT = 4000
ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024
PREVIEW = 140


class Conversation(ApiModel):
    id: str
    job_id: str
    job_title: str
    client_id: str
    worker_id: str
    created_at: str
    last_activity_at: str
    last_message_preview: str | None = None
    closed_at: str | None = Field(
        default=None, description="Set when a participant closed their account: no new messages or uploads."
    )


class Message(ApiModel):
    id: str
    conversation_id: str
    sender_id: str
    text: str
    attachment_key: str | None = None
    attachment_url: str | None = None
    created_at: str


ConversationPage = Page[Conversation]
MessagePage = Page[Message]


def not_found() -> NotFound:
    return NotFound("No conversation with this id.", code="conversation_not_found")


def _load(conversation_id: str, who: Caller) -> dict[str, Any]:
    """The conversation, if ``who`` takes part in it; 404 otherwise (no hint it exists)."""
    if not conversation_id or "#" in conversation_id:
        raise not_found()
    conv = db.get(*keys.conversation(conversation_id))
    if conv is None or who.user_id not in (conv["clientId"], conv["workerId"]):
        raise not_found()
    return conv


def closed() -> Conflict:
    return Conflict(
        "This conversation is closed: the other participant closed their account.", code="conversation_closed"
    )


def _open(conv: dict[str, Any]) -> dict[str, Any]:
    if conv.get("closedAt"):
        raise closed()
    return conv


def _participant_item(conv: dict[str, Any], user_id: str) -> dict[str, Any]:
    return {
        "pk": keys.user_pk(user_id),
        "sk": keys.my_conv_sk(conv["id"]),
        "gsi1pk": keys.user_pk(user_id),
        "gsi1sk": keys.my_conv_gsi1sk(conv["lastActivityAt"], conv["id"]),
        **{k: v for k, v in conv.items() if k not in ("pk", "sk")},
        "type": "conversationIndex",
    }


def create_conversation(who: Caller, job_id: str, worker_id: str | None) -> tuple[Conversation, bool]:
    """The conversation of ``job_id``'s owner and ``worker_id`` (a bidder); ``True`` if new.

    The owner names the worker; a worker may only open its own (``worker_id`` omitted or
    itself). The worker must have bid on the job.
    """
    from khaya.market import jobs

    job = jobs.load(job_id, consistent=False)
    if who.user_id == job["clientId"]:
        if not worker_id:
            raise ValidationFailed(
                "workerId: required when the job's owner starts a conversation",
                details=[{"field": "workerId", "issue": "missing"}],
            )
    elif who.role == "worker" and worker_id in (None, who.user_id):
        worker_id = who.user_id
    else:
        raise Forbidden("Only the job's owner and its bidders talk about a job.", code="not_a_participant")
    if "#" in worker_id or db.get(*keys.bid(job_id, worker_id)) is None:
        raise NotFound("This worker has not bid on this job.", code="bid_not_found")
    conv_id, now = keys.conv_id(job_id, worker_id), now_iso()
    conv = {
        "id": conv_id,
        "jobId": job_id,
        "jobTitle": job["title"],
        "clientId": job["clientId"],
        "workerId": worker_id,
        "createdAt": now,
        "lastActivityAt": now,
    }
    try:
        db.transact(
            [
                db.tx_put(
                    {**keys.conversation(conv_id).item(), "type": "conversation", **conv},
                    condition="attribute_not_exists(pk)",
                ),
                db.tx_put(_participant_item(conv, job["clientId"])),
                db.tx_put(_participant_item(conv, worker_id)),
            ]
        )
    except Conflict:
        existing = db.get(*keys.conversation(conv_id), consistent=True)
        if existing is None:
            raise
        return Conversation.from_item(existing), False
    return Conversation.from_item(conv), True


def list_conversations(user_id: str, *, limit: int = 20, cursor: str | None) -> ConversationPage:
    page = db.query(
        keys.user_pk(user_id),
        index=keys.USER_INDEX,
        sk_prefix="CONV#",
        limit=limit,
        cursor=cursor,
        scope=f"convs:{user_id}",
    )
    return ConversationPage.of(page)


def list_messages(who: Caller, conversation_id: str, *, limit: int = 20, cursor: str | None) -> MessagePage:
    from khaya.media import presigned_get

    _load(conversation_id, who)
    page = db.query(
        keys.conversation_pk(conversation_id),
        sk_prefix=keys.MSG_PREFIX,
        limit=limit,
        cursor=cursor,
        scope=f"msgs:{conversation_id}",
    )
    items = [
        {**m, "attachmentUrl": presigned_get(m["attachmentKey"])} if m.get("attachmentKey") else m for m in page.items
    ]
    return MessagePage.from_item({"items": items, "next_cursor": page.next_cursor})


def attachment_prefix(conversation_id: str) -> str:
    return f"attachments/{conversation_id}/"


def _is_attachment_of(key: str, conversation_id: str) -> bool:
    """``key`` is exactly what ``create_attachment`` makes for this conversation."""
    prefix = attachment_prefix(conversation_id)
    return key.startswith(prefix) and _ATTACHMENT_NAME.fullmatch(key[len(prefix) :]) is not None


def send_message(who: Caller, conversation_id: str, text: str, attachment_key: str | None) -> Message:
    """One transaction: the message, the conversation's last activity, both participants'
    index items (so each list reorders). A newer message always wins the last-activity slot."""
    conv = _open(_load(conversation_id, who))
    if attachment_key is not None and not _is_attachment_of(attachment_key, conversation_id):
        raise ValidationFailed(
            "attachmentKey: not an upload of this conversation",
            details=[{"field": "attachmentKey", "issue": "not_owned"}],
        )
    recipient = conv["workerId"] if who.user_id == conv["clientId"] else conv["clientId"]
    message_id = new_id()
    message: dict[str, Any] = {
        "id": message_id,
        "conversationId": conversation_id,
        "senderId": who.user_id,
        "recipientId": recipient,
        "text": text,
        "createdAt": "",
    }
    if attachment_key:
        message["attachmentKey"] = attachment_key

    attempts: list[int] = []

    def build() -> list[db.TxAction]:
        if attempts:  # the last attempt lost a race: it may have been the conversation closing
            _open(db.get(*keys.conversation(conversation_id), consistent=True) or {})
        attempts.append(1)
        now = now_iso()
        message["createdAt"] = now
        preview = text[:PREVIEW]
        return [
            db.tx_put({**keys.message(conversation_id, message_id).item(), "type": "message", **message}),
            db.tx_update(
                *keys.conversation(conversation_id),
                set={"lastActivityAt": now, "lastMessagePreview": preview},
                condition="#a <= :now AND attribute_not_exists(closedAt)",
                names={"#a": "lastActivityAt"},
                values={":now": now},
                on_fail=db.Retry(),
            ),
            *[
                db.tx_update(
                    keys.user_pk(uid),
                    keys.my_conv_sk(conversation_id),
                    set={
                        "gsi1sk": keys.my_conv_gsi1sk(now, conversation_id),
                        "lastActivityAt": now,
                        "lastMessagePreview": preview,
                    },
                )
                for uid in (conv["clientId"], conv["workerId"])
            ],
        ]

    db.transact_retrying(build)
    return Message.from_item(message)


def create_attachment(who: Caller, conversation_id: str, content_type: str) -> dict[str, Any]:
    from khaya.media import ATTACHMENT_TYPES, presigned_post

    _open(_load(conversation_id, who))
    key = f"{attachment_prefix(conversation_id)}{new_id()}.{ATTACHMENT_TYPES[content_type]}"
    return {"attachment_key": key, "upload": presigned_post(key, content_type, ATTACHMENT_MAX_BYTES)}
