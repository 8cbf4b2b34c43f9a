"""Races on DynamoDB Local, AWS's own engine (real sockets, one thread per "Lambda container").

Two kinds: requests started together at a barrier (``race``), and races played in their losing
order (``Hold``: one request stopped between its read and its write while another runs whole),
which prove what each write's condition decides: without it, they fail every time. The held
request calls its service directly (one process has one environment at a time, and the other
request's function takes it while the held one waits); the other goes through its handler.
"""

from __future__ import annotations

import pytest

from khaya.errors import Conflict
from khaya.market import bids as bid_service
from khaya.market import jobs as job_service
from tests.integration.market.conftest import CLIENT, WORKER, WORKER2, bid_body, job_body
from tests.support.interleave import Hold
from tests.support.invoke import invoke, race

pytestmark = pytest.mark.dynamodb_local


def test_twenty_concurrent_accepts_of_different_bids_exactly_one_wins(dynamodb_local):
    # Given a job with 20 bids from 20 workers
    status, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    assert status == 201
    workers = [{"userId": f"01W{i:023d}", "role": "worker"} for i in range(20)]
    bid_ids = []
    for i, who in enumerate(workers):
        status, bid = invoke("POST", f"/v1/jobs/{job['id']}/bids", who, bid_body(70000 + i))
        assert status == 201, bid
        bid_ids.append(bid["id"])
    # When the client accepts all 20 at the same moment
    results = race([("POST", f"/v1/bids/{b}/accept", CLIENT, None) for b in bid_ids])
    # Then exactly one answer is 200, every other is a 409
    statuses = [s for s, _ in results]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 19, statuses
    winner = next(body for s, body in results if s == 200)
    # And the job records that bid; it is the only accepted bid, the other 19 are rejected
    status, now = invoke("GET", f"/v1/jobs/{job['id']}", CLIENT)
    assert now["status"] == "assigned" and now["acceptedBidId"] == winner["id"]
    assert now["acceptedAmount"] == winner["amount"]
    status, listed = invoke("GET", f"/v1/jobs/{job['id']}/bids", CLIENT, None)
    states = sorted(b["status"] for b in listed["items"])
    assert states == ["accepted"] + ["rejected"] * 19


def test_ten_concurrent_job_posts_by_a_free_client_exactly_three_succeed(dynamodb_local):
    # Given a free client with no open job / When it posts 10 jobs at the same moment
    results = race([("POST", "/v1/jobs", CLIENT, job_body(title=f"Job number {i}")) for i in range(10)])
    # Then exactly 3 are created; the others are 422 plan_limit_reached
    statuses = [s for s, _ in results]
    assert statuses.count(201) == 3, statuses
    assert all(body["error"]["code"] == "plan_limit_reached" for s, body in results if s != 201)
    # And exactly those 3 exist
    _, mine = invoke("GET", "/v1/me/jobs", CLIENT)
    assert sorted(j["id"] for j in mine["items"]) == sorted(body["id"] for s, body in results if s == 201)


def test_concurrent_bids_of_one_worker_on_one_job_leave_one_bid_and_one_slot_used(dynamodb_local):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    worker = {"userId": "01WORKERRACE00000000000000", "role": "worker"}
    results = race([("POST", f"/v1/jobs/{job['id']}/bids", worker, bid_body(70000 + i)) for i in range(8)])
    statuses = [s for s, _ in results]
    assert statuses.count(201) == 1 and statuses.count(409) == 7, statuses
    # The worker still has exactly four more live-bid slots on its free plan
    more = []
    for i in range(5):
        _, other = invoke("POST", "/v1/jobs", {"userId": f"01C{i:023d}", "role": "client"}, job_body())
        more.append(invoke("POST", f"/v1/jobs/{other['id']}/bids", worker, bid_body())[0])
    assert more == [201, 201, 201, 201, 422]


def _new_client(n: int) -> dict[str, str]:
    return {"userId": f"01CRACE{n:019d}", "role": "client"}


def _live_bid_slots_left(worker: dict[str, str], limit: int = 5) -> int:
    """How many more bids ``worker`` can place before its plan's limit (on fresh jobs)."""
    for n in range(limit + 2):
        _, job = invoke("POST", "/v1/jobs", _new_client(n), job_body())
        status, body = invoke("POST", f"/v1/jobs/{job['id']}/bids", worker, bid_body())
        if status != 201:
            assert status == 422 and body["error"]["code"] == "plan_limit_reached", body
            return n
    raise AssertionError("no plan limit was reached")


