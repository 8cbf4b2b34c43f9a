"""Real races on DynamoDB Local, AWS's own engine: threads, one per "Lambda container", started at one barrier."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.market.conftest import CLIENT, bid_body, job_body
from tests.support.payments import invoke, paystack_charge, paystack_webhook, race

pytestmark = pytest.mark.dynamodb_local


def assigned_job(client: dict[str, str], worker: dict[str, str], amount: int = 75000) -> tuple[dict[str, Any], str]:
    status, job = invoke("POST", "/v1/jobs", client, job_body())
    assert status == 201, job
    status, bid = invoke("POST", f"/v1/jobs/{job['id']}/bids", worker, bid_body(amount))
    assert status == 201, bid
    assert invoke("POST", f"/v1/bids/{bid['id']}/accept", client)[0] == 200
    return job, bid["id"]


def funded_job(client: dict[str, str], worker: dict[str, str], amount: int = 75000) -> dict[str, Any]:
    job, bid_id = assigned_job(client, worker, amount)
    status, payment = invoke("POST", f"/v1/jobs/{job['id']}/payment", client, {"provider": "paystack"})
    assert status == 201, payment
    body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid_id))
    assert invoke("POST", "/v1/webhooks/paystack", body=body, headers=headers)[1]["outcome"] == "applied"
    return job


def test_fifty_concurrent_deliveries_of_one_signed_webhook_credit_once(dynamodb_local):
    # Given a pending payment and its provider's signed charge.success
    worker = {"userId": "01WORKERRACE0000000000000A", "role": "worker"}
    job, bid_id = assigned_job(CLIENT, worker)
    _, payment = invoke("POST", f"/v1/jobs/{job['id']}/payment", CLIENT, {"provider": "paystack"})
    body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid_id))
    # When 50 deliveries of it arrive at the same moment, each in its own container
    results = race(
        [lambda i: invoke("POST", "/v1/webhooks/paystack", body=body, headers=headers, instance=i) for _ in range(50)]
    )
    # Then every one is answered 200, and exactly one of them had an effect (the others found the
    # delivery recorded, or the payment already paid)
    assert [s for s, _ in results] == [200] * 50, [r for r in results if r[0] != 200][:3]
    outcomes = [b["outcome"] for _, b in results]
    assert outcomes.count("applied") == 1 and set(outcomes) <= {"applied", "duplicate", "ignored"}
    # And the ledger holds one charge: the job is funded once, with the bid's amount in escrow
    from khaya.payments import ledger

    entries = ledger.entries(job["id"])
    assert [e["kind"] for e in entries] == ["charge"]
    assert ledger.balances(job["id"], entries)["escrow"] == 75000
    assert invoke("GET", f"/v1/jobs/{job['id']}", CLIENT)[1]["status"] == "funded"


def test_concurrent_completions_for_one_worker_waive_the_fee_exactly_twice(dynamodb_local):
    from khaya.payments import ledger

    # Given one worker with five funded jobs from five clients
    worker = {"userId": "01WORKERRACE0000000000000B", "role": "worker"}
    clients = [{"userId": f"01CLIENTRACE{i:014d}", "role": "client"} for i in range(5)]
    jobs = [funded_job(c, worker, amount=10000) for c in clients]
    # When the five clients confirm their jobs at the same moment
    results = race(
        [
            (lambda i, c=c, j=j: invoke("POST", f"/v1/jobs/{j['id']}/complete", c, instance=i))
            for c, j in zip(clients, jobs, strict=True)
        ]
    )
    # Then all five complete, and exactly two of them (the worker's first two) carry no fee
    assert [s for s, _ in results] == [200] * 5, results
    fees = sorted(ledger.balances(j["id"])["platform"] for j in jobs)
    assert fees == [0, 0, 500, 500, 500]
    from khaya import db
    from khaya.payments import keys

    assert db.get(*keys.pay_stats(worker["userId"]), consistent=True)["completedJobs"] == 5


def test_concurrent_checkouts_of_one_job_create_one_payment(dynamodb_local, fake_providers):
    worker = {"userId": "01WORKERRACE0000000000000C", "role": "worker"}
    job, _ = assigned_job(CLIENT, worker)
    results = race(
        [
            lambda i: invoke("POST", f"/v1/jobs/{job['id']}/payment", CLIENT, {"provider": "paystack"}, instance=i)
            for _ in range(10)
        ]
    )
    created = {b["reference"] for s, b in results if s == 201}
    assert len(created) == 1, results
    assert all(s == 201 or (s == 409 and b["error"]["code"] == "payment_in_progress") for s, b in results)
    assert len(fake_providers.paystack.called("start_checkout")) == 1


def test_concurrent_cancels_of_a_funded_job_start_one_refund(dynamodb_local, fake_providers):
    worker = {"userId": "01WORKERRACE0000000000000D", "role": "worker"}
    job = funded_job(CLIENT, worker)
    results = race([lambda i: invoke("POST", f"/v1/jobs/{job['id']}/cancel", CLIENT, instance=i) for _ in range(8)])
    assert all(s == 200 and b["refundStatus"] == "pending" for s, b in results), results
    assert len(fake_providers.paystack.called("refund")) == 1
