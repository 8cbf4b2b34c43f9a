"""Races on DynamoDB Local, AWS's own engine (real sockets, one thread per "Lambda container")."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from local.cfn import functions
from local.events import LambdaContext, http_event, match_path
from local.loader import load_handler
from tests.integration.market.conftest import CLIENT, bid_body, job_body

pytestmark = pytest.mark.dynamodb_local


def invoke(method: str, path: str, who: dict[str, str], body: Any = None, instance: int = 0) -> tuple[int, Any]:
    """Run the function serving ``method path`` in its own container ``instance``."""
    import json

    for fn in functions():
        for route in fn.routes:
            if route.method == method and match_path(route.path, path) is not None:
                event = http_event(method, path, route_path=route.path, body=body, authorizer=who)
                raw = load_handler(fn, instance)(event, LambdaContext(fn.logical_id))
                return raw["statusCode"], json.loads(raw["body"])
    raise LookupError(path)


def race(calls: list[tuple[str, str, dict[str, str], Any]]) -> list[tuple[int, Any]]:
    """Start every call at once (a barrier), each in its own thread and container."""
    results: list[tuple[int, Any] | None] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        method, path, who, body = calls[i]
        barrier.wait()
        results[i] = invoke(method, path, who, body, instance=100 + i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


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
