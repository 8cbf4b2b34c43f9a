"""GET /v1/banks — the banks and mobile-money providers a payout can go to (Paystack, cached)."""

from typing import Annotated, Literal

from khaya.http import Router, caller, make_handler
from khaya.params import Query
from khaya.payments import accounts

router = Router()


@router.get(
    "/v1/banks",
    summary="Banks for payouts",
    description="Any signed-in user. `currency` (default ZAR): the list Paystack pays out to in that currency.",
    tags=["payments"],
    responses={503: {"description": "The provider is unavailable and nothing is cached"}},
)
def list_banks(currency: Annotated[Literal["ZAR", "NGN", "GHS", "KES"], Query()] = "ZAR") -> accounts.BankList:
    caller()
    return accounts.list_banks(currency)


handler = make_handler(router)
