"""The Stripe adapter sends exactly the documented requests and reads the documented answers.

Intercepted at the ``requests`` transport (no socket). Stripe takes form-encoded bodies with
nested ``a[b][c]`` keys, a Bearer secret key, and an ``Idempotency-Key`` on every POST.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
import responses

from khaya.payments.http_client import ProviderRejected
from khaya.payments.stripe_api import API_VERSION, Stripe, form

BASE = "https://api.stripe.com"
KEY = "sk_test_contract_stripe"
REF = "kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01"


@pytest.fixture
def stripe(intercepted):
    return Stripe(base_url=BASE, secret_key=KEY), intercepted


def fields(req):
    return dict(parse_qsl(req.body))


def assert_headers(req, key=None):
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Stripe-Version"] == API_VERSION
    if key is not None:
        assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
        assert req.headers["Idempotency-Key"] == key


SESSION = {
    "id": "cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
    "object": "checkout.session",
    "amount_subtotal": 150000,
    "amount_total": 150000,
    "client_reference_id": REF,
    "currency": "zar",
    "livemode": False,
    "metadata": {"jobId": "J1", "bidId": "J1.W1", "reference": REF},
    "mode": "payment",
    "payment_intent": None,
    "payment_status": "unpaid",
    "status": "open",
    "url": "https://checkout.stripe.com/c/pay/cs_test_a1YS1URlnyQCN5fUUduORoQ7Pw41PJqDWkIVQCpJPqkfIhd6tVY8XB1OLY",
}


def test_form_encoding_nests_dicts_and_lists_as_stripe_expects():
    assert form({"a": 1, "b": {"c": "x", "d": [1, {"e": True}]}, "n": None}) == [
        ("a", "1"),
        ("b[c]", "x"),
        ("b[d][0]", "1"),
        ("b[d][1][e]", "true"),
    ]


def test_a_checkout_session_is_created_with_one_line_our_reference_metadata_and_an_idempotency_key(stripe):
    adapter, rsps = stripe
    rsps.add(responses.POST, f"{BASE}/v1/checkout/sessions", json=SESSION)
    session = adapter.start_checkout(
        reference=REF,
        amount=150000,
        currency="ZAR",
        email="client@example.com",
        description="Khaya job: Paint a wall",
        metadata={"jobId": "J1", "bidId": "J1.W1", "reference": REF},
        return_url="https://khaya.app/payments/return",
    )
    req = rsps.calls[0].request
    assert_headers(req, key=f"checkout-{REF}")
    assert fields(req) == {
        "mode": "payment",
        "client_reference_id": REF,
        "success_url": f"https://khaya.app/payments/return?reference={REF}",
        "cancel_url": f"https://khaya.app/payments/return?reference={REF}&cancelled=true",
        "line_items[0][quantity]": "1",
        "line_items[0][price_data][currency]": "zar",
        "line_items[0][price_data][unit_amount]": "150000",
        "line_items[0][price_data][product_data][name]": "Khaya job: Paint a wall",
        "metadata[jobId]": "J1",
        "metadata[bidId]": "J1.W1",
        "metadata[reference]": REF,
        "payment_intent_data[metadata][jobId]": "J1",
        "payment_intent_data[metadata][bidId]": "J1.W1",
        "payment_intent_data[metadata][reference]": REF,
    }
    assert session.provider_ref == SESSION["id"] and session.authorization_url == SESSION["url"]


def test_a_lost_create_is_resent_with_the_same_idempotency_key(stripe):
    adapter, rsps = stripe
    rsps.add(responses.POST, f"{BASE}/v1/checkout/sessions", json={"error": {"type": "api_error"}}, status=500)
    rsps.add(responses.POST, f"{BASE}/v1/checkout/sessions", json=SESSION)
    adapter.start_checkout(
        reference=REF, amount=1, currency="ZAR", email="e", description="d", metadata={}, return_url="https://x"
    )
    keys = [c.request.headers["Idempotency-Key"] for c in rsps.calls]
    assert keys == [f"checkout-{REF}", f"checkout-{REF}"]


def test_reading_a_session_back_judges_it_by_payment_status(stripe):
    adapter, rsps = stripe
    paid = {**SESSION, "payment_status": "paid", "status": "complete", "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa"}
    rsps.add(responses.GET, f"{BASE}/v1/checkout/sessions/{SESSION['id']}", json=paid)
    charge = adapter.verify_charge(REF, SESSION["id"])
    assert_headers(rsps.calls[0].request)
    assert (charge.state, charge.amount, charge.currency, charge.reference) == ("success", 150000, "ZAR", REF)
    assert charge.provider_payment_id == "pi_3MtwBwLkdIwHu7ix28a3tqPa" and charge.live is False


def test_a_refund_names_the_payment_intent_and_carries_our_reference(stripe):
    adapter, rsps = stripe
    rsps.add(
        responses.POST,
        f"{BASE}/v1/refunds",
        json={
            "id": "re_1Nispe2eZvKYlo2Cd31jOCgZ",
            "object": "refund",
            "amount": 150000,
            "currency": "zar",
            "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
            "status": "succeeded",
            "metadata": {"reference": REF},
        },
    )
    refund = adapter.refund(
        reference=REF, provider_payment_id="pi_3MtwBwLkdIwHu7ix28a3tqPa", amount=150000, currency="ZAR"
    )
    req = rsps.calls[0].request
    assert_headers(req, key=f"refund-{REF}")
    assert fields(req) == {
        "payment_intent": "pi_3MtwBwLkdIwHu7ix28a3tqPa",
        "amount": "150000",
        "metadata[reference]": REF,
    }
    assert (refund.refund_id, refund.state) == ("re_1Nispe2eZvKYlo2Cd31jOCgZ", "succeeded")


def test_a_connect_transfer_goes_to_the_workers_account_under_our_reference(stripe):
    adapter, rsps = stripe
    ref = "khaya-payout-01jd0z7a1b2c3d4e5f6g7h8j9k-1"
    rsps.add(
        responses.POST,
        f"{BASE}/v1/transfers",
        json={
            "id": "tr_1MiN3gLkdIwHu7ixNCZvFdgA",
            "object": "transfer",
            "amount": 142500,
            "currency": "usd",
            "destination": "acct_1MTfjCQ9PRzxEwkZ",
            "reversed": False,
            "transfer_group": ref,
        },
    )
    result = adapter.transfer(
        reference=ref, amount=142500, currency="USD", destination="acct_1MTfjCQ9PRzxEwkZ", reason="Khaya job J1"
    )
    req = rsps.calls[0].request
    assert_headers(req, key=ref)
    assert fields(req) == {
        "amount": "142500",
        "currency": "usd",
        "destination": "acct_1MTfjCQ9PRzxEwkZ",
        "transfer_group": ref,
        "description": "Khaya job J1",
        "metadata[reference]": ref,
    }
    assert (result.state, result.transfer_code) == ("success", "tr_1MiN3gLkdIwHu7ixNCZvFdgA")


def test_a_transfer_is_found_again_by_its_group(stripe):
    adapter, rsps = stripe
    ref = "khaya-payout-01jd0z7a1b2c3d4e5f6g7h8j9k-1"
    rsps.add(
        responses.GET,
        f"{BASE}/v1/transfers",
        json={"object": "list", "data": [{"id": "tr_1", "object": "transfer", "reversed": True}], "has_more": False},
        match=[responses.matchers.query_param_matcher({"transfer_group": ref, "limit": "1"})],
    )
    rsps.add(
        responses.GET,
        f"{BASE}/v1/transfers",
        json={"object": "list", "data": [], "has_more": False},
        match=[responses.matchers.query_param_matcher({"transfer_group": "other", "limit": "1"})],
    )
    assert adapter.verify_transfer(ref).state == "reversed"
    assert adapter.verify_transfer("other") is None


def test_a_connected_account_shows_its_business_name_and_a_missing_one_none(stripe):
    adapter, rsps = stripe
    rsps.add(
        responses.GET,
        f"{BASE}/v1/accounts/acct_1Nv0FGQ9RKHgCVdK",
        json={
            "id": "acct_1Nv0FGQ9RKHgCVdK",
            "object": "account",
            "business_profile": {"name": None},
            "settings": {"dashboard": {"display_name": "Sipho Works"}},
            "email": "sipho@example.com",
        },
    )
    rsps.add(
        responses.GET,
        f"{BASE}/v1/accounts/acct_nope",
        json={"error": {"type": "invalid_request_error", "message": "No such account: 'acct_nope'"}},
        status=404,
    )
    assert adapter.account_name("acct_1Nv0FGQ9RKHgCVdK") == "Sipho Works"
    assert adapter.account_name("acct_nope") is None


def test_an_invalid_request_is_rejected_and_not_retried(stripe):
    adapter, rsps = stripe
    rsps.add(
        responses.POST,
        f"{BASE}/v1/refunds",
        json={"error": {"type": "invalid_request_error", "message": "Charge has already been refunded."}},
        status=400,
    )
    with pytest.raises(ProviderRejected) as err:
        adapter.refund(reference=REF, provider_payment_id="pi_1", amount=1, currency="ZAR")
    assert err.value.provider_message == "Charge has already been refunded." and len(rsps.calls) == 1
