"""POST /v1/auth/login — phone and password → tokens (public)."""

from typing import Annotated

from pydantic import Field

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.accounts import login as login_service
from khaya.identity.models import Phone, TokensOut

router = Router()


class LoginIn(ApiModel):
    phone: Annotated[str, Phone]
    password: str = Field(min_length=1, max_length=128)


@router.post(
    "/v1/auth/login",
    summary="Log in with a password",
    description="401 for a wrong phone or password (the same answer for both); 429 after 10 failures in 15 minutes "
    "for the phone from one address (the owner elsewhere is not locked out), or after many from all addresses.",
    tags=["auth"],
)
def login(body: LoginIn) -> TokensOut:
    ip = router.current_event.request_context.http.source_ip
    return TokensOut.model_validate(login_service(body.phone, body.password, source_ip=ip))


handler = make_handler(router)
