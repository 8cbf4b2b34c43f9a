"""Signed provider webhooks: verified on the raw bytes, applied exactly once, never backwards."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.integration.payments.conftest import ADMIN, CLIENT
from tests.support.payments import (
    paystack_charge,
    paystack_sign,
    paystack_webhook,
    stripe_session,
    stripe_sign,
    stripe_webhook,
)


def charges(flow, job_id):
    return [e for e in flow.ledger(job_id) if e["kind"] == "charge"]


def seen_records(reference):
    from khaya import db
    from khaya.payments import keys

    return [db.get(*keys.event_seen("paystack", f"charge.success#{reference}"))]


# ---------------------------------------------------------------- the happy path


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_a_confirmed_charge_funds_the_job_and_holds_the_money_in_escrow(flow, provider):
    job, bid = flow.assigned_job(amount=75000)
    payment = flow.paid(job["id"], provider)
    res = flow.confirm(payment, bid)
    assert res.status == 200 and res.json == {"received": True, "outcome": "applied"}
    assert flow.job(job["id"])["status"] == "funded"
    assert flow.payment(payment["reference"]).json["status"] == "succeeded"
    assert flow.balances(job["id"]) == {"client": -75000, "escrow": 75000, "worker": 0, "platform": 0}
    assert [t["type"] for t in flow.transactions(CLIENT)] == ["charge"]


def test_a_repeat_delivery_is_200_and_credits_nothing_more(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid["id"]))
    outcomes = [flow.webhook("paystack", body, headers) for _ in range(3)]
    assert [r.status for r in outcomes] == [200, 200, 200]
    assert [r.json["outcome"] for r in outcomes] == ["applied", "duplicate", "duplicate"]
    assert len(charges(flow, job["id"])) == 1
    assert seen_records(payment["reference"])[0] is not None


def test_stripe_sending_one_change_as_two_events_credits_once(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"])
    first = flow.webhook("stripe", *stripe_webhook("checkout.session.completed", session))
    second = flow.webhook("stripe", *stripe_webhook("checkout.session.completed", session))  # another evt_ id
    assert (first.json["outcome"], second.json["outcome"]) == ("applied", "duplicate")
    assert len(charges(flow, job["id"])) == 1


def test_a_base64_flagged_body_is_verified_on_its_decoded_bytes(flow):
    # API Gateway base64-encodes some bodies: the signature is over the decoded bytes.
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    data = paystack_charge(payment, bid["id"], customer={"first_name": "Zoë", "last_name": "Ndlovu"})
    body, headers = paystack_webhook("charge.success", data)
    from local.events import LambdaContext, http_event
    from local.loader import function_by_id, load_handler

    event = http_event("POST", "/v1/webhooks/paystack", headers=headers, body=body)
    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    fn = function_by_id("PaystackWebhookFunction")
    res = load_handler(fn)(event, LambdaContext(fn.logical_id))
    assert res["statusCode"] == 200, res
    assert flow.job(job["id"])["status"] == "funded"


# ---------------------------------------------------------------- refusals


def _snapshot(flow, job_id, reference):
    from khaya import db
    from khaya.payments import keys

    return (
        flow.job(job_id)["version"],
        flow.payment(reference).json,
        flow.ledger(job_id),
        db.get(*keys.event_seen("paystack", f"charge.success#{reference}")),
    )


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(lambda body, sig: (body, "0" * 128), id="wrong-signature"),
        pytest.param(lambda body, sig: (body, None), id="no-signature"),
        pytest.param(lambda body, sig: (body.replace(b"75000", b"7500"), sig), id="body-changed-after-signing"),
        pytest.param(lambda body, sig: (body, paystack_sign(body, "sk_test_someone_else")), id="other-key"),
        pytest.param(lambda body, sig: (json.dumps(json.loads(body), indent=1).encode(), sig), id="re-serialised"),
    ],
)
def test_a_bad_paystack_signature_is_401_and_writes_nothing(flow, mangle):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    before = _snapshot(flow, job["id"], payment["reference"])
    body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid["id"]))
    body, sig = mangle(body, headers["x-paystack-signature"])
    headers = {"content-type": "application/json", **({"x-paystack-signature": sig} if sig else {})}
    res = flow.webhook("paystack", body, headers)
    assert res.status == 401 and res.json["error"] == {
        "code": "bad_signature",
        "message": "The signature does not match.",
    }
    assert _snapshot(flow, job["id"], payment["reference"]) == before


@pytest.mark.parametrize("skew", [-400, 400, -3600])
def test_a_stripe_signature_outside_five_minutes_either_way_is_401(flow, skew):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    body, headers = stripe_webhook(
        "checkout.session.completed", stripe_session(payment, bid["id"]), t=int(time.time()) + skew
    )
    res = flow.webhook("stripe", body, headers)
    assert res.status == 401
    assert flow.job(job["id"])["status"] == "assigned" and flow.ledger(job["id"]) == []


def test_stripe_accepts_any_v1_and_either_secret_during_a_rotation(flow, monkeypatch):
    # Given the endpoint secret being rolled: the new one and the old one are both configured
    import khaya.payments.providers as providers

    real = providers.secret
    monkeypatch.setattr(
        providers,
        "secret",
        lambda name: (
            {**real(name), "webhookSecrets": ["whsec_new_one", "whsec_khaya_local"]} if name == "stripe" else real(name)
        ),
    )
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    body, _ = stripe_webhook("checkout.session.completed", stripe_session(payment, bid["id"]))
    t = int(time.time())
    # When Stripe signs with the old secret, and lists a second v1 that matches nothing
    header = stripe_sign(body, "whsec_khaya_local", t) + ",v1=" + "f" * 64
    res = flow.webhook("stripe", body, {"content-type": "application/json", "stripe-signature": header})
    # Then it is accepted
    assert res.status == 200 and res.json["outcome"] == "applied"
    # And a header signed with neither secret is not
    bad = stripe_sign(body, "whsec_unknown", t)
    assert flow.webhook("stripe", body, {"content-type": "application/json", "stripe-signature": bad}).status == 401


def test_a_signed_but_malformed_body_is_a_400_and_writes_nothing(flow):
    body = b'{"event": "charge.success", "data": '
    res = flow.webhook(
        "paystack", body, {"content-type": "application/json", "x-paystack-signature": paystack_sign(body)}
    )
    assert res.status == 400


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
@pytest.mark.parametrize(
    "body",
    [b"[" * 5000 + b"]" * 5000, b'{"event": "charge.success", "data": {"amount": ' + b"9" * 5000 + b"}}"],
    ids=["deep nesting", "5000-digit integer"],
)
def test_a_signed_body_that_would_crash_the_parser_is_a_400_malformed_json(flow, provider, body):
    # Given a correctly signed body that Python's own parser raises on (recursion, huge integer)
    sign = {"paystack": lambda b: {"x-paystack-signature": paystack_sign(b)}, "stripe": _stripe_headers}[provider]
    # When it is delivered
    res = flow.webhook(provider, body, {"content-type": "application/json", **sign(body)})
    # Then it is a clean 400 in the error envelope, not a 500
    assert res.status == 400, res
    assert res.json["error"]["code"] == "malformed_json"


def _stripe_headers(body: bytes) -> dict[str, str]:
    return {"stripe-signature": stripe_sign(body)}


# ---------------------------------------------------------------- what is checked


@pytest.mark.parametrize(
    ("over", "reason"),
    [
        ({"amount": 100}, "amount_mismatch"),
        ({"currency": "NGN"}, "currency_mismatch"),
        ({"metadata": {"jobId": "01OTHERJOBXXXXXXXXXXXXXXXX", "bidId": "x"}}, "metadata_mismatch"),
        ({"metadata": {}}, "metadata_mismatch"),
    ],
)
def test_a_signed_charge_that_is_not_what_was_asked_flags_the_payment_and_credits_nothing(flow, over, reason):
    job, bid = flow.assigned_job(amount=75000)
    payment = flow.paid(job["id"])
    res = flow.confirm(payment, bid, **over)
    assert res.status == 200 and res.json["outcome"] == "flagged"
    assert flow.job(job["id"])["status"] == "assigned"
    assert flow.ledger(job["id"]) == []
    assert flow.payment(payment["reference"]).json["status"] == "flagged"
    assert flow.payment(payment["reference"], ADMIN).json["flagReason"] == reason
    assert flow.payment(payment["reference"], CLIENT).json["flagReason"] is None  # only admins see why
    # And a flagged payment blocks a new checkout until someone looks at it
    assert flow.checkout(job["id"]).json["error"]["code"] == "payment_flagged"


def test_a_stripe_tampered_amount_is_flagged_too(flow):
    job, bid = flow.assigned_job(amount=75000)
    payment = flow.paid(job["id"], "stripe")
    res = flow.confirm(payment, bid, amount_total=75)
    assert res.json["outcome"] == "flagged" and flow.job(job["id"])["status"] == "assigned"


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_events_from_the_other_environment_are_ignored(flow, provider):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], provider)
    if provider == "paystack":
        body, headers = paystack_webhook("charge.success", {**paystack_charge(payment, bid["id"]), "domain": "live"})
    else:
        body, headers = stripe_webhook("checkout.session.completed", stripe_session(payment, bid["id"]), livemode=True)
    res = flow.webhook(provider, body, headers)
    assert res.status == 200 and res.json["outcome"] == "ignored"
    assert flow.job(job["id"])["status"] == "assigned" and flow.ledger(job["id"]) == []


@pytest.mark.parametrize(
    ("provider", "kind"),
    [("paystack", "subscription.create"), ("paystack", "charge.dispute.create"), ("stripe", "customer.created")],
)
def test_unknown_event_types_are_answered_200_and_change_nothing(flow, provider, kind):
    if provider == "paystack":
        body, headers = paystack_webhook(kind, {"id": 1})
    else:
        body, headers = stripe_webhook(kind, {"id": "cus_1", "object": "customer"})
    res = flow.webhook(provider, body, headers)
    assert res.status == 200 and res.json["outcome"] == "ignored"


def test_an_unknown_reference_is_answered_200_and_changes_nothing(flow):
    body, headers = paystack_webhook(
        "charge.success", {"reference": "T12345", "status": "success", "amount": 1, "currency": "ZAR"}
    )
    assert flow.webhook("paystack", body, headers).json == {"received": True, "outcome": "ignored"}


# ---------------------------------------------------------------- order


def test_a_late_expired_event_never_takes_a_paid_payment_back(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"])
    assert flow.confirm(payment, bid).json["outcome"] == "applied"
    late = flow.webhook("stripe", *stripe_webhook("checkout.session.expired", {**session, "status": "expired"}))
    assert late.status == 200 and late.json["outcome"] == "ignored"
    assert flow.payment(payment["reference"]).json["status"] == "succeeded"
    assert flow.job(job["id"])["status"] == "funded"


def test_an_expired_checkout_fails_the_payment_and_a_late_charge_then_is_flagged_not_credited(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"], payment_status="unpaid", status="expired")
    assert flow.webhook("stripe", *stripe_webhook("checkout.session.expired", session)).json["outcome"] == "applied"
    assert flow.payment(payment["reference"]).json["status"] == "failed"
    # money arriving for a payment we gave up on is for an admin to look at
    assert flow.confirm(payment, bid).json["outcome"] == "flagged"
    assert flow.job(job["id"])["status"] == "assigned" and flow.ledger(job["id"]) == []


def test_an_unpaid_completed_session_waits_for_its_async_result(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    unpaid = stripe_session(payment, bid["id"], payment_status="unpaid")
    assert flow.webhook("stripe", *stripe_webhook("checkout.session.completed", unpaid)).json["outcome"] == "ignored"
    paid = stripe_session(payment, bid["id"])
    res = flow.webhook("stripe", *stripe_webhook("checkout.session.async_payment_succeeded", paid))
    assert res.json["outcome"] == "applied" and flow.job(job["id"])["status"] == "funded"


def test_a_charge_for_a_job_cancelled_meanwhile_is_flagged(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    assert flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    assert flow.confirm(payment, bid).json["outcome"] == "flagged"
    assert flow.job(job["id"])["status"] == "cancelled" and flow.ledger(job["id"]) == []


# ---------------------------------------------------------------- the handler's house rules


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
@pytest.mark.parametrize("headers", [{}, {"content-type": "text/plain"}], ids=["no headers", "not json"])
def test_an_unsigned_delivery_is_a_401_whatever_its_body(flow, provider, headers):
    # Given a delivery with no signature header at all (no body, or one that is not JSON)
    res = flow.webhook(provider, b"", headers)
    # Then it is refused as unauthenticated, before its body is looked at
    assert res.status == 401 and res.json["error"]["code"] == "bad_signature"


def test_a_webhook_that_is_not_json_or_too_large_is_refused_in_the_envelope(flow, monkeypatch):
    body, headers = paystack_webhook("charge.success", {"reference": "x"})
    form = flow.webhook("paystack", body, {**headers, "content-type": "application/x-www-form-urlencoded"})
    assert form.status == 415 and form.json["error"]["code"] == "unsupported_media_type"
    monkeypatch.setenv("MAX_BODY_BYTES", "64")
    from khaya.config import reset_settings

    reset_settings()
    big = flow.webhook("paystack", body, headers)
    assert big.status == 413 and big.json["error"]["code"] == "payload_too_large"
    assert big.headers["x-request-id"] and big.json["requestId"] == big.headers["x-request-id"]


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_a_delivery_while_the_table_is_unreachable_is_a_503_saying_when_to_retry_and_the_retry_funds_once(
    flow, provider
):
    from botocore.exceptions import EndpointConnectionError

    from khaya.aws import client

    job, bid = flow.assigned_job(amount=75000)
    payment = flow.paid(job["id"], provider)
    table = client("dynamodb")

    def unreachable(**_):
        raise EndpointConnectionError(endpoint_url="https://dynamodb.af-south-1.amazonaws.com")

    # Given DynamoDB cannot be reached while the provider delivers
    table.meta.events.register("before-send.dynamodb", unreachable)
    try:
        res = flow.confirm(payment, bid)
    finally:
        table.meta.events.unregister("before-send.dynamodb", unreachable)
    # Then the provider is told to deliver again, and when (an error's own headers reach the answer)
    assert res.status == 503 and res.json["error"]["code"] == "dependency_unavailable"
    assert res.headers["retry-after"] == "1"
    # And its next delivery funds the job, once
    assert flow.confirm(payment, bid).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "funded" and flow.balances(job["id"])["escrow"] == 75000


def test_an_unexpected_failure_is_a_500_with_no_details(flow, monkeypatch):
    import khaya.payments.webhooks as webhooks

    def boom(body, signature):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(webhooks, "handle_stripe", boom)
    res = flow.webhook("stripe", b"{}", {"content-type": "application/json", "stripe-signature": "t=1,v1=00"})
    assert res.status == 500 and "secret internals" not in res.text
    assert res.json["error"]["code"] == "internal_error" and res.json["requestId"] == res.headers["x-request-id"]


def _delivery(provider: str) -> tuple[dict, dict, object]:
    """A signed delivery's API Gateway event, the Lambda context it is invoked with, and the handler."""
    from local.events import LambdaContext, http_event
    from local.loader import function_by_id, load_handler

    if provider == "paystack":
        body, headers = paystack_webhook("subscription.create", {"id": 1})
    else:
        body, headers = stripe_webhook("customer.created", {"id": "cus_1", "object": "customer"})
    function = f"{provider.capitalize()}WebhookFunction"
    event = http_event("POST", f"/v1/webhooks/{provider}", headers=headers, body=body)
    return event, LambdaContext(function), load_handler(function_by_id(function))


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_the_request_id_comes_from_lambda_when_api_gateway_gives_none(flow, provider):
    event, context, handler = _delivery(provider)
    del event["requestContext"]["requestId"]
    res = handler(event, context)
    assert res["statusCode"] == 200 and res["headers"]["X-Request-Id"] == context.aws_request_id


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_the_request_id_is_api_gateways_when_it_gives_one(flow, provider):
    event, context, handler = _delivery(provider)
    assert event["requestContext"]["requestId"] != context.aws_request_id
    res = handler(event, context)
    # the id an operator finds in API Gateway's access log
    assert res["statusCode"] == 200 and res["headers"]["X-Request-Id"] == event["requestContext"]["requestId"]


