"""Throttling and transaction cancellation reasons become 503 / 409 (botocore Stubber: no socket)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from khaya import db
from khaya.errors import BusinessRule, Conflict, ServiceUnavailable
from tests.support import table_keys as keys


@pytest.fixture
def stub() -> Iterator[Stubber]:
    from khaya.aws import client

    with Stubber(client("dynamodb")) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.mark.parametrize(
    "code", ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"]
)
def test_a_throttled_read_or_write_is_a_503_with_retry_after(stub: Stubber, code: str) -> None:
    stub.add_client_error("get_item", service_error_code=code, http_status_code=400)
    stub.add_client_error("update_item", service_error_code=code, http_status_code=400)

    with pytest.raises(ServiceUnavailable) as err:
        db.get(*keys.job("j1"))
    assert err.value.status == 503 and err.value.headers["Retry-After"] == "1"

    with pytest.raises(ServiceUnavailable):
        db.increment(*keys.rate_limit("s", "k", 1), "count", limit=3)


def test_a_throttled_transaction_is_a_503(stub: Stubber) -> None:
    stub.add_client_error(
        "transact_write_items", service_error_code="ProvisionedThroughputExceededException", http_status_code=400
    )
    with pytest.raises(ServiceUnavailable):
        db.transact([db.tx_put({**keys.job("j1").item(), "status": "open"})])


def _cancelled(stub: Stubber, *codes: str) -> None:
    reasons: list[dict[str, Any]] = [{"Code": c} for c in codes]
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message=f"Transaction cancelled, please refer cancellation reasons [{', '.join(codes)}]",
        http_status_code=400,
        modeled_fields={"CancellationReasons": reasons},
    )


def _two_actions() -> list[db.TxAction]:
    return [
        db.tx_put({**keys.bid("j1", "w1").item()}, on_fail=Conflict(code="already_bid")),
        db.tx_check(*keys.job("j1"), condition="attribute_exists(pk)", on_fail=BusinessRule(code="job_gone")),
    ]


def test_a_transaction_cancelled_by_throttling_is_a_503(stub: Stubber) -> None:
    _cancelled(stub, "None", "ThrottlingError")
    with pytest.raises(ServiceUnavailable):
        db.transact(_two_actions())


def test_a_transaction_conflict_is_a_409(stub: Stubber) -> None:
    _cancelled(stub, "TransactionConflict", "None")
    with pytest.raises(Conflict) as err:
        db.transact(_two_actions())
    assert err.value.status == 409 and err.value.code == "concurrent_change"


def test_a_failed_condition_wins_over_other_reasons_and_names_its_action(stub: Stubber) -> None:
    _cancelled(stub, "TransactionConflict", "ConditionalCheckFailed")
    with pytest.raises(BusinessRule) as err:
        db.transact(_two_actions(), token="t-1")
    assert err.value.code == "job_gone"


def test_a_transaction_token_is_sent_as_the_client_request_token(stub: Stubber) -> None:
    from botocore.stub import ANY

    stub.add_response("transact_write_items", {}, expected_params={"TransactItems": ANY, "ClientRequestToken": "t-1"})
    stub.add_response("transact_write_items", {}, expected_params={"TransactItems": ANY})
    db.transact(_two_actions(), token="t-1")
    db.transact(_two_actions())


# ---------------------------------------------------------------- transact_retrying


def _conflict(stub: Stubber, kind: str = "TransactionConflict") -> None:
    """DynamoDB's answer to a transaction that collided with another one in flight: a cancellation
    whose reason is the conflict, or (for a transaction still being applied) an error of its own."""
    if kind == "TransactionConflict":
        _cancelled(stub, "None", "TransactionConflict")
    else:
        stub.add_client_error("transact_write_items", service_error_code=kind, http_status_code=400)


class _Builds:
    """A ``build`` for ``transact_retrying`` that records each attempt's actions."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self) -> list[db.TxAction]:
        self.count += 1
        return [db.tx_put({**keys.job(f"j{self.count}").item(), "status": "open"})]


