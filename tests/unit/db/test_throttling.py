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
