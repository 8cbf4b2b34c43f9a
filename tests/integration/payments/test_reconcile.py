"""The scheduled reconciliation: a missed webhook never strands a payment, a payout or a refund."""

from __future__ import annotations

from khaya.payments import clock, payouts, reconcile
from khaya.payments.providers import Charge, Transfer
from tests.integration.payments.conftest import CLIENT
from tests.support.payments import unavailable


def later(minutes: float) -> str:
    return clock.iso_in(minutes * 60)


def test_a_payment_pending_over_15_minutes_is_read_back_and_funds_the_job(flow):
    job, bid = flow.assigned_job(amount=75000)
    payment = flow.paid(job["id"])
    # Given the provider has the charge as paid, but its webhook never arrived
    flow.fakes.paystack.charges[payment["reference"]] = Charge(
        reference=payment["reference"],
        state="success",
        amount=75000,
        currency="ZAR",
        metadata={"jobId": job["id"], "bidId": bid["id"]},
        live=False,
    )
    # Then nothing is looked at before 15 minutes
    assert reconcile.run(now=later(10)) == {}
    # And after them the charge is verified and applied like its webhook
    assert reconcile.run(now=later(16)) == {"payment:applied": 1}
    assert flow.job(job["id"])["status"] == "funded"
    assert [e["kind"] for e in flow.ledger(job["id"])] == ["charge"]
    # And the webhook arriving late after all changes nothing
    assert flow.confirm(payment, bid).json["outcome"] == "ignored"
    assert len(flow.ledger(job["id"])) == 1


def test_a_still_pending_payment_is_checked_again_later_and_given_up_after_a_day(flow):
    job, _ = flow.assigned_job()
    payment = flow.paid(job["id"])
    assert reconcile.run(now=later(16)) == {"payment:still_pending": 1}
    assert reconcile.run(now=later(20)) == {}  # moved on by 15 minutes
    # (a day old: its createdAt is made to look it)
    from khaya import db
    from khaya.payments import keys

    db.update(*keys.payment_by_reference(payment["reference"]), set={"createdAt": clock.iso_in(-25 * 3600)})
    assert reconcile.run(now=later(40)) == {"payment:applied": 1}
    assert flow.payment(payment["reference"]).json["status"] == "failed"
    assert flow.checkout(job["id"]).json["reference"].endswith("-02")  # the client can start again


def test_a_provider_that_is_down_is_asked_again_next_time(flow):
    job, _ = flow.assigned_job()
    flow.paid(job["id"])
    flow.fakes.paystack.fail["verify_charge"] = unavailable()
    assert reconcile.run(now=later(16)) == {"payment:provider_unavailable": 1}
    del flow.fakes.paystack.fail["verify_charge"]
    assert reconcile.run(now=later(17)) == {"payment:still_pending": 1}


def test_a_due_payout_retry_is_made_ready_and_sent(flow):
    flow.payout_account()
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    reference = flow.fakes.paystack.called("transfer")[0]["reference"]
    payouts.apply_transfer(reference, "failed", [])
    assert reconcile.run(now=later(1)) == {}  # the first retry waits 5 minutes
    assert reconcile.run(now=later(6)) == {"payout:applied": 1}
    flow.run_payouts()
    assert flow.fakes.paystack.called("transfer")[-1]["reference"].endswith("-2")


def test_a_start_that_never_reached_the_provider_is_sent_again_under_the_same_reference(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = unavailable(ambiguous=True)
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    del flow.fakes.paystack.fail["transfer"]
    # The provider never got it (verify finds nothing): the same reference goes out again
    assert reconcile.run(now=later(6)) == {"payout:applied": 1}
    flow.run_payouts()
    sent = [c["reference"] for c in flow.fakes.paystack.called("transfer")]
    assert len(sent) == 2 and sent[0] == sent[1]
    assert payouts.load_payout(job["id"])["status"] == "in_flight"


def test_a_start_the_provider_did_get_is_recorded_not_resent(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = unavailable(ambiguous=True)
    job, _, _ = flow.funded_job(amount=20000)
    flow.complete(job["id"])
    flow.run_payouts()
    reference = flow.fakes.paystack.called("transfer")[0]["reference"]
    flow.fakes.paystack.transfers[reference] = Transfer(reference=reference, state="success", transfer_code="TRF_9")
    assert reconcile.run(now=later(6)) == {"payout:applied": 1}
    assert flow.job(job["id"])["status"] == "paid_out"
    assert len(flow.fakes.paystack.called("transfer")) == 1
    assert flow.balances(job["id"])["worker"] == 20000


def test_a_transfer_in_flight_for_long_is_read_back(flow):
    flow.payout_account()
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    reference = flow.fakes.paystack.called("transfer")[0]["reference"]
    assert reconcile.run(now=later(30)) == {}
    flow.fakes.paystack.transfers[reference] = Transfer(reference=reference, state="pending")
    assert reconcile.run(now=later(61)) == {"payout:still_in_flight": 1}
    flow.fakes.paystack.transfers[reference] = Transfer(reference=reference, state="failed")
    assert reconcile.run(now=later(130)) == {"payout:applied": 1}
    assert flow.job(job["id"])["payoutStatus"] == "failed"


def test_a_lost_stripe_refund_answer_is_asked_again_under_the_same_key(flow):
    job, _, _ = flow.funded_job("stripe")
    flow.fakes.stripe.fail["refund"] = unavailable("stripe", ambiguous=True)
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    del flow.fakes.stripe.fail["refund"]
    flow.fakes.stripe.refund_state = "succeeded"
    assert reconcile.run(now=later(16)) == {"refund:applied": 1}
    assert flow.job(job["id"])["status"] == "cancelled"
    asked = flow.fakes.stripe.called("refund")
    assert len(asked) == 2 and asked[0] == asked[1]


def test_a_lost_paystack_refund_answer_goes_to_an_operator_not_a_second_refund(flow):
    job, _, _ = flow.funded_job()
    flow.fakes.paystack.fail["refund"] = unavailable(ambiguous=True)
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    assert reconcile.run(now=later(16)) == {"refund:needs_operator": 1}
    assert len(flow.fakes.paystack.called("refund")) == 1


def test_the_scheduled_function_runs_with_its_event(flow):
    from local.events import LambdaContext
    from local.loader import function_by_id, load_handler

    fn = function_by_id("ReconcilePaymentsFunction")
    assert load_handler(fn)({"source": "aws.events"}, LambdaContext(fn.logical_id)) == {}
