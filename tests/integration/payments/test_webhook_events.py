"""Every provider event the webhook routes act on, and the edges of the delivery itself: the
live stage, a secret being rotated, header names in any case, bodies that are not what they claim."""

from __future__ import annotations

import base64
import json

import pytest

from tests.integration.payments.conftest import CLIENT, CLIENT2, WORKER, WORKER2
from tests.support.payments import (
    counted,
    paystack_sign,
    paystack_webhook,
    stripe_session,
    stripe_sign,
    stripe_webhook,
)


def handler_answer(provider: str, body: bytes, headers: dict[str, str], over: dict | None = None) -> dict:
    """The webhook function's own answer to an event built by hand (headers kept as given)."""
    from local.events import LambdaContext, http_event
    from local.loader import function_by_id, load_handler

    fn = function_by_id("PaystackWebhookFunction" if provider == "paystack" else "StripeWebhookFunction")
    event = http_event("POST", f"/v1/webhooks/{provider}", headers={"content-type": "application/json"}, body=body)
    event["headers"] = dict(headers)
    event.update(over or {})
    return dict(load_handler(fn)(event, LambdaContext(fn.logical_id)))


def as_api_gateway_relays(raw: dict) -> dict:
    """The body API Gateway sends back to the provider (it decodes one flagged base64)."""
    body = raw["body"]
    return json.loads(base64.b64decode(body) if raw["isBase64Encoded"] else body)


# ---------------------------------------------------------------- the live stage


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch) -> None:
    from khaya.config import reset_settings

    monkeypatch.setenv("PAYMENTS_LIVE", "true")
    reset_settings()


def test_in_the_live_stage_live_paystack_events_apply_and_test_ones_are_ignored(flow, live):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    from tests.support.payments import paystack_charge

    test_event = paystack_webhook("charge.success", paystack_charge(payment, bid["id"]))
    assert flow.webhook("paystack", *test_event).json["outcome"] == "ignored"
    assert flow.job(job["id"])["status"] == "assigned"
    live_event = paystack_webhook("charge.success", {**paystack_charge(payment, bid["id"]), "domain": "live"})
    assert flow.webhook("paystack", *live_event).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "funded"


def test_in_the_live_stage_live_stripe_events_apply_and_test_ones_are_ignored(flow, live):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"])
    assert flow.webhook("stripe", *stripe_webhook("checkout.session.completed", session)).json["outcome"] == "ignored"
    res = flow.webhook("stripe", *stripe_webhook("checkout.session.completed", session, livemode=True))
    assert res.json["outcome"] == "applied" and flow.job(job["id"])["status"] == "funded"


# ---------------------------------------------------------------- a Paystack secret key being rotated


def test_paystack_events_signed_with_the_previous_key_are_accepted_while_it_is_configured(flow):
    from khaya.aws import client
    from khaya.config import settings
    from khaya.secrets import reset_secrets

    def store(**changes: object) -> None:  # what an operator does to the stage's secret mid-rotation
        sm, name = client("secretsmanager"), settings().require("PAYSTACK_SECRET_NAME")
        doc = {**json.loads(sm.get_secret_value(SecretId=name)["SecretString"]), **changes}
        sm.put_secret_value(SecretId=name, SecretString=json.dumps(doc))
        reset_secrets()  # the functions' secret cache has expired

    store(secretKey="sk_test_new_one", previousSecretKey="sk_test_khaya_local")
    body, old_signed = paystack_webhook("subscription.create", {"id": 1})  # signed with the old key
    assert flow.webhook("paystack", body, old_signed).json["outcome"] == "ignored"  # accepted: 200
    new_signed = {**old_signed, "x-paystack-signature": paystack_sign(body, "sk_test_new_one")}
    assert flow.webhook("paystack", body, new_signed).status == 200
    # Once the rotation is over, the old key's signatures are refused
    store(previousSecretKey=None)
    assert flow.webhook("paystack", body, old_signed).status == 401
    assert flow.webhook("paystack", body, new_signed).status == 200