def _open_job_slots_left(client: dict[str, str], limit: int = 3) -> int:
    for n in range(limit + 2):
        status, body = invoke("POST", "/v1/jobs", client, job_body(title=f"Another job {n}"))
        if status != 201:
            assert status == 422 and body["error"]["code"] == "plan_limit_reached", body
            return n
    raise AssertionError("no plan limit was reached")


def _bid(job_id: str, worker: dict[str, str]) -> dict:
    status, bid = invoke("POST", f"/v1/jobs/{job_id}/bids", worker, bid_body())
    assert status == 201, bid
    return bid


def _refused(outcome, code: str, message: str | None = None) -> None:
    with pytest.raises(Conflict) as refused:
        outcome.result()
    assert refused.value.code == code
    assert message is None or refused.value.message == message


def test_a_bid_whose_job_closes_between_its_read_and_its_write_is_a_409(dynamodb_local):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    # Given a worker's bid that has read the job while it was open
    with Hold(job_service, "load") as held:
        bidding = held.start(bid_service.create_bid, WORKER["userId"], job["id"], bid_body())
        # When the client cancels the job before the bid is written
        assert invoke("POST", f"/v1/jobs/{job['id']}/cancel", CLIENT)[0] == 200
    # Then the bid is refused (409 job_not_open): no bid on the cancelled job, no slot used
    _refused(bidding, "job_not_open")
    assert invoke("GET", f"/v1/jobs/{job['id']}/bids", CLIENT)[1]["items"] == []
    assert invoke("GET", "/v1/me/bids", WORKER)[1]["items"] == []
    assert _live_bid_slots_left(WORKER) == 5


@pytest.mark.parametrize(
    ("held", "first", "after"),
    [
        ("reject", "withdraw", ("withdrawn", None)),
        ("withdraw", "reject", ("rejected", "rejected_by_client")),
    ],
)
def test_a_reject_and_a_withdrawal_racing_on_one_bid_the_first_written_counts_the_other_is_a_409(
    dynamodb_local, held, first, after
):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    bid = _bid(job["id"], WORKER)
    actions = {
        "reject": (bid_service.reject_bid, CLIENT),
        "withdraw": (bid_service.withdraw_bid, WORKER),
    }
    # Given one side (the client's reject or the worker's withdrawal) has read the bid while pending
    with Hold(bid_service, "_load") as holding:
        service, who = actions[held]
        late = holding.start(service, who["userId"], bid["id"])
        # When the other side's request is written first
        assert invoke("POST", f"/v1/bids/{bid['id']}/{first}", actions[first][1])[0] == 200
    # Then only that one counts: the held one is a 409 and the bid stays as the first left it
    _refused(late, "bid_not_pending", "The bid is no longer pending.")
    seen = invoke("GET", f"/v1/bids/{bid['id']}", WORKER)[1]
    assert (seen["status"], seen.get("closedReason")) == after
    # And the worker got its live-bid slot back once, not twice: exactly five again on its free plan
    assert _live_bid_slots_left(WORKER) == 5


def test_an_accept_that_read_a_bid_since_withdrawn_and_placed_again_assigns_the_new_amount(dynamodb_local):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    bid = _bid(job["id"], WORKER)
    # Given the client's accept has read the bid at its first amount
    with Hold(bid_service, "_load") as held:
        accepting = held.start(bid_service.accept_bid, CLIENT["userId"], bid["id"])
        # When the worker withdraws it and bids again, lower, before the accept is written
        assert invoke("POST", f"/v1/bids/{bid['id']}/withdraw", WORKER)[0] == 200
        status, again = invoke("POST", f"/v1/jobs/{job['id']}/bids", WORKER, bid_body(50000))
        assert status == 201 and again["id"] == bid["id"]
    # Then the accept reads the bid again: the job is assigned at the amount the bid now holds
    assert accepting.result().amount.amount == 50000
    now = invoke("GET", f"/v1/jobs/{job['id']}", CLIENT)[1]
    assert now["status"] == "assigned" and now["acceptedAmount"]["amount"] == 50000


