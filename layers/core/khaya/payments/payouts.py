"""Completion, the platform fee and the payout to the worker.

``complete_job`` (``POST /v1/jobs/{id}/complete``, owner only) is one transaction: the job
``funded → completed``, the worker's completed-job counter ``+1``, the ``fee`` ledger entry and the
job's payout item. The fee is 5 % of the accepted bid (half-up), waived on the worker's first two
completed jobs; the counter's condition is on the value the fee was computed from, so concurrent
completions for one worker are exact (a lost race is recomputed from a fresh read).

The payout item ``JOB#<jobId> | PAYOUT`` then moves on its own::

    waiting_account ──(worker adds a payout account)──> ready
    ready ──(stream)──> starting ──> in_flight ──> succeeded          (job → paid_out)
                          │  │           │            │
                          │  └──> otp ───┴──> succeeded (an operator finished the OTP)
                          │                │            │
                          └────────────────┴────────────┴──> retry_wait ──(due)──> ready
                                                          (failed / reversed; after
                                                           MAX_FAILURES: parked)

* ``ready`` is what the table's stream reacts to: ``StartPayoutsFunction`` calls ``start_payout``,
  which claims the attempt (``ready → starting``) before calling the provider, so a redelivered
  record never sends a second transfer. Each attempt has its own deterministic reference
  (``khaya-payout-<jobid>-<n>``): a resend of one attempt is answered with the first result.
* The ``payout`` ledger entry (escrow → worker) is written when the provider takes the transfer
  (``pending``/``success``); a failure or reversal afterwards writes a ``reversal`` (worker →
  escrow): the money is held again, the job shows ``payoutStatus: failed`` (a reversed job goes back
  from ``paid_out`` to ``completed``), and the payout is retried with backoff by the reconciler or
  at once by an operator (``python -m khaya.payments.cli retry-payout <jobId>``).
* A transfer that answers ``otp`` is parked for an operator (finish it in Paystack's dashboard);
  it is never resent blindly.
* A worker without a payout account is notified and the payout waits (``waiting_account``) until
  one is saved.
"""

from __future__ import annotations

import functools
from typing import Any

from khaya import db
from khaya.errors import Conflict, Forbidden
from khaya.ids import now_iso
from khaya.market import jobs as market_jobs
from khaya.market import keys as market_keys
from khaya.observability import logger, metric
from khaya.payments import adapters, clock, dedupe, keys, ledger
from khaya.payments.dedupe import Effect, Outcome, SeenKey

MAX_FAILURES = 5
STUCK_AFTER_SECONDS = 300
IN_FLIGHT_CHECK_SECONDS = 3600
MAX_BACKOFF_SECONDS = 6 * 3600
COMPLETE_ATTEMPTS = 8

# payout status → the job's payoutStatus
JOB_VIEW = {
    "waiting_account": "waiting_account",
    "ready": "pending",
    "starting": "pending",
    "in_flight": "in_flight",
    "otp": "parked",
    "succeeded": "paid",
    "retry_wait": "failed",
    "parked": "parked",
}
_DUE = frozenset({"retry_wait", "starting", "in_flight", "otp"})


def retry_base_seconds() -> int:
    from khaya.config import settings

    return max(1, int(settings().get("PAYOUT_RETRY_BASE_SECONDS") or 300))


def backoff_seconds(failures: int) -> int:
    """Wait before attempt ``failures + 1``: base * 4**(failures - 1), at most six hours."""
    return int(min(MAX_BACKOFF_SECONDS, retry_base_seconds() * 4 ** max(0, failures - 1)))


# ---------------------------------------------------------------- helpers


def load_payout(job_id: str) -> dict[str, Any] | None:
    return db.get(*keys.payout(job_id), consistent=True)


def _payout_update(
    payout: dict[str, Any], to_status: str, *, set: dict[str, Any] | None = None, due_at: str | None = None
) -> db.TxAction:
    """``payout`` → ``to_status``, guarded by the status and version read; keeps its due index."""
    changes: dict[str, Any] = {"status": to_status, "updatedAt": now_iso(), **(set or {})}
    if to_status in _DUE:
        changes.update(keys.payout_due_index(due_at or now_iso(), str(payout["jobId"])).item())
    else:
        changes.update({"gsi2pk": None, "gsi2sk": None})
    if payout["status"] == "waiting_account":
        changes.update({"gsi1pk": None, "gsi1sk": None})
    return db.tx_update_versioned(
        *keys.payout(str(payout["jobId"])),
        expected_version=int(payout["version"]),
        set=changes,
        condition="#s = :from",
        names={"#s": "status"},
        values={":from": payout["status"]},
        on_conflict=db.Retry(),
    )


