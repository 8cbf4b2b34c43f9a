"""What the worker hears about its payout, when a failed payout is tried again, and what the
payout stream's queue is told when a record cannot be handled."""

from __future__ import annotations

from datetime import datetime

import pytest

from khaya.payments import payouts
from tests.integration.payments.conftest import WORKER
from tests.support.payments import paystack_webhook, rejected


def transfer_event(flow, kind, reference):
    body, headers = paystack_webhook(kind, {"reference": reference, "transfer_code": "TRF_" + reference[-20:]})
    return flow.webhook("paystack", body, headers)


def notices(flow):
    res = flow.call("GET", "/v1/me/notifications", caller=WORKER)
    assert res.status == 200, res
    return [(n["kind"], n["title"], n["body"], n["data"]) for n in res.json["items"]]


def seconds_between(earlier: str, later: str) -> float:
    parse = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00"))  # noqa: E731
    return (parse(later) - parse(earlier)).total_seconds()


def test_the_worker_hears_once_that_its_payout_failed_and_once_that_it_was_sent(flow):
    flow.payout_account()
    job, _, first = flow.payout_sent(amount=50000)
    assert notices(flow) == []  # a transfer under way is no news
    # When the transfer fails, then a retry succeeds
    assert transfer_event(flow, "transfer.failed", first).json["outcome"] == "applied"
    flow.run_payouts()
    assert payouts.retry_due(job["id"]) == "applied"
    flow.run_payouts()
    second = flow.fakes.paystack.called("transfer")[-1]["reference"]
    assert transfer_event(flow, "transfer.success", second).json["outcome"] == "applied"
    flow.run_payouts()
    # Then it was told both, newest first, each naming the job
    data = {"jobId": job["id"]}
    expected = [
        ("payout_sent", "Payout sent", "Your payout for a completed job is on its way.", data),
        ("payout_failed", "Payout failed", "Your payout did not go through; we will try again.", data),
    ]
    assert notices(flow) == expected
    # And the queue delivering the same records again tells it nothing twice
    pump = flow._payouts
    pump._last_seq.clear()
    again = pump.records()
    assert pump.send(again) == {"batchItemFailures": []}
    assert notices(flow) == expected


def test_a_failed_payout_waits_longer_after_each_failure_and_never_more_than_six_hours(monkeypatch):
    from khaya.config import reset_settings

    assert [payouts.backoff_seconds(n) for n in range(1, 7)] == [300, 1200, 4800, 19200, 21600, 21600]
    monkeypatch.setenv("PAYOUT_RETRY_BASE_SECONDS", "60")
    reset_settings()
    assert [payouts.backoff_seconds(n) for n in range(1, 6)] == [60, 240, 960, 3840, 15360]
    monkeypatch.setenv("PAYOUT_RETRY_BASE_SECONDS", "0")
    reset_settings()
    assert payouts.backoff_seconds(1) == 1  # never a busy loop


def test_a_refused_transfer_is_due_again_after_the_backoff_and_the_job_shows_it_failed(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    flow.run_payouts()
    payout = payouts.load_payout(job["id"])
    assert payout["status"] == "retry_wait" and payout["failures"] == 1
    assert payout["lastError"] == "rejected:400"  # what an operator reads on the payout
    assert abs(seconds_between(payout["updatedAt"], payout["nextAttemptAt"]) - 300) < 5
    # The reconciler finds it by its due time: not before it, and at it
    from khaya.payments import clock, reconcile

    due = str(payout["nextAttemptAt"])
    assert reconcile.run(now=clock.iso_after(due, -5)) == {}
    assert reconcile.run(now=clock.iso_after(due, 5)) == {"payout:applied": 1}
    assert payouts.load_payout(job["id"])["status"] == "ready"


def test_a_payout_record_that_cannot_be_handled_is_handed_back_to_its_queue(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = RuntimeError("a bug in a provider adapter")
    job, _, _ = flow.funded_job()
    flow.complete(job["id"])
    from tests.support.market_stream import StreamPump

    pump = StreamPump("StartPayoutsFunction")
    result = pump.send(pump.records())
    ready = [m["messageId"] for m in pump.messages if '"ready"' in m["body"]]
    assert ready and result["batchItemFailures"] == [{"itemIdentifier": ready[0]}]


def test_the_payout_record_shows_gross_fee_and_net_for_the_operator(flow):
    flow.payout_account()
    for _ in range(2):
        job, _, _ = flow.funded_job(amount=10000)
        assert flow.complete(job["id"]).status == 200
    job, _, _ = flow.funded_job(amount=12310)
    assert flow.complete(job["id"]).status == 200
    payout = payouts.load_payout(job["id"])
    assert {k: payout[k] for k in ("gross", "fee", "net", "currency", "workerId", "clientId", "attempt")} == {
        "gross": 12310,
        "fee": 616,
        "net": 11694,
        "currency": "ZAR",
        "workerId": WORKER["userId"],
        "clientId": job["clientId"],
        "attempt": 1,
    }


def test_a_paid_out_payout_is_never_looked_at_again_by_the_reconciler(flow):
    from khaya.payments import clock, reconcile

    flow.payout_account()
    _, _, reference = flow.payout_sent()
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    assert reconcile.run(now=clock.iso_in(7 * 86400)) == {}
    assert flow.fakes.paystack.called("verify_transfer") == []


def test_completing_while_the_refund_is_being_asked_for_is_refused(flow):
    from khaya.errors import Conflict
    from tests.integration.payments.conftest import CLIENT

    job, _, _ = flow.funded_job()
    refused = []
    real_refund = flow.fakes.paystack.refund

    def refund_while_the_client_taps_complete(**kw):
        # the refund is being asked for right now (a second request, served by another container)
        with pytest.raises(Conflict) as exc:
            payouts.complete_job(CLIENT["userId"], job["id"])
        refused.append(exc.value)
        return real_refund(**kw)

    flow.fakes.paystack.refund = refund_while_the_client_taps_complete
    assert flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    (error,) = refused
    assert (error.code, str(error.message)) == ("refund_pending", "A refund of this job is under way.")
    assert flow.job(job["id"])["status"] == "funded" and payouts.load_payout(job["id"]) is None


def test_who_may_complete_and_when_is_said_plainly(flow):
    from tests.integration.payments.conftest import CLIENT, CLIENT2

    job, _, _ = flow.funded_job()
    other = flow.complete(job["id"], CLIENT2)
    assert other.status == 403
    assert other.json["error"] == {
        "code": "not_job_owner",
        "message": "Only the client who posted this job can confirm it is done.",
    }
    assert flow.complete(job["id"], CLIENT).status == 200
    again = flow.complete(job["id"], CLIENT)
    assert again.json["error"] == {"code": "job_not_funded", "message": "The job is completed, not funded."}
