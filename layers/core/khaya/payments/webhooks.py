"""Provider webhooks: verify the signature on the raw bytes, then turn the event into an effect.

``handle_paystack(body, signature)`` and ``handle_stripe(body, header)`` take the body exactly as
it arrived (base64-decoded when API Gateway flagged it so) and answer what happened:
``applied`` / ``duplicate`` / ``ignored`` / ``flagged``. The route answers 200 for all of them
(a provider retries anything else); a bad signature is a 401 and nothing is written.

* Test and live stay apart: a Paystack event whose ``data.domain``, or a Stripe event whose
  ``livemode``, is not this stage's (``PAYMENTS_LIVE``) is ignored.
* Dedupe keys (written in the effect's own transaction, see ``khaya.payments.dedupe``):
  Paystack ``<event>#<reference | transfer code | refund id>`` (its events carry no id);
  Stripe ``evt#<event id>`` and ``obj#<object id>#<type>`` (Stripe can send one change as two
  Event objects).
* Unknown event types are logged and answered 200, so a provider never retries them for days.
* Nothing here calls a provider: an answer takes one or two DynamoDB round trips.

``paystack_handler`` and ``stripe_handler`` are the whole Lambda handlers of the webhook routes, without Powertools'
resolver (like the authorizer's): a webhook has no request model to validate, and a provider's
retry storm is best met by containers that start fast. It keeps the house rules: the error
envelope of API.md with ``X-Request-Id``, 413/415 for oversize or non-JSON bodies, one log line
per request, a logged 500 with no details for anything unexpected.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from khaya.errors import AppError, BadRequest, PayloadTooLarge, Unauthorized, UnsupportedMediaType
from khaya.observability import logger, metric
from khaya.payments import dedupe, providers, signatures
from khaya.payments.dedupe import Outcome
from khaya.payments.providers import Charge

# The effects (checkout, payouts, refunds) are imported when an event needs one: a repeat
# delivery, the bulk of a provider's retries, is answered from its dedupe record alone.

_TRANSFER_EVENTS = {"transfer.success": "success", "transfer.failed": "failed", "transfer.reversed": "reversed"}
_PAYSTACK_REFUNDS = {"refund.processed": "succeeded", "refund.failed": "failed"}
_STRIPE_REFUND_STATES = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}


def raw_body(event: Mapping[str, Any]) -> bytes:
    """The body exactly as the provider sent it (API Gateway base64-encodes some bodies)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest("The body is not valid base64.", code="malformed_body") from None
    return str(body).encode("utf-8")


