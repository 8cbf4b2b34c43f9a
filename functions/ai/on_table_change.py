"""Table stream consumer (AiEnrichFunction): search vectors and price suggestions for jobs,
accepted prices for later suggestions. Reports partial batch failures."""

from typing import Any

from khaya.ai.enrich import process_stream


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process_stream(event.get("Records") or [])}
