"""In-app notifications, made from the table's stream, and the user's notification routes.

The stream consumer (``functions/notifications/on_table_change.py``) turns changes into
``USER#<id>`` / ``NOTIF#<id>`` items (90-day ``ttl``):

| change seen on the stream                          | who hears            | kind            |
|----------------------------------------------------|----------------------|-----------------|
| a bid becomes ``pending`` (placed or placed again) | the job's owner      | ``bid_received``|
| a bid ``pending → accepted``                       | the bidder (+ WhatsApp/SMS) | ``bid_accepted`` |
| a bid ``pending → rejected`` (client or another accepted) | the bidder    | ``bid_rejected``|
| a bid ``pending → rejected`` because its job was cancelled | the bidder   | ``job_cancelled``|
| a job ``assigned → cancelled``                     | the assigned worker  | ``job_cancelled``|
| ... because its worker's account was erased        | the job's owner      | ``job_cancelled``|
| a message is written                               | the other participant| ``message_received`` |

and, when a job leaves ``open``, it rejects any bid still pending (more than the accept or
cancel transaction could hold, or one that raced in) — each in its own small transaction
with the bidder's live-bid counter, conditional on the bid still being pending.

Idempotent: a notification's id is derived from the stream record's ``eventID`` (stable
across redeliveries) and its recipient, and written with ``attribute_not_exists``, so a
redelivered batch creates no duplicate. The bid-accepted text message is recorded on the
notification (``smsStatus``) and only sent while that is not ``sent``.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from typing import Any

from khaya import db
from khaya.api import ApiModel, Page
from khaya.errors import Conflict, NotFound
from khaya.ids import epoch, now_iso, ulid_from
from khaya.market import keys
from khaya.observability import logger, mask_phone, metric

TTL_DAYS = 90
_DAY = 86400
_CLOSE_ROUNDS = 40


class Notification(ApiModel):
    id: str
    kind: str
    title: str
    body: str
    data: dict[str, str] = {}
    read: bool = False
    created_at: str


NotificationPage = Page[Notification]

# ---------------------------------------------------------------- the text-message port

TextSender = Callable[[str, str, dict[str, str]], str]
"""``send(phone_e164, text, variables) -> channel``; raises on failure."""

_text_sender: TextSender | None = None


def use_text_sender(fake: TextSender | None) -> None:
    """Install a sender (tests); ``None`` goes back to identity's messaging layer."""
    global _text_sender
    _text_sender = fake


def _send_text(phone: str, text: str, variables: dict[str, str]) -> str:
    if _text_sender is not None:
        return _text_sender(phone, text, variables)
    from khaya.config import settings
    from khaya.messaging import notify

    template = settings().get("WHATSAPP_BID_ACCEPTED_TEMPLATE_SID")
    return notify(phone, text=text, whatsapp_template=template, variables=variables).channel


# ---------------------------------------------------------------- reads and marks


def _floor_sk(user_id: str) -> tuple[str, str]:
    """Notifications younger than 90 days: TTL deletes late, so expired ones are bounded out
    by their time-ordered id instead of filtered (one Query, never a second round)."""
    oldest_ms = (epoch() - TTL_DAYS * _DAY) * 1000
    return keys.NOTIF_PREFIX + ulid_from(oldest_ms, b""), keys.NOTIF_PREFIX + "~"


def list_notifications(user_id: str, *, unread: bool, limit: int = 20, cursor: str | None) -> NotificationPage:
    if unread:
        page = db.query(
            keys.unread_pk(user_id),
            index="gsi2",
            sk_between=_floor_sk(user_id),
            limit=limit,
            cursor=cursor,
            scope=f"notifs:unread:{user_id}",
        )
    else:
        page = db.query(
            keys.user_pk(user_id),
            sk_between=_floor_sk(user_id),
            limit=limit,
            cursor=cursor,
            scope=f"notifs:{user_id}",
        )
    return NotificationPage.of(page)


def _mark_read(user_id: str, notification_id: str) -> None:
    db.update(
        *keys.notification(user_id, notification_id),
        set={"read": True, "readAt": now_iso()},
        remove=["gsi2pk", "gsi2sk"],
        condition="attribute_exists(pk)",
        on_fail=NotFound("No notification with this id.", code="notification_not_found"),
    )


