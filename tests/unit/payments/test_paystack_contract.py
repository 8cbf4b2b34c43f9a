"""The Paystack adapter sends exactly the documented requests and reads the documented answers.

Every request is intercepted at the ``requests`` transport (no socket): its method, path,
query, JSON fields and headers are pinned here against Paystack's API reference, and the
answers are the reference's own examples.
"""

from __future__ import annotations

import json

import pytest
import requests
import responses

from khaya.payments.http_client import ProviderRejected, ProviderUnavailable
from khaya.payments.paystack_api import Paystack

BASE = "https://api.paystack.co"
KEY = "sk_test_contract_0000000000"


@pytest.fixture
def paystack(intercepted):
    return Paystack(base_url=BASE, secret_key=KEY), intercepted


def sent(rsps, i=0):
    req = rsps.calls[i].request
    return req, json.loads(req.body) if req.body else None


def assert_authorised(req):
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Accept"] == "application/json"


# ---------------------------------------------------------------- documented answers

INITIALIZED = {
    "status": True,
    "message": "Authorization URL created",
    "data": {
        "authorization_url": "https://checkout.paystack.com/0peioxfhpn",
        "access_code": "0peioxfhpn",
        "reference": "kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01",
    },
}


def verified(status="success", amount=40333, currency="NGN", metadata=None, domain="test"):
    return {
        "status": True,
        "message": "Verification successful",
        "data": {
            "id": 4099260516,
            "domain": domain,
            "status": status,
            "reference": "re4lyvq3s3",
            "receipt_number": None,
            "amount": amount,
            "message": None,
            "gateway_response": "Successful",
            "paid_at": "2024-08-22T09:15:02.000Z",
            "created_at": "2024-08-22T09:14:24.000Z",
            "channel": "card",
            "currency": currency,
            "ip_address": "197.210.54.33",
            "metadata": "" if metadata is None else metadata,
            "fees": 10283,
            "customer": {"id": 181873746, "email": "demo@test.com", "customer_code": "CUS_1rkzaqsv4rrhqo6"},
        },
    }


# ---------------------------------------------------------------- checkout


@pytest.mark.parametrize(
    ("currency", "channels"),
    [("KES", ["card", "mobile_money"]), ("GHS", ["card", "mobile_money"]), ("ZAR", ["card", "eft"])],
)
def test_initialize_sends_the_subunit_amount_currency_reference_metadata_callback_and_channels(
    paystack, currency, channels
):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transaction/initialize", json=INITIALIZED)
    session = adapter.start_checkout(
        reference="kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01",
        amount=150000,
        currency=currency,
        email="client@example.com",
        description="Khaya job: Paint a wall",
        metadata={"jobId": "J1", "bidId": "J1.W1", "reference": "kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01"},
        return_url="https://khaya.app/payments/return",
    )
    req, body = sent(rsps)
    assert req.method == "POST" and req.url == f"{BASE}/transaction/initialize"
    assert_authorised(req)
    assert req.headers["Content-Type"] == "application/json"
    assert body == {
        "email": "client@example.com",
        "amount": 150000,
        "currency": currency,
        "reference": "kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01",
        "callback_url": "https://khaya.app/payments/return",
        "channels": channels,
        "metadata": {
            "jobId": "J1",
            "bidId": "J1.W1",
            "reference": "kh-01JD0Z7A1B2C3D4E5F6G7H8J9K-01",
            "description": "Khaya job: Paint a wall",
        },
    }
    assert session.authorization_url == "https://checkout.paystack.com/0peioxfhpn"
    assert session.provider_ref == "0peioxfhpn"


def _init(adapter):
    return adapter.start_checkout(
        reference="r-1", amount=1, currency="NGN", email="e@x.co", description="d", metadata={}, return_url="u"
    )


@pytest.mark.parametrize("status", [500, 502, 503])
def test_initialize_is_never_resent_and_a_lost_answer_is_ambiguous(paystack, status):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transaction/initialize", json={"status": False}, status=status)
    with pytest.raises(ProviderUnavailable) as err:
        _init(adapter)
    assert err.value.ambiguous is True
    assert len(rsps.calls) == 1


