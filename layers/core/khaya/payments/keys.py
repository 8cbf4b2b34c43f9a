"""Keys of the payment items: payments, payouts, the escrow ledger, webhook dedupe, payout accounts.

Every read is a ``GetItem`` or a key ``Query``; there is no Scan.

Access patterns, as built
=========================

``pk | sk`` on the table; ``gsiN: pk | sk`` on an index (on the item named):

- a job's payment attempts: ``JOB#<jobId> | PAYMENT#<nn>`` (``nn`` = 01, 02…; the newest is the
  current one: one Query, newest first, limit 1). The payment's reference is
  ``kh-<jobId>-<nn>``, so a reference is its key (no lookup item).
- payments waiting for their provider (reconciliation): on the payment while ``pending``,
  ``gsi2: PAYPENDING | <checkAfter>#<reference>`` (sparse; removed when it leaves ``pending``)
- flagged payments (for admins): on the payment while ``flagged``, ``gsi2: PAYFLAGGED | <at>#<reference>``
- refunds under way (reconciliation): on the payment while its refund is requested,
  ``gsi2: REFUNDDUE | <checkAfter>#<reference>``
- a job's payout: ``JOB#<jobId> | PAYOUT`` (status, attempt, fee, net); transfer references are
  ``khaya-payout-<jobid>-<n>`` (lowercase, as Paystack wants), so a transfer event finds its payout
- payouts the reconciler must look at (retry due, stuck, in flight, parked on OTP): on the payout,
  ``gsi2: PAYOUTDUE | <dueAt>#<jobId>`` (sparse; removed once paid or parked)
- a worker's payouts waiting for a payout account: on the payout,
  ``gsi1: USER#<workerId> | PAYOUTWAIT#<jobId>`` (sparse)
- the escrow ledger of a job: ``JOB#<jobId> | TXN#<entryId>`` (immutable; ``entryId`` a ULID)
- a user's ledger entries (``GET /v1/me/transactions``): on the entry,
  ``gsi1: USER#<userId> | TXN#<entryId>``
- a worker's completed-job counter (fee waiver): ``USER#<workerId> | PAYSTATS``
- a worker's payout account: ``USER#<workerId> | PAYOUTACCT``
- webhook deliveries seen: ``EVT#<provider>#<key> | EVT`` (put with ``attribute_not_exists`` in
  the same transaction as the event's effect; ``ttl`` 90 days)
- the cached bank list of a currency: ``BANKS#<currency> | BANKS`` (``ttl``)

``PAYPENDING``, ``REFUNDDUE`` and ``PAYOUTDUE`` take every payment's and payout's writes while they are in
flight: far below a partition's 1 000 writes/s at the expected rate; shard them by a suffix if
that ever changes.
"""

from __future__ import annotations

import re

from khaya.db.keys import GSI1, GSI2, IndexKey, Key, part
from khaya.identity.keys import user_pk as user_pk
from khaya.market.keys import job_pk as job_pk

USER_INDEX = GSI1
WORK_INDEX = GSI2
PAYMENT_PREFIX = "PAYMENT#"
TXN_PREFIX = "TXN#"
PAYOUT = "PAYOUT"
PAYOUT_WAIT_PREFIX = "PAYOUTWAIT#"
PENDING_PAYMENTS = "PAYPENDING"
FLAGGED_PAYMENTS = "PAYFLAGGED"
PAYOUTS_DUE = "PAYOUTDUE"
REFUNDS_DUE = "REFUNDDUE"
MAX_ATTEMPTS = 99

_REFERENCE = re.compile(r"^kh-([0-9A-Z]{26})-(\d{2})$")  # job ids are ULIDs
_TRANSFER_REFERENCE = re.compile(r"^khaya-payout-([0-9a-z]{26})-(\d{1,2})$")


# ---------------------------------------------------------------- payments


def payment_reference(job_id: str, attempt: int) -> str:
    if not 1 <= attempt <= MAX_ATTEMPTS:
        raise ValueError("attempt out of range")
    return f"kh-{part(job_id)}-{attempt:02d}"


def parse_reference(reference: str) -> tuple[str, int] | None:
    """``kh-<jobId>-<nn>`` → (job id, attempt); ``None`` when it is not one of ours."""
    found = _REFERENCE.match(reference or "")
    if not found:
        return None
    return found.group(1), int(found.group(2))


def payment(job_id: str, attempt: int) -> Key:
    return Key(job_pk(job_id), f"{PAYMENT_PREFIX}{attempt:02d}")


def payment_by_reference(reference: str) -> Key | None:
    parsed = parse_reference(reference)
    return payment(*parsed) if parsed else None


def pending_payment_index(check_after: str, reference: str) -> IndexKey:
    return IndexKey(WORK_INDEX, PENDING_PAYMENTS, f"{check_after}#{reference}")


def flagged_payment_index(at: str, reference: str) -> IndexKey:
    return IndexKey(WORK_INDEX, FLAGGED_PAYMENTS, f"{at}#{reference}")


def refund_due_index(check_after: str, reference: str) -> IndexKey:
    return IndexKey(WORK_INDEX, REFUNDS_DUE, f"{check_after}#{reference}")


# ---------------------------------------------------------------- payouts


def payout(job_id: str) -> Key:
    return Key(job_pk(job_id), PAYOUT)


def transfer_reference(job_id: str, attempt: int) -> str:
    """Deterministic per job and attempt: a retried request can never pay twice."""
    return f"khaya-payout-{part(job_id).lower()}-{attempt}"


def parse_transfer_reference(reference: str) -> tuple[str, int] | None:
    found = _TRANSFER_REFERENCE.match(reference or "")
    if not found:
        return None
    return found.group(1).upper(), int(found.group(2))


def payout_due_index(due_at: str, job_id: str) -> IndexKey:
    return IndexKey(WORK_INDEX, PAYOUTS_DUE, f"{due_at}#{job_id}")


def payout_wait_index(worker_id: str, job_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(worker_id), PAYOUT_WAIT_PREFIX + part(job_id))


# ---------------------------------------------------------------- ledger


def ledger_entry(job_id: str, entry_id: str) -> Key:
    return Key(job_pk(job_id), TXN_PREFIX + part(entry_id))


def user_ledger_index(user_id: str, entry_id: str) -> IndexKey:
    return IndexKey(USER_INDEX, user_pk(user_id), TXN_PREFIX + part(entry_id))


# ---------------------------------------------------------------- workers


def pay_stats(worker_id: str) -> Key:
    return Key(user_pk(worker_id), "PAYSTATS")


def payout_account(worker_id: str) -> Key:
    return Key(user_pk(worker_id), "PAYOUTACCT")


# ---------------------------------------------------------------- webhooks and caches


def event_seen(provider: str, key: str) -> Key:
    # The key comes from the provider: keep it a single key part whatever it holds.
    return Key(f"EVT#{part(provider)}#{key.replace('#', '%23')}", "EVT")


def bank_list(currency: str) -> Key:
    return Key(f"BANKS#{part(currency)}", "BANKS")
