"""POST /v1/webhooks/stripe — Stripe events (public; `Stripe-Signature`, 5-minute tolerance).

A bad or stale signature → 401 and nothing written; a delivery seen before → 200 with no
effect; anything verified → 200 (see ``khaya.payments.webhooks``).
"""

from typing import Any

from khaya.http import Router, make_handler
from khaya.payments.webhooks import handle_stripe, header, raw_body

router = Router()


@router.post(
    "/v1/webhooks/stripe",
    summary="Stripe webhook",
    description=(
        "Verified by `Stripe-Signature` (`t=`, `v1=`: hex HMAC-SHA256 of `{t}.{raw body}`; any `v1` may match; "
        "`t` within 300 s)."
    ),
    tags=["webhooks"],
    responses={200: {"description": "Received"}, 401: {"description": "Bad or stale signature"}},
)
def stripe_webhook() -> dict[str, Any]:
    event = router.current_event.raw_event
    outcome = handle_stripe(raw_body(event), header(event, "stripe-signature"))
    return {"received": True, "outcome": outcome}


handler = make_handler(router, validation=False)
