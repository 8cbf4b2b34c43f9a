"""Scheduled (ReconcilePaymentsFunction, every 5 minutes): re-verify payments pending for more
than 15 minutes, retry due payouts, read back transfers and refunds that stayed unconfirmed."""

from typing import Any

from khaya.payments.reconcile import run


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return run()