def _job_view(job: dict[str, Any], payout_status: str) -> list[db.TxAction]:
    """The job shows where its payout is (and leaves/re-enters ``paid_out`` with the money)."""
    view = JOB_VIEW[payout_status]
    if payout_status == "succeeded" and job["status"] == "completed":
        _, actions = market_jobs.transition(
            job, "paid_out", set={"paidOutAt": now_iso(), "payoutStatus": view}, on_conflict=db.Retry()
        )
        return actions
    if job["status"] == "paid_out" and payout_status != "succeeded":
        _, actions = market_jobs.transition(job, "completed", set={"payoutStatus": view}, on_conflict=db.Retry())
        return actions
    return [
        db.tx_update_versioned(
            *market_keys.job(str(job["id"])),
            expected_version=int(job["version"]),
            set={"payoutStatus": view, "updatedAt": now_iso()},
            on_conflict=db.Retry(),
        )
    ]


# ---------------------------------------------------------------- completion


def complete_job(client_id: str, job_id: str) -> market_jobs.Job:
    result: dict[str, Any] = {}

    def build() -> list[db.TxAction]:
        job = market_jobs.load(job_id)
        if job["clientId"] != client_id:
            raise Forbidden("Only the client who posted this job can confirm it is done.", code="not_job_owner")
        if job["status"] != "funded":
            raise Conflict(f"The job is {job['status']}, not funded.", code="job_not_funded")
        if job.get("refundStatus") == "pending":
            raise Conflict("A refund of this job is under way.", code="refund_pending")
        worker_id = str(job["workerId"])
        gross = dict(job["acceptedAmount"])
        stats = db.get(*keys.pay_stats(worker_id), consistent=True) or {}
        done_before = int(stats.get("completedJobs") or 0)
        fee = ledger.platform_fee(int(gross["amount"]), done_before)
        net = int(gross["amount"]) - fee
        account = db.get(*keys.payout_account(worker_id), consistent=True)
        status = "ready" if account else "waiting_account"
        now = now_iso()
        payout: dict[str, Any] = {
            **keys.payout(job_id).item(),
            "type": "payout",
            "jobId": job_id,
            "clientId": job["clientId"],
            "workerId": worker_id,
            "currency": gross["currency"],
            "gross": int(gross["amount"]),
            "fee": fee,
            "net": net,
            "status": status,
            "attempt": 1,
            "failures": 0,
            "version": 1,
            "createdAt": now,
            "updatedAt": now,
        }
        if status == "waiting_account":
            payout.update(keys.payout_wait_index(worker_id, job_id).item())
        after, actions = market_jobs.transition(
            job,
            "completed",
            set={
                "completedAt": now,
                "payoutStatus": JOB_VIEW[status],
            },
            on_conflict=db.Retry(),
        )
        if done_before < ledger.FEE_FREE_JOBS:
            # The fee depends on the exact count: another completion in between recomputes it.
            counter_guard = "attribute_not_exists(completedJobs)" if done_before == 0 else "completedJobs = :n"
            counter_values = {} if done_before == 0 else {":n": done_before}
        else:
            counter_guard, counter_values = "completedJobs >= :n", {":n": ledger.FEE_FREE_JOBS}
        actions += [
            db.tx_update(
                *keys.pay_stats(worker_id),
                add={"completedJobs": 1},
                set={"type": "payStats", "updatedAt": now},
                condition=counter_guard,
                values=counter_values,
                on_fail=db.Retry(),
            ),
            db.tx_put(payout, condition="attribute_not_exists(pk)", on_fail=db.Retry()),
        ]
        if fee > 0:
            actions.append(ledger.entry_action(job, "fee", fee, str(gross["currency"]), reference=job_id, cause="fee"))
        result["job"] = after
        return actions

    db.transact_retrying(build, attempts=COMPLETE_ATTEMPTS)
    metric("JobCompleted", currency=str(result["job"]["acceptedAmount"]["currency"]))
    return market_jobs.Job.from_item(result["job"])


# ---------------------------------------------------------------- starting a transfer


def _destination(account: dict[str, Any]) -> str:
    return str(account.get("recipientCode") or account.get("accountId") or "")


