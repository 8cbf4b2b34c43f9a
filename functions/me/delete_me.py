"""DELETE /v1/me — erase the caller's personal data and end every session."""

from khaya.http import Router, caller, make_handler, no_content
from khaya.identity.me import erase_account

router = Router()


@router.delete(
    "/v1/me",
    summary="Erase my account",
    description="Removes name, phone, email and other personal data; the anonymised ledger stays. Every session ends.",
    tags=["me"],
    responses={204: {"description": "Erased"}},
)
def delete_me():  # no return annotation: a 204 has no body to validate
    erase_account(caller().user_id)
    return no_content()


handler = make_handler(router, validation=False)
