"""What a payout's record keeps for operators, how a payout survives other changes racing it,
and what the payout stream tells the worker and its queue."""

from __future__ import annotations

import json
import time
from datetime import datetime

import pytest

from khaya import db
from khaya.errors import Conflict
from khaya.ids import now_iso
from khaya.market import jobs as market_jobs
from khaya.market import keys as market_keys
from khaya.payments import clock, keys, payouts, reconcile
from tests.integration.payments.conftest import CLIENT, WORKER
from tests.support.ddb_calls import count_calls
from tests.support.market_stream import StreamPump
from tests.support.payments import counted, paystack_webhook, rejected, unavailable


def transfer_event(flow, kind, reference, **data):
    body, headers = paystack_webhook(kind, {"reference": reference, "transfer_code": "TRF_" + reference[-30:], **data})
    return flow.webhook("paystack", body, headers)


def notices(flow):
    res = flow.call("GET", "/v1/me/notifications", caller=WORKER)
    assert res.status == 200, res
    return [(n["kind"], n["data"].get("jobId")) for n in res.json["items"]]


def completed_job(flow, **kw):
    job, _, _ = flow.funded_job(**kw)
    assert flow.complete(job["id"]).status == 200
    return job


def job_changes_once_after_it_is_read(monkeypatch, job_id, times=1):
    """Another request changes the job right after the code under test reads it (the first
    ``times`` reads)."""
    real_load = market_jobs.load
    fired = []

    def load(jid, *args, **kwargs):
        job = real_load(jid, *args, **kwargs)
        if jid == job_id and len(fired) < times:
            fired.append(job["version"])
            touch = db.tx_update_versioned(
                *market_keys.job(jid),
                expected_version=int(job["version"]),
                set={"updatedAt": now_iso()},
                on_conflict=db.Retry(),
            )
            db.transact([touch])
        return job

    monkeypatch.setattr(market_jobs, "load", load)
    return fired


def lost_races(monkeypatch):
    """The codes of the conflicts transactions raise from now on (a race really was lost)."""
    import khaya.db.table as table

    seen = []
    for owner in (db, table):
        real = owner.transact

        def transact(actions, token=None, _real=real):
            try:
                return _real(actions, token=token)
            except Conflict as exc:
                seen.append(exc.code)
                raise

        monkeypatch.setattr(owner, "transact", transact)
    return seen


# ---------------------------------------------------------------- the record


def test_the_payout_record_says_when_it_was_made_sent_and_changed_and_where_the_money_went(flow):
    flow.payout_account()
    job = completed_job(flow)
    made = payouts.load_payout(job["id"])
    assert made["status"] == "ready" and made["failures"] == 0 and made["createdAt"] == made["updatedAt"]
    assert market_jobs.load(job["id"])["completedAt"] == made["createdAt"]
    time.sleep(0.005)  # each change is stamped at least a millisecond later
    flow.run_payouts()
    sent = payouts.load_payout(job["id"])
    # Which account this attempt went to stays on the record, whatever the worker saves later
    assert sent["destination"] == "RCP_4567" and sent["provider"] == "paystack"
    assert made["createdAt"] < sent["startedAt"] <= sent["updatedAt"] and sent["createdAt"] == made["createdAt"]
    assert flow.fakes.paystack.called("transfer")[0]["currency"] == "ZAR"
    flow.payout_account(number="4079998888")
    assert payouts.load_payout(job["id"])["destination"] == "RCP_4567"


def test_a_success_reported_without_a_transfer_code_keeps_the_one_the_provider_gave(flow):
    flow.payout_account()
    _, _, reference = flow.payout_sent()
    job_id = keys.parse_transfer_reference(reference)[0]
    assert payouts.load_payout(job_id)["transferCode"] == "TRF_fake"
    assert payouts.apply_transfer(reference, "success", []) == "applied"
    paid = payouts.load_payout(job_id)
    assert (paid["status"], paid["transferCode"]) == ("succeeded", "TRF_fake")


