"""Bids: place, see, accept, reject, withdraw — and the rules a client and a worker notice."""

from __future__ import annotations

import pytest

from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER, WORKER2, WORKER3, bid_body, job_body


def test_a_worker_bids_once_and_a_duplicate_is_a_409(market):
    job = market.post_job()
    # When a worker bids
    bid = market.placed(job["id"], WORKER, 70000)
    # Then the bid is pending with the money as sent, and the owner sees it
    assert bid["status"] == "pending" and bid["amount"] == {"amount": 70000, "currency": "ZAR"}
    assert market.ids(f"/v1/jobs/{job['id']}/bids", CLIENT) == [bid["id"]]
    # When it bids again / Then 409 duplicate_bid and the first bid is unchanged
    res = market.bid(job["id"], WORKER, 50000)
    assert res.status == 409 and res.json["error"]["code"] == "duplicate_bid"
    assert market.bid_of(bid["id"])["amount"]["amount"] == 70000


def test_only_workers_bid_only_on_open_jobs_and_never_on_their_own(market):
    from khaya.errors import BusinessRule
    from khaya.market import bids, jobs

    job = market.post_job()
    # A client cannot bid
    res = market.call("POST", f"/v1/jobs/{job['id']}/bids", body=bid_body(), caller=CLIENT2)
    assert res.status == 403
    # Nobody bids on their own job (service rule, whatever the role says)
    try:
        bids.create_bid(CLIENT["userId"], job["id"], bid_body())
        raise AssertionError("bid on own job accepted")
    except BusinessRule as exc:
        assert (exc.code, exc.message) == ("own_job", "You cannot bid on your own job.")
    # Nobody bids on a job that is no longer open, or on one that does not exist
    jobs.cancel_job(CLIENT["userId"], job["id"])
    res = market.bid(job["id"], WORKER)
    assert res.status == 409 and res.json["error"]["code"] == "job_not_open"
    assert market.bid("NOPE", WORKER).status == 404
    assert market.ids(f"/v1/jobs/{job['id']}/bids", CLIENT) == []


def test_a_bid_in_another_currency_than_the_budget_is_a_422(market):
    job = market.post_job()
    res = market.call(
        "POST",
        f"/v1/jobs/{job['id']}/bids",
        body=bid_body(amount=100) | {"amount": {"amount": 100, "currency": "NGN"}},
        caller=WORKER,
    )
    assert res.status == 422 and res.json["error"] == {
        "code": "currency_mismatch",
        "message": "amount: use the job's currency (ZAR).",
        "details": [{"field": "amount.currency", "issue": "mismatch"}],
    }
    # And a bid of nothing says which field is wrong
    zero = market.call("POST", f"/v1/jobs/{job['id']}/bids", body=bid_body(amount=0), caller=WORKER)
    assert zero.status == 422 and zero.json["error"]["details"] == [{"field": "amount.amount", "issue": "not_positive"}]


def test_a_free_worker_has_five_live_bids_and_gets_a_slot_back_on_withdraw(market):
    # Given six open jobs from two clients and a free worker with five live bids
    jobs = [market.post_job(CLIENT if i < 3 else CLIENT2)["id"] for i in range(6)]
    placed = [market.placed(j) for j in jobs[:5]]
    # When it bids a sixth time / Then 422 plan_limit_reached, nothing written
    res = market.bid(jobs[5])
    assert res.status == 422 and res.json["error"] == {
        "code": "plan_limit_reached",
        "message": "Your plan allows 5 live bids at a time.",
        "details": [{"field": "live_bids", "issue": "limit", "limit": 5}],
    }
    assert market.ids(f"/v1/jobs/{jobs[5]}/bids", CLIENT2) == []
    # When it withdraws one / Then it can bid on the sixth job
    assert market.call("POST", f"/v1/bids/{placed[0]['id']}/withdraw", caller=WORKER).json["status"] == "withdrawn"
    market.placed(jobs[5])
    # And a withdrawn bid may be placed again (it is live once more)
    assert market.bid(jobs[0]).status == 422  # back at five live bids
    market.call("POST", f"/v1/bids/{placed[1]['id']}/withdraw", caller=WORKER)
    again = market.placed(jobs[0], amount=60000)
    assert again["status"] == "pending" and again["amount"]["amount"] == 60000


