"""The local payment simulator: Paystack and Stripe as the local stage's functions see them.

Local only (a ``local.dev_routes`` extension; template.yaml has none of these routes). In the local
stage the payment adapters' base URLs (``PAYSTACK_API_URL``, ``STRIPE_API_URL``, see
``local.resources.local_parameters``) point here, so the same adapter code that talks to the
providers on AWS talks to this, in the providers' own wire formats:

* ``/_dev/paystack/...``: ``transaction/initialize``, ``transaction/verify/{reference}``, ``bank``,
  ``bank/resolve``, ``transferrecipient``, ``transfer``, ``transfer/verify/{reference}``, ``refund``
  (JSON, ``{"status", "message", "data"}``, ``Authorization: Bearer sk_test_khaya_local``);
* ``/_dev/stripe/v1/...``: ``checkout/sessions``, ``refunds``, ``transfers``, ``accounts/{id}``
  (form-encoded, ``Idempotency-Key`` honoured).

And the parts a developer drives:

* ``GET /_dev/pay/{reference}``: the checkout page a payment's ``authorizationUrl`` opens;
  ``POST`` it ``{"outcome": "success"|"failed", "deliver"?: "once"|"twice"|"out_of_order",
  "amount"?: <tampered amount>}`` and a correctly signed webhook is delivered over HTTP to
  ``/v1/webhooks/<provider>`` (twice, or a stale event after the new one, if asked). Paystack has
  no failure event: a failed Paystack payment is only visible to ``transaction/verify``.
* ``GET /_dev/transfers``: the payouts asked for, newest first. Each succeeds by itself (a signed
  ``transfer.success``) about a second after it starts, unless ``POST /_dev/transfers/{reference}
  {"outcome": "failed"|"reversed"|"otp"}`` came first (it may come before the transfer exists:
  references are deterministic). ``reversed`` after a success delivers ``transfer.reversed``.
* Refunds are confirmed the same way (``refund.processed`` / ``refund.updated``) a second later.
* ``POST /_dev/reconcile``: run ``ReconcilePaymentsFunction`` once now (AWS runs it every 5 minutes).

Webhooks are signed with the published local secrets (``sk_test_khaya_local``, ``whsec_khaya_local``).
State lives in memory for the gateway's run.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from typing import Any
from urllib.parse import parse_qsl

from local.dev_routes import DevContext, dev_route, path_params
from local.resources import LOCAL_PAYSTACK_SECRET_KEY, LOCAL_STRIPE_WEBHOOK_SECRET

STRIPE_API_KEY = "sk_test_khaya_local_stripe"
SETTLE_SECONDS = 1.0
JSON_TYPE = {"Content-Type": "application/json"}

BANKS: dict[str, list[dict[str, Any]]] = {
    "ZAR": [
        {"name": "Absa Bank", "code": "632005", "type": "basa"},
        {"name": "Capitec Bank", "code": "470010", "type": "basa"},
        {"name": "First National Bank", "code": "250655", "type": "basa"},
        {"name": "Nedbank", "code": "198765", "type": "basa"},
        {"name": "Standard Bank", "code": "051001", "type": "basa"},
    ],
    "NGN": [
        {"name": "Access Bank", "code": "044", "type": "nuban"},
        {"name": "Guaranty Trust Bank", "code": "058", "type": "nuban"},
        {"name": "Zenith Bank", "code": "057", "type": "nuban"},
    ],
    "GHS": [
        {"name": "GCB Bank", "code": "040100", "type": "ghipss"},
        {"name": "MTN Mobile Money", "code": "MTN", "type": "mobile_money"},
    ],
    "KES": [
        {"name": "M-PESA", "code": "MPESA", "type": "mobile_money"},
        {"name": "Equity Bank", "code": "68", "type": "kepss"},
    ],
}


class _State:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.paystack: dict[str, dict[str, Any]] = {}  # reference → transaction
        self.sessions: dict[str, dict[str, Any]] = {}  # Checkout Session id → session
        self.by_reference: dict[str, tuple[str, str]] = {}  # our reference → (provider, key)
        self.transfers: dict[str, dict[str, Any]] = {}  # transfer reference → transfer
        self.outcomes: dict[str, str] = {}  # transfer reference → what it should do
        self.refunds: dict[str, dict[str, Any]] = {}
        self.idempotent: dict[tuple[str, str], dict[str, Any]] = {}  # (path, key) → Stripe answer
        self.seq = 1000


STATE = _State()


# ---------------------------------------------------------------- plumbing


def _reply(status: int, body: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {**JSON_TYPE, **(headers or {})}, "body": json.dumps(body)}


def _html(body: str) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"Content-Type": "text/html; charset=utf-8"}, "body": body}


def _raw(event: dict[str, Any]) -> bytes:
    import base64

    body = event.get("body") or ""
    return base64.b64decode(body) if event.get("isBase64Encoded") else str(body).encode("utf-8")


def _json_body(event: dict[str, Any]) -> dict[str, Any]:
    raw = _raw(event)
    ctype = (event.get("headers") or {}).get("content-type", "")
    if "application/x-www-form-urlencoded" in ctype:
        return dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    try:
        doc = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def _form(event: dict[str, Any]) -> dict[str, Any]:
    """Stripe's ``a[b][0][c]=v`` form → nested dicts (lists stay dicts keyed "0", "1"…)."""
    out: dict[str, Any] = {}
    for key, value in parse_qsl(_raw(event).decode("utf-8"), keep_blank_values=True):
        parts = re.findall(r"[^\[\]]+", key)
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _base(event: dict[str, Any]) -> str:
    return f"http://{(event.get('headers') or {}).get('host', '127.0.0.1:3000')}"


