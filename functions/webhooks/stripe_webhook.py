"""POST /v1/webhooks/stripe — Stripe events (public; `Stripe-Signature`, 5-minute tolerance).

A bad or stale signature → 401 and nothing written; a delivery seen before → 200 with no
effect; anything verified → 200 (see ``khaya.payments.webhooks``). The handler runs without
Powertools' resolver, so a retry storm meets containers that start fast; ``router`` (built only
when asked for) is the route as the OpenAPI document shows it.
"""

from typing import Any

from khaya import entry
from khaya.payments.webhooks import stripe_handler

handler = entry(stripe_handler)


def __getattr__(name: str) -> Any:
    if name != "router":
        raise AttributeError(name)
    from khaya.http import Router

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
        raise NotImplementedError  # documentation only: ``handler`` serves the route

    return router
