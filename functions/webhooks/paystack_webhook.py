"""POST /v1/webhooks/paystack — Paystack events (public; signed with the secret key).

A bad signature → 401 and nothing written; a delivery seen before → 200 with no effect;
anything verified → 200 (see ``khaya.payments.webhooks``).
"""

from typing import Any

from khaya.http import Router, make_handler
from khaya.payments.webhooks import handle_paystack, header, raw_body

router = Router()


@router.post(
    "/v1/webhooks/paystack",
    summary="Paystack webhook",
    description="Verified by `x-paystack-signature` (hex HMAC-SHA512 of the raw body, keyed with the secret key).",
    tags=["webhooks"],
    responses={200: {"description": "Received"}, 401: {"description": "Bad signature"}},
)
def paystack_webhook() -> dict[str, Any]:
    event = router.current_event.raw_event
    outcome = handle_paystack(raw_body(event), header(event, "x-paystack-signature"))
    return {"received": True, "outcome": outcome}


handler = make_handler(router, validation=False)