def test_accepting_assigns_the_job_and_rejects_the_other_bids_in_one_step(market):
    # Given a job with three bids
    job = market.post_job()
    chosen = market.placed(job["id"], WORKER, 70000)
    other = market.placed(job["id"], WORKER2, 65000)
    third = market.placed(job["id"], WORKER3, 90000)
    # When the client accepts one
    res = market.call("POST", f"/v1/bids/{chosen['id']}/accept", caller=CLIENT)
    # Then that bid is accepted, the job is assigned to it with its amount
    assert res.status == 200 and res.json["status"] == "accepted"
    now = market.job(job["id"])
    assert now["status"] == "assigned" and now["acceptedBidId"] == chosen["id"]
    assert now["workerId"] == WORKER["userId"] and now["acceptedAmount"] == {"amount": 70000, "currency": "ZAR"}
    # And the other bids read rejected, for the client and for their bidders
    for bid, who in ((other, WORKER2), (third, WORKER3)):
        seen = market.bid_of(bid["id"], who)
        assert seen["status"] == "rejected" and seen["closedReason"] == "another_bid_accepted"
    # And a second accept (of any bid) is a 409 that changes nothing
    for again in (chosen, other):
        res = market.call("POST", f"/v1/bids/{again['id']}/accept", caller=CLIENT)
        assert res.status == 409
    assert market.job(job["id"])["acceptedBidId"] == chosen["id"]
    # And the job left the open list
    assert market.ids("/v1/jobs", WORKER) == []
    assert market.ids("/v1/jobs", WORKER, "status=assigned") == [job["id"]]


def test_accepting_frees_the_clients_open_job_slot_and_the_bidders_live_bid_slots(market):
    # Given a free client at its limit of three open jobs, one with two bids
    job = market.post_job()
    market.post_job()
    market.post_job()
    chosen = market.placed(job["id"], WORKER)
    market.placed(job["id"], WORKER2)
    # When it accepts a bid
    market.call("POST", f"/v1/bids/{chosen['id']}/accept", caller=CLIENT)
    # Then it can post a new job (the assigned one no longer counts as open)
    market.post_job()
    # And both workers have all five live-bid slots again
    for who in (WORKER, WORKER2):
        for _ in range(5):
            market.placed(_open_job(market), who)
        assert market.bid(_open_job(market), who).status == 422


def _open_job(market):
    """A fresh open job from a new client (so client limits never get in the way)."""
    import uuid

    who = {"userId": "01C" + uuid.uuid4().hex[:23].upper(), "role": "client"}
    return market.post_job(who)["id"]


def test_the_owner_rejects_a_bid_and_the_bidder_withdraws_only_its_own(market):
    job = market.post_job()
    one = market.placed(job["id"], WORKER)
    two = market.placed(job["id"], WORKER2)
    # The owner rejects one
    res = market.call("POST", f"/v1/bids/{one['id']}/reject", caller=CLIENT)
    assert res.status == 200 and res.json["status"] == "rejected"
    # A rejected bid cannot be withdrawn, accepted or placed again
    assert market.call("POST", f"/v1/bids/{one['id']}/withdraw", caller=WORKER).status == 409
    assert market.call("POST", f"/v1/bids/{one['id']}/accept", caller=CLIENT).status == 409
    assert market.bid(job["id"], WORKER).status == 409
    # Another worker cannot withdraw someone's bid: 404, and the bid stays pending
    res = market.call("POST", f"/v1/bids/{two['id']}/withdraw", caller=WORKER)
    assert res.status == 404 and two["id"] not in res.text
    assert market.bid_of(two["id"])["status"] == "pending"