# ---------------------------------------------------------------- Stripe events beyond the happy path


def test_a_failed_async_stripe_payment_fails_the_payment_and_the_client_can_pay_again(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"], payment_status="unpaid")
    res = flow.webhook("stripe", *stripe_webhook("checkout.session.async_payment_failed", session))
    assert res.json["outcome"] == "applied"
    assert flow.payment(payment["reference"]).json["status"] == "failed"
    assert flow.job(job["id"])["status"] == "assigned" and flow.ledger(job["id"]) == []
    assert flow.checkout(job["id"], "stripe").json["reference"].endswith("-02")


def _stripe_refund(payment: dict, **over: object) -> dict:
    return {
        "id": "re_3MtwBw",
        "object": "refund",
        "amount": payment["amount"]["amount"],
        "currency": payment["amount"]["currency"].lower(),
        "metadata": {"reference": payment["reference"]},
        "status": "pending",
        **over,
    }


def test_a_stripe_refund_still_pending_changes_nothing_until_it_succeeds(flow):
    job, _, payment = flow.funded_job("stripe")
    assert flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    created = flow.webhook("stripe", *stripe_webhook("refund.created", _stripe_refund(payment)))
    assert created.json["outcome"] == "ignored"
    assert flow.job(job["id"])["status"] == "funded" and flow.balances(job["id"])["escrow"] == 75000
    done = flow.webhook("stripe", *stripe_webhook("refund.created", _stripe_refund(payment, status="succeeded")))
    assert done.json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "cancelled" and flow.balances(job["id"])["client"] == 0


@pytest.mark.parametrize(
    ("kind", "status"),
    [("refund.failed", "failed"), ("refund.updated", "failed"), ("refund.updated", "canceled")],
)
def test_a_stripe_refund_that_failed_or_was_cancelled_shows_on_the_job_and_keeps_the_money_held(flow, kind, status):
    job, _, payment = flow.funded_job("stripe")
    assert flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT).status == 200
    res = flow.webhook("stripe", *stripe_webhook(kind, _stripe_refund(payment, status=status)))
    assert res.json["outcome"] == "applied"
    after = flow.job(job["id"])
    assert (after["status"], after["refundStatus"]) == ("funded", "failed")
    assert flow.balances(job["id"])["escrow"] == 75000


def test_a_stripe_refund_for_another_amount_is_not_booked(flow):
    job, _, payment = flow.funded_job("stripe")
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    res = flow.webhook(
        "stripe", *stripe_webhook("refund.updated", _stripe_refund(payment, status="succeeded", amount=7500))
    )
    assert res.json["outcome"] == "ignored"
    assert flow.job(job["id"])["status"] == "funded" and flow.balances(job["id"])["escrow"] == 75000


@pytest.mark.parametrize(
    "names_it",
    [
        # Stripe's transfer object carries our reference as its transfer_group (no metadata here)
        lambda reference: {"transfer_group": reference},
        # a transfer made without a group (an operator's, in the dashboard) names the payout in its metadata
        lambda reference: {"metadata": {"reference": reference}},
    ],
    ids=["transfer_group", "metadata"],
)
def test_a_reversed_stripe_transfer_is_found_by_its_transfer_group_or_its_metadata_alone(flow, names_it):
    res = flow.call(
        "PUT", "/v1/me/payout-account", body={"provider": "stripe", "accountId": "acct_1Nv0FGQ9RKHgCVdK"}, caller=WORKER
    )
    assert res.status == 200
    flow.fakes.stripe.transfer_state = "success"
    job, _, reference = flow.payout_sent("stripe", amount=60000)
    assert flow.job(job["id"])["status"] == "paid_out"
    transfer = {"id": "tr_1", "object": "transfer", "amount": 60000, "currency": "zar", **names_it(reference)}
    assert flow.webhook("stripe", *stripe_webhook("transfer.reversed", transfer)).json["outcome"] == "applied"
    assert flow.job(job["id"])["status"] == "completed"
    assert flow.balances(job["id"]) == {"client": -60000, "escrow": 60000, "worker": 0, "platform": 0}
    from khaya.payments import payouts

    assert payouts.load_payout(job["id"])["transferCode"] == "tr_1"  # Stripe's id, for an operator


