"""No Scan anywhere in the suite, and every marketplace list route in at most 2 DynamoDB calls."""

from __future__ import annotations

import pytest

from tests.integration.market.conftest import CLIENT, WORKER, WORKER2
from tests.support.ddb_calls import count_calls
from tests.support.market_stream import StreamPump
from tests.support.no_scan import take_seen


def test_the_suite_wide_guard_sees_a_scan(aws):
    from khaya.config import settings
    from khaya.db.table import _call

    # When code under test scans the table during a test
    _call("scan", TableName=settings().table_name)
    # Then the guard has seen it (and, left in place, would fail this test at teardown)
    assert take_seen() == ["dynamodb.Scan"]


@pytest.fixture
def busy(market):
    """A little of everything, so each list has items and more pages."""
    pump = StreamPump()
    jobs = [market.post_job()["id"] for _ in range(3)]
    for j in jobs:
        market.placed(j, WORKER)
    market.placed(jobs[0], WORKER2)
    conv = market.call("POST", "/v1/conversations", body={"jobId": jobs[0]}, caller=WORKER).json
    market.call("POST", "/v1/conversations", body={"jobId": jobs[0]}, caller=WORKER2)
    for i in range(3):
        market.call("POST", f"/v1/conversations/{conv['id']}/messages", body={"text": f"m{i}"}, caller=CLIENT)
    pump.deliver()
    return {"job": jobs[0], "conv": conv["id"]}


# (path, who, query, whether the first page has a next one). Every list is read past its first
# page, except a worker's view of a job's bids: its own bid or none, one page by design.
LISTS = [
    ("/v1/jobs", CLIENT, "limit=2", True),
    ("/v1/jobs", CLIENT, "category=plumbing&city=cape%20town&limit=2", True),
    ("/v1/jobs", CLIENT, "category=plumbing&limit=2", True),
    ("/v1/jobs", CLIENT, "city=cape%20town&status=open&limit=2", True),
    ("/v1/me/jobs", CLIENT, "limit=2", True),
    ("/v1/jobs/{job}/bids", CLIENT, "limit=1", True),
    ("/v1/jobs/{job}/bids", WORKER, "", False),
    ("/v1/me/bids", WORKER, "limit=2", True),
    ("/v1/conversations", CLIENT, "limit=1", True),
    ("/v1/conversations/{conv}/messages", WORKER, "limit=2", True),
    ("/v1/me/notifications", CLIENT, "limit=2", True),
    ("/v1/me/notifications", CLIENT, "unread=true&limit=2", True),
]


@pytest.mark.parametrize("path,who,query,more", LISTS, ids=[f"{p}?{q}:{w['role']}" for p, w, q, _ in LISTS])
def test_each_list_route_makes_at_most_two_dynamodb_calls_and_no_scan(market, busy, path, who, query, more):
    path = path.format(**busy)
    market.call("GET", path, caller=who, query=query)  # warm: the secret for cursors is cached
    with count_calls() as calls:
        first = market.call("GET", path, caller=who, query=query)
        assert first.status == 200 and first.json["items"], first
    assert calls.total <= 2 and "Scan" not in calls.ops, calls.ops
    assert bool(first.json["nextCursor"]) is more, first.json
    if more:
        # And the next page too: a cursor costs no extra read
        with count_calls() as calls:
            nxt = market.call("GET", path, caller=who, query=f"{query}&cursor={first.json['nextCursor']}")
            assert nxt.status == 200 and nxt.json["items"], nxt
        assert calls.total <= 2 and "Scan" not in calls.ops, calls.ops
