"""Twilio status callbacks: verify the signature, then act on failed OTP deliveries."""

from __future__ import annotations

from urllib.parse import parse_qsl

from khaya import errors
from khaya.observability import logger, metric


def handle_status_callback(raw_body: str, signature: str | None) -> None:
    """``raw_body``: the decoded form body. 401 unless ``X-Twilio-Signature`` matches the
    configured public URL (``TWILIO_STATUS_CALLBACK_URL``) and these parameters."""
    from khaya.config import settings
    from khaya.messaging.twilio_sender import signature_is_valid

    url = settings().get("TWILIO_STATUS_CALLBACK_URL")
    params = dict(parse_qsl(raw_body, keep_blank_values=True))
    if not url:
        logger.error("twilio callback: TWILIO_STATUS_CALLBACK_URL is not configured; cannot verify")
    if not url or not signature_is_valid(url, params, signature):
        metric("TwilioCallback", result="bad_signature")
        logger.warning("twilio callback: bad signature")
        raise errors.Unauthorized("The signature does not match.", code="bad_signature")
    status = params.get("MessageStatus", "")
    metric("MessageStatus", status=status or "unknown")
    if status in ("undelivered", "failed"):
        from khaya.identity.otp import handle_delivery_status

        handle_delivery_status(params.get("MessageSid", ""), status, params.get("ErrorCode"))