def _query(event: dict[str, Any]) -> dict[str, str]:
    return dict(event.get("queryStringParameters") or {})


def _bearer(event: dict[str, Any]) -> str:
    return str((event.get("headers") or {}).get("authorization", "")).removeprefix("Bearer ").strip()


def _next_id() -> int:
    with STATE.lock:
        STATE.seq += 1
        return STATE.seq


def _now_iso() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


def deliver(base: str, provider: str, event: dict[str, Any]) -> int:
    """POST one correctly signed webhook to the local API; its HTTP status."""
    import requests

    body = json.dumps(event, separators=(",", ":")).encode("utf-8")
    if provider == "paystack":
        sig = hmac.new(LOCAL_PAYSTACK_SECRET_KEY.encode(), body, hashlib.sha512).hexdigest()
        headers = {"x-paystack-signature": sig}
    else:
        from khaya.payments.signatures import stripe_header

        headers = {"Stripe-Signature": stripe_header(body, LOCAL_STRIPE_WEBHOOK_SECRET)}
    resp = requests.post(
        f"{base}/v1/webhooks/{provider}",
        data=body,
        headers={**headers, "Content-Type": "application/json"},
        timeout=30,
    )
    return int(resp.status_code)


def _later(seconds: float, fn: Any, *args: Any) -> None:
    timer = threading.Timer(seconds, _quietly, args=(fn, *args))
    timer.daemon = True
    timer.start()


