"""GET /v1/payments/{reference} — a payment, for its payer, its payee or an admin."""

from typing import Annotated

from khaya.http import Router, caller, make_handler
from khaya.params import Path
from khaya.payments import checkout

router = Router()


@router.get(
    "/v1/payments/<reference>",
    summary="Get a payment",
    description="The payer, the payee and admins; anyone else gets 404, as for a payment that does not exist.",
    tags=["payments"],
    responses={404: {"description": "No such payment (or not yours)"}},
)
def get_payment(reference: Annotated[str, Path(max_length=64)]) -> checkout.Payment:
    return checkout.get_payment(caller(), reference)


handler = make_handler(router)