def _sent(n: int) -> dict[str, Any]:
    """The request ``transact_retrying`` sends for the ``n``-th build (any token)."""
    from botocore.stub import ANY

    from khaya.config import settings

    item = {"pk": {"S": keys.job(f"j{n}").pk}, "sk": {"S": keys.job(f"j{n}").sk}, "status": {"S": "open"}}
    return {"TransactItems": [{"Put": {"TableName": settings().table_name, "Item": item}}], "ClientRequestToken": ANY}


@pytest.mark.parametrize(
    "kind", ["TransactionConflict", "TransactionConflictException", "TransactionInProgressException"]
)
def test_a_transaction_that_lost_a_conflict_is_rebuilt_and_sent_again(stub: Stubber, kind: str) -> None:
    # Given DynamoDB answers the first attempt with a transaction conflict, then accepts
    _conflict(stub, kind)
    stub.add_response("transact_write_items", {}, expected_params=_sent(2))
    build = _Builds()
    # When the change is made with transact_retrying / Then it succeeds on the second, rebuilt attempt
    db.transact_retrying(build)
    assert build.count == 2


def test_each_attempt_carries_a_token_of_its_own(stub: Stubber) -> None:
    tokens: list[str] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        tokens.append(params["ClientRequestToken"])

    from khaya.aws import client

    client("dynamodb").meta.events.register("provide-client-params.dynamodb.TransactWriteItems", keep)
    try:
        _conflict(stub)
        stub.add_response("transact_write_items", {})
        db.transact_retrying(_Builds())
    finally:
        client("dynamodb").meta.events.unregister("provide-client-params.dynamodb.TransactWriteItems", keep)
    assert len(tokens) == 2 and len(set(tokens)) == 2 and all(tokens)


def test_a_stale_read_raising_retry_is_rebuilt_from_fresh_reads(stub: Stubber) -> None:
    attempts: list[int] = []

    def build() -> list[db.TxAction]:
        attempts.append(1)
        if len(attempts) == 1:
            raise db.Retry()  # what a build does when what it read is already out of date
        return _Builds()()

    stub.add_response("transact_write_items", {}, expected_params=_sent(1))
    db.transact_retrying(build)
    assert len(attempts) == 2


def test_a_conflict_on_every_attempt_is_a_409_after_four_attempts(stub: Stubber) -> None:
    for _ in range(4):
        _conflict(stub)
    build = _Builds()
    with pytest.raises(Conflict) as err:
        db.transact_retrying(build)
    assert err.value.status == 409 and err.value.code == "concurrent_change"
    assert build.count == 4  # and no fifth request (the stub holds no more answers)


def test_a_condition_that_states_a_real_state_is_raised_at_once(stub: Stubber) -> None:
    # A failed condition whose error is not a stale read (the job is no longer open) is the answer
    _cancelled(stub, "ConditionalCheckFailed")
    build = _Builds()

    def one_action() -> list[db.TxAction]:
        build()
        return [db.tx_check(*keys.job("j1"), condition="attribute_exists(pk)", on_fail=Conflict(code="job_not_open"))]

    with pytest.raises(Conflict) as err:
        db.transact_retrying(one_action)
    assert err.value.code == "job_not_open" and build.count == 1


def test_a_transaction_that_lost_every_time_waited_a_bounded_backed_off_time(
    stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random
    import time

    # Given DynamoDB answers every attempt with a conflict, and the luckiest or unluckiest jitter
    waits: dict[str, list[float]] = {}
    for luck, pick in (("luckiest", min), ("unluckiest", max)):
        for _ in range(4):
            _conflict(stub)
        slept: list[float] = []
        monkeypatch.setattr(time, "sleep", slept.append)
        monkeypatch.setattr(random, "uniform", lambda a, b, pick=pick: pick(a, b))

        # When the change is made with transact_retrying
        with pytest.raises(Conflict):
            db.transact_retrying(_Builds())
        waits[luck] = slept

    # Then it waited between attempts (not after the last), at least 5 ms each, backing off
    # 30, 60, 120 ms at most: never more than 0.21 s in all
    assert waits["luckiest"] == [0.005, 0.005, 0.005]
    assert waits["unluckiest"] == [0.03, 0.06, 0.12]


# ---------------------------------------------------------------- cancellation reasons


def _cancelled_with(stub: Stubber, message: str, reasons: list[dict[str, Any]] | None = None) -> None:
    """A cancellation whose reasons are in ``CancellationReasons`` (if given) and/or its message."""
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message=message,
        http_status_code=400,
        modeled_fields={"CancellationReasons": reasons} if reasons is not None else None,
    )


