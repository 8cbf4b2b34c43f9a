"""The demo data set's money over HTTP: a demo client finishes the funded job it was seeded with.

A stage started as ``SEED_JOBS=N make run`` starts it: the demo logins of README.md sign in with
their password, and the seeded payments and payouts carry on through the stage's own stream,
payment simulator and webhooks once it serves.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests

from khaya.payments.keys import payment_reference
from local.seed import demo_logins
from tests.e2e.conftest import start_gateway

pytestmark = pytest.mark.e2e
SEED_JOBS = 12


def _login(base: str, country: str, role: str) -> tuple[dict[str, str], str]:
    """The demo login's auth header and user id."""
    login = next(x for x in demo_logins() if (x["country"], x["role"]) == (country, role))
    body = {"phone": login["phone"], "password": login["password"]}
    got = requests.post(f"{base}/v1/auth/login", json=body, timeout=30)
    assert got.status_code == 200, got.text
    user = got.json()["user"]
    return {"Authorization": f"Bearer {got.json()['accessToken']}"}, str(user["userId"])


def test_the_demo_client_completes_its_seeded_funded_job_and_the_demo_worker_is_paid(tmp_path: Path) -> None:
    with start_gateway(tmp_path, seed_jobs=SEED_JOBS) as gw:
        base = gw.url
        # Given the seeded stage and the South African demo client signed in with its password
        client, _ = _login(base, "ZA", "client")
        mine = requests.get(f"{base}/v1/me/jobs", headers=client, timeout=30).json()["items"]
        funded = [j for j in mine if j["status"] == "funded"]
        assert len(funded) == 1, [j["status"] for j in mine]
        job_id = funded[0]["id"]
        job = requests.get(f"{base}/v1/jobs/{job_id}", headers=client, timeout=30).json()
        reference = payment_reference(job_id, 1)
        payment = requests.get(f"{base}/v1/payments/{reference}", headers=client, timeout=30)
        assert payment.status_code == 200 and payment.json()["status"] == "succeeded"
        # When it confirms the work is done
        done = requests.post(f"{base}/v1/jobs/{job_id}/complete", headers=client, timeout=30)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
        # Then the stream sends the payout, the simulator's signed transfer.success lands, and the job is paid out
        deadline = time.monotonic() + 180  # only a failure waits it out
        while True:
            job = requests.get(f"{base}/v1/jobs/{job_id}", headers=client, timeout=30).json()
            if job["status"] == "paid_out" or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert (job["status"], job["payoutStatus"]) == ("paid_out", "paid"), job
        # And the demo worker, who won the job, sees the payout: the accepted amount less any fee
        worker, worker_id = _login(base, "ZA", "worker")
        assert job["workerId"] == worker_id
        items = requests.get(f"{base}/v1/me/transactions", headers=worker, timeout=30).json()["items"]
        amounts = {t["type"]: t["amount"]["amount"] for t in items if t["jobId"] == job_id}
        assert amounts["payout"] + amounts.get("fee", 0) == job["acceptedAmount"]["amount"]
