"""Paystack adapter: ``PaymentGateway``, ``PayoutRail`` and ``BankDirectory`` over its HTTP API.

Facts it relies on (see PROVIDERS.md): amounts are integers in the subunit; the answer's
top-level ``status: true`` only says the call worked, so a charge is judged by ``data.status``,
``data.amount`` and ``data.currency``; ``data.domain`` is ``test`` or ``live``; there are no
idempotency keys except a transfer's ``reference`` (so only reads, recipients and transfers are
ever repeated); a transfer may answer ``status: "otp"`` (parked for an operator).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from khaya.payments import http_client
from khaya.payments.http_client import ProviderRejected
from khaya.payments.providers import Bank, Charge, CheckoutSession, Refund, Transfer, api_url, secret

NAME = "paystack"
RECIPIENT_TYPES = frozenset({"basa", "nuban", "mobile_money", "ghipss"})
_CHANNELS = {
    "KES": ["card", "mobile_money"],
    "GHS": ["card", "mobile_money"],
    "NGN": ["card", "bank", "ussd", "bank_transfer"],
    "ZAR": ["card", "eft"],
    "USD": ["card"],
}
_CHARGE_STATES = {"success": "success", "failed": "failed", "reversed": "failed"}
_TRANSFER_STATES = {"success": "success", "failed": "failed", "reversed": "reversed", "otp": "otp"}
_BANK_PAGES = 10


def charge_from(data: dict[str, Any]) -> Charge:
    """A Paystack transaction object (``charge.success`` data or a verify answer) as a ``Charge``."""
    metadata = data.get("metadata")
    domain = data.get("domain")
    amount = data.get("amount")
    return Charge(
        reference=str(data.get("reference") or ""),
        state=_CHARGE_STATES.get(str(data.get("status") or ""), "pending"),  # type: ignore[arg-type]
        amount=int(amount) if isinstance(amount, int | str) and str(amount).isdigit() else None,
        currency=str(data["currency"]).upper() if data.get("currency") else None,
        metadata=metadata if isinstance(metadata, dict) else {},
        live=None if domain not in ("test", "live") else domain == "live",
        provider_payment_id=str(data["id"]) if data.get("id") is not None else None,
        provider_status=str(data.get("status") or ""),
    )


def transfer_from(data: dict[str, Any]) -> Transfer:
    return Transfer(
        reference=str(data.get("reference") or ""),
        state=_TRANSFER_STATES.get(str(data.get("status") or ""), "pending"),  # type: ignore[arg-type]
        transfer_code=str(data["transfer_code"]) if data.get("transfer_code") else None,
    )


class Paystack:
    name = NAME

    def __init__(self, base_url: str | None = None, secret_key: str | None = None) -> None:
        self._base = (base_url or api_url(NAME)).rstrip("/")
        self._key = secret_key

    # ------------------------------------------------------------ plumbing
    def _headers(self) -> dict[str, str]:
        key = self._key or str(secret(NAME)["secretKey"])
        return {"Authorization": f"Bearer {key}", "Accept": "application/json"}

    def _call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, Any] | None = None,
        repeatable: bool,
    ) -> Any:
        body = http_client.call(
            NAME,
            method,
            self._base + path,
            headers=self._headers(),
            json=json,
            params=params,
            repeatable=repeatable,
        )
        if body.get("status") is not True:  # a 2xx that says the call did not work
            raise ProviderRejected(NAME, 200, body)
        return body.get("data")

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
        data = self._call(
            "POST",
            "/transaction/initialize",
            json={
                "email": email,
                "amount": amount,
                "currency": currency,
                "reference": reference,
                "callback_url": return_url,
                "channels": _CHANNELS.get(currency, ["card"]),
                "metadata": {**metadata, "description": description},
            },
            repeatable=False,  # no idempotency key: a lost answer is settled by verify, not a resend
        )
        return CheckoutSession(provider_ref=str(data["access_code"]), authorization_url=str(data["authorization_url"]))

    def verify_charge(self, reference: str, provider_ref: str | None) -> Charge:
        data = self._call("GET", f"/transaction/verify/{quote(reference, safe='')}", repeatable=True)
        return charge_from(data if isinstance(data, dict) else {})

    def refund(self, *, reference: str, provider_payment_id: str | None, amount: int, currency: str) -> Refund:
        data = self._call(
            "POST",
            "/refund",
            json={"transaction": reference, "amount": amount, "currency": currency, "merchant_note": "Job cancelled"},
            repeatable=False,  # Paystack refunds have no idempotency key: guarded locally, sent once
        )
        status = str(data.get("status") or "")
        state = "succeeded" if status == "processed" else "failed" if status == "failed" else "pending"
        return Refund(refund_id=str(data.get("id") or ""), state=state)  # type: ignore[arg-type]

    # ------------------------------------------------------------ PayoutRail
    def transfer(self, *, reference: str, amount: int, currency: str, destination: str, reason: str) -> Transfer:
        try:
            data = self._call(
                "POST",
                "/transfer",
                json={
                    "source": "balance",
                    "amount": amount,
                    "currency": currency,
                    "recipient": destination,
                    "reference": reference,
                    "reason": reason,
                },
                repeatable=True,  # the reference makes a resend safe: Paystack will not pay it twice
            )
        except ProviderRejected:
            # A resend of a transfer that did land is refused as a duplicate: read it instead.
            found = self.verify_transfer(reference)
            if found is None:
                raise
            return found
        return transfer_from({"reference": reference, **(data or {})})

    def verify_transfer(self, reference: str) -> Transfer | None:
        try:
            data = self._call("GET", f"/transfer/verify/{quote(reference, safe='')}", repeatable=True)
        except ProviderRejected as exc:
            if exc.http_status in (400, 404):
                return None
            raise
        return transfer_from({"reference": reference, **(data or {})})

    # ------------------------------------------------------------ BankDirectory
    def list_banks(self, currency: str) -> list[Bank]:
        banks: list[Bank] = []
        params: dict[str, Any] = {"currency": currency, "perPage": 100, "use_cursor": "true"}
        for _ in range(_BANK_PAGES):
            body = http_client.call(
                NAME, "GET", self._base + "/bank", headers=self._headers(), params=params, repeatable=True
            )
            if body.get("status") is not True:
                raise ProviderRejected(NAME, 200, body)
            for raw in body.get("data") or []:
                if raw.get("active", True) and raw.get("code") and raw.get("name"):
                    banks.append(Bank(code=str(raw["code"]), name=str(raw["name"]), type=str(raw.get("type") or "")))
            following = (body.get("meta") or {}).get("next")
            if not following:
                break
            params = {**params, "next": following}
        return banks

    def resolve_account(self, *, bank_code: str, account_number: str) -> str:
        data = self._call(
            "GET",
            "/bank/resolve",
            params={"account_number": account_number, "bank_code": bank_code},
            repeatable=True,
        )
        return str((data or {}).get("account_name") or "")

    def create_recipient(self, *, type: str, name: str, account_number: str, bank_code: str, currency: str) -> str:
        if type not in RECIPIENT_TYPES:
            raise ValueError(f"unsupported recipient type {type!r}")
        data = self._call(
            "POST",
            "/transferrecipient",
            json={
                "type": type,
                "name": name,
                "account_number": account_number,
                "bank_code": bank_code,
                "currency": currency,
            },
            repeatable=True,  # Paystack answers an existing recipient for the same account
        )
        return str(data["recipient_code"])
