"""POST /v1/jobs/{id}/payment — the job's owner pays the accepted bid (Paystack or Stripe).

Served with Powertools' request validation off: the body is one field, checked here with the same
model (a bad one is the usual 400), which keeps the checkout's cold start within 1.5 times a bare
handler. ``router`` (built only when asked for) is the route as the OpenAPI document shows it.
"""

import json
from typing import Annotated, Any

from pydantic import ValidationError

from khaya.api import ApiModel
from khaya.http import RequestValidationError, Router, json_response, make_handler, require_role
from khaya.payments import checkout
from khaya.payments.providers import Provider

ROUTE: dict[str, Any] = {
    "summary": "Pay for a job",
    "description": (
        "Owner only, job `assigned`: the amount is the accepted bid's. Answers the provider's checkout "
        "(`authorizationUrl`). Calling again while it is pending returns the same payment; another provider "
        "while one is pending is a 409 `payment_pending`. A provider failure is a 502/503 and leaves nothing pending."
    ),
    "tags": ["payments"],
    "responses": {
        201: {"description": "The pending payment"},
        403: {"description": "Not the job's owner"},
        404: {"description": "No such job"},
        409: {"description": "The job is not assigned, or a payment is pending elsewhere"},
        502: {"description": "The provider refused"},
        503: {"description": "The provider is unavailable"},
    },
}


class PaymentIn(ApiModel):
    provider: Provider


_served = Router()


def _body() -> PaymentIn:
    try:
        return PaymentIn.model_validate(json.loads(_served.current_event.decoded_body or "null"))
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


@_served.post("/v1/jobs/<id>/payment", **ROUTE)
def create_payment(id: str) -> Any:
    who = require_role("client")
    payment = checkout.start_payment(who.user_id, id, _body().provider)
    return json_response(201, payment.model_dump(mode="json", by_alias=True))


handler = make_handler(_served, validation=False)


def __getattr__(name: str) -> Any:
    if name != "router":
        raise AttributeError(name)
    from khaya.params import Path

    documented = Router()

    @documented.post("/v1/jobs/<id>/payment", **ROUTE)
    def create_payment(id: Annotated[str, Path(max_length=64)], body: PaymentIn) -> tuple[checkout.CheckoutOut, int]:
        raise NotImplementedError  # documentation only: ``handler`` serves the route

    return documented
