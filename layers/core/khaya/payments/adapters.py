"""Which adapter serves each port: the real Paystack and Stripe adapters, or stand-ins (tests).

from khaya.payments import adapters
adapters.gateway("paystack").start_checkout(...)
adapters.use(paystack=FakePaystack())   # tests; adapters.use() restores the real ones
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the ports are types only: a route that never calls a provider does not load them
    from khaya.payments.providers import BankDirectory, ConnectedAccounts, PaymentGateway, PayoutRail

_installed: dict[str, Any] = {}


def use(**fakes: Any) -> None:
    """Install stand-ins: ``use(paystack=..., stripe=...)``; ``use()`` restores the real adapters."""
    _installed.clear()
    _installed.update({k: v for k, v in fakes.items() if v is not None})


def _adapter(name: str) -> Any:
    if name in _installed:
        return _installed[name]
    if name == "paystack":
        from khaya.payments.paystack_api import Paystack

        return Paystack()
    if name == "stripe":
        from khaya.payments.stripe_api import Stripe

        return Stripe()
    raise ValueError(f"unknown provider {name!r}")


def gateway(name: str) -> PaymentGateway:
    adapter: PaymentGateway = _adapter(name)
    return adapter


def rail(name: str) -> PayoutRail:
    adapter: PayoutRail = _adapter(name)
    return adapter


def bank_directory() -> BankDirectory:
    adapter: BankDirectory = _adapter("paystack")
    return adapter


def connected_accounts() -> ConnectedAccounts:
    adapter: ConnectedAccounts = _adapter("stripe")
    return adapter
