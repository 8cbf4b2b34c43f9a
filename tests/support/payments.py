"""Payment test helpers: fake providers behind the ports, and provider webhooks signed as the
providers sign them (with the local stage's published secrets).

    fakes = FakeProviders.install()        # adapters.gateway("paystack") etc. are now fakes
    (the autouse ``fake_providers`` fixture does this for every test: none reaches a provider)
    body, headers = paystack_webhook("charge.success", {...})
    body, headers = stripe_webhook("checkout.session.completed", session)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from khaya.payments.http_client import ProviderRejected, ProviderUnavailable
from khaya.payments.providers import Bank, Charge, CheckoutSession, Refund, Transfer
from local.resources import LOCAL_PAYSTACK_SECRET_KEY, LOCAL_STRIPE_WEBHOOK_SECRET

# ---------------------------------------------------------------- signed webhooks


def paystack_sign(body: bytes, key: str = LOCAL_PAYSTACK_SECRET_KEY) -> str:
    return hmac.new(key.encode(), body, hashlib.sha512).hexdigest()


def stripe_sign(body: bytes, secret: str = LOCAL_STRIPE_WEBHOOK_SECRET, t: int | None = None) -> str:
    ts = int(time.time()) if t is None else t
    sig = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={sig}"


def paystack_webhook(
    kind: str, data: dict[str, Any], *, key: str = LOCAL_PAYSTACK_SECRET_KEY
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps({"event": kind, "data": {"domain": "test", **data}}, separators=(",", ":")).encode()
    return body, {"content-type": "application/json", "x-paystack-signature": paystack_sign(body, key)}


def stripe_webhook(
    kind: str,
    obj: dict[str, Any],
    *,
    event_id: str | None = None,
    secret: str = LOCAL_STRIPE_WEBHOOK_SECRET,
    t: int | None = None,
    livemode: bool = False,
) -> tuple[bytes, dict[str, str]]:
    event = {
        "id": event_id or "evt_" + secrets.token_hex(10),
        "object": "event",
        "type": kind,
        "livemode": livemode,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    body = json.dumps(event, separators=(",", ":")).encode()
    return body, {"content-type": "application/json; charset=utf-8", "stripe-signature": stripe_sign(body, secret, t)}


def paystack_charge(payment: dict[str, Any], bid_id: str, **over: Any) -> dict[str, Any]:
    """``charge.success`` data for a payment as the API showed it (``CheckoutOut``)."""
    data = {
        "id": 4099260516,
        "status": "success",
        "reference": payment["reference"],
        "amount": payment["amount"]["amount"],
        "currency": payment["amount"]["currency"],
        "metadata": {"jobId": payment["jobId"], "bidId": bid_id, "reference": payment["reference"]},
        "channel": "card",
    }
    data.update(over)
    return data


def stripe_session(payment: dict[str, Any], bid_id: str, **over: Any) -> dict[str, Any]:
    session = {
        "id": "cs_test_" + payment["reference"].replace("-", ""),
        "object": "checkout.session",
        "amount_total": payment["amount"]["amount"],
        "currency": payment["amount"]["currency"].lower(),
        "client_reference_id": payment["reference"],
        "metadata": {"jobId": payment["jobId"], "bidId": bid_id, "reference": payment["reference"]},
        "payment_intent": "pi_" + payment["reference"].replace("-", "")[-20:],
        "payment_status": "paid",
        "status": "complete",
        "livemode": False,
    }
    session.update(over)
    return session


# ---------------------------------------------------------------- fake providers


@dataclass
class FakeProvider:
    """One provider as the ports see it: records every call; answers or fails as told."""

    name: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail: dict[str, Exception] = field(default_factory=dict)  # method → what it raises
    charges: dict[str, Charge] = field(default_factory=dict)  # verify answers by reference
    transfers: dict[str, Transfer] = field(default_factory=dict)  # verify answers by reference
    transfer_state: str = "pending"
    refund_state: str = "pending"

    def _record(self, method: str, **kw: Any) -> None:
        self.calls.append((method, kw))
        if method in self.fail:
            raise self.fail[method]

    def called(self, method: str) -> list[dict[str, Any]]:
        return [kw for m, kw in self.calls if m == method]

    # PaymentGateway
    def start_checkout(self, **kw: Any) -> CheckoutSession:
        self._record("start_checkout", **kw)
        ref = kw["reference"]
        return CheckoutSession(provider_ref=f"{self.name}-{ref}", authorization_url=f"https://pay.example/{ref}")

    def verify_charge(self, reference: str, provider_ref: str | None) -> Charge:
        self._record("verify_charge", reference=reference, provider_ref=provider_ref)
        return self.charges.get(reference) or Charge(
            reference=reference, state="pending", amount=None, currency=None, provider_status="ongoing"
        )

    def refund(self, **kw: Any) -> Refund:
        self._record("refund", **kw)
        return Refund(refund_id=f"rf-{kw['reference']}", state=self.refund_state)  # type: ignore[arg-type]

    # PayoutRail
    def transfer(self, **kw: Any) -> Transfer:
        self._record("transfer", **kw)
        return Transfer(reference=kw["reference"], state=self.transfer_state, transfer_code="TRF_fake")  # type: ignore[arg-type]

    def verify_transfer(self, reference: str) -> Transfer | None:
        self._record("verify_transfer", reference=reference)
        return self.transfers.get(reference)

    # BankDirectory
    def list_banks(self, currency: str) -> list[Bank]:
        self._record("list_banks", currency=currency)
        return [
            Bank("632005", "Absa Bank", "basa"),
            Bank("MPESA", "M-PESA", "mobile_money"),
            Bank("68", "Equity Bank", "kepss"),
        ]

    def resolve_account(self, *, bank_code: str, account_number: str) -> str:
        self._record("resolve_account", bank_code=bank_code, account_number=account_number)
        if account_number.startswith("000"):
            raise ProviderRejected("paystack", 422, {"status": False, "message": "Could not resolve account name"})
        return "THANDI MOKOENA"

    def create_recipient(self, **kw: Any) -> str:
        self._record("create_recipient", **kw)
        return "RCP_" + kw["account_number"][-4:]

    # ConnectedAccounts
    def account_name(self, account_id: str) -> str | None:
        self._record("account_name", account_id=account_id)
        return None if "missing" in account_id else "Sipho Works Ltd"


@dataclass
class FakeProviders:
    paystack: FakeProvider
    stripe: FakeProvider

    @classmethod
    def install(cls) -> FakeProviders:
        from khaya.payments import adapters

        fakes = cls(FakeProvider("paystack"), FakeProvider("stripe"))
        adapters.use(paystack=fakes.paystack, stripe=fakes.stripe)
        return fakes

    @staticmethod
    def uninstall() -> None:
        from khaya.payments import adapters

        adapters.use()

    def of(self, name: str) -> FakeProvider:
        return self.paystack if name == "paystack" else self.stripe


def counted(capsys: pytest.CaptureFixture[str], name: str) -> list[dict[str, str]]:
    """The dimensions of each ``name`` metric written (CloudWatch's embedded metric format)."""
    found = []
    for line in capsys.readouterr().out.splitlines():
        if line.startswith('{"_aws"'):
            record = json.loads(line)
            if name in record:
                dims = record["_aws"]["CloudWatchMetrics"][0]["Dimensions"][0]
                found.append({k: record[k] for k in dims if k != "service"})
    return found


def unavailable(provider: str = "paystack", *, ambiguous: bool = False) -> ProviderUnavailable:
    return ProviderUnavailable(provider, ambiguous=ambiguous)


def rejected(provider: str = "paystack", status: int = 400) -> ProviderRejected:
    return ProviderRejected(provider, status, {"status": False, "message": "refused"})


@pytest.fixture(autouse=True)
def fake_providers() -> Iterator[FakeProviders]:
    """Every test talks to fake providers: no test reaches Paystack or Stripe over the network
    (the adapters' contract tests build their adapters themselves, on an intercepted transport)."""
    installed = FakeProviders.install()
    accounts = sys.modules.get("khaya.payments.accounts")
    if accounts is not None:
        accounts._banks_cache.clear()
    yield installed
    FakeProviders.uninstall()


# ---------------------------------------------------------------- real races (threads, moto's server)


def invoke(
    method: str,
    path: str,
    who: dict[str, str] | None = None,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    instance: int = 0,
) -> tuple[int, Any]:
    """Run the function serving ``method path`` in its own container ``instance`` (as Lambda would)."""
    from local.cfn import functions
    from local.events import LambdaContext, http_event, match_path
    from local.loader import load_handler

    for fn in functions():
        for route in fn.routes:
            if route.method == method and match_path(route.path, path) is not None:
                event = http_event(method, path, route_path=route.path, body=body, headers=headers, authorizer=who)
                raw = load_handler(fn, instance)(event, LambdaContext(fn.logical_id))
                return raw["statusCode"], json.loads(raw["body"] or "null")
    raise LookupError(path)


def race(calls: list[Any], first_instance: int = 200) -> list[Any]:
    """Start every call at once (a barrier), each in its own thread and container; their results."""
    import threading

    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        try:
            barrier.wait()
            results[i] = calls[i](first_instance + i)
        except BaseException as exc:  # surfaced below, never lost in a thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    if errors:
        raise errors[0]
    return results
