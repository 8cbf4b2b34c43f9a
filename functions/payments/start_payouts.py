"""Table stream consumer (StartPayoutsFunction): sends the transfer of every payout that becomes
``ready`` and tells the worker when its payout waits for an account, is sent or failed.
Reports partial batch failures."""

from typing import Any

from khaya.payments.payouts import process_stream


def handler(event: dict[str, Any], context: Any) -> dict[str, list[dict[str, str]]]:
    return {"batchItemFailures": process_stream(event.get("Records") or [])}
