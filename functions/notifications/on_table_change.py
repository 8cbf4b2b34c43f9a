"""Table change consumer (NotifyFunction), fed by the stream router through its FIFO queue:
notifications, the bid-accepted message, and closing the pending bids of jobs that left
``open``. Each message is one stream record; reports partial batch failures."""

from typing import Any

from khaya import entry
from khaya.market.notifications import process_stream
from khaya.streams.queued import process


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process(event, process_stream)}
