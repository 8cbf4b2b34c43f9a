"""POST /v1/webhooks/twilio/status — Twilio delivery callbacks (public, signed by Twilio).

A forged or unsigned callback → 401 and nothing written. An undelivered/failed WhatsApp
code is replaced by a new code sent by SMS (see ``khaya.identity.otp.handle_delivery_status``).
"""

from khaya.http import Router, make_handler, no_content
from khaya.identity.twilio_status import handle_status_callback

router = Router()


@router.post(
    "/v1/webhooks/twilio/status",
    summary="Twilio status callback",
    description="Form-encoded, verified by X-Twilio-Signature against the configured public URL.",
    tags=["webhooks"],
    responses={204: {"description": "Processed"}},
)
def twilio_status():  # no return annotation: a 204 has no body to validate
    event = router.current_event
    handle_status_callback(event.decoded_body or "", event.headers.get("x-twilio-signature"))
    return no_content()


handler = make_handler(router, validation=False, accept=("application/x-www-form-urlencoded",))
