"""Reconciliation (``ReconcilePaymentsFunction``, every five minutes): a missed webhook never
strands a job.

It reads three sparse index partitions, each item due at a time written in its sort key:

* ``PAYPENDING``: payments still ``pending`` 15 minutes after checkout. The charge is read back
  from the provider (``verify``) and applied exactly as its webhook would have been (same
  effect, same conditions): succeeded → funded, failed → failed; a checkout abandoned for a day
  is given up; otherwise it is checked again later.
* ``PAYOUTDUE``: payouts whose retry is due (``retry_wait`` → ``ready``), whose start never
  finished (``starting``: the transfer is looked up by its reference: applied if it exists, sent
  again under the same reference if not), or that are in flight or parked on an OTP for long
  (read back; never resent).
* ``REFUNDDUE``: refunds requested but not confirmed. A Stripe refund whose answer was lost is
  asked again under the same ``Idempotency-Key``; a Paystack one cannot be (no key): it is
  reported for an operator (metric ``RefundNeedsOperator``), never sent twice.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from typing import Any

from khaya import db
from khaya.errors import Conflict
from khaya.ids import now_iso
from khaya.observability import logger, metric
from khaya.payments import adapters, checkout, clock, dedupe, keys, payouts, providers, refunds
from khaya.payments.dedupe import Effect

BATCH = 100
ABANDONED_AFTER_SECONDS = 24 * 3600
RECHECK_SECONDS = 15 * 60
OPERATOR_RECHECK_SECONDS = 6 * 3600


def _due(partition: str, now: str, limit: int = BATCH) -> list[dict[str, Any]]:
    page = db.query(
        partition,
        index=keys.WORK_INDEX,
        sk_between=("0", f"{now}#~"),
        forward=True,
        limit=limit,
        scope=f"reconcile:{partition}",
    )
    return page.items


def _recheck_later(
    item: dict[str, Any], partition: str, ident: str, at: str, seconds: float, field: str = "status"
) -> None:
    """Move the item's due time on from this run's time (only if it is still as we saw it)."""
    with contextlib.suppress(Conflict):  # it moved on by itself
        db.update(
            str(item["pk"]),
            str(item["sk"]),
            set={"gsi2sk": f"{clock.iso_after(at, seconds)}#{ident}"},
            condition="#f = :v AND gsi2pk = :p",
            names={"#f": field},
            values={":v": item.get(field), ":p": partition},
            on_fail=Conflict(),
        )


def run(now: str | None = None) -> dict[str, int]:
    at = now or now_iso()
    counts: Counter[str] = Counter()
    for item in _due(keys.PENDING_PAYMENTS, at):
        counts[f"payment:{_check_payment(item, at)}"] += 1
    for item in _due(keys.PAYOUTS_DUE, at):
        counts[f"payout:{_check_payout(item, at)}"] += 1
    for item in _due(keys.REFUNDS_DUE, at):
        counts[f"refund:{_check_refund(item, at)}"] += 1
    for name, n in counts.items():
        metric("Reconciled", float(n), item=name)
    logger.info("reconciliation done", extra={"counts": dict(counts)})
    return dict(counts)


# ---------------------------------------------------------------- payments


def _check_payment(payment: dict[str, Any], at: str) -> str:
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    reference = str(payment["reference"])
    if payment.get("status") != "pending":
        return "moved_on"
    if not payment.get("providerRef"):
        return str(dedupe.run(lambda: _fail(reference, "checkout_not_started"), []))
    try:
        charge = adapters.gateway(str(payment["provider"])).verify_charge(reference, str(payment["providerRef"]))
    except ProviderRejected as exc:
        if exc.http_status in (400, 404):
            return str(dedupe.run(lambda: _fail(reference, "unknown_to_provider"), []))
        return "provider_error"
    except ProviderUnavailable:
        return "provider_unavailable"
    if charge.live is not None and charge.live is not providers.live_mode():
        logger.error("verify answered from the other environment", extra={"reference": reference})
        return "other_environment"
    if charge.state in ("success", "failed"):
        return str(checkout.apply_charge(reference, charge, []))
    if clock.age_seconds(str(payment["createdAt"])) > ABANDONED_AFTER_SECONDS:
        return str(dedupe.run(lambda: _fail(reference, charge.provider_status or "abandoned"), []))
    _recheck_later(payment, keys.PENDING_PAYMENTS, reference, at, RECHECK_SECONDS)
    return "still_pending"


def _fail(reference: str, why: str) -> Effect:
    payment = checkout.load(reference)
    if payment["status"] != "pending":
        return "ignored", []
    return "applied", [checkout.payment_update(payment, "failed", set={"failReason": why})]


# ---------------------------------------------------------------- payouts


def _check_payout(payout: dict[str, Any], now: str) -> str:
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    job_id, status = str(payout["jobId"]), str(payout.get("status"))
    if status == "retry_wait":
        return str(payouts.retry_due(job_id)) if str(payout.get("nextAttemptAt") or "") <= now else "not_yet"
    if status not in ("starting", "in_flight", "otp"):
        return "moved_on"
    reference = str(payout["reference"])
    try:
        found = adapters.rail(str(payout["provider"])).verify_transfer(reference)
    except (ProviderRejected, ProviderUnavailable):
        return "provider_unavailable"
    if found is None:
        if status == "starting":
            # Never reached the provider: send it again under the same reference.
            return str(dedupe.run(lambda: _restart(job_id, reference), []))
        logger.error("a transfer in flight is unknown to the provider", extra={"jobId": job_id})
        metric("PayoutNeedsOperator", reason="unknown_transfer")
        _recheck_later(payout, keys.PAYOUTS_DUE, job_id, now, OPERATOR_RECHECK_SECONDS)
        return "needs_operator"
    if found.state in ("success", "failed", "reversed") or (status == "starting" and found.state in ("pending", "otp")):
        return str(payouts.apply_transfer(reference, found.state, [], transfer_code=found.transfer_code))
    _recheck_later(payout, keys.PAYOUTS_DUE, job_id, now, payouts.IN_FLIGHT_CHECK_SECONDS)
    return "still_in_flight"


def _restart(job_id: str, reference: str) -> Effect:
    payout = payouts.load_payout(job_id)
    if payout is None or payout["status"] != "starting" or payout.get("reference") != reference:
        return "ignored", []
    return "applied", [payouts.back_to_ready(payout)]


# ---------------------------------------------------------------- refunds


def _check_refund(payment: dict[str, Any], at: str) -> str:
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    reference, state = str(payment["reference"]), payment.get("refundState")
    if payment.get("status") != "succeeded" or state not in refunds.UNDER_WAY:
        return "moved_on"
    if state == "requesting" and payment.get("provider") == "stripe":
        amount = payment["amount"]
        try:
            refund = adapters.gateway("stripe").refund(
                reference=reference,
                provider_payment_id=payment.get("providerPaymentId"),
                amount=int(amount["amount"]),
                currency=str(amount["currency"]),
            )
        except (ProviderRejected, ProviderUnavailable):
            return "provider_unavailable"
        if refund.state != "pending":
            return str(refunds.apply_refund(reference, refund.state, [], refund_id=refund.refund_id, amount=amount))
        _recheck_later(payment, keys.REFUNDS_DUE, reference, at, RECHECK_SECONDS, field="refundState")
        return "still_pending"
    metric("RefundNeedsOperator", provider=str(payment.get("provider")), state=str(state))
    logger.warning("refund not confirmed yet", extra={"reference": reference, "state": state})
    _recheck_later(payment, keys.REFUNDS_DUE, reference, at, OPERATOR_RECHECK_SECONDS, field="refundState")
    return "needs_operator"
