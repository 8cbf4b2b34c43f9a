"""Consuming the table's stream: each record's images, and a batch run in order.

A consumer's handler is ``{"batchItemFailures": process_in_order(records, handle)}`` on a
function with ``FunctionResponseTypes: [ReportBatchItemFailures]``: records are handled in
order, and on the first failure that record and every one after it are reported by sequence
number, so Lambda retries from there (records of one item stay in order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from khaya.db.codec import from_item


def images(record: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The item before and after the change, as plain values (``None`` where there is none)."""
    change = record.get("dynamodb") or {}
    return from_item(change.get("OldImage")), from_item(change.get("NewImage"))


def process_in_order(records: list[dict[str, Any]], handle: Callable[[dict[str, Any]], None]) -> list[dict[str, str]]:
    from khaya.observability import logger

    for i, record in enumerate(records):
        try:
            handle(record)
        except Exception:
            logger.exception("stream record failed", extra={"eventID": record.get("eventID")})
            return [{"itemIdentifier": str((r.get("dynamodb") or {}).get("SequenceNumber", ""))} for r in records[i:]]
    return []
