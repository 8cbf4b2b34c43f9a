"""The operator commands: retry a payout now, list flagged payments, reconcile once."""

from __future__ import annotations

import json

from khaya.payments import cli, payouts
from tests.support.payments import rejected


def printed(capsys):
    """What the command printed (its metrics are EMF lines on stdout too)."""
    lines = [line for line in capsys.readouterr().out.splitlines() if not line.startswith('{"_aws"')]
    return json.loads("\n".join(lines))


def test_an_operator_retries_a_failed_payout_and_lists_flagged_payments(flow, capsys):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected()
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    assert payouts.load_payout(job["id"])["status"] == "retry_wait"
    del flow.fakes.paystack.fail["transfer"]
    # When the operator retries it
    assert cli.main(["retry-payout", job["id"]]) == 0
    assert printed(capsys) == {"jobId": job["id"], "outcome": "applied"}
    flow.run_payouts()
    assert payouts.load_payout(job["id"])["status"] == "in_flight"
    # And a retry of a payout that is not failed does nothing and says so
    assert cli.main(["retry-payout", job["id"]]) == 1
    capsys.readouterr()
    # A flagged payment shows in the operator's list with its reason
    other, bid = flow.assigned_job()
    payment = flow.paid(other["id"])
    flow.confirm(payment, bid, amount=1)
    assert cli.main(["flagged"]) == 0
    listed = printed(capsys)
    assert [(p["reference"], p["flagReason"]) for p in listed] == [(payment["reference"], "amount_mismatch")]
    assert cli.main(["reconcile"]) == 0
