"""PUT /v1/me/payout-account — a worker says where it is paid (resolved with the provider first)."""

from typing import Literal, Self

from pydantic import Field, model_validator

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.payments import accounts
from khaya.payments.providers import Provider

router = Router()


class PayoutAccountIn(ApiModel):
    provider: Provider
    bank_code: str | None = Field(default=None, min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    account_number: str | None = Field(default=None, min_length=6, max_length=20, pattern=r"^[0-9]+$")
    currency: Literal["ZAR", "NGN", "GHS", "KES"] | None = None
    account_id: str | None = Field(default=None, min_length=6, max_length=64, pattern=r"^acct_[A-Za-z0-9]+$")

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.provider == "paystack":
            if not self.bank_code or not self.account_number or self.account_id:
                raise ValueError("a paystack account needs bankCode and accountNumber (and no accountId)")
        elif not self.account_id or self.bank_code or self.account_number or self.currency:
            raise ValueError("a stripe account needs accountId only")
        return self


@router.put(
    "/v1/me/payout-account",
    summary="Set my payout account",
    description=(
        "Workers only. `{provider: paystack, bankCode, accountNumber, currency?}` (bank or mobile money; currency "
        "defaults to ZAR) or `{provider: stripe, accountId}` (Connect). Resolved with the provider first: the name "
        "is shown back and the number masked; an account that does not resolve is a 422."
    ),
    tags=["payments"],
    responses={403: {"description": "Not a worker"}, 422: {"description": "Does not resolve"}},
)
def put_payout_account(body: PayoutAccountIn) -> accounts.PayoutAccount:
    who = require_role("worker")
    return accounts.put_payout_account(who.user_id, body.model_dump())


handler = make_handler(router)
