"""POST /v1/jobs/{id}/payment — the job's owner pays the accepted bid (Paystack or Stripe)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Path

from khaya.api import ApiModel
from khaya.http import Router, make_handler, require_role
from khaya.payments import checkout
from khaya.payments.providers import Provider

router = Router()


class PaymentIn(ApiModel):
    provider: Provider


@router.post(
    "/v1/jobs/<id>/payment",
    summary="Pay for a job",
    description=(
        "Owner only, job `assigned`: the amount is the accepted bid's. Answers the provider's checkout "
        "(`authorizationUrl`). Calling again while it is pending returns the same payment; another provider "
        "while one is pending is a 409 `payment_pending`. A provider failure is a 502/503 and leaves nothing pending."
    ),
    tags=["payments"],
    responses={
        201: {"description": "The pending payment"},
        403: {"description": "Not the job's owner"},
        404: {"description": "No such job"},
        409: {"description": "The job is not assigned, or a payment is pending elsewhere"},
        502: {"description": "The provider refused"},
        503: {"description": "The provider is unavailable"},
    },
)
def create_payment(id: Annotated[str, Path(max_length=64)], body: PaymentIn) -> tuple[checkout.CheckoutOut, int]:
    who = require_role("client")
    return checkout.start_payment(who.user_id, id, body.provider), 201


handler = make_handler(router)
