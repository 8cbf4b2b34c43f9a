"""The demo data set (``SEED_JOBS=N make run``), seen through the API as its users would see it.

On DynamoDB Local, as ``make run`` loads it (moto copies the table for every transaction,
which makes even a small seed slow), with the local payment simulator as the providers."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from khaya.payments.keys import payment_reference
from local.dynamodb_local import free_port
from local.resources import payment_parameters
from local.seed import demo_logins, seed
from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures)
from tests.support.payments import FakeProviders

pytestmark = pytest.mark.dynamodb_local
N_JOBS = 60
STATUSES = ("open", "assigned", "funded", "completed", "paid_out", "cancelled")


@pytest.fixture
def seeded(dynamodb_local, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "12")  # the same code path at test speed
    # The providers are the local payment simulator, on a port of its own, as under `make run`.
    FakeProviders.uninstall()
    urls = payment_parameters(f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("PAYSTACK_API_URL", urls["PaystackApiUrl"])
    monkeypatch.setenv("STRIPE_API_URL", urls["StripeApiUrl"])
    from khaya.config import reset_settings

    reset_settings()
    with open(os.devnull, "w") as quiet:
        return seed(N_JOBS, out=quiet)


def _all_jobs(call_route, caller, status):
    items, cursor = [], None
    while True:
        query = f"status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = call_route("GET", "/v1/jobs", query=query, caller=caller).json
        items += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


def _login(call_route, login):
    res = call_route("POST", "/v1/auth/login", body={"phone": login["phone"], "password": login["password"]})
    assert res.status == 200, res
    user = res.json["user"]
    return {"userId": user.get("id") or user["userId"], "role": user["role"]}


def test_the_seed_writes_n_jobs_across_states_categories_and_cities(seeded, call_route):
    # Given the stage seeded with 60 jobs / When anyone browses the job lists
    worker = {"userId": "01BROWSER00000000000000000", "role": "worker"}
    by_status = {s: _all_jobs(call_route, worker, s) for s in STATUSES}
    # Then the lists hold the 60 jobs, in every status, in many categories and cities
    assert sum(len(v) for v in by_status.values()) == N_JOBS
    assert all(by_status.values()), {k: len(v) for k, v in by_status.items()}
    everything = [j for jobs in by_status.values() for j in jobs]
    assert len({j["category"] for j in everything}) >= 5
    assert len({j["city"] for j in everything}) >= 5
    assert {j["budget"]["currency"] for j in everything if j.get("budget")} >= {"ZAR"}
    # And no client holds more open jobs than the free plan allows
    assert max(Counter(j["clientId"] for j in by_status["open"]).values()) <= 3
    # And bids, conversations and messages were written too
    assert seeded["bids"] > 0 and seeded["conversations"] > 0 and seeded["messages"] > 0


def test_the_demo_logins_sign_in_with_the_password_and_find_their_data(seeded, call_route):
    logins = {(x["country"], x["role"]): x for x in demo_logins()}
    # When the South African demo client signs in with its password
    client = _login(call_route, logins[("ZA", "client")])
    # Then it sees its own jobs, and on its first job a bid from the demo worker and their conversation
    mine = call_route("GET", "/v1/me/jobs", caller=client).json["items"]
    assert mine and all(j["clientId"] == client["userId"] for j in mine)
    worker = _login(call_route, logins[("ZA", "worker")])
    bids = call_route("GET", "/v1/me/bids", caller=worker).json["items"]
    assert any(b["clientId"] == client["userId"] for b in bids)
    convs = call_route("GET", "/v1/conversations", caller=client).json["items"]
    assert any(c["workerId"] == worker["userId"] for c in convs)
    # And the demo worker has a public profile
    profile = call_route("GET", f"/v1/workers/{worker['userId']}", caller=client)
    assert profile.status == 200 and profile.json["categories"]


def test_accepted_jobs_go_through_every_state_of_their_money(seeded, call_route):
    # Given the stage seeded with 60 jobs / When each accepted job's owner reads it and its payment
    browser = {"userId": "01BROWSER00000000000000000", "role": "worker"}
    jobs, payments, payouts = Counter(), Counter(), Counter()
    for status in STATUSES[1:]:
        for summary in _all_jobs(call_route, browser, status):
            owner = {"userId": summary["clientId"], "role": "client"}
            job = call_route("GET", f"/v1/jobs/{summary['id']}", caller=owner).json
            paid = call_route("GET", f"/v1/payments/{payment_reference(job['id'], 1)}", caller=owner)
            if paid.status == 404:
                continue  # cancelled before any bid was accepted, or accepted and not paid yet
            payment = paid.json
            jobs[job["status"]] += 1
            payments[payment["status"]] += 1
            payouts[job.get("payoutStatus")] += 1
            # A refunded payment's job is cancelled, its refund done; a paid job holds the money or paid it out
            if payment["status"] == "refunded":
                assert (job["status"], job["refundStatus"]) == ("cancelled", "refunded")
            if job["status"] in ("funded", "completed", "paid_out"):
                assert payment["status"] == "succeeded" and payment["amount"] == job["acceptedAmount"]
    # Then there are payments in every state: pending, succeeded, failed, flagged, refunded
    assert set(payments) == {"pending", "succeeded", "failed", "flagged", "refunded"}, payments
    # And completed jobs whose payout was paid, failed (the money held again) or waits for an account
    assert {"paid", "failed", "waiting_account"} <= set(payouts), payouts
    assert jobs["paid_out"] >= 1 and jobs["funded"] >= 1 and jobs["completed"] >= 2, jobs
    # And the seed's summary counts exactly what the API shows
    assert {k.split(" ", 1)[1]: v for k, v in seeded.items() if k.startswith("payments ")} == dict(payments)
    words = {"paid": "paid", "failed": "held after a failed transfer", "waiting_account": "waiting for an account"}
    shown = {words[k]: v for k, v in payouts.items() if k in words}
    assert {k.split(" ", 1)[1]: v for k, v in seeded.items() if k.startswith("payouts ")} == shown


def test_a_paid_out_job_shows_in_both_parties_transactions(seeded, call_route):
    # Given a seeded job that was paid for, completed and paid out
    browser = {"userId": "01BROWSER00000000000000000", "role": "worker"}
    job = _all_jobs(call_route, browser, "paid_out")[0]
    owner = {"userId": job["clientId"], "role": "client"}
    detail = call_route("GET", f"/v1/jobs/{job['id']}", caller=owner).json
    worker = {"userId": detail["workerId"], "role": "worker"}
    # When the client and the worker list their transactions
    paid = [t for t in call_route("GET", "/v1/me/transactions", caller=owner).json["items"] if t["jobId"] == job["id"]]
    got = [t for t in call_route("GET", "/v1/me/transactions", caller=worker).json["items"] if t["jobId"] == job["id"]]
    # Then the client paid the accepted amount, and the worker got it less the platform's fee
    assert [(t["type"], t["amount"]) for t in paid] == [("charge", detail["acceptedAmount"])]
    amounts = {t["type"]: t["amount"]["amount"] for t in got}
    assert amounts["payout"] + amounts.get("fee", 0) == detail["acceptedAmount"]["amount"]
