"""DELETE /v1/me against real payment state: money held by a paid job refuses the erasure until
it is settled (the job funded by a confirmed charge, or completed with the worker's payout still
to come); once paid out both parties can go, and the worker's payout account goes with it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.payments.conftest import Flow
from tests.support.identity import signup_and_login_in_process
from tests.support.payments import paystack_webhook


@pytest.fixture
def people(flow: Flow, call_route: Any) -> dict[str, dict[str, Any]]:
    return {
        "client": signup_and_login_in_process(call_route, "client", name="Lerato Client"),
        "worker": signup_and_login_in_process(call_route, "worker", name="Sipho Worker"),
    }


def _erase(flow: Flow, person: dict[str, Any]) -> Any:
    return flow.call("DELETE", "/v1/me", caller=person["caller"])


def _funded(flow: Flow, people: dict[str, dict[str, Any]]) -> dict[str, Any]:
    job, _, _ = flow.funded_job(client=people["client"]["caller"], worker=people["worker"]["caller"])
    return job


@pytest.mark.parametrize("who", ["client", "worker"])
def test_a_job_funded_by_a_confirmed_charge_refuses_either_partys_erasure(flow, people, who):
    # Given a job the client paid through checkout and a signed charge.success
    job = _funded(flow, people)
    assert job["status"] == "funded"
    # When either party asks to be erased
    res = _erase(flow, people[who])
    # Then 409 money_held naming the job, and the account is still whole
    assert res.status == 409, res
    assert res.json["error"]["code"] == "money_held"
    assert res.json["error"]["details"][0]["jobId"] == job["id"]
    assert flow.call("GET", "/v1/me", caller=people[who]["caller"]).status == 200


def test_a_completed_job_whose_payout_waits_refuses_the_workers_erasure(flow, people):
    # Given a completed job whose worker has no payout account yet (the payout waits for one)
    job = _funded(flow, people)
    assert flow.complete(job["id"], people["client"]["caller"]).status == 200
    flow.run_payouts()
    seen = flow.job(job["id"], people["worker"]["caller"])
    assert (seen["status"], seen["payoutStatus"]) == ("completed", "waiting_account")
    # When the worker asks to be erased / Then 409: the platform still owes it the money
    res = _erase(flow, people["worker"])
    assert res.status == 409 and res.json["error"]["code"] == "money_held"


def test_once_paid_out_both_can_be_erased_and_the_payout_account_goes_too(flow, people):
    from khaya import db
    from khaya.payments import keys

    worker_id = people["worker"]["caller"]["userId"]
    flow.payout_account(people["worker"]["caller"])
    job = _funded(flow, people)
    assert flow.complete(job["id"], people["client"]["caller"]).status == 200
    flow.run_payouts()
    reference = flow.fakes.paystack.called("transfer")[-1]["reference"]
    body, headers = paystack_webhook("transfer.success", {"reference": reference, "transfer_code": "TRF_erasure"})
    assert flow.webhook("paystack", body, headers).json["outcome"] == "applied"
    assert flow.job(job["id"], people["client"]["caller"])["status"] == "paid_out"
    assert db.get(*keys.payout_account(worker_id), consistent=True) is not None
    # When both erase their accounts / Then both are erased
    assert _erase(flow, people["client"]).status == 204
    assert _erase(flow, people["worker"]).status == 204
    # And the worker's payout account (its name at the bank, its recipient) is gone with it
    assert db.get(*keys.payout_account(worker_id), consistent=True) is None
    # While the job's ledger stays, summing to zero
    assert sum(flow.balances(job["id"]).values()) == 0