# ---------------------------------------------------------------- the delivery itself


def test_header_names_are_matched_in_any_case(flow):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"])
    from tests.support.payments import paystack_charge

    body, headers = paystack_webhook("charge.success", paystack_charge(payment, bid["id"]))
    raw = handler_answer(
        "paystack",
        body,
        {"Content-Type": "Application/JSON; charset=utf-8", "X-Paystack-Signature": headers["x-paystack-signature"]},
    )
    assert raw["statusCode"] == 200, raw
    assert as_api_gateway_relays(raw) == {"received": True, "outcome": "applied"}
    assert flow.job(job["id"])["status"] == "funded"


def test_the_answer_is_json_that_is_never_cached(flow):
    body, headers = paystack_webhook("subscription.create", {"id": 1})
    raw = handler_answer("paystack", body, headers)
    assert raw["statusCode"] == 200
    assert raw["headers"]["Content-Type"] == "application/json"
    assert raw["headers"]["Cache-Control"] == "no-store"
    assert as_api_gateway_relays(raw) == {"received": True, "outcome": "ignored"}
    assert raw["body"] == '{"received":true,"outcome":"ignored"}'  # compact, as every other route answers


@pytest.mark.parametrize(
    "encode",
    [
        lambda body: "not base64 at all!",
        # the signed body's base64 with a stray character: a lenient decoder would drop it and accept the event
        lambda body: "*" + base64.b64encode(body).decode(),
    ],
    ids=["garbage", "stray character"],
)
def test_a_body_flagged_base64_that_is_not_base64_is_a_400(flow, encode):
    body, headers = paystack_webhook("subscription.create", {"id": 1})
    raw = handler_answer("paystack", body, headers, {"body": encode(body), "isBase64Encoded": True})
    assert raw["statusCode"] == 400
    assert json.loads(raw["body"])["error"] == {"code": "malformed_body", "message": "The body is not valid base64."}


def test_a_signed_body_that_is_not_utf8_is_a_400_malformed_json(flow):
    body = b'{"event": "charge.success", "data": {"reference": "\xff"}}'
    headers = {"content-type": "application/json", "x-paystack-signature": paystack_sign(body)}
    raw = handler_answer("paystack", body, headers, {"body": base64.b64encode(body).decode(), "isBase64Encoded": True})
    assert raw["statusCode"] == 400
    assert json.loads(raw["body"])["error"] == {"code": "malformed_json", "message": "The body is not valid JSON."}


@pytest.mark.parametrize("provider", ["paystack", "stripe"])
def test_a_signed_event_that_is_not_an_object_is_a_400_saying_so(flow, provider):
    body = b'["charge.success"]'
    sign = (
        {"x-paystack-signature": paystack_sign(body)}
        if provider == "paystack"
        else {"stripe-signature": stripe_sign(body)}
    )
    res = flow.webhook(provider, body, {"content-type": "application/json", **sign})
    assert res.status == 400
    assert res.json["error"] == {"code": "malformed_event", "message": "The body is not a provider event."}


def test_a_paystack_event_without_data_says_so(flow):
    body = b'{"event": "charge.success"}'
    res = flow.webhook(
        "paystack", body, {"content-type": "application/json", "x-paystack-signature": paystack_sign(body)}
    )
    assert res.status == 400 and res.json["error"] == {"code": "malformed_event", "message": "The event has no data."}


def test_a_body_of_exactly_the_size_limit_is_accepted_and_one_byte_more_is_413(flow, monkeypatch):
    from khaya.config import reset_settings

    body, headers = paystack_webhook("subscription.create", {"id": 1})
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(body)))
    reset_settings()
    assert flow.webhook("paystack", body, headers).status == 200
    monkeypatch.setenv("MAX_BODY_BYTES", str(len(body) - 1))
    reset_settings()
    res = flow.webhook("paystack", body, headers)
    assert res.status == 413
    assert res.json["error"]["message"] == f"The body may be at most {len(body) - 1} bytes."


