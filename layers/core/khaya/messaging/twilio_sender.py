"""Twilio adapter of ``MessageSender``. The ``twilio`` SDK (its own layer) is imported lazily.

Settings: ``TWILIO_SECRET_NAME`` (a secret holding ``{"accountSid", "authToken"}``),
``TWILIO_WHATSAPP_FROM`` (E.164 of the WhatsApp sender), ``TWILIO_SMS_FROM`` (E.164 or
alphanumeric sender id) or ``TWILIO_MESSAGING_SERVICE_SID`` for SMS.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from khaya.messaging import DeliveryFailed

# Per request: WhatsApp then SMS must both fit, with the DynamoDB work, in the 10 s function timeout.
_TIMEOUT_SECONDS = 3


class TwilioSender:
    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        whatsapp_from: str | None,
        sms_from: str | None,
        messaging_service_sid: str | None = None,
        http_client: Any = None,
    ) -> None:
        self._account_sid = account_sid
        self._auth_token = auth_token
        self._whatsapp_from = whatsapp_from
        self._sms_from = sms_from
        self._messaging_service_sid = messaging_service_sid
        self._client: Any = None
        self._http_client = http_client  # a twilio.http.HttpClient; tests pass a fake one

    @classmethod
    def from_settings(cls) -> TwilioSender:
        from khaya.config import settings

        creds = twilio_credentials()
        cfg = settings()
        return cls(
            creds["accountSid"],
            creds["authToken"],
            whatsapp_from=cfg.get("TWILIO_WHATSAPP_FROM"),
            sms_from=cfg.get("TWILIO_SMS_FROM"),
            messaging_service_sid=cfg.get("TWILIO_MESSAGING_SERVICE_SID"),
        )

    def _twilio(self) -> Any:
        if self._client is None:
            from twilio.http.http_client import TwilioHttpClient
            from twilio.rest import Client

            http = self._http_client or TwilioHttpClient(timeout=_TIMEOUT_SECONDS)
            self._client = Client(self._account_sid, self._auth_token, http_client=http)
        return self._client

    def _create(self, channel: str, **params: Any) -> str:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self._twilio().messages.create(**params)
        except TwilioRestException as exc:
            raise DeliveryFailed(channel, str(exc.code or exc.status)) from None
        except (TwilioException, OSError) as exc:
            raise DeliveryFailed(channel, "unreachable") from exc
        except Exception as exc:  # requests' ConnectionError/Timeout and friends
            if type(exc).__module__.startswith(("requests", "urllib3")):
                raise DeliveryFailed(channel, "unreachable") from None
            raise
        if getattr(message, "status", None) in ("failed", "undelivered"):
            raise DeliveryFailed(channel, str(getattr(message, "error_code", None) or "failed"))
        return str(message.sid)

    def send_whatsapp_template(
        self, to: str, content_sid: str, variables: Mapping[str, str], *, status_callback: str | None = None
    ) -> str:
        if not self._whatsapp_from:
            raise DeliveryFailed("whatsapp", "not_configured")
        params: dict[str, Any] = {
            "to": f"whatsapp:{to}",
            "from_": f"whatsapp:{self._whatsapp_from}",
            "content_sid": content_sid,
            "content_variables": json.dumps(dict(variables)),
        }
        if status_callback:
            params["status_callback"] = status_callback
        return self._create("whatsapp", **params)

    def send_sms(self, to: str, body: str, *, status_callback: str | None = None) -> str:
        params: dict[str, Any] = {"to": to, "body": body}
        if self._messaging_service_sid:
            params["messaging_service_sid"] = self._messaging_service_sid
        elif self._sms_from:
            params["from_"] = self._sms_from
        else:
            raise DeliveryFailed("sms", "not_configured")
        if status_callback:
            params["status_callback"] = status_callback
        return self._create("sms", **params)


def twilio_credentials() -> dict[str, str]:
    from khaya.config import settings
    from khaya.secrets import get_secret

    raw = json.loads(get_secret(settings().require("TWILIO_SECRET_NAME")))
    return {"accountSid": str(raw["accountSid"]), "authToken": str(raw["authToken"])}


def signature_is_valid(url: str, params: Mapping[str, str], signature: str | None) -> bool:
    """``X-Twilio-Signature`` check (HMAC-SHA1 over the public URL and sorted form params)."""
    if not signature:
        return False
    from twilio.request_validator import RequestValidator

    validator = RequestValidator(twilio_credentials()["authToken"])
    return bool(validator.validate(url, dict(params), signature))
