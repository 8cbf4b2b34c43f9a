"""Payout accounts, the bank list and a user's transactions."""

from __future__ import annotations

import pytest

from tests.integration.payments.conftest import CLIENT, CLIENT2, WORKER, WORKER2
from tests.support.payments import unavailable


def put(flow, body, who=WORKER):
    return flow.call("PUT", "/v1/me/payout-account", body=body, caller=who)


def test_a_paystack_account_is_resolved_first_and_kept_masked(flow):
    res = put(flow, {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567"})
    assert res.status == 200
    assert res.json["accountName"] == "THANDI MOKOENA" and res.json["bankName"] == "Absa Bank"
    assert res.json["accountNumber"] == "******4567"
    recipient = flow.fakes.paystack.called("create_recipient")[0]
    assert recipient["type"] == "basa" and recipient["currency"] == "ZAR" and recipient["name"] == "THANDI MOKOENA"
    shown = flow.call("GET", "/v1/me/payout-account", caller=WORKER)
    assert shown.status == 200 and shown.json == res.json
    assert "4071234567" not in shown.text


def test_mobile_money_is_a_mobile_money_recipient(flow):
    res = put(flow, {"provider": "paystack", "bankCode": "MPESA", "accountNumber": "254712345678", "currency": "KES"})
    assert res.status == 200 and res.json["currency"] == "KES"
    assert flow.fakes.paystack.called("create_recipient")[0]["type"] == "mobile_money"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"provider": "paystack", "bankCode": "632005", "accountNumber": "0001234567"}, "account_not_resolved"),
        ({"provider": "paystack", "bankCode": "999999", "accountNumber": "4071234567"}, "unknown_bank"),
        ({"provider": "paystack", "bankCode": "68", "accountNumber": "4071234567"}, "unsupported_account_type"),
        ({"provider": "stripe", "accountId": "acct_missing1"}, "account_not_resolved"),
    ],
)
def test_an_account_that_does_not_resolve_is_a_422_and_nothing_is_saved(flow, body, code):
    res = put(flow, body)
    assert res.status == 422 and res.json["error"]["code"] == code
    assert flow.call("GET", "/v1/me/payout-account", caller=WORKER).status == 404
    assert flow.fakes.paystack.called("create_recipient") == []


def test_a_stripe_connect_account_shows_its_name(flow):
    res = put(flow, {"provider": "stripe", "accountId": "acct_1Nv0FGQ9RKHgCVdK"})
    assert res.status == 200 and res.json["accountName"] == "Sipho Works Ltd"
    assert res.json["accountId"] == "acct_1Nv0FGQ9RKHgCVdK"


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "paystack", "bankCode": "632005"},
        {"provider": "paystack", "accountNumber": "4071234567"},
        {"provider": "paystack", "bankCode": "632005", "accountNumber": "40712x4567"},
        {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567", "accountId": "acct_1"},
        {"provider": "stripe", "accountId": "not-an-account"},
        {"provider": "stripe", "accountId": "acct_123456", "currency": "ZAR"},
        {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567", "currency": "USD"},
        {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567", "iban": "x"},
        {"provider": "mpesa"},
    ],
)
def test_bad_payout_account_input_is_a_400_and_calls_no_provider(flow, body):
    res = put(flow, body)
    assert res.status == 400 and res.json["error"]["code"] == "validation_error", res
    assert flow.fakes.paystack.calls == [] and flow.fakes.stripe.calls == []


def test_only_workers_have_payout_accounts(flow):
    res = put(flow, {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567"}, who=CLIENT)
    assert res.status == 403
    assert flow.call("GET", "/v1/me/payout-account", caller=CLIENT).status == 403
    put(flow, {"provider": "paystack", "bankCode": "632005", "accountNumber": "4071234567"})
    assert flow.call("GET", "/v1/me/payout-account", caller=WORKER2).status == 404  # another worker sees none


def test_the_bank_list_is_cached_in_memory_and_in_the_table_and_survives_paystack_being_down(flow):
    from khaya import db
    from khaya.payments import accounts, keys

    def banks(currency, who=CLIENT):
        return flow.call("GET", "/v1/banks", caller=who, query=f"currency={currency}")

    def asked(currency):
        return len([c for c in flow.fakes.paystack.called("list_banks") if c["currency"] == currency])

    # A worker saving a payout account fetched the ZAR list and kept it in the table
    flow.payout_account()
    assert asked("ZAR") == 1
    accounts._banks_cache.clear()  # a cold container: served from the table, Paystack not asked
    zar = banks("ZAR")
    assert zar.status == 200 and {"code": "632005", "name": "Absa Bank", "type": "basa"} in zar.json["items"]
    assert asked("ZAR") == 1
    # The route itself only reads: a list it fetched is kept in memory, not written
    first = banks("KES")
    assert {"code": "MPESA", "name": "M-PESA", "type": "mobile_money"} in first.json["items"]
    assert banks("KES", WORKER).json == first.json and asked("KES") == 1
    assert db.get(*keys.bank_list("KES")) is None
    # Paystack down, the table's copy a day old: the older copy is served
    db.update(*keys.bank_list("ZAR"), set={"fetchedAt": 0})
    accounts._banks_cache.clear()
    flow.fakes.paystack.fail["list_banks"] = unavailable()
    assert banks("ZAR").json == zar.json
    # And with nothing anywhere, a clean 503
    down = banks("NGN")
    assert down.status == 503 and set(down.json) == {"error", "requestId"}


@pytest.mark.parametrize("query", ["currency=EUR", "currency=USD", "currency="])
def test_the_bank_list_takes_only_payout_currencies(flow, query):
    assert flow.call("GET", "/v1/banks", caller=CLIENT, query=query).status == 400


def test_transactions_are_the_callers_own_positive_and_newest_first(flow):
    job, _, _ = flow.funded_job(amount=30000)
    other, _, _ = flow.funded_job(client=CLIENT2, worker=WORKER2, amount=45000)
    mine = flow.transactions(CLIENT)
    assert [(t["type"], t["amount"], t["jobId"], t["reference"]) for t in mine] == [
        ("charge", {"amount": 30000, "currency": "ZAR"}, job["id"], f"kh-{job['id']}-01")
    ]
    assert set(mine[0]) == {"id", "type", "amount", "jobId", "reference", "createdAt"}
    assert [t["jobId"] for t in flow.transactions(CLIENT2)] == [other["id"]]
    assert flow.transactions(WORKER) == []


def test_transactions_page_with_a_cursor_bound_to_the_caller(flow):
    for _ in range(3):
        flow.funded_job(amount=10000)
    page = flow.call("GET", "/v1/me/transactions", caller=CLIENT, query="limit=2")
    assert len(page.json["items"]) == 2 and page.json["nextCursor"]
    rest = flow.call("GET", "/v1/me/transactions", caller=CLIENT, query=f"limit=2&cursor={page.json['nextCursor']}")
    assert len(rest.json["items"]) == 1 and rest.json["nextCursor"] is None
    stolen = flow.call("GET", "/v1/me/transactions", caller=CLIENT2, query=f"cursor={page.json['nextCursor']}")
    assert stolen.status == 400 and stolen.json["error"]["code"] == "invalid_cursor"
    assert flow.call("GET", "/v1/me/transactions", caller=CLIENT, query="limit=0").status == 400
