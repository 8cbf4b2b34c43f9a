"""POST /v1/jobs/{id}/complete, the fee, and the payout the table's stream starts."""

from __future__ import annotations

import time

import pytest

from khaya.payments import payouts
from tests.integration.payments.conftest import ADMIN, CLIENT, CLIENT2, WORKER, WORKER2
from tests.support.payments import paystack_webhook, rejected, unavailable


def transfer_event(flow, kind, reference, **data):
    body, headers = paystack_webhook(kind, {"reference": reference, "transfer_code": "TRF_" + reference[-30:], **data})
    return flow.webhook("paystack", body, headers)


def paid_out_job(flow, amount, *, client=CLIENT, worker=WORKER):
    job, _, _ = flow.funded_job(client=client, worker=worker, amount=amount)
    assert flow.complete(job["id"], client).status == 200
    flow.run_payouts()
    reference = flow.fakes.paystack.called("transfer")[-1]["reference"]
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    return flow.job(job["id"], client), reference


def otp_parked_job(flow):
    """A completed job whose transfer Paystack holds for an OTP (the worker has a payout account)."""
    flow.payout_account()
    flow.fakes.paystack.transfer_state = "otp"
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    return job


def test_complete_moves_funded_to_completed_and_the_stream_pays_the_worker(flow):
    # Given a funded job whose worker has a payout account
    flow.payout_account()
    job, _, _ = flow.funded_job(amount=75000)
    # When the client confirms the work
    res = flow.complete(job["id"])
    assert res.status == 200 and res.json["status"] == "completed" and res.json["payoutStatus"] == "pending"
    # Then the stream sends one transfer of the whole bid (first job: no fee) under a deterministic reference
    flow.run_payouts()
    sent = flow.fakes.paystack.called("transfer")
    assert len(sent) == 1
    assert sent[0]["amount"] == 75000 and sent[0]["destination"] == "RCP_4567"
    assert sent[0]["reference"] == f"khaya-payout-{job['id'].lower()}-1"
    assert flow.job(job["id"])["payoutStatus"] == "in_flight"
    # And transfer.success makes the job paid_out; the ledger is all paid out
    from khaya.ids import now_iso

    before_success = now_iso()
    assert transfer_event(flow, "transfer.success", sent[0]["reference"]).json["outcome"] == "applied"
    after = flow.job(job["id"])
    assert (after["status"], after["payoutStatus"]) == ("paid_out", "paid")
    assert flow.balances(job["id"]) == {"client": -75000, "escrow": 0, "worker": 75000, "platform": 0}
    # And the job's record says when it was paid out (for the operators and the reconciler)
    from khaya.market import jobs as market_jobs

    assert before_success <= market_jobs.load(job["id"])["paidOutAt"] <= after["updatedAt"]
    # And a redelivered stream record sends nothing more
    flow.run_payouts()
    assert len(flow.fakes.paystack.called("transfer")) == 1


def test_the_fee_is_waived_on_the_first_two_jobs_and_5_percent_half_up_on_the_third(flow):
    flow.payout_account()
    amounts = [75000, 75000, 12310]  # 5 % of 12 310 is 615.5 → 616
    for amount in amounts:
        paid_out_job(flow, amount)
    payouts = [t["amount"]["amount"] for t in flow.transactions(WORKER) if t["type"] == "payout"]
    fees = [t["amount"]["amount"] for t in flow.transactions(WORKER) if t["type"] == "fee"]
    assert payouts == [12310 - 616, 75000, 75000]  # newest first
    assert fees == [616]


def test_the_fee_is_taken_from_escrow_to_the_platform_in_the_completion(flow):
    flow.payout_account()
    for _ in range(2):
        paid_out_job(flow, 10000)
    job, _, _ = flow.funded_job(amount=10010)
    assert flow.complete(job["id"]).status == 200
    # 5 % of 100.10 is 5.005 → 5.01 (half-up), taken before anything is paid out
    assert flow.balances(job["id"]) == {"client": -10010, "escrow": 9509, "worker": 0, "platform": 501}
    flow.run_payouts()
    assert flow.fakes.paystack.called("transfer")[-1]["amount"] == 9509