def test_a_body_that_is_not_json_is_refused_with_what_to_send(flow):
    body, headers = paystack_webhook("subscription.create", {"id": 1})
    res = flow.webhook("paystack", body, {**headers, "content-type": "text/plain"})
    assert res.status == 415
    assert res.json["error"] == {"code": "unsupported_media_type", "message": "Send the body as application/json."}


def test_a_signed_delivery_with_no_body_at_all_is_a_400_not_a_401(flow):
    # The signature of an empty body is checked against the empty body: it matches, and "nothing"
    # is then refused as not JSON
    raw = handler_answer("paystack", b"", {"content-type": "application/json"}, {"body": None})
    assert raw["statusCode"] == 401  # unsigned
    signed = {"content-type": "application/json", "x-paystack-signature": paystack_sign(b"")}
    raw = handler_answer("paystack", b"", signed, {"body": None})
    assert raw["statusCode"] == 400
    assert json.loads(raw["body"])["error"]["code"] == "malformed_json"


def _paystack_refund(payment: dict, **over: object) -> tuple[bytes, dict[str, str]]:
    data = {
        "status": "processed",
        "transaction_reference": payment["reference"],
        "amount": str(payment["amount"]["amount"]),
        "currency": payment["amount"]["currency"],
        **over,
    }
    return paystack_webhook("refund.processed", data)


def test_a_paystack_refund_in_lower_case_currency_is_booked(flow):
    job, _, payment = flow.funded_job()
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    res = flow.webhook("paystack", *_paystack_refund(payment, id=77, currency="zar"))
    assert res.json["outcome"] == "applied" and flow.balances(job["id"])["escrow"] == 0


def test_paystack_refund_events_without_an_id_are_told_apart_by_their_payment(flow):
    paid = [flow.funded_job(), flow.funded_job(client=CLIENT2, worker=WORKER2)]
    for (job, _, payment), client in zip(paid, (CLIENT, CLIENT2), strict=True):
        assert flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=client).status == 200
        assert flow.webhook("paystack", *_paystack_refund(payment)).json["outcome"] == "applied"
        assert flow.job(job["id"], client)["status"] == "cancelled"


@pytest.mark.parametrize(
    "ctype",
    ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/json ; charset=UTF-8"],
)
def test_any_spelling_of_the_json_media_type_is_taken(flow, ctype):
    body, headers = paystack_webhook("subscription.create", {"id": 1})
    res = flow.webhook("paystack", body, {**headers, "content-type": ctype})
    assert res.status == 200 and res.json["outcome"] == "ignored"


# ---------------------------------------------------------------- what an operator reads afterwards


def test_the_providers_ids_and_reasons_are_kept_for_an_operator(flow):
    from khaya.payments import checkout, payouts

    # why a payment failed, in the provider's words (the event's last word)
    failed = []
    for kind in ("checkout.session.expired", "checkout.session.async_payment_failed"):
        job, bid = flow.assigned_job()
        payment = flow.paid(job["id"], "stripe")
        session = stripe_session(payment, bid["id"], payment_status="unpaid", status="expired")
        assert flow.webhook("stripe", *stripe_webhook(kind, session)).json["outcome"] == "applied"
        failed.append(checkout.load(payment["reference"])["failReason"])
    assert failed == ["expired", "async_payment_failed"]
    # the provider's refund id on the refunded payment (Paystack's is a number, Stripe's a string)
    job, _, payment = flow.funded_job()
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    assert flow.webhook("paystack", *_paystack_refund(payment, id=3018284)).json["outcome"] == "applied"
    assert checkout.load(payment["reference"])["refundId"] == "3018284"
    job, _, payment = flow.funded_job("stripe")
    flow.call("POST", f"/v1/jobs/{job['id']}/cancel", caller=CLIENT)
    refund = _stripe_refund(payment, id="re_9Zt", status="succeeded")
    assert flow.webhook("stripe", *stripe_webhook("refund.updated", refund)).json["outcome"] == "applied"
    assert checkout.load(payment["reference"])["refundId"] == "re_9Zt"
    # the transfer code Paystack's dashboard knows the payout by (an OTP transfer is finished there)
    flow.payout_account()
    flow.fakes.paystack.transfer_state = "otp"
    job, _, reference = flow.payout_sent()
    body, headers = paystack_webhook("transfer.success", {"reference": reference, "transfer_code": "TRF_2x5j67tnnw1t"})
    assert flow.webhook("paystack", body, headers).json["outcome"] == "applied"
    assert payouts.load_payout(job["id"])["transferCode"] == "TRF_2x5j67tnnw1t"


