"""Table stream consumer (NotifyFunction): notifications, the bid-accepted message, and
closing the pending bids of jobs that left ``open``. Reports partial batch failures."""

from typing import Any

from khaya.market.notifications import process_stream


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process_stream(event.get("Records") or [])}