@pytest.mark.parametrize(("who", "code"), [(CLIENT2, "not_job_owner"), (WORKER, "wrong_role"), (ADMIN, "wrong_role")])
def test_only_the_owner_completes_and_nothing_changes_otherwise(flow, who, code):
    job, _, _ = flow.funded_job()
    res = flow.complete(job["id"], who)
    assert res.status == 403 and res.json["error"]["code"] == code
    assert flow.job(job["id"])["status"] == "funded" and len(flow.ledger(job["id"])) == 1


def test_only_a_funded_job_can_be_completed_and_only_once(flow):
    job, _ = flow.assigned_job()
    assert flow.complete(job["id"]).json["error"]["code"] == "job_not_funded"
    funded, _, _ = flow.funded_job(client=CLIENT2, worker=WORKER2)
    assert flow.complete(funded["id"], CLIENT2).status == 200
    again = flow.complete(funded["id"], CLIENT2)
    assert again.status == 409 and again.json["error"]["code"] == "job_not_funded"
    assert flow.call("POST", "/v1/jobs/01JUNKJUNKJUNKJUNKJUNKJUNK/complete", caller=CLIENT).status == 404


def test_a_failed_transfer_puts_the_money_back_in_escrow_shows_it_and_retries_with_a_new_reference(flow):
    flow.payout_account()
    job, _, _ = flow.funded_job(amount=50000)
    flow.complete(job["id"])
    flow.run_payouts()
    first = flow.fakes.paystack.called("transfer")[0]["reference"]
    # When the provider says the transfer failed
    assert transfer_event(flow, "transfer.failed", first).json["outcome"] == "applied"
    # Then the money is held again, the job shows it, and the worker sees payout then reversal
    assert flow.balances(job["id"]) == {"client": -50000, "escrow": 50000, "worker": 0, "platform": 0}
    shown = flow.job(job["id"])
    assert (shown["status"], shown["payoutStatus"]) == ("completed", "failed")
    assert [t["type"] for t in flow.transactions(WORKER)] == ["reversal", "payout"]
    # And a late duplicate of the failure changes nothing
    assert transfer_event(flow, "transfer.failed", first).json["outcome"] == "duplicate"
    # When the retry falls due (the reconciler) the stream sends attempt 2 under its own reference
    from khaya.payments import payouts

    assert payouts.retry_due(job["id"]) == "applied"
    flow.run_payouts()
    second = flow.fakes.paystack.called("transfer")[-1]["reference"]
    assert second == first[:-1] + "2"
    assert transfer_event(flow, "transfer.success", second).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "paid_out"
    assert flow.balances(job["id"]) == {"client": -50000, "escrow": 0, "worker": 50000, "platform": 0}
    # And a success for the superseded first attempt is not paid again
    assert transfer_event(flow, "transfer.success", first).json["outcome"] == "ignored"


def test_a_reversal_after_success_takes_the_job_back_to_completed_with_the_money_held(flow):
    flow.payout_account()
    job, reference = paid_out_job(flow, 30000)
    assert transfer_event(flow, "transfer.reversed", reference).json["outcome"] == "applied"
    shown = flow.job(job["id"])
    assert (shown["status"], shown["payoutStatus"]) == ("completed", "failed")
    assert flow.balances(job["id"])["escrow"] == 30000 and flow.balances(job["id"])["worker"] == 0


