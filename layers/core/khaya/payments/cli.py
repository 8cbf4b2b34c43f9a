"""Operator commands for payments (run with the stage's credentials and environment, as for
``khaya.identity.cli``)::

    python -m khaya.payments.cli retry-payout <jobId>   # a failed or parked payout goes out now
    python -m khaya.payments.cli reconcile               # one reconciliation pass now
    python -m khaya.payments.cli flagged [--limit 50]    # payments flagged for a human look
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def flagged(limit: int = 50) -> list[dict[str, Any]]:
    from khaya import db
    from khaya.payments import keys

    page = db.query(keys.FLAGGED_PAYMENTS, index=keys.WORK_INDEX, limit=limit, scope="cli:flagged")
    fields = ("reference", "provider", "jobId", "amount", "flagReason", "flaggedAt")
    return [{k: item.get(k) for k in fields} for item in page.items]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m khaya.payments.cli", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    retry = sub.add_parser("retry-payout", help="send a failed or parked payout again, now")
    retry.add_argument("job_id")
    sub.add_parser("reconcile", help="run one reconciliation pass")
    listing = sub.add_parser("flagged", help="list flagged payments, newest last")
    listing.add_argument("--limit", type=int, default=50)
    args = parser.parse_args(argv)

    if args.command == "retry-payout":
        from khaya.payments.payouts import retry_now

        outcome = retry_now(args.job_id)
        print(json.dumps({"jobId": args.job_id, "outcome": outcome}))
        return 0 if outcome == "applied" else 1
    if args.command == "reconcile":
        from khaya.payments.reconcile import run

        print(json.dumps(run()))
        return 0
    print(json.dumps(flagged(args.limit), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
