"""The table stream's router (``TableStreamRouterFunction``): each record to every consumer
queue that wants it.

For each record, in order, the registry names the consumers; each gets the record, as Lambda
delivered it, as one message of its FIFO queue:

* ``MessageGroupId`` = the item's ``pk``, so the changes of one item (and of the items under
  one partition key: a job and its bids) reach the consumer in stream order;
* ``MessageDeduplicationId`` = the record's ``eventID`` and the consumer's name, so a batch
  the stream delivers again (after a retry) is not queued twice within SQS's 5-minute window;
* ``SendMessageBatch`` with up to 10 messages and 1 MiB per call, per queue.

A message SQS refuses (a ``Failed`` entry, or a call that fails) fails its record: from the
first failed record on, the batch is reported in ``batchItemFailures`` (Lambda retries the
stream from there; what was already queued is deduplicated), and no later message goes to
that queue in this invocation, so nothing overtakes the failed one within its group.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from typing import Any

from khaya.streams.registry import CONSUMERS, Consumer, consumers_for

MAX_BATCH_ENTRIES = 10  # SendMessageBatch
MAX_BATCH_BYTES = 1_048_576  # a message, and the sum of a batch's messages
_SQS_ID = re.compile(r"^[!-~]{1,128}$")  # MessageGroupId / MessageDeduplicationId: printable ASCII, ≤ 128


def sqs_id(value: str) -> str:
    """``value`` as SQS takes it in a group or deduplication id; a value it would refuse
    (a space, a letter outside ASCII, too long) becomes its SHA-256, the same every time."""
    if _SQS_ID.match(value):
        return value
    return "sha256-" + hashlib.sha256(value.encode("utf-8")).hexdigest()


def _sequence(record: dict[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


def message(record: dict[str, Any], consumer: Consumer) -> dict[str, str]:
    """The ``SendMessageBatch`` entry (without its ``Id``) that carries ``record`` to ``consumer``."""
    keys = (record.get("dynamodb") or {}).get("Keys") or {}
    pk = (keys.get("pk") or {}).get("S")
    group = str(pk) if pk else json.dumps(keys, sort_keys=True)
    event_id = str(record.get("eventID") or _sequence(record))
    return {
        "MessageBody": json.dumps(record, separators=(",", ":")),
        "MessageGroupId": sqs_id(group),
        "MessageDeduplicationId": sqs_id(f"{event_id}:{consumer.name}"),
    }


def _chunks(items: list[tuple[int, dict[str, str]]]) -> Iterator[list[tuple[int, dict[str, str]]]]:
    chunk: list[tuple[int, dict[str, str]]] = []
    size = 0
    for index, entry in items:
        body = len(entry["MessageBody"].encode("utf-8"))
        if chunk and (len(chunk) == MAX_BATCH_ENTRIES or size + body > MAX_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append((index, entry))
        size += body
    if chunk:
        yield chunk


def _send(consumer: Consumer, items: list[tuple[int, dict[str, str]]]) -> set[int]:
    """Send to one queue, in order; the indexes of the records that did not get there."""
    from khaya.aws import client
    from khaya.config import settings
    from khaya.observability import logger

    url = settings().require(consumer.queue_url_setting)
    sqs = client("sqs")
    failed: set[int] = set()
    for chunk in _chunks(items):
        if failed:  # nothing overtakes a failed message of this queue
            failed.update(index for index, _ in chunk)
            continue
        entries = [{"Id": str(n), **entry} for n, (_, entry) in enumerate(chunk)]
        try:
            answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        except Exception:
            logger.exception("stream router: SendMessageBatch failed", extra={"consumer": consumer.name})
            failed.update(index for index, _ in chunk)
            continue
        for refused in answer.get("Failed") or []:
            n = int(refused["Id"])
            logger.error(
                "stream router: message refused",
                extra={
                    "consumer": consumer.name,
                    "code": refused.get("Code"),
                    "senderFault": refused.get("SenderFault"),
                    "eventID": json.loads(chunk[n][1]["MessageBody"]).get("eventID"),
                },
            )
            failed.add(chunk[n][0])
    return failed


def route(records: list[dict[str, Any]], consumers: tuple[Consumer, ...] = CONSUMERS) -> list[dict[str, str]]:
    """Send each record to the queue of every consumer that wants it; the batch item failures."""
    from khaya.observability import logger

    per_consumer: dict[str, list[tuple[int, dict[str, str]]]] = {}
    by_name = {c.name: c for c in consumers}
    failed: set[int] = set()
    for index, record in enumerate(records):
        for consumer in consumers_for(record, consumers):
            entry = message(record, consumer)
            if len(entry["MessageBody"].encode("utf-8")) > MAX_BATCH_BYTES:
                logger.error(
                    "stream router: record larger than an SQS message",
                    extra={"consumer": consumer.name, "eventID": record.get("eventID")},
                )
                failed.add(index)
                continue
            per_consumer.setdefault(consumer.name, []).append((index, entry))
    for name, items in per_consumer.items():
        failed |= _send(by_name[name], items)
    if not failed:
        return []
    return [{"itemIdentifier": _sequence(r)} for r in records[min(failed) :]]