def header(event: Mapping[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if str(key).lower() == wanted:
            return str(value)
    return None


def _bad_signature(provider: str) -> Unauthorized:
    metric("WebhookRejected", provider=provider, reason="signature")
    logger.warning("webhook with a bad signature", extra={"provider": provider})
    return Unauthorized("The signature does not match.", code="bad_signature")


def _parse(body: bytes) -> dict[str, Any]:
    """The verified body as strict JSON (``khaya.strict_json``): a signed body that would crash
    or fool the parser (deep nesting, a huge integer) is a 400 like any other request's."""
    from khaya.strict_json import parse_json

    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("The body is not valid JSON.", code="malformed_json") from None
    doc = parse_json(text)
    if not isinstance(doc, dict):
        raise BadRequest("The body is not a provider event.", code="malformed_event")
    return doc


def _ignore(provider: str, kind: str, why: str) -> Outcome:
    logger.info("webhook ignored", extra={"provider": provider, "event": kind[:60], "why": why})
    metric("WebhookIgnored", provider=provider, why=why)
    return "ignored"


# ---------------------------------------------------------------- Paystack


def handle_paystack(body: bytes, signature: str | None) -> Outcome:
    secret = providers.secret("paystack")
    if not signatures.paystack_valid(body, signature, [secret["secretKey"], secret.get("previousSecretKey") or ""]):
        raise _bad_signature("paystack")
    event = _parse(body)
    kind, data = str(event.get("event") or ""), event.get("data")
    if not isinstance(data, dict):
        raise BadRequest("The event has no data.", code="malformed_event")
    if data.get("domain") != ("live" if providers.live_mode() else "test"):
        return _ignore("paystack", kind, "other_environment")
    if kind == "charge.success":
        reference = str(data.get("reference") or "")
        seen = [("paystack", f"{kind}#{reference}")]
        if dedupe.seen(seen):
            return "duplicate"
        from khaya.payments.checkout import apply_charge
        from khaya.payments.paystack_api import charge_from

        return apply_charge(reference, charge_from(data), seen)
    if kind in _TRANSFER_EVENTS:
        from khaya.payments.payouts import apply_transfer

        reference = str(data.get("reference") or "")
        code = str(data.get("transfer_code") or "") or None
        return apply_transfer(
            reference, _TRANSFER_EVENTS[kind], [("paystack", f"{kind}#{code or reference}")], transfer_code=code
        )
    if kind in _PAYSTACK_REFUNDS:
        from khaya.payments.refunds import apply_refund

        reference = str(data.get("transaction_reference") or "")
        refund_id = str(data.get("id") or "")
        amount = _paystack_amount(data)
        return apply_refund(
            reference,
            _PAYSTACK_REFUNDS[kind],
            [("paystack", f"{kind}#{refund_id or reference}")],
            refund_id=refund_id or None,
            amount=amount,
        )
    return _ignore("paystack", kind, "unhandled_type")


def _paystack_amount(data: dict[str, Any]) -> dict[str, Any] | None:
    """A refund event's money (its amount is a string); ``None`` when it carries none. An amount
    that is not a whole number stays as it came, so it can never equal the payment's."""
    raw, currency = data.get("amount"), data.get("currency")
    if raw is None or not currency:
        return None
    text = str(raw)
    return {"amount": int(text) if text.isdigit() else text, "currency": str(currency).upper()}


# ---------------------------------------------------------------- Stripe


def handle_stripe(body: bytes, header: str | None) -> Outcome:
    secret = providers.secret("stripe")
    secrets = [str(s) for s in secret.get("webhookSecrets") or [] if s]
    if not signatures.stripe_valid(body, header, secrets):
        raise _bad_signature("stripe")
    event = _parse(body)
    kind = str(event.get("type") or "")
    obj = (event.get("data") or {}).get("object") if isinstance(event.get("data"), dict) else None
    if not isinstance(obj, dict) or not event.get("id"):
        raise BadRequest("The event has no object.", code="malformed_event")
    if event.get("livemode") is not providers.live_mode():
        return _ignore("stripe", kind, "other_environment")
    seen = [("stripe", f"evt#{event['id']}"), ("stripe", f"obj#{obj.get('id')}#{kind}")]
    if dedupe.seen(seen):
        return "duplicate"
    if kind in ("checkout.session.completed", "checkout.session.async_payment_succeeded"):
        from khaya.payments.checkout import apply_charge
        from khaya.payments.stripe_api import charge_from_session

        charge = charge_from_session(obj)
        if charge.state != "success":
            return _ignore("stripe", kind, "not_paid_yet")  # an async method: its own event follows
        return apply_charge(charge.reference, charge, seen)
    if kind in ("checkout.session.async_payment_failed", "checkout.session.expired"):
        from khaya.payments.checkout import apply_charge
        from khaya.payments.stripe_api import charge_from_session

        found = charge_from_session(obj)
        failed = Charge(
            reference=found.reference,
            state="failed",
            amount=found.amount,
            currency=found.currency,
            provider_status=kind.rsplit(".", 1)[1],
        )
        return apply_charge(found.reference, failed, seen)
    if kind in ("refund.created", "refund.updated", "refund.failed"):
        from khaya.payments.refunds import apply_refund

        state = "failed" if kind == "refund.failed" else _STRIPE_REFUND_STATES.get(str(obj.get("status") or ""))
        if state is None:
            return _ignore("stripe", kind, "refund_in_progress")
        reference = str((obj.get("metadata") or {}).get("reference") or "")
        amount = obj.get("amount")
        return apply_refund(
            reference,
            state,
            seen,
            refund_id=str(obj.get("id") or "") or None,
            amount={"amount": amount, "currency": str(obj.get("currency") or "").upper()}
            if isinstance(amount, int)
            else None,
        )
    if kind == "transfer.reversed":
        from khaya.payments.payouts import apply_transfer

        reference = str((obj.get("metadata") or {}).get("reference") or obj.get("transfer_group") or "")
        return apply_transfer(reference, "reversed", seen, transfer_code=str(obj.get("id") or "") or None)
    return _ignore("stripe", kind, "unhandled_type")


# ---------------------------------------------------------------- the Lambda handler

_HEADERS = {"paystack": "x-paystack-signature", "stripe": "stripe-signature"}


def _response(status: int, body: dict[str, Any], rid: str, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/json",
            "Cache-Control": "no-store",
            "X-Request-Id": rid,
            **(headers or {}),
        },
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _checked_body(event: Mapping[str, Any]) -> bytes:
    from khaya.config import settings

    body = raw_body(event)
    if len(body) > settings().max_body_bytes:
        raise PayloadTooLarge(f"The body may be at most {settings().max_body_bytes} bytes.")
    ctype = (header(event, "content-type") or "").split(";")[0].strip().lower()
    if ctype != "application/json":
        raise UnsupportedMediaType("Send the body as application/json.")
    return body


def serve(provider: str, event: dict[str, Any], context: Any) -> dict[str, Any]:
    """One webhook delivery, as the Lambda handler of its route."""
    rid = str((event.get("requestContext") or {}).get("requestId") or getattr(context, "aws_request_id", ""))
    logger.set_correlation_id(rid)
    try:
        handle = handle_paystack if provider == "paystack" else handle_stripe
        signature = header(event, _HEADERS[provider])
        if not signature:  # unsigned: refused before anything of the body is looked at
            raise _bad_signature(provider)
        outcome = handle(_checked_body(event), signature)
        result = _response(200, {"received": True, "outcome": outcome}, rid)
    except AppError as exc:
        result = _response(exc.status, exc.to_body(rid), rid, exc.headers)
    except Exception:
        logger.exception("unhandled error")
        result = _response(500, AppError().to_body(rid), rid)
    logger.info("request", extra={"method": "POST", "route": event.get("routeKey"), "status": result["statusCode"]})
    return result


def paystack_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve("paystack", event, context)


def stripe_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return serve("stripe", event, context)
