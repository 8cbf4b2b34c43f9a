"""The paid job over HTTP, against the local gateway and its payment simulator (`make run`).

Post a job, bid, accept, pay through Paystack's (simulated) checkout, the simulator delivers a
signed webhook, the job is funded, the client completes it, the stream starts the payout, the
simulator's signed transfer.success makes it paid_out. Also: Stripe checkout, webhooks that must
be refused, 50 concurrent deliveries of one webhook, the refund of a cancelled funded job, and a
failed payout that goes back to escrow and is paid on retry.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests

from tests.support.identity import signup_and_login

pytestmark = pytest.mark.e2e

PAYSTACK_KEY = b"sk_test_khaya_local"  # the local stage's published secrets (API.md)
STRIPE_SECRET = b"whsec_khaya_local"


def wait_for(fetch: Any, ready: Any, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if ready(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


class Api:
    def __init__(self, base: str) -> None:
        self.base = base
        self.s = requests.Session()

    def call(self, method: str, path: str, who: dict[str, Any] | None = None, **kw: Any) -> requests.Response:
        headers = {**(who or {}).get("headers", {}), **kw.pop("headers", {})}
        return self.s.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kw)

    def assigned_job(self, client: dict[str, Any], worker: dict[str, Any], amount: int) -> tuple[str, str]:
        job = self.call(
            "POST",
            "/v1/jobs",
            client,
            json={
                "title": "Rewire the kitchen",
                "description": "Two new plugs.",
                "category": "electrical",
                "city": "Johannesburg",
                "budget": {"amount": amount, "currency": "ZAR"},
            },
        )
        assert job.status_code == 201, job.text
        bid = self.call(
            "POST",
            f"/v1/jobs/{job.json()['id']}/bids",
            worker,
            json={
                "amount": {"amount": amount, "currency": "ZAR"},
                "message": "Tomorrow",
                "etaDays": 1,
            },
        )
        assert bid.status_code == 201, bid.text
        assert self.call("POST", f"/v1/bids/{bid.json()['id']}/accept", client).status_code == 200
        return job.json()["id"], bid.json()["id"]

    def checkout(self, job_id: str, client: dict[str, Any], provider: str = "paystack") -> dict[str, Any]:
        res = self.call("POST", f"/v1/jobs/{job_id}/payment", client, json={"provider": provider})
        assert res.status_code == 201, res.text
        return dict(res.json())

    def pay(self, payment: dict[str, Any], **options: Any) -> dict[str, Any]:
        # The checkout page the client was sent to is the simulator's
        page = self.s.get(payment["authorizationUrl"], timeout=30)
        assert page.status_code == 200 and payment["reference"] in page.text
        res = self.s.post(payment["authorizationUrl"], json={"outcome": "success", **options}, timeout=60)
        assert res.status_code == 200, res.text
        return dict(res.json())

    def job(self, job_id: str, who: dict[str, Any]) -> dict[str, Any]:
        return dict(self.call("GET", f"/v1/jobs/{job_id}", who).json())

    def transactions(self, who: dict[str, Any]) -> list[dict[str, Any]]:
        return list(self.call("GET", "/v1/me/transactions", who, params={"limit": 100}).json()["items"])


@pytest.fixture(scope="module")
def api(base_url: str) -> Api:
    return Api(base_url)


def signed_paystack(event: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, separators=(",", ":")).encode()
    sig = hmac.new(PAYSTACK_KEY, body, hashlib.sha512).hexdigest()
    return body, {"Content-Type": "application/json", "x-paystack-signature": sig}


def signed_stripe(event: dict[str, Any], t: int | None = None) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(event, separators=(",", ":")).encode()
    ts = int(time.time()) if t is None else t
    sig = hmac.new(STRIPE_SECRET, f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "Stripe-Signature": f"t={ts},v1={sig}"}


def charge_event(payment: dict[str, Any], bid_id: str, amount: int | None = None) -> dict[str, Any]:
    return {
        "event": "charge.success",
        "data": {
            "id": 1,
            "domain": "test",
            "status": "success",
            "reference": payment["reference"],
            "amount": payment["amount"]["amount"] if amount is None else amount,
            "currency": "ZAR",
            "metadata": {"jobId": payment["jobId"], "bidId": bid_id, "reference": payment["reference"]},
        },
    }


def test_a_paid_job_end_to_end_with_the_fee_waived_twice_then_taken(api):
    client, worker = (
        signup_and_login(api.base, "client", name="Lerato"),
        signup_and_login(api.base, "worker", name="Sizwe"),
    )
    banks = api.call("GET", "/v1/banks", worker, params={"currency": "ZAR"}).json()["items"]
    absa = next(b for b in banks if b["name"] == "Absa Bank")
    account = api.call(
        "PUT",
        "/v1/me/payout-account",
        worker,
        json={"provider": "paystack", "bankCode": absa["code"], "accountNumber": "4071234567"},
    )
    assert account.status_code == 200 and account.json()["accountNumber"] == "******4567"

    bids = [120000, 120000, 123450]  # the third: 5 % of 1 234.50 is 61.725 → 61.73 (half-up)
    for amount in bids:
        job_id, _ = api.assigned_job(client, worker, amount)
        payment = api.checkout(job_id, client)
        assert payment["amount"] == {"amount": amount, "currency": "ZAR"} and payment["status"] == "pending"
        paid = api.pay(payment)
        assert paid["deliveries"] == [{"event": "charge.success", "status": 200}]
        assert api.job(job_id, client)["status"] == "funded"
        assert api.call("GET", f"/v1/payments/{payment['reference']}", worker).json()["status"] == "succeeded"
        done = api.call("POST", f"/v1/jobs/{job_id}/complete", client)
        assert done.status_code == 200 and done.json()["status"] == "completed"
        final = wait_for(lambda job_id=job_id: api.job(job_id, client), lambda j: j["status"] == "paid_out")
        assert (final["status"], final["payoutStatus"]) == ("paid_out", "paid")

    payouts = [t["amount"]["amount"] for t in reversed(api.transactions(worker)) if t["type"] == "payout"]
    fees = [t["amount"]["amount"] for t in api.transactions(worker) if t["type"] == "fee"]
    assert payouts == [120000, 120000, 123450 - 6173]
    assert fees == [6173]
    charges = [t["amount"]["amount"] for t in api.transactions(client) if t["type"] == "charge"]
    assert sorted(charges) == sorted(bids)


def test_the_same_checkout_through_stripe_reaches_funded(api):
    client, worker = signup_and_login(api.base, "client"), signup_and_login(api.base, "worker")
    job_id, _ = api.assigned_job(client, worker, 99000)
    payment = api.checkout(job_id, client, "stripe")
    again = api.checkout(job_id, client, "stripe")
    assert again["reference"] == payment["reference"]
    paid = api.pay(payment, deliver="out_of_order")  # completed, then a stale expired event
    assert [d["status"] for d in paid["deliveries"]] == [200, 200]
    assert api.job(job_id, client)["status"] == "funded"
    assert api.call("GET", f"/v1/payments/{payment['reference']}", client).json()["status"] == "succeeded"


def test_webhooks_that_must_be_refused_write_nothing(api):
    client, worker = signup_and_login(api.base, "client"), signup_and_login(api.base, "worker")
    job_id, bid_id = api.assigned_job(client, worker, 50000)
    payment = api.checkout(job_id, client)
    body, headers = signed_paystack(charge_event(payment, bid_id))
    # a bad signature: 401, nothing written
    bad = api.call("POST", "/v1/webhooks/paystack", data=body, headers={**headers, "x-paystack-signature": "ab" * 64})
    assert bad.status_code == 401 and bad.json()["error"]["code"] == "bad_signature"
    assert api.job(job_id, client)["status"] == "assigned" and api.transactions(client) == []
    # a stale Stripe timestamp: 401
    stripe_payment_job, stripe_bid = api.assigned_job(client, worker, 50000)
    stripe_payment = api.checkout(stripe_payment_job, client, "stripe")
    session = {
        "id": "cs_test_stale",
        "object": "checkout.session",
        "amount_total": 50000,
        "currency": "zar",
        "client_reference_id": stripe_payment["reference"],
        "payment_status": "paid",
        "status": "complete",
        "metadata": {"jobId": stripe_payment_job, "bidId": stripe_bid},
        "livemode": False,
    }
    event = {
        "id": "evt_stale",
        "object": "event",
        "type": "checkout.session.completed",
        "livemode": False,
        "data": {"object": session},
    }
    stale_body, stale_headers = signed_stripe(event, t=int(time.time()) - 600)
    stale = api.call("POST", "/v1/webhooks/stripe", data=stale_body, headers=stale_headers)
    assert stale.status_code == 401
    assert api.job(stripe_payment_job, client)["status"] == "assigned"
    # a correctly signed webhook with a tampered amount: the payment is flagged, the job not funded
    tampered = api.s.post(payment["authorizationUrl"], json={"outcome": "success", "amount": 1}, timeout=60).json()
    assert tampered["deliveries"] == [{"event": "charge.success", "status": 200}]
    assert api.call("GET", f"/v1/payments/{payment['reference']}", client).json()["status"] == "flagged"
    assert api.job(job_id, client)["status"] == "assigned" and api.transactions(client) == []


def test_fifty_concurrent_deliveries_of_one_signed_webhook_credit_once_over_http(api):
    client, worker = signup_and_login(api.base, "client"), signup_and_login(api.base, "worker")
    job_id, bid_id = api.assigned_job(client, worker, 80000)
    payment = api.checkout(job_id, client)
    body, headers = signed_paystack(charge_event(payment, bid_id))

    def deliver(_: int) -> tuple[int, str]:
        res = requests.post(f"{api.base}/v1/webhooks/paystack", data=body, headers=headers, timeout=120)
        return res.status_code, res.json().get("outcome", "")

    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(deliver, range(50)))
    assert [s for s, _ in results] == [200] * 50, results
    assert [o for _, o in results].count("applied") == 1
    charges = [t for t in api.transactions(client) if t["type"] == "charge"]
    assert len(charges) == 1 and charges[0]["amount"]["amount"] == 80000
    assert api.job(job_id, client)["status"] == "funded"


def test_cancelling_a_funded_job_refunds_it_and_the_ledger_returns_to_zero(api):
    client, worker = signup_and_login(api.base, "client"), signup_and_login(api.base, "worker")
    job_id, _ = api.assigned_job(client, worker, 64000)
    payment = api.checkout(job_id, client)
    api.pay(payment)
    cancel = api.call("POST", f"/v1/jobs/{job_id}/cancel", client)
    assert cancel.status_code == 200 and cancel.json()["refundStatus"] == "pending"
    done = wait_for(lambda: api.job(job_id, client), lambda j: j["status"] == "cancelled")
    assert (done["status"], done["refundStatus"]) == ("cancelled", "refunded")
    assert api.call("GET", f"/v1/payments/{payment['reference']}", client).json()["status"] == "refunded"
    signed = {"charge": -1, "refund": 1}
    moves = [(t["type"], t["amount"]["amount"]) for t in api.transactions(client) if t["jobId"] == job_id]
    assert sorted(moves) == [("charge", 64000), ("refund", 64000)]
    assert sum(signed[k] * a for k, a in moves) == 0
    assert [t for t in api.transactions(worker) if t["jobId"] == job_id] == []


def test_a_failed_payout_is_held_again_and_paid_on_retry(api):
    client, worker = signup_and_login(api.base, "client"), signup_and_login(api.base, "worker")
    api.call(
        "PUT",
        "/v1/me/payout-account",
        worker,
        json={"provider": "paystack", "bankCode": "MPESA", "accountNumber": "254712345678", "currency": "KES"},
    )
    job_id, _ = api.assigned_job(client, worker, 30000)
    # The first transfer of this job will fail (references are deterministic, so say it before)
    first = f"khaya-payout-{job_id.lower()}-1"
    api.s.post(f"{api.base}/_dev/transfers/{first}", json={"outcome": "failed"}, timeout=30)
    api.pay(api.checkout(job_id, client))
    api.call("POST", f"/v1/jobs/{job_id}/complete", client)
    failed = wait_for(lambda: api.job(job_id, client), lambda j: j.get("payoutStatus") == "failed")
    assert (failed["status"], failed["payoutStatus"]) == ("completed", "failed")
    kinds = [t["type"] for t in api.transactions(worker) if t["jobId"] == job_id]
    assert kinds == ["reversal", "payout"]
    # The retry falls due (2 s locally) and the reconciliation sends attempt 2, which succeeds
    time.sleep(2.5)
    assert api.s.post(f"{api.base}/_dev/reconcile", timeout=60).status_code == 200
    paid = wait_for(lambda: api.job(job_id, client), lambda j: j["status"] == "paid_out")
    assert paid["status"] == "paid_out"
    refs = [t["reference"] for t in api.s.get(f"{api.base}/_dev/transfers", timeout=30).json()["items"]]
    assert first in refs and first[:-1] + "2" in refs