@pytest.mark.parametrize(
    "over",
    [{"amount": None}, {"currency": None}, {"amount": "12.50"}, {"amount": "100"}],
    ids=["no-amount", "no-currency", "not-whole", "another-amount"],
)
def test_a_refund_event_with_a_missing_or_other_amount_books_nothing_or_nothing_wrong(flow, over):
    job, _, payment = flow.funded_job()
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    data = {
        "id": 5,
        "status": "processed",
        "transaction_reference": payment["reference"],
        "amount": "75000",
        "currency": "ZAR",
        **over,
    }
    data = {k: v for k, v in data.items() if v is not None}
    res = flow.webhook("paystack", *paystack_webhook("refund.processed", data))
    booked = [e["kind"] for e in flow.ledger(job["id"])]
    if "amount" in over and over["amount"] is not None:
        # an amount that is not the payment's is never booked
        assert res.json["outcome"] == "ignored" and booked == ["charge"]
    else:
        # without an amount to compare, the provider's word on the refund is taken: the whole payment
        assert res.json["outcome"] == "applied" and flow.balances(job["id"])["escrow"] == 0


@pytest.mark.parametrize(
    "event",
    [
        {"event": "charge.success"},
        {"event": "charge.success", "data": ["not", "an", "object"]},
        ["charge.success"],
    ],
    ids=["no-data", "data-not-an-object", "not-an-object"],
)
def test_a_signed_paystack_event_without_its_data_is_a_400(flow, event):
    body = json.dumps(event).encode()
    res = flow.webhook(
        "paystack", body, {"content-type": "application/json", "x-paystack-signature": paystack_sign(body)}
    )
    assert res.status == 400 and res.json["error"]["code"] == "malformed_event"


@pytest.mark.parametrize(
    "event",
    [
        {"id": "evt_1", "type": "checkout.session.completed", "livemode": False},
        {"id": "evt_1", "type": "checkout.session.completed", "livemode": False, "data": []},
        {"type": "checkout.session.completed", "livemode": False, "data": {"object": {"id": "cs_1"}}},
        {"id": "evt_1", "type": "checkout.session.completed", "livemode": False, "data": {"object": "cs_1"}},
    ],
    ids=["no-data", "data-not-an-object", "no-event-id", "object-not-an-object"],
)
def test_a_signed_stripe_event_without_an_id_or_an_object_is_a_400(flow, event):
    body = json.dumps(event).encode()
    res = flow.webhook("stripe", body, {"content-type": "application/json", "stripe-signature": stripe_sign(body)})
    assert res.status == 400
    assert res.json["error"] == {"code": "malformed_event", "message": "The event has no object."}
