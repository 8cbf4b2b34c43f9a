"""Where a worker is paid: its payout account, and the banks a payout can go to.

* ``PUT /v1/me/payout-account``: ``{provider: "paystack", bankCode, accountNumber, currency?}``
  or ``{provider: "stripe", accountId}``. A Paystack account is checked first: the bank must be
  one Paystack pays into for that currency, the account number must resolve to a name
  (``bank/resolve``), and a transfer recipient is created (``basa``, ``nuban``, ``mobile_money`` or
  ``ghipss``, from the bank's type). A Stripe account must exist on the platform (Connect).
  Anything that does not resolve is a 422 and nothing is saved. Only the recipient code, the
  account's name and the number's last four digits are kept, never the full number. Saving one
  releases the worker's payouts that were waiting for it.
* ``DELETE /v1/me`` (``erase_account``): the payout account goes with the account.
* ``GET /v1/banks?currency=``: Paystack's bank list for a currency, cached in memory (six hours)
  and in the table (a day; refreshed when a payout account is saved); an older copy is served
  while Paystack is down.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import Field

from khaya import db
from khaya.api import ApiModel
from khaya.errors import BusinessRule, NotFound
from khaya.ids import epoch, now_iso
from khaya.observability import logger, metric
from khaya.payments import adapters, keys, providers

MEMORY_SECONDS = 6 * 3600
TABLE_SECONDS = 24 * 3600
_banks_cache: dict[str, tuple[float, list[dict[str, str]]]] = {}


class PayoutAccount(ApiModel):
    provider: providers.Provider
    account_name: str
    bank_code: str | None = None
    bank_name: str | None = None
    account_number: str | None = Field(default=None, description="Masked: only the last four digits are kept.")
    currency: str | None = None
    account_id: str | None = None
    updated_at: str


class BankOut(ApiModel):
    code: str
    name: str
    type: str


class BankList(ApiModel):
    items: list[BankOut]


def not_resolved(why: str) -> BusinessRule:
    return BusinessRule(
        "This payout account could not be verified with the provider.",
        code="account_not_resolved",
        details=[{"field": "accountNumber" if why != "account_id" else "accountId", "issue": why}],
    )


# ---------------------------------------------------------------- banks


def list_banks(currency: str) -> BankList:
    return BankList.model_validate({"items": _banks(currency, store=False)})


def _banks(currency: str, *, store: bool) -> list[dict[str, str]]:
    """Memory, then the table's copy (a day), then Paystack. Only writers (``store``) refresh the
    table's copy, so ``GET /v1/banks`` stays read-only."""
    from khaya.payments.http_client import ProviderRejected, ProviderUnavailable

    hit = _banks_cache.get(currency)
    if hit and hit[0] > time.monotonic():
        return hit[1]
    stored = db.get(*keys.bank_list(currency))
    if stored and int(stored.get("fetchedAt") or 0) + TABLE_SECONDS > epoch():
        items = [dict(i) for i in stored["items"]]
    else:
        try:
            banks = adapters.bank_directory().list_banks(currency)
        except (ProviderRejected, ProviderUnavailable):
            fallback = hit[1] if hit else [dict(i) for i in stored["items"]] if stored else None
            if fallback is None:
                raise
            logger.warning("bank list: provider down, serving an older copy", extra={"currency": currency})
            return fallback
        items = [{"code": b.code, "name": b.name, "type": b.type} for b in banks]
        if store:
            db.put(
                {
                    **keys.bank_list(currency).item(),
                    "type": "bankList",
                    "items": items,
                    "fetchedAt": epoch(),
                    "ttl": epoch() + 7 * TABLE_SECONDS,
                }
            )
    _banks_cache[currency] = (time.monotonic() + MEMORY_SECONDS, items)
    return items


# ---------------------------------------------------------------- payout account


def get_payout_account(worker_id: str) -> PayoutAccount:
    item = db.get(*keys.payout_account(worker_id))
    if item is None:
        raise NotFound("No payout account yet.", code="payout_account_not_found")
    return PayoutAccount.from_item(item)


def _paystack_account(data: dict[str, Any]) -> dict[str, Any]:
    from khaya.payments.http_client import ProviderRejected
    from khaya.payments.paystack_api import RECIPIENT_TYPES

    currency = str(data.get("currency") or "ZAR")
    bank = next((b for b in _banks(currency, store=True) if b["code"] == data.get("bank_code")), None)
    if bank is None:
        raise BusinessRule(
            f"No bank or mobile-money provider with this code pays out in {currency}.",
            code="unknown_bank",
            details=[{"field": "bankCode", "issue": "unknown"}],
        )
    if bank["type"] not in RECIPIENT_TYPES:
        raise BusinessRule("Payouts cannot go to this kind of account.", code="unsupported_account_type")
    directory = adapters.bank_directory()
    number = str(data["account_number"])
    try:
        name = directory.resolve_account(bank_code=bank["code"], account_number=number)
    except ProviderRejected:
        raise not_resolved("not_resolved") from None
    if not name:
        raise not_resolved("not_resolved")
    try:
        recipient = directory.create_recipient(
            type=bank["type"], name=name, account_number=number, bank_code=bank["code"], currency=currency
        )
    except ProviderRejected:
        raise not_resolved("recipient_refused") from None
    return {
        "provider": "paystack",
        "accountName": name,
        "bankCode": bank["code"],
        "bankName": bank["name"],
        "bankType": bank["type"],
        "accountNumber": "*" * max(0, len(number) - 4) + number[-4:],
        "currency": currency,
        "recipientCode": recipient,
    }


def _stripe_account(data: dict[str, Any]) -> dict[str, Any]:
    name = adapters.connected_accounts().account_name(str(data["account_id"]))
    if not name:
        raise not_resolved("account_id")
    return {"provider": "stripe", "accountName": name, "accountId": data["account_id"]}


def put_payout_account(worker_id: str, data: dict[str, Any]) -> PayoutAccount:
    """``data``: provider, bank_code, account_number, currency (Paystack) or account_id (Stripe)."""
    from khaya.payments.payouts import resume_waiting

    fields = _paystack_account(data) if data["provider"] == "paystack" else _stripe_account(data)
    item = {**keys.payout_account(worker_id).item(), "type": "payoutAccount", **fields, "updatedAt": now_iso()}
    db.put(item)
    metric("PayoutAccountSaved", provider=str(data["provider"]))
    resumed = resume_waiting(worker_id)
    if resumed:
        logger.info("payouts released", extra={"workerId": worker_id, "count": resumed})
    return PayoutAccount.from_item(item)


def erase_account(user_id: str) -> None:
    """``DELETE /v1/me`` with the payments domain's part: the marketplace's erasure (409
    ``money_held`` while a job of the user's holds money), and the payout account (a name at a
    bank, a provider's recipient) deleted in its last transaction. The ledger stays: its entries
    name the user by id only."""
    from khaya.market import erasure

    erasure.erase_account(user_id, also=[db.tx_delete(*keys.payout_account(user_id))])
