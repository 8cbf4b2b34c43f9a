"""Table stream reader (TableStreamRouterFunction): each change to the FIFO queue of every
consumer that wants it (``khaya.streams.registry``). Reports partial batch failures."""

from typing import Any

from khaya import entry
from khaya.streams.router import route


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": route(event.get("Records") or [])}