def read_notification(user_id: str, notification_id: str) -> None:
    if not notification_id or "#" in notification_id:
        raise NotFound("No notification with this id.", code="notification_not_found")
    _mark_read(user_id, notification_id)


def read_all(user_id: str, max_items: int = 1000) -> int:
    """Mark every unread notification read (page by page from the unread index)."""
    done = 0
    while done < max_items:
        page = db.query(keys.unread_pk(user_id), index="gsi2", limit=100, scope=f"notifs:unread:{user_id}")
        if not page.items:
            break
        for item in page.items:
            with contextlib.suppress(NotFound):  # expired and deleted meanwhile
                _mark_read(user_id, str(item["id"]))
            done += 1
    return done


# ---------------------------------------------------------------- writing them (stream consumer)


def notify(
    user_id: str,
    kind: str,
    *,
    title: str,
    body: str,
    data: dict[str, str],
    source: str,
    at_ms: int,
    sms: bool = False,
) -> bool:
    """Write one notification for ``user_id`` derived from stream record ``source``; ``True``
    when it is new. With ``sms``, also text the user once (retried on redelivery until sent)."""
    seed = hashlib.sha256(f"{source}|{kind}|{user_id}".encode()).digest()
    nid = ulid_from(at_ms, seed)
    key = keys.notification(user_id, nid)
    item = {
        **key.item(),
        "gsi2pk": keys.unread_pk(user_id),
        "gsi2sk": keys.NOTIF_PREFIX + nid,
        "type": "notification",
        "id": nid,
        "kind": kind,
        "title": title,
        "body": body,
        "data": data,
        "read": False,
        "createdAt": now_iso(),
        "ttl": epoch() + TTL_DAYS * _DAY,
    }
    if sms:
        item["smsStatus"] = "pending"
    created = True
    try:
        db.put_new(item, on_exists=Conflict())
        metric("NotificationCreated", kind=kind)
    except Conflict:
        created = False
    if sms:
        current = item if created else (db.get(*key, consistent=True) or {})
        if current.get("smsStatus") == "pending":
            _text_user(user_id, key, body, data)
    return created


def _text_user(user_id: str, key: keys.Key, text: str, data: dict[str, str]) -> None:
    from khaya.identity.accounts import get_user

    phone = (get_user(user_id) or {}).get("phone")
    if not phone:
        db.update(*key, set={"smsStatus": "no_phone"})
        return
    channel = _send_text(str(phone), text, {"1": data.get("jobTitle", "")})
    db.update(*key, set={"smsStatus": "sent", "smsChannel": channel})
    metric("BidAcceptedMessageSent", channel=channel)
    logger.info("bid accepted message sent", extra={"to": mask_phone(str(phone)), "channel": channel})


def close_pending_bids(job_id: str, reason: str) -> int:
    """Reject every bid of ``job_id`` still pending (a job that left ``open``). Idempotent."""
    from khaya.market.jobs import close_bids_actions, pending_bids

    closed = 0
    for _ in range(_CLOSE_ROUNDS):
        batch = pending_bids(job_id, 25)
        if not batch:
            return closed
        for bid in batch:
            try:
                db.transact(close_bids_actions([bid], reason))
                closed += 1
            except Conflict:
                pass  # it moved on by itself (withdrawn, accepted...) since the read
    raise RuntimeError("pending bids keep changing; the stream will retry")


# ---------------------------------------------------------------- the stream


def _money_text(money: dict[str, Any] | None) -> str:
    if not money:
        return ""
    return f"{money['currency']} {int(money['amount']) / 100:,.2f}"