_REFER = "please refer cancellation reasons"


@pytest.mark.parametrize(
    ("message", "error", "code"),
    [
        (f"Transaction cancelled, {_REFER} [None, ConditionalCheckFailed]", BusinessRule, "job_gone"),
        (f"Transaction cancelled, {_REFER} [ConditionalCheckFailed, None]", Conflict, "already_bid"),
        (f"Transaction cancelled, {_REFER} [ None ,  ConditionalCheckFailed ]", BusinessRule, "job_gone"),
        (f"Transaction cancelled [request 7], {_REFER} [ConditionalCheckFailed, None]", Conflict, "already_bid"),
        (f"Transaction cancelled, {_REFER} [TransactionConflict, None]", Conflict, "concurrent_change"),
    ],
)
def test_reasons_only_in_the_message_name_the_failing_action(
    stub: Stubber, message: str, error: type[Exception], code: str
) -> None:
    # Given a cancellation that lists its reasons only at the end of its message
    _cancelled_with(stub, message)

    # When the transaction runs / Then the reason in the action's place decides the error
    with pytest.raises(error) as err:
        db.transact(_two_actions())
    assert err.value.code == code  # type: ignore[attr-defined]


def test_cancellation_reasons_are_read_when_the_message_lists_none(stub: Stubber) -> None:
    _cancelled_with(stub, "Transaction cancelled.", [{"Code": "None"}, {"Code": "ConditionalCheckFailed"}])
    with pytest.raises(BusinessRule) as err:
        db.transact(_two_actions())
    assert err.value.code == "job_gone"


def test_a_cancellation_reason_without_a_code_is_no_failure_of_its_action(stub: Stubber) -> None:
    _cancelled_with(stub, "Transaction cancelled.", [{"Message": "ok"}, {"Code": "ConditionalCheckFailed"}])
    with pytest.raises(BusinessRule) as err:
        db.transact(_two_actions())
    assert err.value.code == "job_gone"


@pytest.mark.parametrize(
    "message",
    [
        "Transaction cancelled.",
        f"Transaction cancelled, {_REFER} [ConditionalCheckFailed, None] for details",
    ],
)
def test_a_cancellation_without_readable_reasons_surfaces_as_it_is(stub: Stubber, message: str) -> None:
    from botocore.exceptions import ClientError

    # Given a cancellation with no reason list, or a list that does not end the message
    _cancelled_with(stub, message)

    # Then no action's error is guessed: the database's own error is raised
    with pytest.raises(ClientError) as err:
        db.transact(_two_actions())
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"


# ---------------------------------------------------------------- requests built for queries and batch reads


def _query_sent(limit: int, **extra: Any) -> dict[str, Any]:
    """The Query request for the job partition ``j1``, with any placeholders, asking ``limit`` items."""
    from botocore.stub import ANY

    from khaya.config import settings

    return {
        "TableName": settings().table_name,
        "KeyConditionExpression": ANY,
        "ExpressionAttributeNames": ANY,
        "ExpressionAttributeValues": ANY,
        "ScanIndexForward": False,
        "Limit": limit,
        **extra,
    }


def _bid(worker_id: str) -> dict[str, Any]:
    key = keys.bid("j1", worker_id)
    return {"pk": {"S": key.pk}, "sk": {"S": key.sk}}


def test_a_consistent_query_asks_for_a_consistent_read_and_a_default_page_of_twenty_one(stub: Stubber) -> None:
    # Given the default page size of 20, read consistently and not
    stub.add_response("query", {"Items": []}, expected_params=_query_sent(21, ConsistentRead=True))
    stub.add_response("query", {"Items": []}, expected_params=_query_sent(21))

    # When / Then DynamoDB is asked one more than the page, consistently only when asked
    assert db.query(keys.job_pk("j1"), scope="bids:j1", consistent=True).items == []
    assert db.query(keys.job_pk("j1"), scope="bids:j1").next_cursor is None


