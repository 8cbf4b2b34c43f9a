"""GET /v1/me/payout-account — the worker's payout account (number masked)."""

from khaya.http import Router, make_handler, require_role
from khaya.payments import accounts

router = Router()


@router.get(
    "/v1/me/payout-account",
    summary="My payout account",
    tags=["payments"],
    responses={403: {"description": "Not a worker"}, 404: {"description": "None yet"}},
)
def get_payout_account() -> accounts.PayoutAccount:
    who = require_role("worker")
    return accounts.get_payout_account(who.user_id)


handler = make_handler(router)
