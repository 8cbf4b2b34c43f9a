"""What an erased user wrote, gone from everything others can still read (``DELETE /v1/me``).

``khaya.market.erasure`` runs this before it ends what the user owned, so the cancellations
and withdrawals it then makes (and the notifications the stream makes of them) already carry
the neutral text:

1. **Conversations close.** Every conversation the user takes part in gets ``closedAt``: no
   message can be sent into it any more, by either side (409 ``conversation_closed``), and no
   upload. Its cached summary and its last-message preview (on the conversation and on both
   participants' list items) are dropped. The other participant still reads it.
2. **Texts are replaced.** The user's jobs (``title``, ``description`` and the suggestion made
   from them; ids, status, amounts and dates stay for the ledger), their list index items, the
   title copied onto their bids and conversations; the ``message`` of the user's bids; the text
   of every message the user sent (its attachment object is deleted first, then its key).
3. **Notifications.** Those in other people's lists that quote the user's text (a message it
   sent, the title of one of its jobs) are reworded; the user's own are deleted.

Every write sets fixed values and is conditional on the item still being there, so a step
that runs twice (a retry of ``DELETE /v1/me``) changes nothing more; reads skip what is
already done. Writes go in transactions of at most ``db.MAX_TX_ACTIONS`` actions; a job's
text and its index items are one transaction, guarded by the job's version, so a job that
moves meanwhile is read again. Every read is a key Query of an existing access pattern
(``khaya.market.keys``); there is no Scan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any

from khaya import db
from khaya.errors import Conflict
from khaya.ids import now_iso
from khaya.market import keys

ERASED_JOB_TITLE = "Removed job"
ERASED_JOB_DESCRIPTION = "The client closed their account; the details of this job were removed."
ERASED_TEXT = "Removed: its author closed their account."
_PAGES = 50
_IN_LIMIT = 100  # operands of one IN in a filter

Item = dict[str, Any]


def _all(pk: str, prefix: str, scope: str, *, index: str | None = None, **query: Any) -> list[Item]:
    """Every item of the partition ``pk`` under ``prefix`` (consistent on the table)."""
    found: list[Item] = []
    cursor: str | None = None
    for _ in range(_PAGES):
        page = db.query(
            pk, index=index, sk_prefix=prefix, limit=100, cursor=cursor, scope=scope, consistent=index is None, **query
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return found


def _update(pk: str, sk: str, *, set: dict[str, Any], remove: list[str] | None = None) -> db.TxAction:
    return db.tx_update(pk, sk, set=set, remove=remove, condition="attribute_exists(pk)")


def _write(actions: list[db.TxAction]) -> None:
    """``actions`` (one per item), in transactions of at most ``MAX_TX_ACTIONS``. A chunk that
    fails (an item gone meanwhile) is written one action at a time, skipping the missing."""
    for start in range(0, len(actions), db.MAX_TX_ACTIONS):
        chunk = actions[start : start + db.MAX_TX_ACTIONS]
        try:
            db.transact(chunk)
        except Conflict:
            for action in chunk:
                with contextlib.suppress(Conflict):
                    db.transact([action])


# ---------------------------------------------------------------- 1. conversations


def close_conversations(user_id: str) -> list[Item]:
    """Close every conversation of ``user_id``; → their list items (``id``, ``clientId``...)."""
    mine = _all(keys.user_pk(user_id), "CONV#", f"erase:convs:{user_id}")
    now = now_iso()
    actions: list[db.TxAction] = []
    for conv in mine:
        renamed = {"jobTitle": ERASED_JOB_TITLE} if conv.get("clientId") == user_id else {}
        changes = {"closedAt": conv.get("closedAt") or now, **renamed}
        meta = keys.conversation(str(conv["id"]))
        actions.append(_update(*meta, set=changes, remove=["summary", "lastMessagePreview"]))
        for participant in (conv["clientId"], conv["workerId"]):
            item = (keys.user_pk(str(participant)), keys.my_conv_sk(str(conv["id"])))
            actions.append(_update(*item, set=changes, remove=["lastMessagePreview"]))
    _write(actions)
    return mine


# ---------------------------------------------------------------- 2. texts


def _delete_attachments(attachment_keys: list[str]) -> None:
    if attachment_keys:
        from khaya import media

        media.delete_keys(attachment_keys)


def _erase_messages(user_id: str, conversations: list[Item]) -> None:
    for conv in conversations:
        conv_id = str(conv["id"])
        sent = _all(
            keys.conversation_pk(conv_id),
            keys.MSG_PREFIX,
            f"erase:msgs:{conv_id}",
            filter="senderId = :u AND (#t <> :erased OR attribute_exists(attachmentKey))",
            names={"#t": "text"},
            values={":u": user_id, ":erased": ERASED_TEXT},
        )
        _delete_attachments([str(m["attachmentKey"]) for m in sent if m.get("attachmentKey")])
        _write([_update(m["pk"], m["sk"], set={"text": ERASED_TEXT}, remove=["attachmentKey"]) for m in sent])


class _AlreadyErased(Exception):
    pass


def _erase_job(job_id: str) -> None:
    """The job's text and its list index items (rewritten whole from it), together, at the
    version read: a job that moved meanwhile is read again."""
    from khaya.market import jobs

    def build() -> list[db.TxAction]:
        job = jobs.load(job_id)
        texts = {"title": ERASED_JOB_TITLE, "description": ERASED_JOB_DESCRIPTION}
        if all(job.get(k) == v for k, v in texts.items()) and "aiSuggestion" not in job:
            raise _AlreadyErased()
        meta = db.tx_update(
            *keys.job(job_id),
            set=texts,
            remove=["aiSuggestion"],
            condition="#v = :v",
            names={"#v": "version"},
            values={":v": int(job["version"])},
            on_fail=db.Retry(),
        )
        after = {k: v for k, v in job.items() if k != "aiSuggestion"} | texts
        return [meta, *jobs.index_actions(None, after)]

    with contextlib.suppress(_AlreadyErased):
        db.transact_retrying(build)


def _erase_jobs(user_id: str) -> dict[str, list[str]]:
    """The user's jobs and the title copied onto their bids → bidder id → those jobs' ids."""
    own = _all(keys.user_pk(user_id), keys.JOB_PREFIX, f"erase:alljobs:{user_id}", index=keys.USER_INDEX)
    bidders: dict[str, list[str]] = {}
    for job in own:
        job_id = str(job["id"])
        _erase_job(job_id)
        bids = _all(keys.job_pk(job_id), keys.BID_PREFIX, f"erase:jobbids:{job_id}")
        _write([_update(b["pk"], b["sk"], set={"jobTitle": ERASED_JOB_TITLE}) for b in bids if _titled(b)])
        for bid in bids:
            bidders.setdefault(str(bid["workerId"]), []).append(job_id)
    return bidders


def _titled(bid: Item) -> bool:
    return bid.get("jobTitle") != ERASED_JOB_TITLE


def _erase_bid_messages(user_id: str) -> None:
    placed = _all(
        keys.user_pk(user_id),
        keys.BID_PREFIX,
        f"erase:allbids:{user_id}",
        index=keys.USER_INDEX,
        filter="#m <> :erased",
        names={"#m": "message"},
        values={":erased": ERASED_TEXT},
    )
    _write([_update(b["pk"], b["sk"], set={"message": ERASED_TEXT}) for b in placed])


# ---------------------------------------------------------------- 3. notifications


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), _IN_LIMIT):
        yield values[start : start + _IN_LIMIT]


def _reword(party: str, field: str, ids: list[str]) -> None:
    """``party``'s notifications whose ``data.<field>`` is one of ``ids``: the body and any
    quoted job title replaced."""
    for chunk in _chunks(sorted(set(ids))):
        placeholders = {f":i{n}": value for n, value in enumerate(chunk)}
        found = _all(
            keys.user_pk(party),
            keys.NOTIF_PREFIX,
            f"erase:notifs:{party}:{field}",
            filter=f"#d.#f IN ({', '.join(placeholders)}) AND #b <> :erased",
            names={"#d": "data", "#f": field, "#b": "body"},
            values={**placeholders, ":erased": ERASED_TEXT},
        )
        actions = []
        for note in found:
            data = dict(note.get("data") or {})
            if "jobTitle" in data:
                data["jobTitle"] = ERASED_JOB_TITLE
            actions.append(_update(note["pk"], note["sk"], set={"body": ERASED_TEXT, "data": data}))
        _write(actions)


def _erase_notifications(user_id: str, conversations: list[Item], bidders: dict[str, list[str]]) -> None:
    for conv in conversations:
        other = conv["workerId"] if conv["clientId"] == user_id else conv["clientId"]
        _reword(str(other), "conversationId", [str(conv["id"])])
    for worker_id, job_ids in bidders.items():
        if worker_id != user_id:
            _reword(worker_id, "jobId", job_ids)
    own = _all(keys.user_pk(user_id), keys.NOTIF_PREFIX, f"erase:ownnotifs:{user_id}")
    _write([db.tx_delete(n["pk"], n["sk"]) for n in own])


def erase_what_the_user_wrote(user_id: str) -> None:
    """Steps 1 to 3 of the module doc, in that order."""
    conversations = close_conversations(user_id)
    _erase_messages(user_id, conversations)
    bidders = _erase_jobs(user_id)
    _erase_bid_messages(user_id)
    _erase_notifications(user_id, conversations, bidders)