# ---------------------------------------------------------------- what operators count


def test_deliveries_that_change_nothing_are_counted_under_their_provider_and_reason(flow, capsys):
    job, bid = flow.assigned_job()
    payment = flow.paid(job["id"], "stripe")
    session = stripe_session(payment, bid["id"])
    capsys.readouterr()
    flow.webhook("paystack", *paystack_webhook("charge.success", {"reference": "x", "domain": "live"}))
    flow.webhook("paystack", *paystack_webhook("subscription.create", {"id": 1}))
    flow.webhook("stripe", *stripe_webhook("checkout.session.completed", session, livemode=True))
    unpaid = {**session, "payment_status": "unpaid"}
    flow.webhook("stripe", *stripe_webhook("checkout.session.completed", unpaid))
    refund = {"id": "re_1", "object": "refund", "status": "pending", "metadata": {"reference": payment["reference"]}}
    flow.webhook("stripe", *stripe_webhook("refund.created", refund))
    flow.webhook("stripe", *stripe_webhook("customer.created", {"id": "cus_1"}))
    assert counted(capsys, "WebhookIgnored") == [
        {"provider": "paystack", "why": "other_environment"},
        {"provider": "paystack", "why": "unhandled_type"},
        {"provider": "stripe", "why": "other_environment"},
        {"provider": "stripe", "why": "not_paid_yet"},
        {"provider": "stripe", "why": "refund_in_progress"},
        {"provider": "stripe", "why": "unhandled_type"},
    ]


def test_refused_signatures_are_counted_under_their_provider(flow, capsys):
    body, headers = paystack_webhook("subscription.create", {"id": 1})
    capsys.readouterr()
    flow.webhook("paystack", body, {**headers, "x-paystack-signature": "0" * 128})
    flow.webhook("paystack", body, {"content-type": "application/json"})
    flow.webhook("stripe", body, {"content-type": "application/json", "stripe-signature": "t=1,v1=00"})
    flow.webhook("stripe", body, {"content-type": "application/json"})
    assert counted(capsys, "WebhookRejected") == [
        {"provider": p, "reason": "signature"} for p in ("paystack", "paystack", "stripe", "stripe")
    ]


def test_two_payments_events_are_never_taken_for_one_another(flow):
    # Stripe's dedupe keys hold the object's id: two sessions' completions are two effects
    for client, worker in ((CLIENT, WORKER), (CLIENT2, WORKER2)):
        job, bid = flow.assigned_job(client, worker)
        payment = flow.paid(job["id"], "stripe", client)
        res = flow.webhook("stripe", *stripe_webhook("checkout.session.completed", stripe_session(payment, bid["id"])))
        assert res.json["outcome"] == "applied"
        assert flow.job(job["id"], client)["status"] == "funded"


@pytest.mark.parametrize("data", ["cs_1", ["cs_1"], 7])
def test_a_signed_stripe_event_whose_data_is_not_an_object_is_a_400(flow, data):
    body = json.dumps({"id": "evt_1", "type": "checkout.session.completed", "livemode": False, "data": data}).encode()
    res = flow.webhook("stripe", body, {"content-type": "application/json", "stripe-signature": stripe_sign(body)})
    assert res.status == 400 and res.json["error"]["code"] == "malformed_event"
