"""The marketplace acceptance story over HTTP, against the local gateway (`make run`).

A client posts a job; two workers bid; a duplicate bid is a 409; the client accepts one;
the other bid reads rejected; the accepted worker gets an in-app notification (from the
stream consumer the gateway runs) and a message in the outbox; a second accept is a 409.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.support.identity import signup_and_login

pytestmark = pytest.mark.e2e


def wait_for(fetch: Any, ready: Any, timeout: float = 20.0) -> Any:
    """Poll ``fetch()`` until ``ready(result)`` (the stream consumer runs asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        got = fetch()
        if ready(got) or time.monotonic() > deadline:
            return got
        time.sleep(0.3)


def test_post_bid_accept_notify_over_http(base_url):
    s = requests.Session()
    client = signup_and_login(base_url, "client", name="Thandi")
    alice = signup_and_login(base_url, "worker", name="Alice")
    bob = signup_and_login(base_url, "worker", name="Bob")

    # A client posts a job
    job = s.post(
        f"{base_url}/v1/jobs",
        json={
            "title": "Paint a garden wall",
            "description": "About 12 m of wall, one coat.",
            "category": "painting",
            "city": "Durban",
            "budget": {"amount": 150000, "currency": "ZAR"},
        },
        headers=client["headers"],
        timeout=30,
    )
    assert job.status_code == 201, job.text
    job_id = job.json()["id"]
    assert job_id in [j["id"] for j in s.get(f"{base_url}/v1/jobs?city=durban", headers=bob["headers"]).json()["items"]]

    # Two workers bid; a duplicate bid is a 409
    bids = {}
    for who, amount in ((alice, 140000), (bob, 120000)):
        res = s.post(
            f"{base_url}/v1/jobs/{job_id}/bids",
            json={"amount": {"amount": amount, "currency": "ZAR"}, "message": "Can start Monday.", "etaDays": 2},
            headers=who["headers"],
            timeout=30,
        )
        assert res.status_code == 201, res.text
        bids[who["user"]["userId"]] = res.json()["id"]
    dup = s.post(
        f"{base_url}/v1/jobs/{job_id}/bids",
        json={"amount": {"amount": 1000, "currency": "ZAR"}, "message": "Again", "etaDays": 1},
        headers=alice["headers"],
        timeout=30,
    )
    assert dup.status_code == 409 and dup.json()["error"]["code"] == "duplicate_bid"

    # The client hears of both bids (the stream router queues them for the notifications consumer)
    heard = wait_for(
        lambda: s.get(f"{base_url}/v1/me/notifications", headers=client["headers"], timeout=30).json()["items"],
        lambda items: sum(n["kind"] == "bid_received" for n in items) == 2,
    )
    assert [n["kind"] for n in heard] == ["bid_received", "bid_received"]

    # The client accepts Alice's bid
    alice_bid, bob_bid = bids[alice["user"]["userId"]], bids[bob["user"]["userId"]]
    accepted = s.post(f"{base_url}/v1/bids/{alice_bid}/accept", headers=client["headers"], timeout=30)
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"

    # The other bid reads rejected
    other = s.get(f"{base_url}/v1/bids/{bob_bid}", headers=bob["headers"], timeout=30).json()
    assert other["status"] == "rejected"

    # The accepted worker gets an in-app notification and an outbox message
    notes = wait_for(
        lambda: s.get(f"{base_url}/v1/me/notifications", headers=alice["headers"], timeout=30).json()["items"],
        lambda items: any(n["kind"] == "bid_accepted" for n in items),
    )
    assert [n["kind"] for n in notes] == ["bid_accepted"]
    outbox = wait_for(
        lambda: s.get(f"{base_url}/_dev/outbox", params={"to": alice["phone"]}, timeout=30).json()["items"],
        lambda items: any("accepted" in m.get("text", "") for m in items),
    )
    assert any("Paint a garden wall" in m.get("text", "") and "accepted" in m["text"] for m in outbox)

    # A second accept is a 409 (of the same bid, or of the other one)
    for bid_id in (alice_bid, bob_bid):
        again = s.post(f"{base_url}/v1/bids/{bid_id}/accept", headers=client["headers"], timeout=30)
        assert again.status_code == 409
    assert s.get(f"{base_url}/v1/jobs/{job_id}", headers=client["headers"]).json()["acceptedBidId"] == alice_bid
    # And the losing bidder sees the job assigned, not who won it or for how much
    seen = s.get(f"{base_url}/v1/jobs/{job_id}", headers=bob["headers"]).json()
    assert seen["status"] == "assigned"
    assert [seen.get(f) for f in ("acceptedBidId", "acceptedAmount", "workerId")] == [None, None, None]
