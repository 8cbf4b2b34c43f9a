"""Table change consumer (StartPayoutsFunction), fed by the stream router through its FIFO
queue: sends the transfer of every payout that becomes ``ready`` and tells the worker when its
payout waits for an account, is sent or failed. Each message is one stream record; reports
partial batch failures."""

from typing import Any

from khaya import entry
from khaya.payments.payouts import process_stream
from khaya.streams.queued import process


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process(event, process_stream)}
