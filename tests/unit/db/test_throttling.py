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