def start_payout(job_id: str) -> str:
    """Send the transfer of a ``ready`` payout (the stream calls this). Returns what happened."""
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    payout = load_payout(job_id)
    if payout is None or payout["status"] != "ready":
        return "ignored"
    account = db.get(*keys.payout_account(str(payout["workerId"])), consistent=True)
    if not account:
        dedupe.run(lambda: _wait_for_account(job_id), [])
        return "waiting_account"
    claimed = _claim(payout, account)
    if claimed is None:
        return "ignored"  # another delivery of the same record claimed it first
    reference, provider = str(claimed["reference"]), str(claimed["provider"])
    metric("PayoutStarted", provider=provider)
    try:
        transfer = adapters.rail(provider).transfer(
            reference=reference,
            amount=int(payout["net"]),
            currency=str(payout["currency"]),
            destination=_destination(account),
            reason=f"Khaya job {job_id}",
        )
    except ProviderRejected as exc:
        logger.warning("transfer refused", extra={"jobId": job_id, "status": exc.http_status})
        return apply_transfer(reference, "failed", [], error=f"rejected:{exc.http_status}")
    except ProviderUnavailable:
        # The transfer may or may not exist: the reconciler reads it back by its reference.
        logger.warning("transfer outcome unknown", extra={"jobId": job_id})
        return "unknown"
    return apply_transfer(reference, transfer.state, [], transfer_code=transfer.transfer_code)


def _claim(payout: dict[str, Any], account: dict[str, Any]) -> dict[str, Any] | None:
    """``ready → starting`` for this attempt, before any provider call; ``None`` if it moved on."""
    for _ in range(4):
        job_id = str(payout["jobId"])
        changes = {
            "reference": keys.transfer_reference(job_id, int(payout["attempt"])),
            "provider": str(account["provider"]),
            "destination": _destination(account),
            "startedAt": now_iso(),
        }
        try:
            db.transact([_payout_update(payout, "starting", set=changes, due_at=clock.iso_in(STUCK_AFTER_SECONDS))])
            return {**payout, **changes}
        except Conflict:
            fresh = load_payout(job_id)
            if fresh is None or fresh["status"] != "ready":
                return None
            payout = fresh  # lost a transaction race only: claim again from what is there now
    return None


def _wait_for_account(job_id: str) -> Effect:
    payout = load_payout(job_id)
    if payout is None or payout["status"] != "ready":
        return "ignored", []
    job = market_jobs.load(job_id)
    return "applied", [
        _payout_update(payout, "waiting_account", set=keys.payout_wait_index(str(payout["workerId"]), job_id).item()),
        *_job_view(job, "waiting_account"),
    ]


def resume_waiting(worker_id: str) -> int:
    """A worker saved a payout account: its waiting payouts become ``ready`` (the stream sends them).
    The whole waiting list, up to ``db.query_pages``' 1,000 items; one released payout is one small
    transaction, and a payout released leaves the list, so a save after a cut-off releases the rest."""
    resumed = 0
    for page in db.query_pages(keys.user_pk(worker_id), index=keys.USER_INDEX, sk_prefix=keys.PAYOUT_WAIT_PREFIX):
        for item in page:
            ready = functools.partial(_ready_again, str(item["jobId"]), ("waiting_account",), reset=False)
            resumed += dedupe.run(ready, []) == "applied"
    return resumed


def _ready_again(job_id: str, from_states: tuple[str, ...], *, reset: bool) -> Effect:
    payout = load_payout(job_id)
    if payout is None or payout["status"] not in from_states:
        return "ignored", []
    job = market_jobs.load(job_id)
    extra: dict[str, Any] = {"nextAttemptAt": None}
    if reset:
        extra["failures"] = 0
    return "applied", [_payout_update(payout, "ready", set=extra), *_job_view(job, "ready")]


def retry_due(job_id: str) -> Outcome:
    """The reconciler: a ``retry_wait`` payout whose time has come is ``ready`` again."""
    return dedupe.run(lambda: _ready_again(job_id, ("retry_wait",), reset=False), [])


def retry_now(job_id: str) -> Outcome:
    """The operator command: retry a failed or parked payout at once (backoff and count reset)."""
    return dedupe.run(lambda: _ready_again(job_id, ("retry_wait", "parked"), reset=True), [])


# ---------------------------------------------------------------- what the provider says


