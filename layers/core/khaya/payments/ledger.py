"""The escrow ledger: every movement of a job's money is one immutable, balanced entry.

A job has four accounts: ``client`` (who paid), ``escrow`` (what the platform holds for the job),
``worker`` (what was sent to the worker) and ``platform`` (the fee). Each entry moves one
positive amount between two of them, written as two postings that cancel out:

| entry      | from     | to       | when                                                     |
|------------|----------|----------|----------------------------------------------------------|
| charge     | client   | escrow   | the provider confirmed the payment (job ``funded``)      |
| fee        | escrow   | platform | the job was completed (5 %, waived on a worker's first 2)|
| payout     | escrow   | worker   | the provider accepted the transfer to the worker         |
| reversal   | worker   | escrow   | that transfer failed or was reversed: the money is held again |
| refund     | escrow   | client   | the provider confirmed the refund (job ``cancelled``)    |
| commission | platform | referrer | reserved for referral commissions                        |

So a job's postings always sum to zero, and every balance is *derived* by adding them up: no
balance is ever stored or edited. Entries are only ever created (``attribute_not_exists``), in the
same ``TransactWriteItems`` as the state change they belong to (``entry_action``), so a movement
without its state change, or a state change without its movement, cannot exist. Amounts are
integers in the minor unit of the job's currency.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from khaya import db
from khaya.api import ApiModel, Page
from khaya.ids import new_id, now_iso
from khaya.money import Money
from khaya.payments import keys

EntryType = Literal["charge", "fee", "payout", "reversal", "refund", "commission"]
ACCOUNTS = ("client", "escrow", "worker", "platform")
MOVES: dict[str, tuple[str, str]] = {
    "charge": ("client", "escrow"),
    "fee": ("escrow", "platform"),
    "payout": ("escrow", "worker"),
    "reversal": ("worker", "escrow"),
    "refund": ("escrow", "client"),
    "commission": ("platform", "referrer"),
}
# Whose list (GET /v1/me/transactions) an entry appears in.
PARTY = {"charge": "client", "refund": "client", "fee": "worker", "payout": "worker", "reversal": "worker"}

FEE_PERCENT = 5
FEE_FREE_JOBS = 2


def platform_fee(amount: int, completed_before: int) -> int:
    """5 % of ``amount``, rounded half-up to the minor unit; nothing on a worker's first
    ``FEE_FREE_JOBS`` completed jobs (``completed_before`` = how many it had completed)."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount < 0:
        raise ValueError("amount must be a non-negative int")
    if completed_before < FEE_FREE_JOBS:
        return 0
    return (amount * FEE_PERCENT + 50) // 100


class Transaction(ApiModel):
    """One ledger entry as its party sees it (``GET /v1/me/transactions``)."""

    id: str
    type: EntryType
    amount: Money
    job_id: str | None = None
    reference: str | None = None
    created_at: str


TransactionPage = Page[Transaction]


def entry_action(
    job: dict[str, Any],
    kind: str,
    amount: int,
    currency: str,
    *,
    reference: str,
    cause: str,
) -> db.TxAction:
    """The ``Put`` of one new entry of ``job`` (a stored job item with ``clientId``/``workerId``)."""
    if kind not in PARTY:
        raise ValueError(f"unknown entry type {kind!r}")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise ValueError("an entry moves a positive whole number of minor units")
    source, target = MOVES[kind]
    party = str(job["clientId"] if PARTY[kind] == "client" else job["workerId"])
    entry_id = new_id()
    item = {
        **keys.ledger_entry(str(job["id"]), entry_id).item(),
        **keys.user_ledger_index(party, entry_id).item(),
        "type": "ledgerEntry",
        "id": entry_id,
        "jobId": str(job["id"]),
        "kind": kind,
        "amount": {"amount": amount, "currency": currency},
        "postings": [{"account": source, "amount": -amount}, {"account": target, "amount": amount}],
        "userId": party,
        "clientId": str(job["clientId"]),
        "workerId": str(job["workerId"]),
        "reference": reference,
        "cause": cause,
        "createdAt": now_iso(),
    }
    return db.tx_put(item, condition="attribute_not_exists(pk)")


# ---------------------------------------------------------------- reads


def entries(job_id: str) -> list[dict[str, Any]]:
    """Every entry of a job, oldest first (consistent read)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = db.query(
            keys.job_pk(job_id),
            sk_prefix=keys.TXN_PREFIX,
            forward=True,
            consistent=True,
            limit=100,
            cursor=cursor,
            scope=f"ledger:{job_id}",
        )
        found.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            return found


def balances(job_id: str, items: list[dict[str, Any]] | None = None) -> dict[str, int]:
    """Each account's balance, derived from the entries (every account present, 0 if untouched)."""
    totals: dict[str, int] = defaultdict(int, dict.fromkeys(ACCOUNTS, 0))
    for entry in entries(job_id) if items is None else items:
        for posting in entry["postings"]:
            totals[str(posting["account"])] += int(posting["amount"])
    return dict(totals)


def list_transactions(user_id: str, *, limit: int = 20, cursor: str | None) -> TransactionPage:
    page = db.query(
        keys.user_pk(user_id),
        index=keys.USER_INDEX,
        sk_prefix=keys.TXN_PREFIX,
        limit=limit,
        cursor=cursor,
        scope=f"txns:{user_id}",
    )
    items = [
        {
            "id": i["id"],
            "type": i["kind"],
            "amount": i["amount"],
            "job_id": i.get("jobId"),
            "reference": i.get("reference"),
            "created_at": i["createdAt"],
        }
        for i in page.items
    ]
    return TransactionPage.model_validate({"items": items, "next_cursor": page.next_cursor})
