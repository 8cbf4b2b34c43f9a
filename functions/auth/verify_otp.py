"""POST /v1/auth/verify — exchange a signup/login code for tokens (public)."""

from typing import Annotated, Literal

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.accounts import verify
from khaya.identity.models import Code, Phone, TokensOut

router = Router()


class VerifyIn(ApiModel):
    phone: Annotated[str, Phone]
    code: Annotated[str, Code]
    purpose: Literal["signup", "login"]


@router.post(
    "/v1/auth/verify",
    summary="Verify a code",
    description="A right code gives an access token (15 min) and a refresh token. 5 wrong tries kill a code.",
    tags=["auth"],
)
def verify_otp(body: VerifyIn) -> TokensOut:
    return TokensOut.model_validate(verify(body.phone, body.code, body.purpose))


handler = make_handler(router)
