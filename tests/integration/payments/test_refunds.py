"""Cancelling a funded job: exactly one refund, confirmed by the provider, the ledger back to zero."""

from __future__ import annotations

import pytest

from tests.integration.payments.conftest import CLIENT, CLIENT2, WORKER
from tests.support.payments import paystack_webhook, rejected, stripe_webhook, unavailable


def cancel(flow, job_id, who=CLIENT):
    return flow.call("POST", f"/v1/jobs/{job_id}/cancel", caller=who)


def refund_confirmed(flow, payment, **over):
    if payment["provider"] == "paystack":
        data = {
            "id": 3018284,
            "status": "processed",
            "transaction_reference": payment["reference"],
            "amount": str(payment["amount"]["amount"]),  # Paystack sends refund amounts as strings
            "currency": payment["amount"]["currency"],
            **over,
        }
        return flow.webhook("paystack", *paystack_webhook("refund.processed", data))
    refund = {
        "id": "re_3MtwBw",
        "object": "refund",
        "amount": payment["amount"]["amount"],
        "currency": payment["amount"]["currency"].lower(),
        "metadata": {"reference": payment["reference"]},
        "status": "succeeded",
        **over,
    }
    return flow.webhook("stripe", *stripe_webhook("refund.updated", refund))


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_cancelling_a_funded_job_refunds_once_and_the_webhook_cancels_it_with_the_ledger_at_zero(flow, provider):
    job, _, payment = flow.funded_job(provider, amount=64000)
    # When the owner cancels the funded job (twice: a double tap)
    first, second = cancel(flow, job["id"]), cancel(flow, job["id"])
    # Then one refund of the whole payment is asked for, and the job shows it is under way
    assert first.status == 200 and first.json["status"] == "funded" and first.json["refundStatus"] == "pending"
    assert second.status == 200 and second.json["refundStatus"] == "pending"
    asked = flow.fakes.of(provider).called("refund")
    assert len(asked) == 1 and asked[0]["amount"] == 64000 and asked[0]["reference"] == payment["reference"]
    # And completing it meanwhile is refused
    assert flow.complete(job["id"]).json["error"]["code"] == "refund_pending"
    # When the provider confirms the refund
    assert refund_confirmed(flow, payment).json["outcome"] == "applied"
    # Then the job is cancelled, the payment refunded, and every account of the job is back at zero
    after = flow.job(job["id"])
    assert (after["status"], after["refundStatus"]) == ("cancelled", "refunded")
    assert flow.payment(payment["reference"]).json["status"] == "refunded"
    assert flow.balances(job["id"]) == {"client": 0, "escrow": 0, "worker": 0, "platform": 0}
    assert [t["type"] for t in flow.transactions(CLIENT)] == ["refund", "charge"]
    # And a repeated confirmation, or another cancel, does nothing more
    assert refund_confirmed(flow, payment).json["outcome"] == "duplicate"
    assert cancel(flow, job["id"]).status == 409
    assert len(flow.fakes.of(provider).called("refund")) == 1


def test_a_refused_refund_releases_the_guard_so_the_client_can_try_again(flow):
    job, _, _ = flow.funded_job()
    flow.fakes.paystack.fail["refund"] = rejected(status=400)
    res = cancel(flow, job["id"])
    assert res.status == 502
    assert flow.job(job["id"])["refundStatus"] == "failed" and flow.job(job["id"])["status"] == "funded"
    del flow.fakes.paystack.fail["refund"]
    assert cancel(flow, job["id"]).json["refundStatus"] == "pending"
    assert len(flow.fakes.paystack.called("refund")) == 2


def test_a_refund_whose_answer_was_lost_is_never_sent_twice(flow):
    job, _, _ = flow.funded_job()
    flow.fakes.paystack.fail["refund"] = unavailable(ambiguous=True)
    assert cancel(flow, job["id"]).json["refundStatus"] == "pending"
    del flow.fakes.paystack.fail["refund"]
    assert cancel(flow, job["id"]).json["refundStatus"] == "pending"
    assert len(flow.fakes.paystack.called("refund")) == 1


def test_a_refund_failed_event_shows_on_the_job_and_keeps_the_money_held(flow):
    job, _, payment = flow.funded_job()
    cancel(flow, job["id"])
    body, headers = paystack_webhook(
        "refund.failed", {"id": 9, "status": "failed", "transaction_reference": payment["reference"]}
    )
    assert flow.webhook("paystack", body, headers).json["outcome"] == "applied"
    after = flow.job(job["id"])
    assert (after["status"], after["refundStatus"]) == ("funded", "failed")
    assert flow.balances(job["id"])["escrow"] == 75000


def test_a_refund_for_another_amount_is_not_booked(flow):
    job, _, payment = flow.funded_job()
    cancel(flow, job["id"])
    assert refund_confirmed(flow, payment, amount="100").json["outcome"] == "ignored"
    assert flow.job(job["id"])["status"] == "funded" and flow.balances(job["id"])["escrow"] == 75000


def test_only_the_owner_cancels_a_funded_job(flow):
    job, _, _ = flow.funded_job()
    assert cancel(flow, job["id"], CLIENT2).status == 403
    assert cancel(flow, job["id"], WORKER).status == 403
    assert flow.fakes.paystack.called("refund") == []
