"""Refunds: cancelling a funded job gives the client its money back, exactly once.

``cancel_funded_job`` (what ``POST /v1/jobs/{id}/cancel`` does for a ``funded`` job; the market's
``cancel_job`` refuses those with ``RefundRequired`` and the route hands them here, so the market
never imports payments):

1. a local guard first: one conditional transaction marks the payment ``refundState:
   requesting`` (only if no refund is under way) and the job ``refundStatus: pending`` (which
   also blocks ``complete``). Paystack refunds have no idempotency key: this guard is what makes
   a repeated or concurrent cancel start one refund, not two;
2. then the provider is asked (Stripe with an ``Idempotency-Key``);
3. the provider's confirmation (``refund.processed`` / ``refund.updated`` succeeded) is one
   transaction: the payment ``succeeded → refunded``, the job ``funded → cancelled`` and the
   ``refund`` ledger entry (escrow → client), so the job's ledger is back to zero.

A refusal releases the guard (``refundState: failed``, the job shows ``refundStatus: failed``)
so the client can try again; an answer lost on the way leaves it ``requesting`` for the
reconciler and an operator, never a blind second refund.
"""

from __future__ import annotations

from typing import Any

from khaya import db
from khaya.errors import Conflict, Forbidden
from khaya.ids import now_iso
from khaya.market import jobs as market_jobs
from khaya.market import keys as market_keys
from khaya.observability import logger, metric
from khaya.payments import adapters, checkout, clock, dedupe, keys, ledger
from khaya.payments.dedupe import Effect, Outcome, SeenKey

UNDER_WAY = ("requesting", "pending")
REFUND_CHECK_SECONDS = 15 * 60


def _job_refund_status(job: dict[str, Any], value: str) -> db.TxAction:
    return db.tx_update_versioned(
        *market_keys.job(str(job["id"])),
        expected_version=int(job["version"]),
        set={"refundStatus": value, "updatedAt": now_iso()},
        condition="#s = :funded",
        names={"#s": "status"},
        values={":funded": "funded"},
        on_conflict=db.Retry(),
    )


def _payment_refund_state(payment: dict[str, Any], value: str, extra: dict[str, Any] | None = None) -> db.TxAction:
    changes: dict[str, Any] = {"refundState": value, "updatedAt": now_iso(), **(extra or {})}
    if value in UNDER_WAY:
        changes.update(keys.refund_due_index(clock.iso_in(REFUND_CHECK_SECONDS), str(payment["reference"])).item())
    else:
        changes.update({"gsi2pk": None, "gsi2sk": None})
    return db.tx_update_versioned(
        str(payment["pk"]),
        str(payment["sk"]),
        expected_version=int(payment["version"]),
        set=changes,
        condition="#s = :succeeded",
        names={"#s": "status"},
        values={":succeeded": "succeeded"},
        on_conflict=db.Retry(),
    )


