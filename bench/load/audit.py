"""After a load run: did every paid job's money move exactly once, and add up?

The load mix's clients remember the jobs they paid for; when the run stops, each job is read
back over HTTP (waiting a little for payouts still on their way), with its client's and its
worker's ``GET /v1/me/transactions``, and judged by ``judge``:

* the client was charged once, the accepted amount (a payment processed once, however many
  webhooks arrived);
* a job paid out holds nothing in escrow: payout + fee = charge, one payout, no reversal
  left standing; a completed job whose transfer the provider has accepted (``payoutStatus:
  in_flight``) is the same, one payout on its way; a job funded or completed otherwise has no
  payout standing;
* a cancelled job gave all its charge back; no entry is refunded without the job being cancelled.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

PAID_STATES = ("funded", "completed", "paid_out")


def judge(job: dict[str, Any], client_entries: list[dict[str, Any]], worker_entries: list[dict[str, Any]]) -> list[str]:
    """What is wrong with one paid job's money (empty when nothing is)."""
    problems: list[str] = []
    jid, status = job["id"], job["status"]
    accepted = job.get("acceptedAmount") or {}
    kinds = Counter(e["type"] for e in client_entries + worker_entries)
    total = {k: sum(e["amount"]["amount"] for e in client_entries + worker_entries if e["type"] == k) for k in kinds}
    if status not in (*PAID_STATES, "cancelled"):
        return [f"{jid}: paid for, yet {status}"]
    if kinds["charge"] != 1:
        problems.append(f"{jid}: {kinds['charge']} charges")
    elif total["charge"] != accepted.get("amount"):
        problems.append(f"{jid}: charged {total['charge']}, accepted {accepted.get('amount')}")
    if any(e["amount"]["currency"] != accepted.get("currency") for e in client_entries + worker_entries):
        problems.append(f"{jid}: an entry in another currency than {accepted.get('currency')}")
    held = total.get("charge", 0) - total.get("fee", 0) - total.get("payout", 0) + total.get("reversal", 0)
    held -= total.get("refund", 0)
    standing = kinds["payout"] - kinds["reversal"]
    on_its_way = status == "completed" and job.get("payoutStatus") == "in_flight"
    if (status == "paid_out" or on_its_way) and (held != 0 or standing != 1):
        what = "paid out" if status == "paid_out" else "completed, its transfer on its way,"
        problems.append(f"{jid}: {what} with {held} still in escrow, {kinds['payout']} payouts")
    elif status in ("funded", "completed") and not on_its_way and standing != 0:
        problems.append(f"{jid}: {status} with a payout standing")
    if status == "cancelled" and held != 0:
        problems.append(f"{jid}: cancelled with {held} still in escrow")
    if kinds["refund"] and status != "cancelled":
        problems.append(f"{jid}: refunded, yet {status}")
    return problems
