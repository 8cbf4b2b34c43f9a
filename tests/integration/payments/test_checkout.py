"""POST /v1/jobs/{id}/payment and GET /v1/payments/{reference}: who may pay, for what, how often."""

from __future__ import annotations

import pytest

from tests.integration.payments.conftest import ADMIN, CLIENT, CLIENT2, WORKER, WORKER2
from tests.support.payments import rejected, unavailable


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_the_owner_pays_the_accepted_bid_and_a_repeat_returns_the_same_pending_payment(flow, provider):
    # Given an assigned job whose accepted bid is R700.00
    job, bid = flow.assigned_job(amount=70000)
    # When its owner starts a checkout, twice
    first = flow.checkout(job["id"], provider)
    again = flow.checkout(job["id"], provider)
    # Then both answers are the same pending payment for exactly the bid's amount
    assert first.status == 201 and again.status == 201
    assert first.json == again.json
    assert first.json["amount"] == {"amount": 70000, "currency": "ZAR"}
    assert first.json["status"] == "pending" and first.json["authorizationUrl"]
    # And the provider was asked once, with the job, the bid and our reference in its metadata
    started = flow.fakes.of(provider).called("start_checkout")
    assert len(started) == 1
    assert started[0]["amount"] == 70000 and started[0]["currency"] == "ZAR"
    assert started[0]["metadata"] == {"jobId": job["id"], "bidId": bid["id"], "reference": first.json["reference"]}


def test_another_provider_while_one_is_pending_is_a_409_naming_the_pending_one(flow):
    job, _ = flow.assigned_job()
    pending = flow.paid(job["id"], "paystack")
    res = flow.checkout(job["id"], "stripe")
    assert res.status == 409 and res.json["error"]["code"] == "payment_pending"
    assert res.json["error"]["details"][0]["reference"] == pending["reference"]
    assert flow.fakes.stripe.called("start_checkout") == []


@pytest.mark.parametrize(
    ("who", "status", "code"),
    [(CLIENT2, 403, "not_job_owner"), (WORKER, 403, "wrong_role"), (ADMIN, 403, "wrong_role")],
)
def test_only_the_job_owner_can_pay(flow, who, status, code):
    job, _ = flow.assigned_job()
    res = flow.checkout(job["id"], who=who)
    assert res.status == status and res.json["error"]["code"] == code
    assert flow.fakes.paystack.calls == []


def test_an_open_job_cannot_be_paid_and_a_funded_one_not_twice(flow):
    posted = flow.market.post_job()
    res = flow.checkout(posted["id"])
    assert res.status == 409 and res.json["error"]["code"] == "job_not_payable"
    job, _, _ = flow.funded_job(client=CLIENT2, worker=WORKER2)
    res = flow.checkout(job["id"], who=CLIENT2)
    assert res.status == 409 and res.json["error"]["code"] == "job_not_payable"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"provider": "paypal"}, "provider"),
        ({}, "provider"),
        ({"provider": "paystack", "amount": 1}, "amount"),
        ({"provider": ["paystack"]}, "provider"),
    ],
)
def test_bad_input_is_a_400_that_names_the_field_and_starts_nothing(flow, body, field):
    job, _ = flow.assigned_job()
    res = flow.call("POST", f"/v1/jobs/{job['id']}/payment", body=body, caller=CLIENT)
    assert res.status == 400 and res.json["error"]["code"] == "validation_error"
    assert field in res.json["error"]["message"]
    assert flow.fakes.paystack.calls == []


def test_an_unknown_or_malformed_job_id_is_a_404(flow):
    for job_id in ("01JUNKJUNKJUNKJUNKJUNKJUNK", "abc%23def"):
        res = flow.checkout(job_id)
        assert res.status == 404, res


@pytest.mark.parametrize(("failure", "status"), [(rejected(), 502), (unavailable(ambiguous=True), 503)])
def test_a_provider_failure_leaves_nothing_pending_and_the_next_call_starts_afresh(flow, failure, status):
    # Given a provider that fails the first checkout
    job, _ = flow.assigned_job()
    flow.fakes.paystack.fail["start_checkout"] = failure
    res = flow.checkout(job["id"])
    # Then the client gets a clean 502/503 in the envelope
    assert res.status == status and set(res.json) == {"error", "requestId"}
    # And the attempt is failed, not pending: a new call (provider back) starts attempt 2
    del flow.fakes.paystack.fail["start_checkout"]
    second = flow.checkout(job["id"])
    assert second.status == 201 and second.json["reference"].endswith("-02")
    first_ref = second.json["reference"][:-2] + "01"
    assert flow.payment(first_ref).json["status"] == "failed"


def test_the_payer_the_payee_and_admins_see_a_payment_nobody_else_does(flow):
    job, _ = flow.assigned_job()
    payment = flow.paid(job["id"])
    for who in (CLIENT, WORKER, ADMIN):
        res = flow.payment(payment["reference"], who)
        assert res.status == 200 and res.json["amount"] == payment["amount"], (who, res)
        assert res.json["jobId"] == job["id"] and res.json["status"] == "pending"
    for who in (CLIENT2, WORKER2):
        res = flow.payment(payment["reference"], who)
        assert res.status == 404 and payment["reference"] not in res.text
    # a reference that is not ours at all answers the same
    assert flow.payment("kh-nonsense").status == 404
    assert flow.payment("kh-01JUNKJUNKJUNKJUNKJUNKJUNK-01").status == 404
