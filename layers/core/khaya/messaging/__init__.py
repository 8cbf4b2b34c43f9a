"""Outbound WhatsApp/SMS behind a small port, with WhatsApp → SMS fallback.

Anything that messages a user (OTP codes, "your bid was accepted"...) calls ``notify``::

    from khaya.messaging import notify, DeliveryFailed

    sent = notify(
        "+27821234567",
        text="Your bid on 'Fix my gate' was accepted.",   # the SMS body (and fallback)
        whatsapp_template="HX...",                         # approved Content SID, or None → SMS only
        variables={"1": "Fix my gate"},                    # the template's variables
    )
    sent.channel  # "whatsapp" or "sms";  DeliveryFailed when both channels failed

The adapter is chosen by the setting ``MESSAGING_BACKEND``: ``twilio`` (default; the
``twilio`` SDK lives in its own layer, imported only when a message is sent) or ``outbox``
(the local stage: messages become DynamoDB items served at ``GET /_dev/outbox``). Tests
install a fake with ``use_sender(fake)``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

__all__ = ["DeliveryFailed", "MessageSender", "Sent", "notify", "sender", "use_sender"]


class DeliveryFailed(Exception):
    """A channel did not accept the message. ``code`` is the provider's error code when known
    (Twilio 63003, 63016, 63024...) or ``"unreachable"``; it never carries message content."""

    def __init__(self, channel: str, code: str | None = None) -> None:
        self.channel = channel
        self.code = code or "unknown"
        super().__init__(f"{channel} delivery failed ({self.code})")


@dataclass(frozen=True)
class Sent:
    channel: str  # "whatsapp" | "sms"
    sid: str  # the provider's message id (Twilio MessageSid)
    fallback_reason: str | None = None  # the WhatsApp error code when SMS was used instead


class MessageSender(Protocol):
    def send_whatsapp_template(
        self, to: str, content_sid: str, variables: Mapping[str, str], *, status_callback: str | None = None
    ) -> str:
        """Send an approved WhatsApp template; return the message id or raise DeliveryFailed."""
        ...

    def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        """Send an SMS; return the message id or raise DeliveryFailed."""
        ...


_override: MessageSender | None = None
_cached: dict[str, MessageSender] = {}


def use_sender(fake: MessageSender | None) -> None:
    """Install a sender (tests, simulators); ``None`` goes back to the configured one."""
    global _override
    _override = fake
    _cached.clear()


def sender() -> MessageSender:
    if _override is not None:
        return _override
    from khaya.config import settings

    backend = (settings().get("MESSAGING_BACKEND") or "twilio").lower()
    found = _cached.get(backend)
    if found is None:
        if backend == "outbox":
            from khaya.messaging.outbox import OutboxSender

            found = OutboxSender()
        elif backend == "twilio":
            from khaya.messaging.twilio_sender import TwilioSender

            found = TwilioSender.from_settings()
        else:
            raise RuntimeError("MESSAGING_BACKEND must be twilio or outbox")
        _cached[backend] = found
    return found


def notify(
    phone: str,
    *,
    text: str,
    whatsapp_template: str | None = None,
    variables: Mapping[str, str] | None = None,
    status_callback: str | None = None,
) -> Sent:
    """WhatsApp template first (when given), SMS with ``text`` when WhatsApp fails for any reason.

    ``phone`` is E.164 (normalise with ``khaya.phones.normalize_phone``). Raises
    ``DeliveryFailed`` (channel ``sms``) when both channels fail.
    """
    out = sender()
    reason: str | None = None
    if whatsapp_template:
        try:
            sid = out.send_whatsapp_template(phone, whatsapp_template, variables or {}, status_callback=status_callback)
            return Sent("whatsapp", sid)
        except DeliveryFailed as exc:
            reason = exc.code
    sid = out.send_sms(phone, text, status_callback=status_callback)
    return Sent("sms", sid, fallback_reason=reason)
