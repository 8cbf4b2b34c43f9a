"""Checkout: a job's payment, its state machine, and what a confirmed (or refused) charge does.

A payment belongs to one job and is for exactly the accepted bid's amount. Its states move
forward only::

    pending ──> succeeded ──> refunded
       │
       ├──> failed ──> flagged   (money arrived for a payment already given up on)
       └──> flagged              (amount, currency or metadata not what was asked)

* ``start_payment`` (``POST /v1/jobs/{id}/payment``): owner only, job ``assigned``. A job has
  numbered attempts ``JOB#<jobId> | PAYMENT#<nn>`` with reference ``kh-<jobId>-<nn>``; while the
  newest is ``pending`` calling again returns it; after ``failed`` a new attempt starts. Claiming an
  attempt is one conditional transaction, so concurrent calls create one payment; the provider is
  called only by the caller that claimed it. If the provider fails, the attempt is marked
  ``failed`` (nothing half-written) and the caller gets a 502/503.
* ``apply_charge``: a charge the provider confirmed (webhook or verify) moves the payment
  ``pending → succeeded``, the job ``assigned → funded`` and writes the ``charge`` ledger entry,
  all in one transaction with the delivery's dedupe record; a mismatch marks it ``flagged``
  (visible to admins) and credits nothing.
"""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any, Literal

from khaya import db
from khaya.api import ApiModel
from khaya.errors import Conflict, Forbidden, NotFound
from khaya.ids import now_iso
from khaya.market import jobs as market_jobs
from khaya.market import keys as market_keys
from khaya.money import Money
from khaya.observability import logger, metric
from khaya.payments import adapters, clock, keys, providers

if TYPE_CHECKING:
    from khaya.http import Caller
    from khaya.payments.dedupe import Effect, Outcome, SeenKey

PaymentStatus = Literal["pending", "succeeded", "failed", "flagged", "refunded"]
FORWARD: dict[str, frozenset[str]] = {
    "pending": frozenset({"succeeded", "failed", "flagged"}),
    "succeeded": frozenset({"refunded"}),
    "failed": frozenset({"flagged"}),
    "flagged": frozenset(),
    "refunded": frozenset(),
}
RECONCILE_AFTER_SECONDS = 15 * 60
CLAIM_STALE_SECONDS = 60
PLACEHOLDER_EMAIL_DOMAIN = "customers.khaya.app"
_WAIT_FOR_PEER_S = 3.0


class PaymentIn(ApiModel):
    provider: providers.Provider


class CheckoutOut(ApiModel):
    reference: str
    provider: providers.Provider
    job_id: str
    amount: Money
    status: PaymentStatus
    authorization_url: str | None = None
    client_secret: str | None = None


class Payment(ApiModel):
    reference: str
    provider: providers.Provider
    job_id: str
    amount: Money
    status: PaymentStatus
    refund_status: str | None = None
    flag_reason: str | None = None
    created_at: str
    updated_at: str


def not_found() -> NotFound:
    return NotFound("No payment with this reference.", code="payment_not_found")


def can_move(before: str, after: str) -> bool:
    return after in FORWARD.get(before, frozenset())


# ---------------------------------------------------------------- reads


def load(reference: str) -> dict[str, Any]:
    key = keys.payment_by_reference(reference)
    item = db.get(*key, consistent=True) if key else None
    if item is None:
        raise not_found()
    return item


def current_payment(job_id: str) -> dict[str, Any] | None:
    """The job's newest payment attempt, if any."""
    page = db.query(  # every attempt fits one page: no cursor to sign
        keys.job_pk(job_id),
        sk_prefix=keys.PAYMENT_PREFIX,
        limit=keys.MAX_ATTEMPTS,
        consistent=True,
        scope=f"payments:{job_id}",
    )
    return page.items[0] if page.items else None


def get_payment(who: Caller, reference: str) -> Payment:
    """The payer, the payee and admins see a payment; anyone else gets the same 404 as for none."""
    payment = load(reference)
    if not (who.is_admin or who.user_id in (payment["clientId"], payment["workerId"])):
        raise not_found()
    item = {**payment, "refundStatus": (payment.get("refund") or {}).get("state")}
    if not who.is_admin:
        item.pop("flagReason", None)
    return Payment.from_item(item)


def _out(payment: dict[str, Any]) -> CheckoutOut:
    return CheckoutOut.from_item(payment)


# ---------------------------------------------------------------- writes


