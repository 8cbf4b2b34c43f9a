"""DELETE /v1/me — end what the caller owned in the marketplace, erase its personal data, end every session."""

from khaya.http import Router, caller, make_handler, no_content
from khaya.payments.accounts import erase_account

router = Router()


@router.delete(
    "/v1/me",
    summary="Erase my account",
    description="Cancels open and assigned jobs, withdraws pending bids, deletes the worker profile, portfolio "
    "and uploads, then removes name, phone, email and other personal data; the anonymised ledger stays. Every "
    "session ends. 409 `money_held` while a job holds money.",
    tags=["me"],
    responses={204: {"description": "Erased"}},
)
def delete_me():  # no return annotation: a 204 has no body to validate
    erase_account(caller().user_id)
    return no_content()


handler = make_handler(router, validation=False)