def _on_bid(old: dict[str, Any] | None, new: dict[str, Any], source: str, at_ms: int) -> None:
    before, after = (old or {}).get("status"), new.get("status")
    if before == after:
        return
    data = {"jobId": str(new["jobId"]), "bidId": str(new["id"]), "jobTitle": str(new.get("jobTitle", ""))}
    title = data["jobTitle"]
    if after == "pending" and before in (None, "withdrawn"):
        notify(
            new["clientId"],
            "bid_received",
            title="New bid",
            body=f'New bid of {_money_text(new.get("amount"))} on "{title}".',
            data=data,
            source=source,
            at_ms=at_ms,
        )
    elif before == "pending" and after == "accepted":
        notify(
            new["workerId"],
            "bid_accepted",
            title="Bid accepted",
            body=f'Khaya: your bid on "{title}" was accepted. Open the app to arrange the work.',
            data=data,
            source=source,
            at_ms=at_ms,
            sms=True,
        )
    elif before == "pending" and after == "rejected":
        cancelled = new.get("closedReason") == "job_cancelled"
        notify(
            new["workerId"],
            "job_cancelled" if cancelled else "bid_rejected",
            title="Job cancelled" if cancelled else "Bid not chosen",
            body=f'"{title}" was cancelled.' if cancelled else f'Your bid on "{title}" was not chosen.',
            data=data,
            source=source,
            at_ms=at_ms,
        )


def _on_job(old: dict[str, Any] | None, new: dict[str, Any], source: str, at_ms: int) -> None:
    before, after = (old or {}).get("status"), new.get("status")
    if before == after or old is None:
        return
    if before == "open":
        close_pending_bids(str(new["id"]), "job_cancelled" if after == "cancelled" else "another_bid_accepted")
    from khaya.market.jobs import WORKER_GONE

    if after == "cancelled" and new.get("cancelledReason") == WORKER_GONE:
        notify(
            new["clientId"],
            "job_cancelled",
            title="Job cancelled",
            body=f'The worker of "{new.get("title", "")}" closed their account, so the job was cancelled. '
            "Post it again to get new bids.",
            data={"jobId": str(new["id"]), "jobTitle": str(new.get("title", ""))},
            source=source,
            at_ms=at_ms,
        )
    elif after == "cancelled" and new.get("workerId"):
        notify(
            new["workerId"],
            "job_cancelled",
            title="Job cancelled",
            body=f'"{new.get("title", "")}" was cancelled by the client.',
            data={"jobId": str(new["id"]), "jobTitle": str(new.get("title", ""))},
            source=source,
            at_ms=at_ms,
        )


def _on_message(new: dict[str, Any], source: str, at_ms: int) -> None:
    notify(
        new["recipientId"],
        "message_received",
        title="New message",
        body=str(new.get("text", ""))[:140],
        data={"conversationId": str(new["conversationId"]), "messageId": str(new["id"])},
        source=source,
        at_ms=at_ms,
    )


def change_ms(new: dict[str, Any], change: dict[str, Any]) -> int:
    """When the change happened, to the millisecond: the item's own ``updatedAt``/``createdAt``
    (stable across redeliveries), else the stream's second-precision timestamp."""
    from datetime import datetime

    stamp = new.get("updatedAt") or new.get("createdAt")
    if isinstance(stamp, str) and stamp:
        try:
            return int(datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000)
        except ValueError:
            pass
    return int(float(change.get("ApproximateCreationDateTime") or epoch()) * 1000)


def handle_record(record: dict[str, Any]) -> None:
    """One stream record (INSERT/MODIFY of a bid, a job or a message); others are ignored."""
    from khaya.db.codec import from_item

    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return
    change = record.get("dynamodb") or {}
    new = from_item(change.get("NewImage"))
    if not new:
        return
    old = from_item(change.get("OldImage"))
    source = str(record.get("eventID") or f"{new.get('pk')}|{new.get('sk')}|{new.get('version')}")
    at_ms = change_ms(new, change)
    kind = new.get("type")
    if kind == "bid":
        _on_bid(old, new, source, at_ms)
    elif kind == "job":
        _on_job(old, new, source, at_ms)
    elif kind == "message" and record["eventName"] == "INSERT":
        _on_message(new, source, at_ms)


def process_stream(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Handle records in order; on the first failure stop and report it (and the rest) as
    batch item failures, so Lambda retries from there (``ReportBatchItemFailures``)."""
    from khaya.db.stream import process_in_order

    return process_in_order(records, handle_record)