def test_the_owner_sees_all_bids_a_worker_only_its_own_another_client_none(market):
    job = market.post_job()
    one = market.placed(job["id"], WORKER)
    two = market.placed(job["id"], WORKER2)
    assert sorted(market.ids(f"/v1/jobs/{job['id']}/bids", CLIENT)) == sorted([one["id"], two["id"]])
    assert market.ids(f"/v1/jobs/{job['id']}/bids", WORKER) == [one["id"]]
    assert market.ids(f"/v1/jobs/{job['id']}/bids", WORKER3) == []
    res = market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=CLIENT2)
    assert res.status == 403 and one["id"] not in res.text
    # A single bid: owner and bidder only
    assert market.call("GET", f"/v1/bids/{one['id']}", caller=WORKER2).status == 404
    assert market.call("GET", f"/v1/bids/{one['id']}", caller=CLIENT2).status == 404


def test_a_worker_lists_its_own_bids_newest_first(market):
    jobs = [_open_job(market) for _ in range(3)]
    placed = [market.placed(j)["id"] for j in jobs]
    market.placed(jobs[0], WORKER2)
    assert market.ids("/v1/me/bids", WORKER) == placed[::-1]
    first = market.call("GET", "/v1/me/bids", caller=WORKER, query="limit=2").json
    assert len(first["items"]) == 2 and first["nextCursor"]
    assert market.call("GET", "/v1/me/bids", caller=CLIENT).status == 403


def test_malformed_bid_ids_are_404s(market):
    for bad in ("nodot", ".x", "x.", "a#b.c"):
        assert market.call("GET", f"/v1/bids/{bad}", caller=CLIENT).status == 404
    res = market.call("POST", "/v1/jobs", body=job_body(), caller=CLIENT)
    assert market.call("POST", f"/v1/jobs/{res.json['id']}/bids", body={"amount": 5}, caller=WORKER).status == 400


def test_the_owner_pages_through_many_bids_with_a_cursor(market):
    # Given a job with three bids
    job = market.post_job()
    placed = {market.placed(job["id"], w)["id"] for w in (WORKER, WORKER2, WORKER3)}
    # When its owner lists them two at a time
    first = market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=CLIENT, query="limit=2")
    assert first.status == 200 and len(first.json["items"]) == 2 and first.json["nextCursor"]
    rest = market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=CLIENT, query=f"cursor={first.json['nextCursor']}")
    # Then the second page holds the last one, and no page repeats a bid
    assert rest.status == 200 and rest.json["nextCursor"] is None
    both = [b["id"] for b in first.json["items"] + rest.json["items"]]
    assert len(both) == 3 and set(both) == placed


def test_a_rejected_bid_gives_the_worker_its_live_bid_slot_back(market):
    # Given a free worker with five live bids, one of them on CLIENT's job
    first = market.post_job()
    placed = market.placed(first["id"], WORKER)
    for _ in range(4):
        market.placed(_open_job(market), WORKER)
    assert market.bid(_open_job(market), WORKER).status == 422
    # When the client rejects that bid
    assert market.call("POST", f"/v1/bids/{placed['id']}/reject", caller=CLIENT).status == 200
    # Then the worker can bid once more, and only once
    market.placed(_open_job(market), WORKER)
    assert market.bid(_open_job(market), WORKER).status == 422


def test_each_refusal_says_plainly_what_is_wrong(market):
    job = market.post_job()
    bid = market.placed(job["id"], WORKER)

    def error(res, status):
        assert res.status == status, res
        return res.json["error"]

    # No such bid (a well-formed id naming a worker who never bid here)
    never = f"{job['id']}.{WORKER2['userId']}"
    assert error(market.call("GET", f"/v1/bids/{never}", caller=CLIENT), 404) == {
        "code": "bid_not_found",
        "message": "No bid with this id.",
    }
    # A second bid of the same worker
    assert error(market.bid(job["id"], WORKER), 409) == {
        "code": "duplicate_bid",
        "message": "You already have a bid on this job.",
    }
    # Another client asking for the job's bids
    assert error(market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=CLIENT2), 403) == {
        "code": "not_job_owner",
        "message": "Only the job's owner sees its bids.",
    }
    # Acting on a bid that is no longer pending names what it is now
    assert market.call("POST", f"/v1/bids/{bid['id']}/reject", caller=CLIENT).status == 200
    not_pending = {"code": "bid_not_pending", "message": "The bid is rejected, not pending."}
    assert error(market.call("POST", f"/v1/bids/{bid['id']}/reject", caller=CLIENT), 409) == not_pending
    assert error(market.call("POST", f"/v1/bids/{bid['id']}/withdraw", caller=WORKER), 409) == not_pending


