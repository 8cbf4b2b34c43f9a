"""POST /v1/auth/otp — queue a code, sent a moment later (public; same answer and work for unknown phones)."""

from typing import Annotated, Literal

from khaya.api import ApiModel
from khaya.http import Router, make_handler
from khaya.identity.accounts import request_otp as request_otp_service
from khaya.identity.models import OtpOut, Phone

router = Router()


class OtpRequestIn(ApiModel):
    phone: Annotated[str, Phone]
    purpose: Literal["signup", "login", "reset"]


@router.post(
    "/v1/auth/otp",
    summary="Send a code",
    description="Sends (or resends, after 60 s) a code, a moment after the answer. Same answer, and the same "
    "time, whether or not the phone has an account.",
    tags=["auth"],
    responses={
        202: {"description": "Accepted", "content": {"application/json": {"model": OtpOut}}},
    },
)
def request_otp(body: OtpRequestIn) -> tuple[OtpOut, int]:
    ip = router.current_event.request_context.http.source_ip
    return OtpOut.model_validate(request_otp_service(body.phone, body.purpose, source_ip=ip)), 202


handler = make_handler(router)
