"""POST /v1/auth/password/reset — a reset code and a new password (public)."""

from typing import Annotated

from khaya.api import ApiModel
from khaya.http import Router, make_handler, no_content
from khaya.identity.accounts import reset_password as reset_service
from khaya.identity.models import Code, Password, Phone

router = Router()


class ResetIn(ApiModel):
    phone: Annotated[str, Phone]
    code: Annotated[str, Code]
    new_password: Annotated[str, Password]


@router.post(
    "/v1/auth/password/reset",
    summary="Reset the password",
    description="Ask a code with purpose `reset` first. Every session of the account is ended.",
    tags=["auth"],
    responses={204: {"description": "Password changed"}},
)
def reset_password(body: ResetIn):  # no return annotation: a 204 has no body to validate
    reset_service(body.phone, body.code, body.new_password)
    return no_content()


handler = make_handler(router)
