"""Every marketplace route that takes an id, called by someone it does not belong to.

Each row: the route, who legitimately uses it, and every intruder (another user of the
right role, and the wrong role) with the answer it must get. Intruders never see the
resource's data, and change nothing. A marketplace route with an id that has no row fails
the coverage test, so new routes cannot skip the matrix.
"""

from __future__ import annotations

from typing import Any

import pytest

from local.cfn import functions
from tests.integration.market.conftest import CLIENT, CLIENT2, WORKER, WORKER2
from tests.support.market_stream import StreamPump

DOMAINS = {"jobs", "bids", "workers", "conversations", "notifications"}
BID_TEXT = "My private quote: 750 all in"
MSG_TEXT = "Gate code is 4711"
OPEN_TO_ALL = {
    # Any signed-in user may read these (API.md): a job and a worker's public profile.
    ("GET", "/v1/jobs/{id}"),
    ("GET", "/v1/workers/{id}"),
}

# (method, path template, body) → [(intruder, allowed statuses)]
MATRIX: dict[tuple[str, str], tuple[Any, list[tuple[dict[str, str], set[int]]]]] = {
    ("PATCH", "/v1/jobs/{id}"): ({"title": "Hijacked job"}, [(CLIENT2, {403, 404}), (WORKER, {403})]),
    ("POST", "/v1/jobs/{id}/cancel"): (None, [(CLIENT2, {403, 404}), (WORKER, {403})]),
    ("POST", "/v1/jobs/{id}/complete"): (None, [(CLIENT2, {403, 404}), (WORKER, {403})]),
    ("POST", "/v1/jobs/{id}/bids"): (
        {"amount": {"amount": 1, "currency": "ZAR"}, "message": "x", "etaDays": 1},
        [(CLIENT2, {403}), (CLIENT, {403})],
    ),
    ("GET", "/v1/jobs/{id}/bids"): (None, [(CLIENT2, {403, 404}), (WORKER2, {200})]),  # 200: its own, i.e. none
    ("GET", "/v1/bids/{id}"): (None, [(CLIENT2, {403, 404}), (WORKER2, {403, 404})]),
    ("POST", "/v1/bids/{id}/accept"): (None, [(CLIENT2, {403, 404}), (WORKER, {403}), (WORKER2, {403})]),
    ("POST", "/v1/bids/{id}/reject"): (None, [(CLIENT2, {403, 404}), (WORKER, {403}), (WORKER2, {403})]),
    ("POST", "/v1/bids/{id}/withdraw"): (None, [(WORKER2, {403, 404}), (CLIENT, {403}), (CLIENT2, {403})]),
    ("DELETE", "/v1/me/portfolio/{itemId}"): (None, [(WORKER2, {404}), (CLIENT, {403})]),
    ("GET", "/v1/conversations/{id}/messages"): (None, [(CLIENT2, {403, 404}), (WORKER2, {403, 404})]),
    ("POST", "/v1/conversations/{id}/messages"): ({"text": "spam"}, [(CLIENT2, {403, 404}), (WORKER2, {403, 404})]),
    ("POST", "/v1/conversations/{id}/attachments"): (
        {"contentType": "image/png"},
        [(CLIENT2, {403, 404}), (WORKER2, {403, 404})],
    ),
    ("POST", "/v1/conversations/{id}/summary"): (None, [(CLIENT2, {403, 404}), (WORKER2, {403, 404})]),
    ("POST", "/v1/me/notifications/{id}/read"): (None, [(CLIENT2, {404}), (WORKER, {404})]),
}


def id_routes() -> set[tuple[str, str]]:
    return {(r.method, r.path) for fn in functions() if fn.domain in DOMAINS for r in fn.routes if "{" in r.path}


def test_every_marketplace_route_with_an_id_is_in_the_matrix():
    assert id_routes() == set(MATRIX) | OPEN_TO_ALL


@pytest.fixture
def world(market) -> dict[str, Any]:
    """A job of CLIENT with WORKER's bid, their conversation with a message, a notification of
    CLIENT, and a portfolio image of WORKER."""
    pump = StreamPump()
    job = market.post_job()
    res = market.call(
        "POST",
        f"/v1/jobs/{job['id']}/bids",
        body={"amount": {"amount": 75000, "currency": "ZAR"}, "message": BID_TEXT, "etaDays": 2},
        caller=WORKER,
    )
    bid = res.json
    conv = market.call("POST", "/v1/conversations", body={"jobId": job["id"]}, caller=WORKER).json
    market.call("POST", f"/v1/conversations/{conv['id']}/messages", body={"text": MSG_TEXT}, caller=WORKER)
    pump.deliver()
    notif = market.call("GET", "/v1/me/notifications", caller=CLIENT).json["items"][0]
    item = market.call("POST", "/v1/me/portfolio", body={"contentType": "image/png"}, caller=WORKER).json
    ids = {
        "/v1/jobs/": job["id"],
        "/v1/bids/": bid["id"],
        "/v1/conversations/": conv["id"],
        "/v1/me/notifications/": notif["id"],
        "/v1/me/portfolio/": item["itemId"],
    }
    return {"job": job, "bid": bid, "conv": conv, "notif": notif, "item": item, "ids": ids}


def concrete(path: str, ids: dict[str, str]) -> str:
    for prefix, value in ids.items():
        if path.startswith(prefix):
            return path.replace("{id}", value).replace("{itemId}", value)
    raise KeyError(path)


@pytest.mark.parametrize("route", sorted(MATRIX), ids=[f"{m} {p}" for m, p in sorted(MATRIX)])
def test_intruders_get_403_or_404_see_nothing_and_change_nothing(market, world, route):
    method, template = route
    body, intruders = MATRIX[route]
    path = concrete(template, world["ids"])
    for intruder, allowed in intruders:
        # When someone it does not belong to calls the route
        res = market.call(method, path, body=body, caller=intruder)
        # Then the answer is a refusal (or, for a bidder's view of bids, an empty list)
        assert res.status in allowed, (intruder, res)
        if res.status == 200:
            assert res.json["items"] == []
        else:
            assert set(res.json) == {"error", "requestId"}
        # And none of the resource's data is in the body
        for secret in (BID_TEXT, MSG_TEXT, world["notif"]["body"], world["item"]["key"], world["bid"]["id"]):
            assert secret not in res.text
    # And nothing changed
    assert market.job(world["job"]["id"])["title"] == world["job"]["title"]
    assert market.job(world["job"]["id"])["status"] == "open"
    assert market.bid_of(world["bid"]["id"])["status"] == "pending"
    messages = market.call("GET", f"/v1/conversations/{world['conv']['id']}/messages", caller=CLIENT).json["items"]
    assert [m["text"] for m in messages] == [MSG_TEXT]
    unread = market.call("GET", "/v1/me/notifications", caller=CLIENT, query="unread=true").json["items"]
    assert world["notif"]["id"] in [n["id"] for n in unread]
    assert market.call("DELETE", f"/v1/me/portfolio/{world['item']['itemId']}", caller=WORKER).status == 204
