"""After a load run: did every paid job's money move exactly once, and add up?

The load mix's clients remember the jobs they paid for; when the run stops, each job is read
back over HTTP (waiting a little for payouts still on their way), with its client's and its
worker's ``GET /v1/me/transactions``, and judged by ``judge``:

* the client was charged once, the accepted amount (a payment processed once, however many
  webhooks arrived);
* a job paid out holds nothing in escrow: payout + fee = charge, one payout, no reversal
  left standing; a job funded or completed and not paid out yet has no payout;
* no entry of the job is refunded without the job being cancelled.
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
    if status == "paid_out" and (held != 0 or kinds["payout"] - kinds["reversal"] != 1):
        problems.append(f"{jid}: paid out with {held} still in escrow, {kinds['payout']} payouts")
    if status in ("funded", "completed") and kinds["payout"] - kinds["reversal"] != 0:
        problems.append(f"{jid}: {status} with a payout standing")
    if kinds["refund"] and status != "cancelled":
        problems.append(f"{jid}: refunded, yet {status}")
    return problems