def payment_update(
    payment: dict[str, Any],
    to_status: str,
    *,
    set: dict[str, Any] | None = None,
    condition: str | None = None,
    values: dict[str, Any] | None = None,
) -> db.TxAction:
    """Move ``payment`` forward to ``to_status``, guarded by the status and version read."""
    if not can_move(str(payment["status"]), to_status):
        raise ValueError(f"a payment never moves {payment['status']} -> {to_status}")
    changes: dict[str, Any] = {"status": to_status, "updatedAt": now_iso(), **(set or {})}
    if payment["status"] == "pending":
        changes.setdefault("gsi2pk", None)
        changes.setdefault("gsi2sk", None)
    guard = "#s = :from" + (f" AND ({condition})" if condition else "")
    return db.tx_update_versioned(
        str(payment["pk"]),
        str(payment["sk"]),
        expected_version=int(payment["version"]),
        set=changes,
        condition=guard,
        names={"#s": "status"},
        values={":from": payment["status"], **(values or {})},
        on_conflict=db.Retry(),
    )


def _flag(payment: dict[str, Any], reason: str) -> db.TxAction:
    at = now_iso()
    return payment_update(
        payment,
        "flagged",
        set={"flagReason": reason, "flaggedAt": at, **keys.flagged_payment_index(at, payment["reference"]).item()},
    )


def _payer_email(client_id: str) -> str:
    from khaya.identity.accounts import get_user

    email = (get_user(client_id) or {}).get("email")
    return str(email) if email else f"{client_id.lower()}@{PLACEHOLDER_EMAIL_DOMAIN}"


def _return_url() -> str:
    from khaya.config import settings

    return settings().get("CHECKOUT_RETURN_URL") or "https://khaya.app/payments/return"


def _claim(job: dict[str, Any], previous: dict[str, Any] | None, provider: str) -> dict[str, Any]:
    """Write the next pending attempt, or raise ``db.Retry`` when someone else got there first."""
    attempt = int(previous["attempt"]) + 1 if previous else 1
    reference = keys.payment_reference(str(job["id"]), attempt)
    now = now_iso()
    item: dict[str, Any] = {
        **keys.payment(str(job["id"]), attempt).item(),
        **keys.pending_payment_index(clock.iso_in(RECONCILE_AFTER_SECONDS), reference).item(),
        "type": "payment",
        "reference": reference,
        "attempt": attempt,
        "provider": provider,
        "jobId": job["id"],
        "bidId": job["acceptedBidId"],
        "clientId": job["clientId"],
        "workerId": job["workerId"],
        "amount": dict(job["acceptedAmount"]),
        "status": "pending",
        "version": 1,
        "createdAt": now,
        "updatedAt": now,
    }
    actions = [
        db.tx_put(item, condition="attribute_not_exists(pk)", on_fail=db.Retry()),
        db.tx_check(
            *market_keys.job(str(job["id"])),
            condition="#s = :assigned AND #v = :v",
            names={"#s": "status", "#v": "version"},
            values={":assigned": "assigned", ":v": job["version"]},
            on_fail=db.Retry(),
        ),
    ]
    if previous:
        actions.append(
            db.tx_check(
                str(previous["pk"]),
                str(previous["sk"]),
                condition="#s = :failed",
                names={"#s": "status"},
                values={":failed": "failed"},
                on_fail=db.Retry(),
            )
        )
    db.transact(actions)
    return item


def _give_up_stale_claim(payment: dict[str, Any]) -> None:
    """A claim whose provider call never finished (a crash): nobody can pay it, so it failed."""
    with contextlib.suppress(Conflict):  # it moved on meanwhile; the caller reads again
        db.transact(
            [
                payment_update(
                    payment,
                    "failed",
                    set={"failReason": "checkout_not_started"},
                    condition="attribute_not_exists(providerRef)",
                )
            ]
        )


def start_payment(client_id: str, job_id: str, provider: str) -> CheckoutOut:
    deadline = time.monotonic() + _WAIT_FOR_PEER_S
    for _ in range(40):
        job = market_jobs.load(job_id)
        if job["clientId"] != client_id:
            raise Forbidden("Only the client who posted this job can pay for it.", code="not_job_owner")
        if job["status"] != "assigned":
            raise Conflict(
                f"The job is {job['status']}, not assigned: there is nothing to pay.", code="job_not_payable"
            )
        current = current_payment(job_id)
        if current and current["status"] == "pending":
            if current["provider"] != provider:
                raise Conflict(
                    f"A {current['provider']} payment for this job is pending; finish or wait for it.",
                    code="payment_pending",
                    details=[{"field": "provider", "issue": "pending_elsewhere", "reference": current["reference"]}],
                )
            if current.get("providerRef"):
                return _out(current)
            if clock.age_seconds(str(current["createdAt"])) > CLAIM_STALE_SECONDS:
                _give_up_stale_claim(current)
                continue
            if time.monotonic() > deadline:
                raise Conflict(
                    "This payment is being prepared; try again in a moment.",
                    code="payment_in_progress",
                    headers={"Retry-After": "2"},
                )
            time.sleep(0.2)  # another request claimed it and is talking to the provider
            continue
        if current and current["status"] != "failed":
            raise Conflict(f"This job's payment is {current['status']}.", code=f"payment_{current['status']}")
        try:
            claimed = _claim(job, current, provider)
        except Conflict as exc:
            if exc.code != db.Retry.code:
                raise
            continue  # a concurrent request created the attempt (or the job moved): read again
        return _open_checkout(claimed, job)
    raise Conflict("The job keeps changing; try again.", code=db.Retry.code)


