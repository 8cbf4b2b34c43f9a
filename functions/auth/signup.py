"""POST /v1/auth/signup — create a pending account and send its code (public)."""

from typing import Annotated, Literal

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.accounts import signup as signup_service
from khaya.identity.models import OtpOut, Password, Phone

router = Router()


class SignupIn(ApiModel):
    phone: Annotated[str, Phone]
    name: str = Field(min_length=1, max_length=80, pattern=r"\S")
    role: Literal["client", "worker"]
    password: Annotated[str, Password] | None = None
    referral_code: str | None = Field(default=None, max_length=32)


class SignupOut(ApiModel):
    user_id: str
    otp: OtpOut


@router.post(
    "/v1/auth/signup",
    summary="Sign up",
    description=(
        "Creates a pending account and sends a code by WhatsApp (SMS when WhatsApp fails). "
        "409 when the phone has an account, 429 when codes were asked too often, 503 when no channel delivers."
    ),
    tags=["auth"],
    responses={
        201: {"description": "Created; verify the code next", "content": {"application/json": {"model": SignupOut}}},
    },
)
def signup(body: SignupIn) -> tuple[SignupOut, int]:
    ip = router.current_event.request_context.http.source_ip
    result = signup_service(
        body.phone,
        body.name,
        body.role,
        password=body.password,
        referral_code=body.referral_code,
        source_ip=ip,
    )
    return SignupOut.model_validate(result), 201


handler = make_handler(router)