def test_a_query_without_a_filter_asks_only_for_what_is_still_missing(stub: Stubber) -> None:
    # Given DynamoDB stops its first answer after two of the six items wanted (its 1 MB page)
    stub.add_response(
        "query", {"Items": [_bid("w1"), _bid("w2")], "LastEvaluatedKey": _bid("w2")}, expected_params=_query_sent(6)
    )
    stub.add_response("query", {"Items": [_bid("w3")]}, expected_params=_query_sent(4, ExclusiveStartKey=_bid("w2")))

    # When a page of five is read / Then the second request asks for the four still missing
    page = db.query(keys.job_pk("j1"), limit=5, scope="bids:j1")
    assert [i["sk"] for i in page.items] == [keys.bid("j1", w).sk for w in ("w1", "w2", "w3")]
    assert page.next_cursor is None


def test_a_filtered_query_asks_for_twice_the_page_each_round(stub: Stubber) -> None:
    # Given a filter that keeps few items: each round asks for at least 2 x (limit + 1)
    filtered = {"FilterExpression": "amountMinor > :min"}
    stub.add_response(
        "query",
        {"Items": [_bid("w1"), _bid("w2"), _bid("w3")], "LastEvaluatedKey": _bid("w9")},
        expected_params=_query_sent(12, **filtered),
    )
    stub.add_response(
        "query", {"Items": [_bid("w4")]}, expected_params=_query_sent(12, ExclusiveStartKey=_bid("w9"), **filtered)
    )

    # When a page of five is read
    page = db.query(keys.job_pk("j1"), limit=5, scope="bids:j1", filter="amountMinor > :min", values={":min": 1})

    # Then both rounds asked for twelve, and the partition's end gives no cursor
    assert len(page.items) == 4 and page.next_cursor is None


def test_a_page_exactly_full_asks_once_more_before_promising_a_next_page(stub: Stubber) -> None:
    # Given DynamoDB returns exactly a page of two and says it evaluated more, which then holds nothing
    stub.add_response(
        "query", {"Items": [_bid("w1"), _bid("w2")], "LastEvaluatedKey": _bid("w2")}, expected_params=_query_sent(3)
    )
    stub.add_response("query", {"Items": []}, expected_params=_query_sent(1, ExclusiveStartKey=_bid("w2")))

    # When a page of two is read / Then it holds both items and no cursor
    page = db.query(keys.job_pk("j1"), limit=2, scope="bids:j1")
    assert len(page.items) == 2 and page.next_cursor is None


