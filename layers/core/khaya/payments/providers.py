"""The payment providers behind small ports, and where the adapters come from.

Ports (``typing.Protocol``), so services depend on what they need, not on an SDK:

* ``PaymentGateway``: start a checkout, read a charge back, refund it (Paystack and Stripe);
* ``PayoutRail``: send a transfer to a worker and read it back (Paystack transfers, Stripe
  Connect transfers);
* ``BankDirectory``: the banks and mobile-money providers a payout can go to, account-name
  checks and transfer recipients (Paystack);
* ``ConnectedAccounts``: a worker's Stripe account (Stripe Connect).

The adapters (``khaya.payments.paystack_api``, ``khaya.payments.stripe_api``) speak the
providers' HTTP APIs with plain ``requests``; their base URLs are configuration
(``PAYSTACK_API_URL``, ``STRIPE_API_URL``), which is how the local stage points them at the
payment simulator. ``khaya.payments.adapters`` hands out the adapter in use (tests install
fakes there).

Secrets (Secrets Manager, names in ``PAYSTACK_SECRET_NAME`` / ``STRIPE_SECRET_NAME``):
``{"secretKey": "sk_…", "previousSecretKey"?: "sk_…"}`` for Paystack (its webhooks are signed
with the secret key; the previous one is accepted while a rotation settles) and
``{"secretKey": "sk_…", "webhookSecrets": ["whsec_current", "whsec_previous"?]}`` for Stripe.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from khaya.errors import ServiceUnavailable

Provider = Literal["paystack", "stripe"]
PROVIDERS: tuple[str, ...] = ("paystack", "stripe")
ChargeState = Literal["success", "failed", "pending"]
TransferState = Literal["success", "pending", "otp", "failed", "reversed"]


# ---------------------------------------------------------------- values


@dataclass(frozen=True)
class CheckoutSession:
    provider_ref: str  # Paystack access code, Stripe Checkout Session id
    authorization_url: str | None = None
    client_secret: str | None = None


@dataclass(frozen=True)
class Charge:
    """A charge as the provider reports it (a webhook's object, or a verify call)."""

    reference: str
    state: ChargeState
    amount: int | None
    currency: str | None  # upper case
    metadata: dict[str, Any] = field(default_factory=dict)
    live: bool | None = None
    provider_payment_id: str | None = None  # Paystack transaction id, Stripe PaymentIntent id
    provider_status: str = ""


@dataclass(frozen=True)
class Refund:
    refund_id: str
    state: Literal["succeeded", "pending", "failed"]


@dataclass(frozen=True)
class Transfer:
    reference: str
    state: TransferState
    transfer_code: str | None = None


@dataclass(frozen=True)
class Bank:
    code: str
    name: str
    type: str


# ---------------------------------------------------------------- ports


class PaymentGateway(Protocol):
    name: str

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
    ) -> CheckoutSession: ...

    def verify_charge(self, reference: str, provider_ref: str | None) -> Charge: ...

    def refund(self, *, reference: str, provider_payment_id: str | None, amount: int, currency: str) -> Refund: ...


class PayoutRail(Protocol):
    name: str

    def transfer(self, *, reference: str, amount: int, currency: str, destination: str, reason: str) -> Transfer: ...

    def verify_transfer(self, reference: str) -> Transfer | None: ...


class BankDirectory(Protocol):
    def list_banks(self, currency: str) -> list[Bank]: ...

    def resolve_account(self, *, bank_code: str, account_number: str) -> str: ...

    def create_recipient(self, *, type: str, name: str, account_number: str, bank_code: str, currency: str) -> str: ...


class ConnectedAccounts(Protocol):
    def account_name(self, account_id: str) -> str | None: ...


# ---------------------------------------------------------------- configuration


def secret(provider: str) -> dict[str, Any]:
    """The provider's secret document (cached by ``khaya.secrets``)."""
    from khaya.config import settings
    from khaya.secrets import get_secret

    name = settings().get(f"{provider.upper()}_SECRET_NAME")
    if not name:
        raise ServiceUnavailable("Payments are not configured.", code="payments_not_configured")
    try:
        doc = json.loads(get_secret(name))
    except ValueError:
        raise ServiceUnavailable("Payments are not configured.", code="payments_not_configured") from None
    if not isinstance(doc, dict) or not doc.get("secretKey"):
        raise ServiceUnavailable("Payments are not configured.", code="payments_not_configured")
    return doc


def live_mode() -> bool:
    """``PAYMENTS_LIVE``: live keys and live events (prod); test everywhere else."""
    from khaya.config import settings

    return (settings().get("PAYMENTS_LIVE") or "false").lower() == "true"


def api_url(provider: str) -> str:
    from khaya.config import settings

    default = {"paystack": "https://api.paystack.co", "stripe": "https://api.stripe.com"}[provider]
    return (settings().get(f"{provider.upper()}_API_URL") or default).rstrip("/")