def test_a_transfer_whose_answer_was_lost_is_looked_at_after_five_minutes_not_at_once(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = unavailable(ambiguous=True)
    job = completed_job(flow)
    assert payouts.start_payout(job["id"]) == "unknown"
    stuck = payouts.load_payout(job["id"])
    assert stuck["status"] == "starting"
    assert reconcile.run(now=clock.iso_after(stuck["updatedAt"], 60)) == {}
    assert flow.fakes.paystack.called("verify_transfer") == []
    later = reconcile.run(now=clock.iso_after(stuck["updatedAt"], payouts.STUCK_AFTER_SECONDS + 5))
    assert sum(later.values()) == 1 and flow.fakes.paystack.called("verify_transfer")


def test_start_payout_says_what_it_did(flow):
    flow.payout_account()
    job = completed_job(flow)
    account = db.get(*keys.payout_account(WORKER["userId"]))
    db.delete(*keys.payout_account(WORKER["userId"]))  # removed before the stream got to the payout
    assert payouts.start_payout(job["id"]) == "waiting_account"
    assert payouts.start_payout(job["id"]) == "ignored"  # waiting, not ready: nothing to send
    db.put(account)
    assert payouts.resume_waiting(WORKER["userId"]) == 1
    assert payouts.start_payout(job["id"]) == "applied"
    assert payouts.start_payout(job["id"]) == "ignored"  # a redelivery sends nothing
    assert len(flow.fakes.paystack.called("transfer")) == 1


# ---------------------------------------------------------------- waiting for an account


def test_saving_an_account_releases_every_waiting_payout_once_keeping_their_failure_count(flow):
    # Given a worker paid once before (its ledger entries share the index with the waiting list)
    flow.payout_account()
    paid_job, _, reference = flow.payout_sent(amount=20000)
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    # And a payout refused once, then due again after the worker removed the account
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    failed = completed_job(flow)
    flow.run_payouts()
    del flow.fakes.paystack.fail["transfer"]
    account = db.get(*keys.payout_account(WORKER["userId"]))
    db.delete(*keys.payout_account(WORKER["userId"]))
    assert payouts.retry_due(failed["id"]) == "applied"
    flow.run_payouts()
    # And a payout completed while there was no account
    fresh = completed_job(flow)
    assert {payouts.load_payout(j["id"])["status"] for j in (failed, fresh)} == {"waiting_account"}
    # When the account is back, both are released (and only they), and only once
    db.put(account)
    assert payouts.resume_waiting(WORKER["userId"]) == 2
    with count_calls() as calls:
        assert payouts.resume_waiting(WORKER["userId"]) == 0
    assert calls.ops == ["Query"]  # nothing waits: one read of the waiting list, none of the ledger
    assert payouts.load_payout(failed["id"])["failures"] == 1  # a waiting payout keeps its count
    assert payouts.load_payout(fresh["id"])["failures"] == 0
    waiting_list = db.query(
        keys.user_pk(WORKER["userId"]),
        index=keys.USER_INDEX,
        sk_prefix=keys.PAYOUT_WAIT_PREFIX,
        scope="test",
    )
    assert waiting_list.items == []  # a released payout leaves the worker's waiting list
    flow.run_payouts()
    assert payouts.load_payout(paid_job["id"])["status"] == "succeeded"
    assert sorted(t["amount"] for t in flow.fakes.paystack.called("transfer")[-2:]) == [71250, 75000]  # 3rd: fee


def test_saving_an_account_releases_more_waiting_payouts_than_one_page(flow):
    from khaya.ids import new_id

    # Given 120 payouts waiting for the worker's account (one real, the rest its copies)
    flow.payout_account()
    account = db.get(*keys.payout_account(WORKER["userId"]))
    db.delete(*keys.payout_account(WORKER["userId"]))
    job = completed_job(flow)
    payout, job_item = payouts.load_payout(job["id"]), db.get(*market_keys.job(job["id"]))
    assert payout["status"] == "waiting_account"
    for _ in range(119):
        jid = new_id()
        db.put({**job_item, **market_keys.job(jid).item(), "id": jid})
        db.put(
            {**payout, **keys.payout(jid).item(), **keys.payout_wait_index(WORKER["userId"], jid).item(), "jobId": jid}
        )
    # When the account is saved again, every one of them is released
    db.put(account)
    assert payouts.resume_waiting(WORKER["userId"]) == 120
    assert payouts.load_payout(job["id"])["status"] == "ready"
    left = db.query(
        keys.user_pk(WORKER["userId"]), index=keys.USER_INDEX, sk_prefix=keys.PAYOUT_WAIT_PREFIX, scope="test"
    )
    assert left.items == []


# ---------------------------------------------------------------- races


def test_a_completion_that_races_another_change_to_the_job_is_read_again_not_refused(flow, monkeypatch):
    job, _, _ = flow.funded_job()
    raced = job_changes_once_after_it_is_read(monkeypatch, job["id"])
    lost = lost_races(monkeypatch)
    done = payouts.complete_job(CLIENT["userId"], job["id"])
    assert raced and lost == ["concurrent_change"] and done.status == "completed"


def test_a_completion_keeps_trying_through_several_lost_races(flow, monkeypatch):
    job, _, _ = flow.funded_job()
    raced = job_changes_once_after_it_is_read(monkeypatch, job["id"], times=5)
    lost = lost_races(monkeypatch)
    done = payouts.complete_job(CLIENT["userId"], job["id"])
    assert len(raced) == 5 and lost == ["concurrent_change"] * 5 and done.status == "completed"


def test_a_fee_of_one_cent_is_still_taken_and_booked_as_the_fee(flow):
    flow.payout_account()
    for _ in range(2):
        completed_job(flow, amount=20)
    job = completed_job(flow, amount=20)  # the third job: 5 % of 20 is exactly 1
    assert flow.balances(job["id"]) == {"client": -20, "escrow": 19, "worker": 0, "platform": 1}
    (fee,) = [e for e in flow.ledger(job["id"]) if e["kind"] == "fee"]
    assert (fee["amount"], fee["cause"]) == ({"amount": 1, "currency": "ZAR"}, "fee")
    assert payouts.load_payout(job["id"])["net"] == 19


@pytest.mark.parametrize("kind", ["transfer.success", "transfer.failed"])
def test_a_transfer_event_that_races_another_change_to_the_job_is_applied(flow, monkeypatch, kind):
    flow.payout_account()
    job, _, reference = flow.payout_sent()
    raced = job_changes_once_after_it_is_read(monkeypatch, job["id"])
    lost = lost_races(monkeypatch)
    assert transfer_event(flow, kind, reference).json["outcome"] == "applied"
    assert raced and lost == ["concurrent_change"]
    assert flow.job(job["id"])["status"] == ("paid_out" if kind == "transfer.success" else "completed")


def test_a_reversal_that_races_another_change_to_the_paid_out_job_is_applied(flow, monkeypatch):
    flow.payout_account()
    job, _, reference = flow.payout_sent()
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    raced = job_changes_once_after_it_is_read(monkeypatch, job["id"])
    lost = lost_races(monkeypatch)
    assert transfer_event(flow, "transfer.reversed", reference).json["outcome"] == "applied"
    assert raced and lost == ["concurrent_change"] and flow.job(job["id"])["status"] == "completed"
    assert flow.balances(job["id"])["escrow"] == 75000


def claim_races(monkeypatch, job_id, other):
    """``other()`` runs once, as another container would, just before this delivery claims."""
    real_get = db.get
    account_key = tuple(keys.payout_account(WORKER["userId"]))
    done = []

    def get(pk, sk, *args, **kwargs):
        if (pk, sk) == account_key and not done:
            done.append(True)
            other()
        return real_get(pk, sk, *args, **kwargs)

    monkeypatch.setattr(db, "get", get)
    return done


def test_a_delivery_that_loses_the_claim_to_another_delivery_sends_nothing(flow, monkeypatch):
    flow.payout_account()
    job = completed_job(flow)
    other_outcome = []
    raced = claim_races(monkeypatch, job["id"], lambda: other_outcome.append(payouts.start_payout(job["id"])))
    lost = lost_races(monkeypatch)
    assert payouts.start_payout(job["id"]) == "ignored"
    assert raced and other_outcome == ["applied"] and lost == ["concurrent_change"]
    assert len(flow.fakes.paystack.called("transfer")) == 1
    assert payouts.load_payout(job["id"])["status"] == "in_flight"


def test_a_claim_that_loses_to_a_change_leaving_the_payout_ready_claims_it_again(flow, monkeypatch):
    flow.payout_account()
    job = completed_job(flow)

    def claimed_elsewhere_then_put_back():
        # another delivery claimed it and stopped before the provider; the reconciler put it back
        account = db.get(*keys.payout_account(WORKER["userId"]))
        started = payouts._claim(payouts.load_payout(job["id"]), account)
        assert started is not None
        db.transact([payouts.back_to_ready(payouts.load_payout(job["id"]))])

    raced = claim_races(monkeypatch, job["id"], claimed_elsewhere_then_put_back)
    lost = lost_races(monkeypatch)
    assert payouts.start_payout(job["id"]) == "applied"
    assert raced and lost == ["concurrent_change"]
    sent = flow.fakes.paystack.called("transfer")
    assert [t["reference"] for t in sent] == [keys.transfer_reference(job["id"], 1)]
    assert payouts.load_payout(job["id"])["status"] == "in_flight"


# ---------------------------------------------------------------- operators' alarm


def test_a_success_for_a_transfer_already_given_up_on_raises_the_alarm_and_pays_nothing(flow, capsys):
    flow.payout_account()
    job, _, first = flow.payout_sent(amount=50000)
    assert transfer_event(flow, "transfer.failed", first).json["outcome"] == "applied"
    assert payouts.retry_due(job["id"]) == "applied"
    flow.run_payouts()
    capsys.readouterr()
    # A late failure of the old attempt is no news; its success is a contradiction for a human
    assert payouts.apply_transfer(first, "reversed", []) == "ignored"
    assert counted(capsys, "PayoutContradiction") == []
    unpaid, _, _ = flow.funded_job()  # a transfer event naming a job that has no payout
    assert payouts.apply_transfer(keys.transfer_reference(unpaid["id"], 1), "success", []) == "ignored"
    assert counted(capsys, "PayoutContradiction") == []
    assert payouts.apply_transfer(first, "success", []) == "ignored"
    assert counted(capsys, "PayoutContradiction") == [{"state": "success"}]
    assert flow.balances(job["id"])["worker"] == 50000  # the second attempt's payout only


# ---------------------------------------------------------------- the stream


def test_only_the_record_that_failed_and_those_after_it_go_back_to_the_queue(flow):
    job = completed_job(flow)  # INSERT: waiting for an account (the worker is told)
    flow.fakes.paystack.fail["transfer"] = RuntimeError("a bug in a provider adapter")
    flow.payout_account()  # MODIFY: ready, whose transfer fails
    pump = StreamPump("StartPayoutsFunction")
    result = pump.send(pump.records())
    images = [json.loads(m["body"])["dynamodb"]["NewImage"] for m in pump.messages]
    seen = [(i["type"]["S"], i["status"]["S"]) for i in images]
    assert seen.index(("payout", "waiting_account")) < seen.index(("payout", "ready"))
    later = [{"itemIdentifier": m["messageId"]} for m in pump.messages[seen.index(("payout", "ready")) :]]
    assert result["batchItemFailures"] == later
    assert notices(flow) == [("payout_account_needed", job["id"])]


def test_a_change_to_a_payout_that_keeps_its_status_tells_the_worker_nothing(flow):
    flow.payout_account()
    job, _, reference = flow.payout_sent()
    assert transfer_event(flow, "transfer.success", reference).json["outcome"] == "applied"
    flow.run_payouts()
    assert notices(flow) == [("payout_sent", job["id"])]
    # An operator notes something on the paid payout
    db.update(*keys.payout(job["id"]), set={"operatorNote": "checked with the bank"})
    flow.run_payouts()
    assert notices(flow) == [("payout_sent", job["id"])]


def test_two_payouts_failing_in_the_same_millisecond_are_two_notices(flow):

    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    first, second = completed_job(flow), completed_job(flow)
    pump = StreamPump("StartPayoutsFunction")
    pump.send(pump.records())  # both transfers refused: two payouts now retry_wait
    failed = [r for r in pump.records() if r["dynamodb"]["NewImage"].get("status", {}).get("S") == "retry_wait"]
    assert len(failed) == 2
    same_instant = failed[0]["dynamodb"]["NewImage"]["updatedAt"]
    for record in failed:
        record["dynamodb"]["NewImage"]["updatedAt"] = same_instant
    assert pump.send(failed) == {"batchItemFailures": []}
    assert sorted(notices(flow)) == sorted([("payout_failed", first["id"]), ("payout_failed", second["id"])])


def test_a_payout_notice_is_dated_when_the_payout_changed_and_a_redelivery_adds_none(flow):
    flow.payout_account()
    flow.fakes.paystack.fail["transfer"] = rejected(status=400)
    job = completed_job(flow)
    pump = StreamPump("StartPayoutsFunction")
    pump.send(pump.records())  # refused: the payout now waits for its retry
    failed = [r for r in pump.records() if r["dynamodb"]["NewImage"].get("status", {}).get("S") == "retry_wait"]
    for _ in range(3):  # the queue delivers the record again, later each time
        assert pump.send(failed) == {"batchItemFailures": []}
        time.sleep(0.003)
    (notice,) = flow.call("GET", "/v1/me/notifications", caller=WORKER).json["items"]
    assert (notice["kind"], notice["data"]["jobId"]) == ("payout_failed", job["id"])
    changed = payouts.load_payout(job["id"])["updatedAt"]
    assert ulid_ms(notice["id"]) == int(datetime.fromisoformat(changed.replace("Z", "+00:00")).timestamp() * 1000)


def ulid_ms(ulid: str) -> int:
    """The millisecond a ULID's first ten characters (Crockford base32) carry."""
    digits = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    value = 0
    for char in ulid[:10]:
        value = value * 32 + digits.index(char)
    return value