def _open_checkout(payment: dict[str, Any], job: dict[str, Any]) -> CheckoutOut:
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    gateway = adapters.gateway(str(payment["provider"]))
    try:
        session = gateway.start_checkout(
            reference=payment["reference"],
            amount=int(payment["amount"]["amount"]),
            currency=str(payment["amount"]["currency"]),
            email=_payer_email(str(payment["clientId"])),
            description=f"Khaya job: {job.get('title', '')}"[:200],
            metadata={"jobId": str(job["id"]), "bidId": str(job["acceptedBidId"]), "reference": payment["reference"]},
            return_url=_return_url(),
        )
    except (ProviderRejected, ProviderUnavailable):
        db.transact([payment_update(payment, "failed", set={"failReason": "checkout_not_started"})])
        metric("PaymentCheckout", provider=str(payment["provider"]), result="provider_error")
        raise
    changes = {"providerRef": session.provider_ref, "updatedAt": now_iso()}
    if session.authorization_url:
        changes["authorizationUrl"] = session.authorization_url
    if session.client_secret:
        changes["clientSecret"] = session.client_secret
    after = db.update(
        str(payment["pk"]),
        str(payment["sk"]),
        set=changes,
        condition="#s = :pending",
        names={"#s": "status"},
        values={":pending": "pending"},
        on_fail=Conflict("The payment changed while it was being prepared.", code="payment_changed"),
    )
    metric("PaymentCheckout", provider=str(payment["provider"]), result="started")
    logger.info("checkout started", extra={"reference": payment["reference"], "provider": payment["provider"]})
    return _out(after)


# ---------------------------------------------------------------- confirmed charges


def _mismatch(payment: dict[str, Any], charge: providers.Charge) -> str | None:
    asked = payment["amount"]
    if charge.amount != int(asked["amount"]):
        return "amount_mismatch"
    if (charge.currency or "") != str(asked["currency"]):
        return "currency_mismatch"
    meta = charge.metadata or {}
    if str(meta.get("jobId", "")) != str(payment["jobId"]) or str(meta.get("bidId", "")) != str(payment["bidId"]):
        return "metadata_mismatch"
    return None


def charge_effect(reference: str, charge: providers.Charge) -> Effect:
    """What a provider's word on a charge does to our state, read now (see ``dedupe.run``)."""
    from khaya.payments import ledger  # the checkout route never needs it: kept off its cold start

    key = keys.payment_by_reference(reference)
    payment = db.get(*key, consistent=True) if key else None
    if payment is None:
        logger.warning("charge for an unknown reference", extra={"reference": reference[:80]})
        return "ignored", []
    status = str(payment["status"])
    if charge.state == "failed":
        if status == "pending":
            return "applied", [
                payment_update(payment, "failed", set={"failReason": charge.provider_status or "failed"})
            ]
        return "ignored", []
    if charge.state != "success":
        return "ignored", []
    if status == "failed":
        return "flagged", [_flag(payment, "paid_after_failure")]
    if status != "pending":
        return "ignored", []  # already succeeded, refunded or flagged: never again, never back
    problem = _mismatch(payment, charge)
    job = market_jobs.load(str(payment["jobId"]))
    if problem is None and (job["status"] != "assigned" or job.get("acceptedBidId") != payment["bidId"]):
        problem = "job_not_payable"
    if problem is not None:
        return "flagged", [_flag(payment, problem)]
    paid = {"paidAt": now_iso()}
    if charge.provider_payment_id:
        paid["providerPaymentId"] = charge.provider_payment_id
    _, job_actions = market_jobs.transition(
        job, "funded", set={"fundedAt": now_iso(), "paymentReference": reference}, on_conflict=db.Retry()
    )
    amount = payment["amount"]
    return "applied", [
        payment_update(payment, "succeeded", set=paid),
        *job_actions,
        ledger.entry_action(
            job, "charge", int(amount["amount"]), str(amount["currency"]), reference=reference, cause="charge"
        ),
    ]


def apply_charge(reference: str, charge: providers.Charge, seen_keys: list[SeenKey]) -> Outcome:
    from khaya.payments import dedupe

    outcome = dedupe.run(lambda: charge_effect(reference, charge), seen_keys)
    metric("PaymentEvent", kind="charge", state=charge.state, outcome=outcome)
    if outcome == "flagged":
        logger.warning("payment flagged", extra={"reference": reference})
    return outcome
