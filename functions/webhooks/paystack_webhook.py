"""POST /v1/webhooks/paystack — Paystack events (public; signed with the secret key).

A bad signature → 401 and nothing written; a delivery seen before → 200 with no effect;
anything verified → 200 (see ``khaya.payments.webhooks``). The handler runs without Powertools'
resolver, so a retry storm meets containers that start fast; ``router`` (built only when asked
for) is the route as the OpenAPI document shows it.
"""

from typing import Any

from khaya import entry
from khaya.payments.webhooks import paystack_handler

handler = entry(paystack_handler)


def __getattr__(name: str) -> Any:
    if name != "router":
        raise AttributeError(name)
    from khaya.http import Router

    router = Router()

    @router.post(
        "/v1/webhooks/paystack",
        summary="Paystack webhook",
        description="Verified by `x-paystack-signature` (hex HMAC-SHA512 of the raw body, keyed with the secret key).",
        tags=["webhooks"],
        responses={200: {"description": "Received"}, 401: {"description": "Bad signature"}},
    )
    def paystack_webhook() -> dict[str, Any]:
        raise NotImplementedError  # documentation only: ``handler`` serves the route

    return router
