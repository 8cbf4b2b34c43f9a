"""The demo data set (``SEED_JOBS=N make run``), seen through the API as its users would see it.

On DynamoDB Local, as ``make run`` loads it (moto copies the table for every transaction,
which makes even a small seed slow)."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from local.seed import demo_logins, seed
from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures)

pytestmark = pytest.mark.dynamodb_local
N_JOBS = 60


@pytest.fixture
def seeded(dynamodb_local, monkeypatch):  # noqa: F811
    monkeypatch.setenv("PASSWORD_SCRYPT_LOG2_N", "12")  # the same code path at test speed
    from khaya.config import reset_settings

    reset_settings()
    with open(os.devnull, "w") as quiet:
        return seed(N_JOBS, out=quiet)


def _all_jobs(call_route, caller, status):
    items, cursor = [], None
    while True:
        query = f"status={status}&limit=100" + (f"&cursor={cursor}" if cursor else "")
        page = call_route("GET", "/v1/jobs", query=query, caller=caller).json
        items += page["items"]
        cursor = page["nextCursor"]
        if not cursor:
            return items


def _login(call_route, login):
    res = call_route("POST", "/v1/auth/login", body={"phone": login["phone"], "password": login["password"]})
    assert res.status == 200, res
    user = res.json["user"]
    return {"userId": user.get("id") or user["userId"], "role": user["role"]}


def test_the_seed_writes_n_jobs_across_states_categories_and_cities(seeded, call_route):
    # Given the stage seeded with 60 jobs / When anyone browses the job lists
    worker = {"userId": "01BROWSER00000000000000000", "role": "worker"}
    by_status = {s: _all_jobs(call_route, worker, s) for s in ("open", "assigned", "cancelled")}
    # Then the three lists hold the 60 jobs, in many categories and cities
    assert sum(len(v) for v in by_status.values()) == N_JOBS
    assert all(by_status.values()), {k: len(v) for k, v in by_status.items()}
    everything = [j for jobs in by_status.values() for j in jobs]
    assert len({j["category"] for j in everything}) >= 5
    assert len({j["city"] for j in everything}) >= 5
    assert {j["budget"]["currency"] for j in everything if j.get("budget")} >= {"ZAR"}
    # And no client holds more open jobs than the free plan allows
    assert max(Counter(j["clientId"] for j in by_status["open"]).values()) <= 3
    # And bids, conversations and messages were written too
    assert seeded["bids"] > 0 and seeded["conversations"] > 0 and seeded["messages"] > 0


def test_the_demo_logins_sign_in_with_the_password_and_find_their_data(seeded, call_route):
    logins = {(x["country"], x["role"]): x for x in demo_logins()}
    # When the South African demo client signs in with its password
    client = _login(call_route, logins[("ZA", "client")])
    # Then it sees its own jobs, and on its first job a bid from the demo worker and their conversation
    mine = call_route("GET", "/v1/me/jobs", caller=client).json["items"]
    assert mine and all(j["clientId"] == client["userId"] for j in mine)
    worker = _login(call_route, logins[("ZA", "worker")])
    bids = call_route("GET", "/v1/me/bids", caller=worker).json["items"]
    assert any(b["clientId"] == client["userId"] for b in bids)
    convs = call_route("GET", "/v1/conversations", caller=client).json["items"]
    assert any(c["workerId"] == worker["userId"] for c in convs)
    # And the demo worker has a public profile
    profile = call_route("GET", f"/v1/workers/{worker['userId']}", caller=client)
    assert profile.status == 200 and profile.json["categories"]