def _quietly(fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except Exception as exc:  # a local tool: say it, never crash the gateway
        print(f"payment simulator: {type(exc).__name__}: {exc}", flush=True)


# ---------------------------------------------------------------- Paystack API


def _guarded(prefix: str, key: str, refusal: dict[str, Any]) -> Any:
    """A decorator registering a provider API route that, like the provider, refuses a wrong key."""

    def route(method: str, path: str) -> Any:
        def register(fn: Any) -> Any:
            def guarded(event: dict[str, Any], ctx: DevContext) -> Any:
                return _reply(401, refusal) if _bearer(event) != key else fn(event, ctx)

            dev_route(method, prefix + path)(guarded)
            return fn

        return register

    return route


paystack_api = _guarded("/_dev/paystack", LOCAL_PAYSTACK_SECRET_KEY, {"status": False, "message": "Invalid key"})
stripe_api = _guarded(
    "/_dev/stripe", STRIPE_API_KEY, {"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}}
)


def _paystack_ok(data: Any, message: str = "OK", meta: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": True, "message": message, "data": data}
    if meta is not None:
        body["meta"] = meta
    return _reply(200, body)


def _paystack_no(status: int, message: str) -> dict[str, Any]:
    return _reply(status, {"status": False, "message": message})


def _transaction_data(txn: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": txn["id"],
        "domain": "test",
        "status": txn["status"],
        "reference": txn["reference"],
        "amount": txn["amount"],
        "currency": txn["currency"],
        "metadata": txn["metadata"],
        "channel": "card",
        "gateway_response": "Successful" if txn["status"] == "success" else "Declined",
        "paid_at": txn.get("paidAt"),
        "created_at": txn["createdAt"],
        "customer": {"email": txn["email"]},
    }


@paystack_api("POST", "/transaction/initialize")
def paystack_initialize(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    body = _json_body(event)
    reference, amount = str(body.get("reference") or ""), body.get("amount")
    if not body.get("email") or not isinstance(amount, int) or amount <= 0 or not reference:
        return _paystack_no(400, "email, amount and reference are required")
    with STATE.lock:
        if reference in STATE.paystack:
            return _paystack_no(400, "Duplicate Transaction Reference")
        txn = {
            "id": _next_id(),
            "reference": reference,
            "amount": amount,
            "currency": str(body.get("currency") or "NGN"),
            "email": body["email"],
            "metadata": body.get("metadata") or {},
            "callbackUrl": body.get("callback_url"),
            "channels": body.get("channels") or [],
            "status": "abandoned",
            "accessCode": secrets.token_hex(6),
            "createdAt": _now_iso(),
        }
        STATE.paystack[reference] = txn
        STATE.by_reference[reference] = ("paystack", reference)
    return _paystack_ok(
        {
            "authorization_url": f"{_base(event)}/_dev/pay/{reference}",
            "access_code": txn["accessCode"],
            "reference": reference,
        },
        "Authorization URL created",
    )


@paystack_api("GET", "/transaction/verify/{reference}")
def paystack_verify(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    reference = path_params("/_dev/paystack/transaction/verify/{reference}", event).get("reference", "")
    txn = STATE.paystack.get(reference)
    if txn is None:
        return _paystack_no(400, "Transaction reference not found")
    return _paystack_ok(_transaction_data(txn), "Verification successful")


@paystack_api("GET", "/bank")
def paystack_banks(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    currency = _query(event).get("currency", "NGN")
    items = [
        {"id": i + 1, "slug": b["name"].lower().replace(" ", "-"), "active": True, "currency": currency, **b}
        for i, b in enumerate(BANKS.get(currency, []))
    ]
    return _paystack_ok(items, "Banks retrieved", meta={"next": None, "previous": None, "perPage": 100})


@paystack_api("GET", "/bank/resolve")
def paystack_resolve(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    q = _query(event)
    number = q.get("account_number", "")
    if not number.isdigit() or number.startswith("000"):
        return _paystack_no(422, "Could not resolve account name. Check parameters or try again.")
    return _paystack_ok(
        {"account_number": number, "account_name": f"LOCAL TEST ACCOUNT {number[-4:]}", "bank_id": 1},
        "Account number resolved",
    )


@paystack_api("POST", "/transferrecipient")
def paystack_recipient(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    body = _json_body(event)
    if body.get("type") not in ("basa", "nuban", "mobile_money", "ghipss"):
        return _paystack_no(400, "Invalid recipient type")
    key = f"{body.get('bank_code')}:{body.get('account_number')}"
    code = "RCP_" + hashlib.sha256(key.encode()).hexdigest()[:14]
    return _paystack_ok(
        {
            "active": True,
            "currency": body.get("currency"),
            "name": body.get("name"),
            "recipient_code": code,
            "type": body.get("type"),
            "details": {"account_number": body.get("account_number"), "bank_code": body.get("bank_code")},
        },
        "Transfer recipient created successfully",
    )


def _transfer_data(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "amount": t["amount"],
        "currency": t["currency"],
        "domain": "test",
        "id": t["id"],
        "reason": t.get("reason"),
        "reference": t["reference"],
        "source": "balance",
        "status": t["status"],
        "transfer_code": t["transferCode"],
        "recipient": {"recipient_code": t["destination"]},
        "createdAt": t["createdAt"],
        "updatedAt": _now_iso(),
    }


def _start_transfer(
    event: dict[str, Any],
    provider: str,
    reference: str,
    amount: int,
    currency: str,
    destination: str,
    reason: str,
    code: str,
) -> dict[str, Any]:
    with STATE.lock:
        outcome = STATE.outcomes.get(reference, "success")
        transfer = {
            "provider": provider,
            "reference": reference,
            "id": _next_id(),
            "amount": amount,
            "currency": currency,
            "destination": destination,
            "reason": reason,
            "transferCode": code,
            "status": "otp" if outcome == "otp" else "pending",
            "createdAt": _now_iso(),
            "deliveries": [],
        }
        STATE.transfers[reference] = transfer
    if outcome != "otp":
        _later(SETTLE_SECONDS, _settle_transfer, _base(event), reference)
    return transfer


def _settle_transfer(base: str, reference: str) -> None:
    """A second after it started: the transfer succeeds, fails or is reversed (signed webhook)."""
    with STATE.lock:
        t = STATE.transfers[reference]
        outcome = STATE.outcomes.get(reference, "success")
        if t["status"] != "pending":
            return
        t["status"] = "failed" if outcome == "failed" else "reversed" if outcome == "reversed" else "success"
    _transfer_event(base, t)


def _transfer_event(base: str, t: dict[str, Any]) -> None:
    if t["provider"] == "paystack":
        kind = f"transfer.{t['status']}"
        status = deliver(base, "paystack", {"event": kind, "data": _transfer_data(t)})
    elif t["status"] == "reversed":
        kind = "transfer.reversed"
        status = deliver(base, "stripe", _stripe_event(kind, _stripe_transfer(t, reversed_=True)))
    else:
        return  # a Stripe transfer is paid when created: no event to send
    t["deliveries"].append({"event": kind, "status": status, "at": _now_iso()})


@paystack_api("POST", "/transfer")
def paystack_transfer(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    body = _json_body(event)
    reference, amount = str(body.get("reference") or ""), body.get("amount")
    if not reference or not isinstance(amount, int) or amount <= 0 or not body.get("recipient"):
        return _paystack_no(400, "amount, recipient and reference are required")
    with STATE.lock:
        if reference in STATE.transfers:
            return _paystack_no(400, "Duplicate Transfer Reference")
    if STATE.outcomes.get(reference) == "refused":
        return _paystack_no(400, "Your balance is not enough to fulfil this request")
    t = _start_transfer(
        event,
        "paystack",
        reference,
        amount,
        str(body.get("currency") or "NGN"),
        str(body["recipient"]),
        str(body.get("reason") or ""),
        "TRF_" + secrets.token_hex(7),
    )
    return _paystack_ok(_transfer_data(t), "Transfer has been queued")


@paystack_api("GET", "/transfer/verify/{reference}")
def paystack_verify_transfer(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    reference = path_params("/_dev/paystack/transfer/verify/{reference}", event).get("reference", "")
    t = STATE.transfers.get(reference)
    if t is None or t["provider"] != "paystack":
        return _paystack_no(404, "Transfer not found")
    return _paystack_ok(_transfer_data(t), "Transfer retrieved")


@paystack_api("POST", "/refund")
def paystack_refund(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    body = _json_body(event)
    txn = STATE.paystack.get(str(body.get("transaction") or ""))
    if txn is None or txn["status"] not in ("success",):
        return _paystack_no(400, "Transaction not found or not refundable")
    with STATE.lock:
        if txn.get("refunded"):
            return _paystack_no(400, "Transaction has been fully reversed")
        txn["refunded"] = True
        refund = {
            "id": _next_id(),
            "provider": "paystack",
            "reference": txn["reference"],
            "amount": int(body.get("amount") or txn["amount"]),
            "currency": txn["currency"],
            "status": "pending",
        }
        STATE.refunds[str(refund["id"])] = refund
    _later(SETTLE_SECONDS, _settle_refund, _base(event), str(refund["id"]))
    return _paystack_ok(
        {
            "transaction": _transaction_data(txn),
            "id": refund["id"],
            "amount": refund["amount"],
            "currency": refund["currency"],
            "status": "pending",
            "domain": "test",
        },
        "Refund has been queued for processing",
    )


def _settle_refund(base: str, refund_id: str) -> None:
    refund = STATE.refunds[refund_id]
    refund["status"] = "processed"
    if refund["provider"] == "paystack":
        deliver(
            base,
            "paystack",
            {
                "event": "refund.processed",
                "data": {
                    "id": refund["id"],
                    "domain": "test",
                    "status": "processed",
                    "transaction_reference": refund["reference"],
                    "amount": str(refund["amount"]),
                    "currency": refund["currency"],
                    "refunded_at": _now_iso(),
                },
            },
        )
    else:
        deliver(base, "stripe", _stripe_event("refund.updated", _stripe_refund(refund, "succeeded")))


# ---------------------------------------------------------------- Stripe API


def _stripe_error(status: int, message: str) -> dict[str, Any]:
    return _reply(status, {"error": {"type": "invalid_request_error", "message": message}})


def _idempotent(event: dict[str, Any], path: str, make: Any) -> dict[str, Any]:
    key = str((event.get("headers") or {}).get("idempotency-key") or "")
    with STATE.lock:
        if key and (path, key) in STATE.idempotent:
            return _reply(200, STATE.idempotent[(path, key)], {"Idempotent-Replayed": "true"})
        made = make()
        if isinstance(made, dict) and "statusCode" in made:
            return made
        if key:
            STATE.idempotent[(path, key)] = made
    return _reply(200, made)


def _stripe_event(kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "evt_" + secrets.token_hex(12),
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "livemode": False,
        "type": kind,
        "data": {"object": obj},
        "pending_webhooks": 1,
    }


@stripe_api("POST", "/v1/checkout/sessions")
def stripe_create_session(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    form = _form(event)

    def make() -> Any:
        line = (form.get("line_items") or {}).get("0") or {}
        price = line.get("price_data") or {}
        try:
            amount = int(price.get("unit_amount", "0")) * int(line.get("quantity", "1"))
        except ValueError:
            return _stripe_error(400, "Invalid integer")
        reference = str(form.get("client_reference_id") or "")
        if amount <= 0 or not reference or not price.get("currency"):
            return _stripe_error(400, "Missing required param: line_items[0][price_data]")
        session = {
            "id": "cs_test_" + secrets.token_hex(12),
            "object": "checkout.session",
            "amount_total": amount,
            "currency": str(price["currency"]),
            "client_reference_id": reference,
            "metadata": form.get("metadata") or {},
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "livemode": False,
            "success_url": form.get("success_url"),
            "cancel_url": form.get("cancel_url"),
            "url": f"{_base(event)}/_dev/pay/{reference}",
        }
        STATE.sessions[session["id"]] = session
        STATE.by_reference[reference] = ("stripe", session["id"])
        return session

    return _idempotent(event, "/v1/checkout/sessions", make)


@stripe_api("GET", "/v1/checkout/sessions/{id}")
def stripe_get_session(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    session = STATE.sessions.get(path_params("/_dev/stripe/v1/checkout/sessions/{id}", event).get("id", ""))
    if session is None:
        return _stripe_error(404, "No such checkout.session")
    return _reply(200, session)


def _stripe_refund(refund: dict[str, Any], status: str) -> dict[str, Any]:
    return {
        "id": refund["id"],
        "object": "refund",
        "amount": refund["amount"],
        "currency": refund["currency"].lower(),
        "payment_intent": refund["paymentIntent"],
        "metadata": {"reference": refund["reference"]},
        "status": status,
    }


@stripe_api("POST", "/v1/refunds")
def stripe_refund(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    form = _form(event)

    def make() -> Any:
        intent = str(form.get("payment_intent") or "")
        session = next((s for s in STATE.sessions.values() if s.get("payment_intent") == intent), None)
        if session is None or session["payment_status"] != "paid":
            return _stripe_error(400, f"No such payment_intent: '{intent}'")
        if session.get("refunded"):
            return _stripe_error(400, "Charge has already been refunded.")
        session["refunded"] = True
        refund = {
            "id": "re_" + secrets.token_hex(12),
            "provider": "stripe",
            "reference": str((form.get("metadata") or {}).get("reference") or session["client_reference_id"]),
            "amount": int(form.get("amount") or session["amount_total"]),
            "currency": str(session["currency"]).upper(),
            "paymentIntent": intent,
            "status": "pending",
        }
        STATE.refunds[refund["id"]] = refund
        _later(SETTLE_SECONDS, _settle_refund, _base(event), refund["id"])
        return _stripe_refund(refund, "pending")

    return _idempotent(event, "/v1/refunds", make)


def _stripe_transfer(t: dict[str, Any], *, reversed_: bool = False) -> dict[str, Any]:
    return {
        "id": t["transferCode"],
        "object": "transfer",
        "amount": t["amount"],
        "currency": t["currency"].lower(),
        "destination": t["destination"],
        "transfer_group": t["reference"],
        "metadata": {"reference": t["reference"]},
        "reversed": reversed_,
        "livemode": False,
    }


@stripe_api("POST", "/v1/transfers")
def stripe_transfer(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    form = _form(event)

    def make() -> Any:
        reference = str(form.get("transfer_group") or "")
        if STATE.outcomes.get(reference) in ("failed", "refused"):
            return _stripe_error(400, "Insufficient funds in Stripe account.")
        t = _start_transfer(
            event,
            "stripe",
            reference,
            int(form.get("amount") or 0),
            str(form.get("currency") or "").upper(),
            str(form.get("destination") or ""),
            str(form.get("description") or ""),
            "tr_" + secrets.token_hex(12),
        )
        if STATE.outcomes.get(reference) != "reversed":
            t["status"] = "success"  # a Connect transfer is paid when created
        return _stripe_transfer(t)

    return _idempotent(event, "/v1/transfers", make)


@stripe_api("GET", "/v1/transfers")
def stripe_list_transfers(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    group = _query(event).get("transfer_group", "")
    found = [
        _stripe_transfer(t, reversed_=t["status"] == "reversed")
        for t in STATE.transfers.values()
        if t["provider"] == "stripe" and t["reference"] == group
    ]
    return _reply(200, {"object": "list", "data": found[:1], "has_more": False})


@stripe_api("GET", "/v1/accounts/{id}")
def stripe_account(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    account_id = path_params("/_dev/stripe/v1/accounts/{id}", event).get("id", "")
    if not account_id.startswith("acct_") or "missing" in account_id:
        return _stripe_error(404, f"No such account: '{account_id}'")
    return _reply(
        200,
        {
            "id": account_id,
            "object": "account",
            "business_profile": {"name": "Local Test Worker"},
            "charges_enabled": True,
            "payouts_enabled": True,
            "country": "GB",
        },
    )


# ---------------------------------------------------------------- the developer's side


def _paystack_charge_event(txn: dict[str, Any], amount: int) -> dict[str, Any]:
    return {"event": "charge.success", "data": {**_transaction_data(txn), "amount": amount}}


@dev_route("GET", "/_dev/pay/{reference}")
def pay_page(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    reference = path_params("/_dev/pay/{reference}", event).get("reference", "")
    if reference == "done":
        return _html("<!doctype html><title>Khaya</title><p>Payment finished. You can close this page.</p>")
    found = STATE.by_reference.get(reference)
    if found is None:
        return _reply(404, {"error": {"code": "not_found", "message": "No checkout with this reference."}})
    ref = html.escape(reference)
    return _html(
        f"<!doctype html><title>Local checkout {ref}</title><h1>Local {found[0]} checkout</h1>"
        f"<p>Reference <code>{ref}</code></p>"
        f'<form method="post"><input type="hidden" name="outcome" value="success"><button>Pay</button></form>'
        f'<form method="post"><input type="hidden" name="outcome" value="failed"><button>Decline</button></form>'
    )


@dev_route("POST", "/_dev/pay/{reference}")
def pay(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    reference = path_params("/_dev/pay/{reference}", event).get("reference", "")
    body = _json_body(event)
    outcome, deliver_as = str(body.get("outcome") or "success"), str(body.get("deliver") or "once")
    if outcome not in ("success", "failed") or deliver_as not in ("once", "twice", "out_of_order"):
        return _reply(
            400,
            {
                "error": {
                    "code": "validation_error",
                    "message": "outcome: success|failed; deliver: once|twice|out_of_order",
                }
            },
        )
    found = STATE.by_reference.get(reference)
    if found is None:
        return _reply(404, {"error": {"code": "not_found", "message": "No checkout with this reference."}})
    provider, key = found
    base = _base(event)
    events: list[dict[str, Any]] = []
    with STATE.lock:
        if provider == "paystack":
            txn = STATE.paystack[key]
            txn["status"] = outcome if outcome == "success" else "failed"
            txn["paidAt"] = _now_iso() if outcome == "success" else None
            amount = int(body["amount"]) if isinstance(body.get("amount"), int) else int(txn["amount"])
            if outcome == "success":
                events = [_paystack_charge_event(txn, amount)]  # Paystack sends no event for a decline
        else:
            session = STATE.sessions[key]
            if outcome == "success":
                session.update(
                    payment_status="paid",
                    status="complete",
                    payment_intent=session.get("payment_intent") or "pi_" + secrets.token_hex(12),
                )
                paid = {
                    **session,
                    "amount_total": int(body["amount"])
                    if isinstance(body.get("amount"), int)
                    else session["amount_total"],
                }
                events = [_stripe_event("checkout.session.completed", paid)]
                if deliver_as == "out_of_order":
                    # An older state of the same session, arriving last: must change nothing.
                    events.append(
                        _stripe_event(
                            "checkout.session.expired", {**session, "status": "expired", "payment_status": "unpaid"}
                        )
                    )
            else:
                session.update(status="expired")
                events = [_stripe_event("checkout.session.expired", dict(session))]
    if deliver_as == "twice":
        events = [e for e in events for _ in range(2)]
    deliveries = [{"event": e.get("event") or e.get("type"), "status": deliver(base, provider, e)} for e in events]
    return _reply(200, {"reference": reference, "provider": provider, "outcome": outcome, "deliveries": deliveries})


@dev_route("GET", "/_dev/transfers")
def list_transfers(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    with STATE.lock:
        items = sorted(STATE.transfers.values(), key=lambda t: t["id"], reverse=True)
        shown = [{k: v for k, v in t.items() if k != "id"} for t in items]
    return _reply(200, {"items": shown})


@dev_route("POST", "/_dev/transfers/{reference}")
def set_transfer_outcome(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    reference = path_params("/_dev/transfers/{reference}", event).get("reference", "")
    outcome = str(_json_body(event).get("outcome") or "")
    if outcome not in ("failed", "reversed", "otp", "refused", "success"):
        return _reply(400, {"error": {"code": "validation_error", "message": "outcome: failed|reversed|otp|refused"}})
    with STATE.lock:
        STATE.outcomes[reference] = outcome
        t = STATE.transfers.get(reference)
        late_reversal = t is not None and t["status"] == "success" and outcome == "reversed"
        if late_reversal and t is not None:
            t["status"] = "reversed"
    if late_reversal and t is not None:
        _transfer_event(_base(event), t)
    return _reply(200, {"reference": reference, "outcome": outcome, "transfer": t})


@dev_route("POST", "/_dev/reconcile")
def reconcile_now(event: dict[str, Any], ctx: DevContext) -> dict[str, Any]:
    if ctx.invoke is None:
        return _reply(503, {"error": {"code": "unavailable", "message": "no function pool"}})
    result = ctx.invoke("ReconcilePaymentsFunction", {"source": "aws.events", "detail-type": "Scheduled Event"})
    return _reply(200, {"reconciled": result})


# ---------------------------------------------------------------- standalone


def serve(port: int = 0, webhooks: Any = None) -> tuple[Any, str]:
    """The simulator's provider APIs alone on a loopback port (a free one by default), for a
    process with no local gateway (``local.artifacts``, the demo data set): ``(server, base
    URL)``; ``server.shutdown()`` stops it. Webhooks it delivers go to that same base, where
    ``webhooks(provider, event)`` answers them when given (the webhook functions' own code, in
    this process), else nothing does."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    from urllib.parse import parse_qs, urlsplit

    from local import dev_routes

    dev_routes.load_extensions()
    context = DevContext(endpoint_url="", table_name="")

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            target = urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            event = {
                "rawPath": target.path,
                "requestContext": {"http": {"method": self.command, "path": target.path}},
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "queryStringParameters": {k: v[-1] for k, v in parse_qs(target.query).items()},
                "body": body.decode("utf-8", "replace"),
                "isBase64Encoded": False,
            }
            route = dev_routes.find(self.command, target.path)
            if webhooks is not None and target.path.startswith("/v1/webhooks/"):
                result = webhooks(target.path.rsplit("/", 1)[-1], event)
            else:
                result = route(event, context) if route else _reply(404, {"message": "not simulated"})
            if not isinstance(result, dict) or "statusCode" not in result:
                result = _reply(200, result)
            raw = str(result.get("body") or "").encode("utf-8")
            self.send_response(int(result["statusCode"]))
            for name, value in (result.get("headers") or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