def transfer_effect(
    reference: str, state: str, *, transfer_code: str | None = None, error: str | None = None
) -> Effect:
    parsed = keys.parse_transfer_reference(reference)
    if parsed is None:
        logger.warning("transfer event for an unknown reference", extra={"reference": reference[:80]})
        return "ignored", []
    job_id, _ = parsed
    payout = load_payout(job_id)
    if payout is None or payout.get("reference") != reference:
        if state == "success" and payout is not None:
            # Success of an attempt we had given up on: never pay again without a human look.
            logger.error("success for a superseded transfer", extra={"jobId": job_id, "reference": reference})
            metric("PayoutContradiction", state=state)
        return "ignored", []
    status = str(payout["status"])
    job = market_jobs.load(job_id)
    net, currency = int(payout["net"]), str(payout["currency"])
    money_out = status in ("in_flight", "succeeded")  # a payout entry exists for this attempt
    code = {"transferCode": transfer_code} if transfer_code else {}

    def pay_entry() -> list[db.TxAction]:
        return [ledger.entry_action(job, "payout", net, currency, reference=reference, cause=f"transfer:{state}")]

    if state == "success":
        if status in ("starting", "otp", "in_flight"):
            return "applied", [
                _payout_update(payout, "succeeded", set={**code, "paidAt": now_iso()}),
                *_job_view(job, "succeeded"),
                *([] if money_out else pay_entry()),
            ]
        return "ignored", []
    if state == "pending":
        if status == "starting":
            return "applied", [
                _payout_update(payout, "in_flight", set=code, due_at=clock.iso_in(IN_FLIGHT_CHECK_SECONDS)),
                *_job_view(job, "in_flight"),
                *pay_entry(),
            ]
        return "ignored", []
    if state == "otp":
        if status == "starting":
            metric("PayoutParked", reason="otp")
            logger.warning("transfer needs an OTP: parked for an operator", extra={"jobId": job_id})
            return "applied", [
                _payout_update(payout, "otp", set=code, due_at=clock.iso_in(IN_FLIGHT_CHECK_SECONDS)),
                *_job_view(job, "otp"),
            ]
        return "ignored", []
    if state in ("failed", "reversed"):
        if status not in ("starting", "otp", "in_flight", "succeeded"):
            return "ignored", []
        failures = int(payout.get("failures") or 0) + 1
        parked = failures >= MAX_FAILURES
        wait = backoff_seconds(failures)
        changes = {
            **code,
            "failures": failures,
            "attempt": int(payout["attempt"]) + 1,
            "lastError": error or state,
            "nextAttemptAt": None if parked else clock.iso_in(wait),
        }
        after = "parked" if parked else "retry_wait"
        if parked:
            metric("PayoutParked", reason="failures")
        actions = [_payout_update(payout, after, set=changes, due_at=clock.iso_in(wait)), *_job_view(job, after)]
        if money_out:
            actions.append(
                ledger.entry_action(job, "reversal", net, currency, reference=reference, cause=f"transfer:{state}")
            )
        return "applied", actions
    return "ignored", []


def apply_transfer(
    reference: str,
    state: str,
    seen_keys: list[SeenKey],
    *,
    transfer_code: str | None = None,
    error: str | None = None,
) -> Outcome:
    outcome = dedupe.run(lambda: transfer_effect(reference, state, transfer_code=transfer_code, error=error), seen_keys)
    metric("PayoutEvent", state=state, outcome=outcome)
    return outcome


def back_to_ready(payout: dict[str, Any]) -> db.TxAction:
    """A ``starting`` attempt that never reached the provider goes out again, same reference."""
    return _payout_update(payout, "ready")


# ---------------------------------------------------------------- the table's stream

_NOTICES = {
    "waiting_account": (
        "payout_account_needed",
        "Add a payout account",
        "A client confirmed your job. Add a payout account so we can pay you.",
    ),
    "succeeded": ("payout_sent", "Payout sent", "Your payout for a completed job is on its way."),
    "retry_wait": ("payout_failed", "Payout failed", "Your payout did not go through; we will try again."),
}


def handle_record(record: dict[str, Any]) -> None:
    """One stream record: a payout that became ``ready`` is sent; the worker hears when its
    payout waits for an account, is sent, or failed. Everything else is ignored."""
    from khaya.db.codec import from_item
    from khaya.market.notifications import change_ms, notify

    if record.get("eventName") not in ("INSERT", "MODIFY"):
        return
    change = record.get("dynamodb") or {}
    new = from_item(change.get("NewImage")) or {}
    if new.get("type") != "payout":
        return
    old = from_item(change.get("OldImage")) or {}
    status = new.get("status")
    if status == old.get("status"):
        return
    if status == "ready":
        start_payout(str(new["jobId"]))
        return
    notice = _NOTICES.get(str(status))
    if notice is not None:
        kind, title, body = notice
        notify(
            str(new["workerId"]),
            kind,
            title=title,
            body=body,
            data={"jobId": str(new["jobId"])},
            source=str(record["eventID"]),
            at_ms=change_ms(new, change),  # when the payout changed: the same on every redelivery
        )


def process_stream(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """In order; on the first failure report it and the rest (``ReportBatchItemFailures``)."""
    for i, record in enumerate(records):
        try:
            handle_record(record)
        except Exception:
            logger.exception("payout stream record failed", extra={"eventID": record.get("eventID")})
            return [{"itemIdentifier": str((r.get("dynamodb") or {}).get("SequenceNumber", ""))} for r in records[i:]]
    return []
