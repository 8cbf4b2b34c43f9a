"""Counters (incl. a real race on DynamoDB Local), batch reads, call counting."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from khaya import db
from khaya.errors import AppError, Conflict, RateLimited, ServiceUnavailable
from tests.support import table_keys as keys
from tests.support.ddb_calls import count_calls

# ---------------------------------------------------------------- increment


@pytest.mark.usefixtures("aws")
def test_increment_creates_then_adds_and_sets_the_ttl() -> None:
    key = keys.rate_limit("otp-send", "+27821234567", 2911)
    assert db.increment(*key, "count", ttl=1_763_700_000) == 1
    assert db.increment(*key, "count", by=2, ttl=1_763_700_000) == 3
    item = db.get(*key, consistent=True)
    assert item is not None and item["count"] == 3 and item["ttl"] == 1_763_700_000


@pytest.mark.usefixtures("aws")
def test_increment_at_the_limit_raises_on_limit_and_leaves_the_counter() -> None:
    # Given a window that already allowed 3 of 3
    key = keys.rate_limit("otp-send", "+27821234567", 2911)
    for _ in range(3):
        db.increment(*key, "count", limit=3, on_limit=RateLimited(retry_after=60))

    # When a fourth request comes
    with pytest.raises(RateLimited) as err:
        db.increment(*key, "count", limit=3, on_limit=RateLimited(retry_after=60))

    # Then it is told to retry later, and the counter did not move
    assert err.value.status == 429 and err.value.headers["Retry-After"] == "60"
    assert db.get(*key, consistent=True)["count"] == 3  # type: ignore[index]


@pytest.mark.usefixtures("aws")
def test_increment_by_more_than_what_is_left_is_refused_whole() -> None:
    key = keys.rate_limit("bids", "w1", "2026-11-21")
    db.increment(*key, "count", by=4, limit=5)
    with pytest.raises(Conflict):
        db.increment(*key, "count", by=2, limit=5)
    with pytest.raises(Conflict):
        db.increment(*keys.rate_limit("bids", "w2", "2026-11-21"), "count", by=6, limit=5)
    assert db.increment(*key, "count", by=1, limit=5) == 5


@pytest.mark.dynamodb_local
def test_increment_with_a_limit_never_exceeds_it_under_concurrency(dynamodb_local: str) -> None:
    # Given 12 threads each trying 5 times to take a slot in a window of 10
    key = keys.rate_limit("race", "k", 1)
    db.get(*key)  # create the shared client before the threads start
    granted: list[int] = []
    refused: list[AppError] = []
    unexpected: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(12)

    def worker() -> None:
        start.wait()
        for _ in range(5):
            try:
                value = db.increment(*key, "count", limit=10, on_limit=RateLimited(retry_after=1))
            except RateLimited as exc:
                with lock:
                    refused.append(exc)
            except BaseException as exc:
                with lock:
                    unexpected.append(exc)
            else:
                with lock:
                    granted.append(value)

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    # Then exactly 10 were granted, each with a distinct count, and the counter is 10
    assert not unexpected
    assert sorted(granted) == list(range(1, 11))
    assert len(refused) == 50
    assert db.get(*key, consistent=True)["count"] == 10  # type: ignore[index]


# ---------------------------------------------------------------- batch_get


@pytest.mark.usefixtures("aws")
def test_batch_get_returns_existing_items_in_the_order_asked_across_chunks() -> None:
    # Given 150 users, of whom the even ones exist
    ids = [f"u{i:03d}" for i in range(150)]
    for uid in ids[::2]:
        db.put({**keys.user(uid).item(), "name": uid.upper()})

    # When all 150 (plus a duplicate) are asked for, in reverse
    wanted = [tuple(keys.user(uid)) for uid in reversed(ids)]
    with count_calls() as calls:
        items = db.batch_get([*wanted, wanted[0]])  # type: ignore[list-item]

    # Then the 75 that exist come back once each, in the order asked, in two round trips
    assert [i["name"] for i in items] == [uid.upper() for uid in reversed(ids[::2])]
    assert calls.ops == ["BatchGetItem", "BatchGetItem"]


@pytest.mark.usefixtures("aws")
def test_batch_get_projection() -> None:
    db.put({**keys.user("u1").item(), "name": "Thandi", "phone": "+27821234567"})
    assert db.batch_get([tuple(keys.user("u1"))], projection=["name"]) == [{"name": "Thandi"}]  # type: ignore[list-item]


def _unprocess_first(times: int) -> Any:
    """A botocore hook that, for the first ``times`` BatchGetItem answers, hands back half the
    asked keys as UnprocessedKeys (as DynamoDB does under load)."""
    state = {"left": times}

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        if state["left"] <= 0:
            return
        state["left"] -= 1
        for table, got in parsed.get("Responses", {}).items():
            keep, push = got[: len(got) // 2], got[len(got) // 2 :]
            parsed["Responses"][table] = keep
            parsed["UnprocessedKeys"] = {table: {"Keys": [{"pk": i["pk"], "sk": i["sk"]} for i in push]}}

    return hook


@pytest.mark.usefixtures("aws")
def test_batch_get_retries_unprocessed_keys_until_everything_is_read() -> None:
    from khaya.aws import client

    for i in range(10):
        db.put({**keys.user(f"u{i}").item(), "n": i})
    client("dynamodb").meta.events.register("after-call.dynamodb.BatchGetItem", _unprocess_first(2))

    with count_calls() as calls:
        items = db.batch_get([tuple(keys.user(f"u{i}")) for i in range(10)])  # type: ignore[misc]

    assert [i["n"] for i in items] == list(range(10))
    assert calls.ops == ["BatchGetItem"] * 3


@pytest.mark.usefixtures("aws")
def test_batch_get_that_never_drains_is_a_503() -> None:
    from khaya.aws import client

    db.put({**keys.user("u1").item(), "n": 1})
    db.put({**keys.user("u2").item(), "n": 2})
    client("dynamodb").meta.events.register("after-call.dynamodb.BatchGetItem", _unprocess_first(100))
    with pytest.raises(ServiceUnavailable):
        db.batch_get([tuple(keys.user("u1")), tuple(keys.user("u2"))], max_attempts=3)  # type: ignore[list-item]


# ---------------------------------------------------------------- call counting


@pytest.mark.usefixtures("aws")
def test_count_calls_records_each_operation_and_never_a_scan() -> None:
    from khaya.aws import reset_clients

    with count_calls() as calls:
        db.put({**keys.job("j1").item(), "status": "open"})
        reset_clients()  # a fresh client inside the block is counted too
        db.get(*keys.job("j1"))
        db.query(keys.job_pk("j1"), scope="x")
    assert calls.ops == ["PutItem", "GetItem", "Query"]
    assert "Scan" not in calls.counts
    db.get(*keys.job("j1"))
    assert calls.total == 3  # nothing recorded after the block


# ---------------------------------------------------------------- unreachable database


def test_an_unreachable_database_is_a_503(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from khaya.aws import reset_clients

    # Given an endpoint where nothing listens (a port we bound and closed)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{port}")
    reset_clients()

    # Then reads and transactions are 503s, not 500s
    with pytest.raises(ServiceUnavailable):
        db.get(*keys.job("j1"))
    with pytest.raises(ServiceUnavailable):
        db.transact([db.tx_put({**keys.job("j1").item()})])