def test_initialize_cut_off_mid_request_is_ambiguous_and_a_refused_connection_is_not(paystack):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transaction/initialize", body=requests.ConnectionError("reset by peer"))
    with pytest.raises(ProviderUnavailable) as cut:
        _init(adapter)
    rsps.add(responses.POST, f"{BASE}/transaction/initialize", body=requests.ConnectTimeout("no route"))
    with pytest.raises(ProviderUnavailable) as never:
        _init(adapter)
    assert (cut.value.ambiguous, never.value.ambiguous) == (True, False)
    assert len(rsps.calls) == 2


def test_a_refusal_is_a_provider_rejected_and_is_not_retried(paystack):
    adapter, rsps = paystack
    rsps.add(
        responses.POST,
        f"{BASE}/transaction/initialize",
        json={"status": False, "message": "Duplicate Transaction Reference"},
        status=400,
    )
    with pytest.raises(ProviderRejected) as err:
        _init(adapter)
    assert err.value.http_status == 400 and err.value.provider_message == "Duplicate Transaction Reference"
    assert err.value.status == 502  # what our client would see
    assert len(rsps.calls) == 1


def test_verify_reads_data_status_amount_currency_and_metadata(paystack):
    adapter, rsps = paystack
    meta = {"jobId": "J1", "bidId": "J1.W1"}
    rsps.add(responses.GET, f"{BASE}/transaction/verify/re4lyvq3s3", json=verified(metadata=meta))
    charge = adapter.verify_charge("re4lyvq3s3", None)
    req, _ = sent(rsps)
    assert req.method == "GET" and req.body is None
    assert_authorised(req)
    assert (charge.state, charge.amount, charge.currency, charge.metadata) == ("success", 40333, "NGN", meta)
    assert charge.live is False and charge.provider_payment_id == "4099260516"


@pytest.mark.parametrize(
    ("status", "state"),
    [("failed", "failed"), ("abandoned", "pending"), ("ongoing", "pending"), ("reversed", "failed")],
)
def test_a_successful_call_about_an_unsuccessful_charge_is_judged_by_data_status(paystack, status, state):
    # The top-level "status": true only says the call worked.
    adapter, rsps = paystack
    rsps.add(responses.GET, f"{BASE}/transaction/verify/re4lyvq3s3", json=verified(status=status))
    charge = adapter.verify_charge("re4lyvq3s3", None)
    assert charge.state == state and charge.provider_status == status
    assert charge.metadata == {}  # Paystack sends "" when there is none


def test_verify_is_a_read_and_is_retried_after_a_5xx(paystack):
    adapter, rsps = paystack
    url = f"{BASE}/transaction/verify/re4lyvq3s3"
    rsps.add(responses.GET, url, json={}, status=503)
    rsps.add(responses.GET, url, json=verified())
    assert adapter.verify_charge("re4lyvq3s3", None).state == "success"
    assert len(rsps.calls) == 2


def test_a_200_that_says_status_false_is_a_refusal(paystack):
    adapter, rsps = paystack
    rsps.add(responses.GET, f"{BASE}/transaction/verify/x", json={"status": False, "message": "Invalid key"})
    with pytest.raises(ProviderRejected):
        adapter.verify_charge("x", None)


def test_refund_sends_the_transaction_reference_amount_and_currency_once(paystack):
    adapter, rsps = paystack
    rsps.add(
        responses.POST,
        f"{BASE}/refund",
        json={
            "status": True,
            "message": "Refund has been queued for processing",
            "data": {
                "transaction": {"id": 1004723697, "domain": "live", "reference": "T685312322670591", "amount": 10000},
                "integration": 412829,
                "deducted_amount": 0,
                "channel": None,
                "merchant_note": "Job cancelled",
                "status": "pending",
                "currency": "NGN",
                "domain": "live",
                "amount": 10000,
                "fully_deducted": False,
                "id": 1234567,
            },
        },
    )
    refund = adapter.refund(
        reference="T685312322670591", provider_payment_id="1004723697", amount=10000, currency="NGN"
    )
    req, body = sent(rsps)
    assert req.method == "POST" and req.url == f"{BASE}/refund"
    assert_authorised(req)
    assert body == {
        "transaction": "T685312322670591",
        "amount": 10000,
        "currency": "NGN",
        "merchant_note": "Job cancelled",
    }
    assert (refund.refund_id, refund.state) == ("1234567", "pending")