def test_a_transfer_refused_at_once_is_retried_later_and_nothing_was_paid(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    job, _, _ = flow.funded_job(amount=20000)
    completed_at = flow.complete(job["id"]).json["updatedAt"]
    time.sleep(0.005)  # the payout's changes are stamped at least a millisecond later
    flow.run_payouts()
    from khaya.payments.payouts import load_payout

    payout = load_payout(job["id"])
    assert payout["status"] == "retry_wait" and payout["attempt"] == 2 and payout["nextAttemptAt"]
    shown = flow.job(job["id"])
    assert shown["payoutStatus"] == "failed" and shown["updatedAt"] > completed_at  # the job says when it changed
    assert [e["kind"] for e in flow.ledger(job["id"])] == ["charge"]  # no payout, so no reversal
    # When its time comes, it is ready again with no retry time left on it, and the job shows it
    assert payouts.retry_due(job["id"]) == "applied"
    again = load_payout(job["id"])
    assert again["status"] == "ready" and "nextAttemptAt" not in again and again["failures"] == 1
    assert flow.job(job["id"])["payoutStatus"] == "pending"


def test_a_transfer_whose_answer_was_lost_is_left_for_the_reconciler_not_resent(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = unavailable(ambiguous=True)
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    flow.run_payouts()
    from khaya.payments.payouts import load_payout

    assert load_payout(job["id"])["status"] == "starting"
    assert len(flow.fakes.paystack.called("transfer")) == 1


def test_a_transfer_that_needs_an_otp_is_parked_for_an_operator_never_resent(flow):
    job = otp_parked_job(flow)
    assert flow.job(job["id"])["payoutStatus"] == "parked"
    assert [e["kind"] for e in flow.ledger(job["id"])] == ["charge"]
    # the operator finishes it in the dashboard: Paystack reports success
    reference = flow.fakes.paystack.called("transfer")[0]["reference"]
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "paid_out"
    assert len(flow.fakes.paystack.called("transfer")) == 1
    assert flow.balances(job["id"])["worker"] == 75000


def test_a_worker_without_a_payout_account_is_told_and_the_payout_waits_for_one(flow):
    job, _, _ = flow.funded_job(amount=40000)
    assert flow.complete(job["id"]).json["payoutStatus"] == "waiting_account"
    flow.run_payouts()
    assert flow.fakes.paystack.called("transfer") == []
    notes = flow.call("GET", "/v1/me/notifications", caller=WORKER).json["items"]
    assert [n["kind"] for n in notes] == ["payout_account_needed"]
    # When the worker adds an account, the waiting payout goes out
    flow.payout_account()
    flow.run_payouts()
    sent = flow.fakes.paystack.called("transfer")
    assert len(sent) == 1 and sent[0]["amount"] == 40000


def test_the_operator_retries_a_parked_payout_at_once(flow):
    from khaya.payments import payouts

    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    for _ in range(payouts.MAX_FAILURES):
        flow.run_payouts()
        payouts.retry_due(job["id"])
    assert payouts.load_payout(job["id"])["status"] == "parked"
    assert "nextAttemptAt" not in payouts.load_payout(job["id"])  # an operator's turn: nothing retries it by itself
    assert flow.job(job["id"])["payoutStatus"] == "parked"
    assert len(flow.fakes.paystack.called("transfer")) == payouts.MAX_FAILURES
    assert payouts.retry_now(job["id"]) == "applied"
    assert "nextAttemptAt" not in payouts.load_payout(job["id"])
    assert payouts.load_payout(job["id"])["failures"] == 0
    # the count starts again: it takes as many refusals as the first time to park it
    for _ in range(payouts.MAX_FAILURES - 1):
        flow.run_payouts()
        assert payouts.load_payout(job["id"])["status"] == "retry_wait"
        payouts.retry_due(job["id"])
    flow.run_payouts()
    assert payouts.load_payout(job["id"])["status"] == "parked"
    del flow.fakes.paystack.fail["transfer"]
    assert payouts.retry_now(job["id"]) == "applied"
    flow.run_payouts()
    assert flow.fakes.paystack.called("transfer")[-1]["reference"].endswith(f"-{2 * payouts.MAX_FAILURES + 1}")
    assert payouts.load_payout(job["id"])["status"] == "in_flight"


def test_a_worker_with_a_stripe_account_is_paid_by_a_connect_transfer_and_a_reversal_is_booked(flow):
    from tests.support.payments import stripe_webhook

    res = flow.call(
        "PUT", "/v1/me/payout-account", body={"provider": "stripe", "accountId": "acct_1Nv0FGQ9RKHgCVdK"}, caller=WORKER
    )
    assert res.status == 200
    flow.fakes.stripe.transfer_state = "success"  # a Connect transfer is paid when it is created
    job, _, _ = flow.funded_job(amount=60000)
    flow.complete(job["id"])
    flow.run_payouts()
    sent = flow.fakes.stripe.called("transfer")
    assert len(sent) == 1 and sent[0]["destination"] == "acct_1Nv0FGQ9RKHgCVdK" and sent[0]["amount"] == 60000
    assert flow.fakes.paystack.called("transfer") == []
    assert flow.job(job["id"])["status"] == "paid_out"
    # Stripe reverses the transfer later: the money is held again
    transfer = {
        "id": "tr_1",
        "object": "transfer",
        "amount": 60000,
        "currency": "zar",
        "transfer_group": sent[0]["reference"],
        "metadata": {"reference": sent[0]["reference"]},
        "reversed": True,
    }
    assert flow.webhook("stripe", *stripe_webhook("transfer.reversed", transfer)).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "completed"
    assert flow.balances(job["id"]) == {"client": -60000, "escrow": 60000, "worker": 0, "platform": 0}


def test_a_ready_payout_whose_account_was_removed_waits_for_a_new_one(flow):
    from khaya import db
    from khaya.payments import keys

    flow.payout_account()
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    db.delete(*keys.payout_account(WORKER["userId"]))  # gone before the stream got to it
    flow.run_payouts()
    assert payouts.load_payout(job["id"])["status"] == "waiting_account"
    assert flow.job(job["id"])["payoutStatus"] == "waiting_account"
    assert flow.fakes.paystack.called("transfer") == []
    assert "payout_account_needed" in [
        n["kind"] for n in flow.call("GET", "/v1/me/notifications", caller=WORKER).json["items"]
    ]
    # And a new account releases it
    flow.payout_account(number="4079998888")
    flow.run_payouts()
    assert [t["destination"] for t in flow.fakes.paystack.called("transfer")] == ["RCP_8888"]


def test_paystack_transfer_events_without_a_transfer_code_are_told_apart_by_their_reference(flow):
    flow.payout_account()
    first_job, _, first = flow.payout_sent(amount=50000)
    second_job, _, second = flow.payout_sent(amount=40000)
    assert first != second
    # Two transfers' success, each naming only its own reference: neither is taken for a repeat of the other
    assert transfer_event(flow, "transfer.success", first, transfer_code=None).json["outcome"] == "applied"
    assert transfer_event(flow, "transfer.success", second, transfer_code=None).json["outcome"] == "applied"
    shown = [flow.job(j["id"]) for j in (first_job, second_job)]
    assert [(j["status"], j["payoutStatus"]) for j in shown] == [("paid_out", "paid"), ("paid_out", "paid")]


def test_a_payout_record_keeps_the_transfer_code_when_it_was_paid_and_when_to_look_again(flow):
    from khaya.ids import now_iso
    from khaya.payments import clock, reconcile

    # Given a transfer Paystack accepted (pending): its code is kept on the payout
    flow.payout_account()
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    sent = payouts.load_payout(job["id"])
    assert (sent["status"], sent["transferCode"]) == ("in_flight", "TRF_fake")
    # When Paystack reports success under the transfer's own code
    reference = flow.fakes.paystack.called("transfer")[-1]["reference"]
    before = now_iso()
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    # Then the payout says which transfer paid it and when
    paid = payouts.load_payout(job["id"])
    assert paid["status"] == "succeeded" and paid["transferCode"] == "TRF_" + reference[-30:]
    assert before <= paid["paidAt"] <= now_iso()
    # And a transfer parked for an OTP keeps its code and is looked at again in an hour, not at once
    flow.fakes.paystack.transfer_state = "otp"
    other, _, _ = flow.funded_job()
    flow.complete(other["id"])
    flow.run_payouts()
    parked = payouts.load_payout(other["id"])
    assert (parked["status"], parked["transferCode"]) == ("otp", "TRF_fake")
    assert reconcile.run(now=clock.iso_after(parked["updatedAt"], 60)) == {}
    later = reconcile.run(now=clock.iso_after(parked["updatedAt"], payouts.IN_FLIGHT_CHECK_SECONDS + 5))
    assert [k for k in later if k.startswith("payout:")], later


def test_a_transfer_parked_for_an_otp_that_then_fails_is_retried(flow):
    job = otp_parked_job(flow)
    reference = flow.fakes.paystack.called("transfer")[-1]["reference"]
    # When the operator's OTP never comes and Paystack fails the transfer
    assert transfer_event(flow, "transfer.failed", reference).json["outcome"] == "applied"
    # Then the payout waits for a retry, and the job shows it failed; nothing was paid
    assert payouts.load_payout(job["id"])["status"] == "retry_wait"
    assert flow.job(job["id"])["payoutStatus"] == "failed"
    assert flow.balances(job["id"])["worker"] == 0
