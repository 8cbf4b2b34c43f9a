"""Table change consumer (AiEnrichFunction), fed by the stream router through its FIFO queue:
search vectors and price suggestions for jobs, accepted prices for later suggestions. Each
message is one stream record; reports partial batch failures."""

from typing import Any

from khaya import entry
from khaya.ai.enrich import process_stream
from khaya.streams.queued import process


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process(event, process_stream)}
