"""PUT /v1/me/payout-account — a worker says where it is paid (resolved with the provider first)."""

from typing import Annotated, Literal

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.params import Body
from khaya.payments import accounts

router = Router()


class PaystackAccountIn(ApiModel):
    provider: Literal["paystack"]
    bank_code: str = Field(min_length=1, max_length=20, pattern=r"^[A-Za-z0-9_-]+$")
    account_number: str = Field(min_length=6, max_length=20, pattern=r"^[0-9]+$")
    currency: Literal["ZAR", "NGN", "GHS", "KES"] | None = None


class StripeAccountIn(ApiModel):
    provider: Literal["stripe"]
    account_id: str = Field(min_length=6, max_length=64, pattern=r"^acct_[A-Za-z0-9]+$")


# One shape per provider, told apart by ``provider``: the document states which fields go together.
PayoutAccountIn = Annotated[PaystackAccountIn | StripeAccountIn, Body(discriminator="provider")]


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