def test_a_cancel_that_read_a_bid_just_withdrawn_leaves_it_withdrawn(dynamodb_local):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    bid = _bid(job["id"], WORKER)
    # Given a cancel that has read the job's pending bids
    with Hold(job_service, "pending_bids") as held:
        cancelling = held.start(job_service.cancel_job, CLIENT["userId"], job["id"])
        # When the worker withdraws its bid before the cancel is written
        assert invoke("POST", f"/v1/bids/{bid['id']}/withdraw", WORKER)[0] == 200
    # Then the cancel goes through, and the bid is the worker's withdrawal, not a rejection
    assert cancelling.result().status == "cancelled"
    seen = invoke("GET", f"/v1/bids/{bid['id']}", WORKER)[1]
    assert seen["status"] == "withdrawn" and seen.get("closedReason") is None
    assert _live_bid_slots_left(WORKER) == 5


def test_an_accept_that_read_another_bid_just_withdrawn_leaves_it_withdrawn(dynamodb_local):
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    chosen, other = _bid(job["id"], WORKER), _bid(job["id"], WORKER2)
    # Given an accept that has read the other pending bids (to reject them)
    with Hold(job_service, "pending_bids") as held:
        accepting = held.start(bid_service.accept_bid, CLIENT["userId"], chosen["id"])
        # When the other worker withdraws first
        assert invoke("POST", f"/v1/bids/{other['id']}/withdraw", WORKER2)[0] == 200
    # Then the accept goes through and the other bid stays withdrawn, its slot given back once
    assert accepting.result().status == "accepted"
    assert invoke("GET", f"/v1/bids/{other['id']}", WORKER2)[1]["status"] == "withdrawn"
    assert _live_bid_slots_left(WORKER2) == 5


def test_an_accept_that_read_the_job_before_a_cancel_is_a_409(dynamodb_local):
    """Only the job's own condition can decide here: the cancel read the bids before this bid
    existed, so the two transactions share no bid."""
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    # Given a cancel that has read the job and its (no) pending bids
    with Hold(job_service, "pending_bids") as held_cancel:
        cancelling = held_cancel.start(job_service.cancel_job, CLIENT["userId"], job["id"])
        # And then a bid, and the client's accept of it, which has read the job still open
        bid = _bid(job["id"], WORKER)
        with Hold(job_service, "transition") as held_accept:
            accepting = held_accept.start(bid_service.accept_bid, CLIENT["userId"], bid["id"])
            # When the cancel is written first
            held_cancel.release()
            assert cancelling.result().status == "cancelled"
    # Then the accept is a 409 and the job stays cancelled, with nobody assigned
    _refused(accepting, "job_not_open", "The job is no longer open, or another bid was accepted.")
    now = invoke("GET", f"/v1/jobs/{job['id']}", CLIENT)[1]
    assert now["status"] == "cancelled" and now.get("workerId") is None
    # And the client's open-job slot came back once: three open jobs again on its free plan
    assert _open_job_slots_left(CLIENT) == 3


def test_twenty_accepts_of_bids_no_transaction_shares_exactly_one_wins(dynamodb_local, monkeypatch):
    """A job with more pending bids than an accept's transaction closes (the stream consumer
    closes the rest): racing accepts then touch no bid in common, so the job's own condition,
    status and version, is all that decides."""
    monkeypatch.setattr(job_service, "IN_TX_BID_CLOSES", 0)
    _, job = invoke("POST", "/v1/jobs", CLIENT, job_body())
    workers = [{"userId": f"01WSOLO{i:019d}", "role": "worker"} for i in range(20)]
    bid_ids = [_bid(job["id"], who)["id"] for who in workers]
    # When the client accepts all 20 at the same moment
    results = race([("POST", f"/v1/bids/{b}/accept", CLIENT, None) for b in bid_ids])
    # Then exactly one answer is 200, every other is a 409, and the job names that bid
    statuses = [s for s, _ in results]
    assert statuses.count(200) == 1 and statuses.count(409) == 19, statuses
    winner = next(body for s, body in results if s == 200)
    now = invoke("GET", f"/v1/jobs/{job['id']}", CLIENT)[1]
    assert now["status"] == "assigned" and now["acceptedBidId"] == winner["id"]
    # And no other bid was accepted
    listed = invoke("GET", f"/v1/jobs/{job['id']}/bids", CLIENT)[1]["items"]
    assert [b["id"] for b in listed if b["status"] == "accepted"] == [winner["id"]]