def test_refund_has_no_idempotency_key_so_it_is_never_resent(paystack):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/refund", body=requests.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable) as err:
        adapter.refund(reference="T1", provider_payment_id=None, amount=1, currency="NGN")
    assert err.value.ambiguous is True and len(rsps.calls) == 1


# ---------------------------------------------------------------- banks and recipients


def test_the_bank_list_is_read_by_currency_following_the_cursor(paystack):
    adapter, rsps = paystack

    def bank(name, code, kind):
        return {
            "name": name,
            "slug": name.lower(),
            "code": code,
            "longcode": "",
            "gateway": None,
            "pay_with_bank": False,
            "active": True,
            "is_deleted": False,
            "country": "Kenya",
            "currency": "KES",
            "type": kind,
            "id": 1,
        }

    rsps.add(
        responses.GET,
        f"{BASE}/bank",
        json={
            "status": True,
            "message": "Banks retrieved",
            "data": [bank("M-PESA", "MPESA", "mobile_money")],
            "meta": {"next": "YmFuazoxNjk=", "previous": None, "perPage": 100},
        },
        match=[responses.matchers.query_param_matcher({"currency": "KES", "perPage": "100", "use_cursor": "true"})],
    )
    rsps.add(
        responses.GET,
        f"{BASE}/bank",
        json={
            "status": True,
            "message": "Banks retrieved",
            "data": [bank("Equity Bank", "68", "kepss"), {**bank("Old Bank", "1", "kepss"), "active": False}],
            "meta": {"next": None, "previous": "YmFuazoxNjk=", "perPage": 100},
        },
        match=[
            responses.matchers.query_param_matcher(
                {"currency": "KES", "perPage": "100", "use_cursor": "true", "next": "YmFuazoxNjk="}
            )
        ],
    )
    banks = adapter.list_banks("KES")
    assert [(b.code, b.name, b.type) for b in banks] == [
        ("MPESA", "M-PESA", "mobile_money"),
        ("68", "Equity Bank", "kepss"),
    ]
    assert_authorised(rsps.calls[0].request)


def test_resolve_asks_for_the_account_name_by_number_and_bank_code(paystack):
    adapter, rsps = paystack
    rsps.add(
        responses.GET,
        f"{BASE}/bank/resolve",
        json={
            "status": True,
            "message": "Account number resolved",
            "data": {"account_number": "0001234567", "account_name": "Doe Jane Loren", "bank_id": 9},
        },
        match=[responses.matchers.query_param_matcher({"account_number": "0001234567", "bank_code": "058"})],
    )
    assert adapter.resolve_account(bank_code="058", account_number="0001234567") == "Doe Jane Loren"
    assert_authorised(rsps.calls[0].request)


@pytest.mark.parametrize("kind", ["basa", "nuban", "mobile_money", "ghipss"])
def test_a_transfer_recipient_is_created_with_its_type_account_bank_and_currency(paystack, kind):
    adapter, rsps = paystack
    rsps.add(
        responses.POST,
        f"{BASE}/transferrecipient",
        json={
            "status": True,
            "message": "Transfer recipient created successfully",
            "data": {
                "active": True,
                "currency": "NGN",
                "domain": "test",
                "id": 46372386,
                "name": "Tolu Robert",
                "recipient_code": "RCP_m7ljkv8leesep7p",
                "type": kind,
                "is_deleted": False,
                "details": {"account_number": "01000000010", "bank_code": "058"},
            },
        },
    )
    code = adapter.create_recipient(
        type=kind, name="Tolu Robert", account_number="01000000010", bank_code="058", currency="NGN"
    )
    _, body = sent(rsps)
    assert body == {
        "type": kind,
        "name": "Tolu Robert",
        "account_number": "01000000010",
        "bank_code": "058",
        "currency": "NGN",
    }
    assert code == "RCP_m7ljkv8leesep7p"


