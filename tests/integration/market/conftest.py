"""Marketplace test helpers: people (authorizer contexts), a job body, route shortcuts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.dynamodb_local import dynamodb_engine, dynamodb_local  # noqa: F401  (fixtures)

CLIENT = {"userId": "01CLIENTAAAAAAAAAAAAAAAAAA", "role": "client"}
CLIENT2 = {"userId": "01CLIENTBBBBBBBBBBBBBBBBBB", "role": "client"}
WORKER = {"userId": "01WORKERAAAAAAAAAAAAAAAAAA", "role": "worker"}
WORKER2 = {"userId": "01WORKERBBBBBBBBBBBBBBBBBB", "role": "worker"}
WORKER3 = {"userId": "01WORKERCCCCCCCCCCCCCCCCCC", "role": "worker"}
ADMIN = {"userId": "01ADMINAAAAAAAAAAAAAAAAAAA", "role": "admin"}


def job_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Fix a leaking kitchen tap",
        "description": "The cold tap drips all night.",
        "category": "plumbing",
        "city": "Cape Town",
        "budget": {"amount": 80000, "currency": "ZAR"},
    }
    body.update(overrides)
    return body


def bid_body(amount: int = 75000, **overrides: Any) -> dict[str, Any]:
    return {
        "amount": {"amount": amount, "currency": "ZAR"},
        "message": "I can come tomorrow.",
        "etaDays": 1,
        **overrides,
    }


def profile_body(**overrides: Any) -> dict[str, Any]:
    """A worker profile (PUT /v1/me/worker-profile)."""
    body = {
        "skills": ["leaks"],
        "categories": ["plumbing"],
        "city": "Durban",
        "bio": "Licensed plumber, 12 years.",
        "hourlyRate": {"amount": 35000, "currency": "ZAR"},
    }
    body.update(overrides)
    return body


class Market:
    """Shortcuts over ``call_route`` for the steps most tests share."""

    def __init__(self, call_route: Callable[..., Any]) -> None:
        self.call = call_route

    def post_job(self, who: dict[str, str] = CLIENT, **overrides: Any) -> dict[str, Any]:
        res = self.call("POST", "/v1/jobs", body=job_body(**overrides), caller=who)
        assert res.status == 201, res
        return dict(res.json)

    def bid(self, job_id: str, who: dict[str, str] = WORKER, amount: int = 75000) -> Any:
        return self.call("POST", f"/v1/jobs/{job_id}/bids", body=bid_body(amount), caller=who)

    def placed(self, job_id: str, who: dict[str, str] = WORKER, amount: int = 75000) -> dict[str, Any]:
        res = self.bid(job_id, who, amount)
        assert res.status == 201, res
        return dict(res.json)

    def job(self, job_id: str, who: dict[str, str] = CLIENT) -> dict[str, Any]:
        res = self.call("GET", f"/v1/jobs/{job_id}", caller=who)
        assert res.status == 200, res
        return dict(res.json)

    def bid_of(self, bid_id: str, who: dict[str, str] = CLIENT) -> dict[str, Any]:
        res = self.call("GET", f"/v1/bids/{bid_id}", caller=who)
        assert res.status == 200, res
        return dict(res.json)

    def ids(self, path: str, who: dict[str, str], query: str = "") -> list[str]:
        res = self.call("GET", path, caller=who, query=query)
        assert res.status == 200, res
        return [i["id"] for i in res.json["items"]]


@pytest.fixture
def market(aws: None, call_route: Callable[..., Any]) -> Market:
    return Market(call_route)
