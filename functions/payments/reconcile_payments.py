"""Scheduled (ReconcilePaymentsFunction, every 5 minutes): re-verify payments pending for more
than 15 minutes, retry due payouts, read back transfers and refunds that stayed unconfirmed."""

from typing import Any

from khaya import entry
from khaya.payments.reconcile import run


@entry
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return run()
