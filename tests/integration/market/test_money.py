"""Money edges a client or worker notices: amounts are more than 0, and a job has one currency
(its budget's, else its city's country's, else the client's phone region's)."""

from __future__ import annotations

import json

import pytest

from local.cfn import ROOT
from tests.integration.market.conftest import CLIENT, WORKER, bid_body, job_body, profile_body


def _bid(market, job_id, amount, currency="ZAR"):
    body = bid_body() | {"amount": {"amount": amount, "currency": currency}}
    return market.call("POST", f"/v1/jobs/{job_id}/bids", body=body, caller=WORKER)


def _no_budget(**overrides):
    body = job_body(**overrides)
    body.pop("budget")
    return body


@pytest.mark.parametrize("amount", [0, -1, -75000])
def test_a_bid_of_zero_or_less_is_a_422_and_nothing_is_placed(market, amount):
    job = market.post_job()
    res = _bid(market, job["id"], amount)
    assert res.status == 422, res
    assert res.json["error"]["code"] == "amount_not_positive"
    assert res.json["error"]["details"] == [{"field": "amount.amount", "issue": "not_positive"}]
    assert market.ids(f"/v1/jobs/{job['id']}/bids", CLIENT) == []


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", "/v1/jobs", job_body(budget={"amount": 0, "currency": "ZAR"}), "budget.amount"),
        ("PUT", "/v1/me/worker-profile", None, "hourlyRate.amount"),
    ],
)
def test_a_budget_or_hourly_rate_of_zero_is_a_422(market, method, path, body, field):
    if body is None:
        body = profile_body(hourlyRate={"amount": 0, "currency": "ZAR"})
    who = CLIENT if path == "/v1/jobs" else WORKER
    res = market.call(method, path, body=body, caller=who)
    assert res.status == 422, res
    assert res.json["error"]["details"] == [{"field": field, "issue": "not_positive"}]
    assert market.ids("/v1/me/jobs", CLIENT) == []


def test_a_budget_changed_to_zero_or_to_another_currency_is_a_422(market):
    job = market.post_job()
    for budget, code, field in (
        ({"amount": 0, "currency": "ZAR"}, "amount_not_positive", {"field": "budget.amount", "issue": "not_positive"}),
        ({"amount": 5000, "currency": "USD"}, "currency_mismatch", {"field": "budget.currency", "issue": "mismatch"}),
    ):
        res = market.call("PATCH", f"/v1/jobs/{job['id']}", body={"budget": budget}, caller=CLIENT)
        assert res.status == 422 and res.json["error"]["code"] == code, res
        assert res.json["error"]["details"] == [field]
        assert res.json["error"]["message"].startswith("budget: ")
    assert market.job(job["id"])["budget"] == {"amount": 80000, "currency": "ZAR"}


def test_a_job_without_a_budget_takes_bids_in_its_citys_currency_only(market):
    # Given a job in Lagos with no budget
    job = market.call("POST", "/v1/jobs", body=_no_budget(city="Lagos"), caller=CLIENT).json
    # Then its currency is Nigeria's, bids in naira are taken and bids in anything else are 422
    assert job["currency"] == "NGN"
    for currency in ("USD", "ZAR"):
        res = _bid(market, job["id"], 5000, currency)
        assert res.status == 422 and res.json["error"]["code"] == "currency_mismatch", res
        assert res.json["error"]["details"] == [{"field": "amount.currency", "issue": "mismatch"}]
    assert _bid(market, job["id"], 5000, "NGN").status == 201


def test_a_budget_sets_the_currency_of_the_job(market):
    job = market.post_job(city="Nairobi", budget={"amount": 20000, "currency": "USD"})
    assert job["currency"] == "USD"
    assert _bid(market, job["id"], 5000, "KES").status == 422
    assert _bid(market, job["id"], 19000, "USD").status == 201


def test_a_city_of_no_known_country_takes_the_clients_phone_region(market, call_route):
    from tests.support.identity import signup_and_login_in_process

    ghanaian = signup_and_login_in_process(call_route, "client", phone="+233241234567")
    res = market.call("POST", "/v1/jobs", body=_no_budget(city="Dodowa"), caller=ghanaian["caller"])
    assert res.status == 201, res
    assert res.json["currency"] == "GHS"
    assert market.call("GET", "/v1/jobs", caller=WORKER, query="status=open").json["items"][0]["currency"] == "GHS"


def test_the_openapi_document_says_amounts_are_more_than_zero():
    doc = json.loads((ROOT / "layers/core/khaya/openapi.json").read_text())
    # Money is closed in requests and open in responses, so the document holds both forms
    for form in ("Money-Input", "Money-Output"):
        amount = doc["components"]["schemas"][form]["properties"]["amount"]
        assert amount["minimum"] == 1 and amount["type"] == "integer", form
    assert doc["components"]["schemas"]["Money-Input"]["additionalProperties"] is False