def test_a_rejected_bid_reads_the_same_in_the_answer_and_afterwards(market):
    job = market.post_job()
    bid = market.placed(job["id"], WORKER)
    res = market.call("POST", f"/v1/bids/{bid['id']}/reject", caller=CLIENT)
    assert res.status == 200
    for seen in (res.json, market.bid_of(bid["id"], WORKER)):
        assert (seen["status"], seen["closedReason"]) == ("rejected", "rejected_by_client")
        assert seen["updatedAt"] == res.json["updatedAt"] > bid["createdAt"]


@pytest.mark.parametrize("action", ["accept", "withdraw"])
def test_an_accepted_or_withdrawn_bid_says_when_it_changed(market, action):
    job = market.post_job()
    bid = market.placed(job["id"], WORKER)
    who = CLIENT if action == "accept" else WORKER
    res = market.call("POST", f"/v1/bids/{bid['id']}/{action}", caller=who)
    assert res.status == 200
    assert res.json["updatedAt"] == market.bid_of(bid["id"], WORKER)["updatedAt"] > bid["createdAt"]


def test_a_worker_pages_through_its_bids_and_sees_nothing_else_it_has(market):
    from khaya import db
    from khaya.payments import keys as pay_keys

    jobs = [_open_job(market) for _ in range(3)]
    placed = [market.placed(j)["id"] for j in jobs]
    # The worker's payment history shares the index its bids are listed from
    entry = "01JLEDGERENTRY0000000000000"
    db.put(
        {
            "pk": "JOB#X",
            "sk": f"TXN#{entry}",
            "type": "ledgerEntry",
            **pay_keys.user_ledger_index(WORKER["userId"], entry).item(),
        }
    )
    first = market.call("GET", "/v1/me/bids", caller=WORKER, query="limit=2").json
    rest = market.call("GET", "/v1/me/bids", caller=WORKER, query=f"limit=2&cursor={first['nextCursor']}").json
    assert [b["id"] for b in first["items"] + rest["items"]] == placed[::-1]
    assert rest["nextCursor"] is None


def test_the_client_hears_of_each_new_bid(market):
    from tests.support.market_stream import StreamPump

    job = market.post_job()
    bid = market.placed(job["id"], WORKER, 70000)
    StreamPump().deliver()
    notes = market.call("GET", "/v1/me/notifications", caller=CLIENT).json["items"]
    assert [(n["kind"], n["data"]["bidId"]) for n in notes] == [("bid_received", bid["id"])]


def test_accepting_rejects_as_many_other_bids_as_one_step_holds_and_records_when(market):
    from khaya.market import jobs as job_service

    # Given a job with one bid more than an accept closes in its own transaction
    job = market.post_job()
    workers = [{"userId": f"01WSORTED{i:017d}", "role": "worker"} for i in range(job_service.IN_TX_BID_CLOSES + 1)]
    placed = [market.placed(job["id"], w) for w in workers]
    # When the client accepts the bid listed first
    res = market.call("POST", f"/v1/bids/{placed[0]['id']}/accept", caller=CLIENT)
    assert res.status == 200
    # Then every other bid is rejected in the same step (none is left for the stream)
    listed = market.call("GET", f"/v1/jobs/{job['id']}/bids", caller=CLIENT, query="limit=100").json["items"]
    assert sorted(b["status"] for b in listed) == ["accepted"] + ["rejected"] * job_service.IN_TX_BID_CLOSES
    # And the job records when it was assigned (what the conversation summary starts from)
    assigned = job_service.load(job["id"])
    assert placed[-1]["createdAt"] < assigned["assignedAt"] <= assigned["updatedAt"]