def test_a_filter_that_keeps_nothing_for_ten_rounds_resumes_where_dynamodb_stopped(
    stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    import khaya.db.cursor
    from khaya.db.cursor import decode_cursor

    monkeypatch.setattr(khaya.db.cursor, "_secret", lambda: b"cursor-test-key")

    # Given ten answers that keep no item (and carry no Items at all) but evaluated further each time
    for i in range(10):
        stub.add_response("query", {"Count": 0, "ScannedCount": 4, "LastEvaluatedKey": _bid(f"w{i}")})

    # When a filtered page is read
    page = db.query(keys.job_pk("j1"), limit=3, scope="bids:j1", filter="amountMinor > :min", values={":min": 1})

    # Then it is empty, and its cursor is the last key DynamoDB evaluated
    assert page.items == [] and page.next_cursor is not None
    assert decode_cursor(page.next_cursor, "bids:j1") == {"pk": keys.job_pk("j1"), "sk": keys.bid("j1", "w9").sk}


def test_query_pages_of_an_answer_without_items_yields_nothing(stub: Stubber) -> None:
    stub.add_response("query", {"Count": 0, "ScannedCount": 0})
    assert list(db.query_pages(keys.job_pk("j1"))) == []


def _batch_sent(*worker_ids: str) -> dict[str, Any]:
    from khaya.config import settings

    return {"RequestItems": {settings().table_name: {"Keys": [_bid(w) for w in worker_ids]}}}


def _unprocessed(*worker_ids: str) -> dict[str, Any]:
    from khaya.config import settings

    return {settings().table_name: {"Keys": [_bid(w) for w in worker_ids]}}


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[tuple[float, float]]:
    """The (low, high) bounds of each jittered wait, taken instead of sleeping."""
    import random
    import time

    bounds: list[tuple[float, float]] = []

    def uniform(a: float, b: float) -> float:
        bounds.append((a, b))
        return b

    monkeypatch.setattr(random, "uniform", uniform)
    monkeypatch.setattr(time, "sleep", lambda _: None)
    return bounds


def test_batch_get_reads_answers_that_omit_responses_or_unprocessed_keys(
    stub: Stubber, waits: list[tuple[float, float]]
) -> None:
    from khaya.config import settings

    table = settings().table_name
    # Given a first answer with no Responses, a second with none for the table, a third with no
    # UnprocessedKeys
    stub.add_response("batch_get_item", {"UnprocessedKeys": _unprocessed("w1", "w2")}, _batch_sent("w1", "w2"))
    stub.add_response(
        "batch_get_item", {"Responses": {}, "UnprocessedKeys": _unprocessed("w1", "w2")}, _batch_sent("w1", "w2")
    )
    stub.add_response("batch_get_item", {"Responses": {table: [_bid("w1")]}}, _batch_sent("w1", "w2"))

    # When two bids are read / Then the one that exists is returned after two backed-off waits
    items = db.batch_get([tuple(keys.bid("j1", "w1")), tuple(keys.bid("j1", "w2"))])  # type: ignore[list-item]
    assert items == [{"pk": keys.job_pk("j1"), "sk": keys.bid("j1", "w1").sk}]
    assert waits == [(0, 0.05), (0, 0.1)]


def test_batch_get_gives_up_after_eight_attempts_waiting_at_most_a_second(
    stub: Stubber, waits: list[tuple[float, float]]
) -> None:
    # Given DynamoDB never processes the key
    for _ in range(8):
        stub.add_response("batch_get_item", {"UnprocessedKeys": _unprocessed("w1")}, _batch_sent("w1"))

    # When it is read / Then the eighth attempt is the last, a 503
    with pytest.raises(ServiceUnavailable):
        db.batch_get([tuple(keys.bid("j1", "w1"))])  # type: ignore[list-item]

    # And the waits between attempts doubled from 50 ms, capped at one second
    assert waits == [(0, 0.05), (0, 0.1), (0, 0.2), (0, 0.4), (0, 0.8), (0, 1.0), (0, 1.0)]


# ---------------------------------------------------------------- transaction limits and failures


def test_a_transaction_of_exactly_one_hundred_actions_is_sent(stub: Stubber) -> None:
    from botocore.stub import ANY

    stub.add_response("transact_write_items", {}, expected_params={"TransactItems": ANY})
    db.transact([db.tx_put({**keys.job(f"j{i}").item()}) for i in range(100)])


def test_a_transaction_of_none_or_over_one_hundred_actions_is_refused(stub: Stubber) -> None:
    with pytest.raises(ValueError, match=r"^a transaction needs at least one action$"):
        db.transact([])
    with pytest.raises(ValueError, match=r"^a transaction holds at most 100 actions$"):
        db.transact([db.tx_put({**keys.job(f"j{i}").item()}) for i in range(101)])


def test_a_cancellation_for_reasons_neither_condition_conflict_nor_throttling_surfaces_as_it_is(
    stub: Stubber,
) -> None:
    from botocore.exceptions import ClientError

    _cancelled_with(stub, "Transaction cancelled.", [{"Code": "None"}, {"Code": "ValidationError"}])
    with pytest.raises(ClientError) as err:
        db.transact(_two_actions())
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"


def test_a_transaction_that_cannot_reach_the_database_is_a_503_naming_the_dependency(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import EndpointConnectionError

    from khaya.aws import client

    def unreachable(**_: Any) -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:9")

    monkeypatch.setattr(client("dynamodb"), "transact_write_items", unreachable)
    with pytest.raises(ServiceUnavailable) as err:
        db.transact(_two_actions())
    assert err.value.code == "dependency_unavailable" and err.value.message == "The database is unreachable."