def test_an_unsupported_recipient_type_is_refused_before_any_request(paystack):
    adapter, _ = paystack
    with pytest.raises(ValueError):
        adapter.create_recipient(type="kepss", name="x", account_number="1", bank_code="1", currency="KES")


# ---------------------------------------------------------------- transfers

TRANSFERRED = {
    "status": True,
    "message": "Transfer has been queued",
    "data": {
        "transfersessionid": [],
        "domain": "test",
        "amount": 37800,
        "currency": "NGN",
        "reference": "khaya-payout-01jd0z7a1b2c3d4e5f6g7h8j9k-1",
        "source": "balance",
        "source_details": None,
        "reason": "Khaya job",
        "status": "pending",
        "failures": None,
        "transfer_code": "TRF_vsyqdmlzble3uii",
        "titan_code": None,
        "transferred_at": None,
        "id": 473405767,
        "integration": 428626,
        "request": 430553456,
        "recipient": 56824902,
    },
}
REF = "khaya-payout-01jd0z7a1b2c3d4e5f6g7h8j9k-1"


def test_a_transfer_sends_source_amount_recipient_and_our_deterministic_reference(paystack):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transfer", json=TRANSFERRED)
    result = adapter.transfer(
        reference=REF, amount=37800, currency="NGN", destination="RCP_m7ljkv8leesep7p", reason="Khaya job"
    )
    req, body = sent(rsps)
    assert_authorised(req)
    assert body == {
        "source": "balance",
        "amount": 37800,
        "currency": "NGN",
        "recipient": "RCP_m7ljkv8leesep7p",
        "reference": REF,
        "reason": "Khaya job",
    }
    assert (result.state, result.transfer_code) == ("pending", "TRF_vsyqdmlzble3uii")


def test_a_transfer_that_asks_for_an_otp_says_so(paystack):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transfer", json={**TRANSFERRED, "data": {**TRANSFERRED["data"], "status": "otp"}})
    assert adapter.transfer(reference=REF, amount=1, currency="NGN", destination="R", reason="r").state == "otp"


def test_a_transfer_is_resent_under_the_same_reference_after_a_5xx(paystack):
    adapter, rsps = paystack
    rsps.add(responses.POST, f"{BASE}/transfer", json={}, status=502)
    rsps.add(responses.POST, f"{BASE}/transfer", json=TRANSFERRED)
    adapter.transfer(reference=REF, amount=37800, currency="NGN", destination="R", reason="r")
    bodies = [json.loads(c.request.body) for c in rsps.calls]
    assert len(bodies) == 2 and bodies[0] == bodies[1]


def test_a_resend_refused_as_a_duplicate_reads_the_transfer_back(paystack):
    adapter, rsps = paystack
    rsps.add(
        responses.POST,
        f"{BASE}/transfer",
        json={"status": False, "message": "Duplicate Transfer Reference"},
        status=400,
    )
    rsps.add(
        responses.GET,
        f"{BASE}/transfer/verify/{REF}",
        json={**TRANSFERRED, "message": "Transfer retrieved", "data": {**TRANSFERRED["data"], "status": "success"}},
    )
    assert adapter.transfer(reference=REF, amount=1, currency="NGN", destination="R", reason="r").state == "success"


def test_verifying_an_unknown_transfer_answers_none(paystack):
    adapter, rsps = paystack
    rsps.add(
        responses.GET,
        f"{BASE}/transfer/verify/{REF}",
        json={"status": False, "message": "Transfer not found"},
        status=404,
    )
    assert adapter.verify_transfer(REF) is None
