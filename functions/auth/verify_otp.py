"""POST /v1/auth/verify — exchange a signup/login code for tokens (public)."""

from typing import Annotated, Literal

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.accounts import verify
from khaya.identity.models import Code, Phone, TokensOut

router = Router()


class VerifyIn(ApiModel):
    phone: Annotated[str, Phone]
    code: Annotated[str, Code]
    purpose: Literal["signup", "login"]
    signup_id: str | None = Field(
        default=None,
        max_length=64,
        description=(
            "Purpose `signup`: the `userId` the signup's 201 answered. With it, the account activates with that "
            "signup's name, role and password; if a newer signup replaced it, 409 `signup_replaced` (sign up "
            "again). Without it, the account activates without a password. Ignored for `login`."
        ),
    )


@router.post(
    "/v1/auth/verify",
    summary="Verify a code",
    description="A right code gives an access token (15 min) and a refresh token. 5 wrong tries kill a code.",
    tags=["auth"],
    responses={409: {"description": "A newer signup replaced the one named by `signupId`: sign up again"}},
)
def verify_otp(body: VerifyIn) -> TokensOut:
    return TokensOut.model_validate(verify(body.phone, body.code, body.purpose, signup_id=body.signup_id))


handler = make_handler(router)
