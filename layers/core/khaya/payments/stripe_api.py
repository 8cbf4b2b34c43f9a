"""Stripe adapter: ``PaymentGateway`` (Checkout Sessions, refunds), ``PayoutRail`` (Connect
transfers to a worker's Stripe account) and ``ConnectedAccounts``, over its HTTP API.

Every POST carries an ``Idempotency-Key`` derived from our own reference, so a resend (after a
timeout) is answered with the first result instead of charging, refunding or paying twice; that
is also why Stripe writes may be retried. Requests are form-encoded (``a[b][c]=v``), amounts are
integers in the smallest unit, currencies lower case. Workers in ZA, KE, NG and GH cannot be paid
through Stripe Connect (see PROVIDERS.md): their payout accounts are Paystack ones.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from khaya.payments import http_client
from khaya.payments.http_client import ProviderRejected
from khaya.payments.providers import Charge, CheckoutSession, Refund, Transfer, api_url, secret

NAME = "stripe"
API_VERSION = "2024-06-20"
_PAID = frozenset({"paid", "no_payment_required"})


def form(params: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """Stripe's form encoding: nested dicts and lists as ``a[b][0][c]``; ``None`` left out."""
    out: list[tuple[str, str]] = []
    for key, value in params.items():
        name = f"{prefix}[{key}]" if prefix else str(key)
        if value is None:
            continue
        if isinstance(value, dict):
            out.extend(form(value, name))
        elif isinstance(value, list | tuple):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    out.extend(form(item, f"{name}[{i}]"))
                else:
                    out.append((f"{name}[{i}]", _scalar(item)))
        else:
            out.append((name, _scalar(value)))
    return out


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def charge_from_session(session: dict[str, Any]) -> Charge:
    """A Checkout Session (an event's object, or a retrieve) as a ``Charge``."""
    metadata = session.get("metadata") if isinstance(session.get("metadata"), dict) else {}
    reference = str(session.get("client_reference_id") or (metadata or {}).get("reference") or "")
    if session.get("payment_status") in _PAID:
        state = "success"
    elif session.get("status") == "expired":
        state = "failed"
    else:
        state = "pending"
    amount = session.get("amount_total")
    intent = session.get("payment_intent")
    if isinstance(intent, dict):
        intent = intent.get("id")
    return Charge(
        reference=reference,
        state=state,  # type: ignore[arg-type]
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        currency=str(session["currency"]).upper() if session.get("currency") else None,
        metadata=dict(metadata or {}),
        live=session.get("livemode") if isinstance(session.get("livemode"), bool) else None,
        provider_payment_id=str(intent) if intent else None,
        provider_status=str(session.get("payment_status") or session.get("status") or ""),
    )


class Stripe:
    name = NAME

    def __init__(self, base_url: str | None = None, secret_key: str | None = None) -> None:
        self._base = (base_url or api_url(NAME)).rstrip("/")
        self._key = secret_key

    def _headers(self, idempotency_key: str | None = None) -> dict[str, str]:
        key = self._key or str(secret(NAME)["secretKey"])
        headers = {"Authorization": f"Bearer {key}", "Stripe-Version": API_VERSION}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _post(self, path: str, params: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
        return http_client.call(
            NAME,
            "POST",
            self._base + path,
            headers={**self._headers(idempotency_key), "Content-Type": "application/x-www-form-urlencoded"},
            data=form(params),
            repeatable=True,  # the Idempotency-Key makes a resend return the first answer
        )

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return http_client.call(NAME, "GET", self._base + path, headers=self._headers(), params=params, repeatable=True)

    # ------------------------------------------------------------ PaymentGateway
    def start_checkout(
        self,
        *,
        reference: str,
        amount: int,
        currency: str,
        email: str,
        description: str,
        metadata: dict[str, str],
        return_url: str,
    ) -> CheckoutSession:
        joiner = "&" if "?" in return_url else "?"
        session = self._post(
            "/v1/checkout/sessions",
            {
                "mode": "payment",
                "client_reference_id": reference,
                "success_url": f"{return_url}{joiner}reference={reference}",
                "cancel_url": f"{return_url}{joiner}reference={reference}&cancelled=true",
                "line_items": [
                    {
                        "quantity": 1,
                        "price_data": {
                            "currency": currency.lower(),
                            "unit_amount": amount,
                            "product_data": {"name": description},
                        },
                    }
                ],
                "metadata": {**metadata, "reference": reference},
                "payment_intent_data": {"metadata": {**metadata, "reference": reference}},
            },
            idempotency_key=f"checkout-{reference}",
        )
        return CheckoutSession(provider_ref=str(session["id"]), authorization_url=str(session.get("url") or "") or None)

    def verify_charge(self, reference: str, provider_ref: str | None) -> Charge:
        if not provider_ref:
            raise ValueError("a Stripe charge is read through its Checkout Session id")
        return charge_from_session(self._get(f"/v1/checkout/sessions/{quote(provider_ref, safe='')}"))

    def refund(self, *, reference: str, provider_payment_id: str | None, amount: int, currency: str) -> Refund:
        if not provider_payment_id:
            raise ValueError("a Stripe refund needs the PaymentIntent id")
        refund = self._post(
            "/v1/refunds",
            {"payment_intent": provider_payment_id, "amount": amount, "metadata": {"reference": reference}},
            idempotency_key=f"refund-{reference}",
        )
        status = str(refund.get("status") or "")
        state = "succeeded" if status == "succeeded" else "failed" if status in ("failed", "canceled") else "pending"
        return Refund(refund_id=str(refund.get("id") or ""), state=state)  # type: ignore[arg-type]

    # ------------------------------------------------------------ PayoutRail (Connect)
    def transfer(self, *, reference: str, amount: int, currency: str, destination: str, reason: str) -> Transfer:
        created = self._post(
            "/v1/transfers",
            {
                "amount": amount,
                "currency": currency.lower(),
                "destination": destination,
                "transfer_group": reference,
                "description": reason,
                "metadata": {"reference": reference},
            },
            idempotency_key=reference,
        )
        # A Connect transfer moves the money at once: created is paid (a later reversal is an event).
        return Transfer(
            reference=reference,
            state="reversed" if created.get("reversed") else "success",
            transfer_code=str(created.get("id") or "") or None,
        )

    def verify_transfer(self, reference: str) -> Transfer | None:
        listed = self._get("/v1/transfers", {"transfer_group": reference, "limit": 1})
        items = listed.get("data") or []
        if not items:
            return None
        found = items[0]
        return Transfer(
            reference=reference,
            state="reversed" if found.get("reversed") else "success",
            transfer_code=str(found.get("id") or "") or None,
        )

    # ------------------------------------------------------------ ConnectedAccounts
    def account_name(self, account_id: str) -> str | None:
        try:
            account = self._get(f"/v1/accounts/{quote(account_id, safe='')}")
        except ProviderRejected as exc:
            if exc.http_status in (400, 403, 404):
                return None
            raise
        profile = account.get("business_profile") or {}
        dashboard = (account.get("settings") or {}).get("dashboard") or {}
        name = profile.get("name") or dashboard.get("display_name") or account.get("email") or account.get("id")
        return str(name) if name else None