def _claim(client_id: str, job_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(job, payment to refund) after the guard is taken; payment ``None`` when a refund is
    already under way (or done), so this call starts nothing."""
    for _ in range(6):
        job = market_jobs.load(job_id)
        if job["clientId"] != client_id:
            raise Forbidden("Only the client who posted this job can cancel it.", code="not_job_owner")
        if job["status"] != "funded":
            raise market_jobs.not_open(job["status"])
        if not job.get("paymentReference"):  # funded outside this API (an operator's doing)
            raise market_jobs.RefundRequired("This job holds no payment this API can refund: an operator settles it.")
        payment = checkout.load(str(job["paymentReference"]))
        if payment["status"] != "succeeded" or payment.get("refundState") in (*UNDER_WAY, "succeeded"):
            return market_jobs.load(job_id), None  # read again: the guard's writer may have just finished
        try:
            db.transact(
                [
                    _payment_refund_state(payment, "requesting", {"refundRequestedAt": now_iso()}),
                    _job_refund_status(job, "pending"),
                ]
            )
        except Conflict as exc:
            if exc.code != db.Retry.code:
                raise
            continue
        return {**job, "refundStatus": "pending"}, {**payment, "version": int(payment["version"]) + 1}
    raise Conflict("The job keeps changing; try again.", code=db.Retry.code)


def cancel_funded_job(client_id: str, job_id: str) -> market_jobs.Job:
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    job, payment = _claim(client_id, job_id)
    if payment is None:
        return market_jobs.Job.from_item(job)
    amount = payment["amount"]
    try:
        refund = adapters.gateway(str(payment["provider"])).refund(
            reference=str(payment["reference"]),
            provider_payment_id=payment.get("providerPaymentId"),
            amount=int(amount["amount"]),
            currency=str(amount["currency"]),
        )
    except ProviderRejected as exc:
        logger.warning("refund refused", extra={"reference": payment["reference"], "status": exc.http_status})
        apply_refund(str(payment["reference"]), "failed", [], error=f"rejected:{exc.http_status}")
        raise
    except ProviderUnavailable as exc:
        if not exc.ambiguous:
            apply_refund(str(payment["reference"]), "failed", [], error="unavailable")
            raise
        logger.warning("refund outcome unknown: left for the reconciler", extra={"reference": payment["reference"]})
        metric("RefundUnknown", provider=str(payment["provider"]))
        return market_jobs.Job.from_item(job)
    metric("RefundStarted", provider=str(payment["provider"]))
    if refund.state == "succeeded":
        apply_refund(str(payment["reference"]), "succeeded", [], refund_id=refund.refund_id, amount=amount)
    elif refund.state == "failed":
        apply_refund(str(payment["reference"]), "failed", [], refund_id=refund.refund_id, error="failed")
    else:
        dedupe.run(lambda: _note_refund_id(str(payment["reference"]), refund.refund_id), [])
    return market_jobs.Job.from_item(market_jobs.load(job_id))


def _note_refund_id(reference: str, refund_id: str) -> Effect:
    payment = checkout.load(reference)
    if payment["status"] != "succeeded" or payment.get("refundState") != "requesting":
        return "ignored", []
    return "applied", [_payment_refund_state(payment, "pending", {"refundId": refund_id} if refund_id else {})]


def refund_effect(
    reference: str,
    state: str,
    *,
    refund_id: str | None = None,
    amount: dict[str, Any] | None = None,
    error: str | None = None,
) -> Effect:
    key = keys.payment_by_reference(reference)
    payment = db.get(*key, consistent=True) if key else None
    if payment is None:
        logger.warning("refund event for an unknown reference", extra={"reference": reference[:80]})
        return "ignored", []
    asked = payment["amount"]
    if state == "failed":
        if payment["status"] != "succeeded" or payment.get("refundState") not in UNDER_WAY:
            return "ignored", []
        job = market_jobs.load(str(payment["jobId"]))
        metric("RefundFailed", provider=str(payment["provider"]))
        return "applied", [
            _payment_refund_state(payment, "failed", {"refundError": error or "failed"}),
            *([_job_refund_status(job, "failed")] if job["status"] == "funded" else []),
        ]
    if state != "succeeded" or payment["status"] != "succeeded":
        return "ignored", []  # pending news, or already refunded: never twice, never back
    if amount is not None and (amount["amount"] != int(asked["amount"]) or amount["currency"] != asked["currency"]):
        logger.error("refund amount differs from the payment", extra={"reference": reference})
        metric("RefundMismatch", provider=str(payment["provider"]))
        return "ignored", []
    job = market_jobs.load(str(payment["jobId"]))
    if job["status"] != "funded":
        logger.error(
            "refund confirmed for a job that is not funded", extra={"jobId": job["id"], "status": job["status"]}
        )
        metric("RefundMismatch", provider=str(payment["provider"]))
        return "ignored", []
    _, job_actions = market_jobs.transition(
        job, "cancelled", set={"cancelledAt": now_iso(), "refundStatus": "refunded"}, on_conflict=db.Retry()
    )
    refunded = {"refundState": "succeeded", "refundedAt": now_iso()}
    if refund_id:
        refunded["refundId"] = refund_id
    return "applied", [
        checkout.payment_update(payment, "refunded", set={**refunded, "gsi2pk": None, "gsi2sk": None}),
        *job_actions,
        ledger.entry_action(
            job, "refund", int(asked["amount"]), str(asked["currency"]), reference=reference, cause="refund"
        ),
    ]


def apply_refund(
    reference: str,
    state: str,
    seen_keys: list[SeenKey],
    *,
    refund_id: str | None = None,
    amount: dict[str, Any] | None = None,
    error: str | None = None,
) -> Outcome:
    outcome = dedupe.run(
        lambda: refund_effect(reference, state, refund_id=refund_id, amount=amount, error=error), seen_keys
    )
    metric("RefundEvent", state=state, outcome=outcome)
    return outcome
