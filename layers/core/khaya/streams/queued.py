"""A stream consumer behind its FIFO queue: SQS messages in, the same stream records out.

``process(event, handle_records)`` takes the SQS event Lambda delivers to a queue consumer
(each message's body is one stream record, as the router sent it) and calls
``handle_records`` (the consumer's own ``process_stream``: records in order, failures
reported by sequence number) once per message group, in the order the messages came. It
returns the batch item failures by ``messageId``: the failed record and every later message
of its group (so an item's changes stay in order), never another group's. A message whose
body is not a stream record fails with the rest of its group; after the queue's
``maxReceiveCount`` receives SQS moves it to the dead-letter queue.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Record = dict[str, Any]
Failures = list[dict[str, str]]


def _record(message: dict[str, Any]) -> Record | None:
    try:
        record = json.loads(message.get("body") or "")
    except (TypeError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("dynamodb"), dict):
        return None
    return record


def process(event: dict[str, Any], handle_records: Callable[[list[Record]], Failures]) -> Failures:
    from khaya.observability import logger

    groups: dict[str, list[tuple[str, Record | None]]] = {}
    for message in event.get("Records") or []:
        group = str((message.get("attributes") or {}).get("MessageGroupId", ""))
        groups.setdefault(group, []).append((str(message.get("messageId", "")), _record(message)))
    failures: Failures = []
    for items in groups.values():
        ids = [message_id for message_id, _ in items]
        good: list[Record] = []
        for message_id, record in items:
            if record is None:
                logger.error("queued stream record is not a stream record", extra={"messageId": message_id})
                break
            good.append(record)
        first_failed = len(good) if len(good) < len(items) else None
        reported = handle_records(good) if good else []
        if reported:
            sequences = [str(r["dynamodb"].get("SequenceNumber", "")) for r in good]
            named = [str(f.get("itemIdentifier", "")) for f in reported]
            known = [sequences.index(s) for s in named if s in sequences]
            first_failed = min(known) if len(known) == len(named) else 0
        if first_failed is not None:
            failures += [{"itemIdentifier": message_id} for message_id in ids[first_failed:]]
    return failures
