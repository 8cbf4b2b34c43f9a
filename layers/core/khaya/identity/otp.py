"""One-time codes: issue (WhatsApp first, SMS fallback), verify, and the Twilio status fallback.

* A code is 6 digits from ``secrets`` (a CSPRNG). Only ``HMAC-SHA256(pepper, phone|purpose|code)``
  is stored, at ``OTP#<e164>#<purpose> | OTP``, with ``attempts``, ``sentAt`` and ``expiresAt``.
  The pepper is a secret (``OTP_PEPPER_SECRET_NAME``), so a table dump cannot be brute-forced.
* 5 minutes: the ``ttl`` attribute cleans up, the ``expiresAt`` condition decides (TTL is late).
* Every verification first spends an attempt with a conditional ``ADD`` (``attempts < 5``),
  *then* compares: 20 concurrent guesses can never get more than 5 comparisons, and the
  6th guess fails even with the right code. A match deletes the item under a condition on
  its hash, so a code works once.
* Sending is gated: a new code for the same phone and purpose no sooner than 60 s after the
  last (conditional put), and per-phone and per-IP hourly windows (``RL#...`` counters);
  both answer 429 with ``Retry-After``.
* Unknown phones (login/reset for a number with no account) get the same answer and the
  same gates, but no message and no usable code (``deliver=False``): no enumeration and
  no SMS-pumping through the login form.
* Both channels down → the item is deleted (no usable code) and the caller gets 503.
* Twilio reports an undelivered WhatsApp code (status callback) → a *new* code replaces the
  old one and goes by SMS. We cannot resend the first code: we never keep it, only its HMAC.
  Keeping it encrypted instead would put recoverable codes at rest for a rare path; a fresh
  code costs nothing, and it invalidates the undelivered one, so one code is live at a time.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from khaya import db, errors
from khaya.identity import keys
from khaya.observability import logger, mask_phone, metric

PURPOSES = ("signup", "login", "reset")
CODE_TTL_SECONDS = 300
RESEND_AFTER_SECONDS = 60
MAX_ATTEMPTS = 5
_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class OtpIssued:
    channel: str
    expires_in: int
    resend_after: int

    def to_api(self) -> dict[str, Any]:
        return {"channel": self.channel, "expiresIn": self.expires_in, "resendAfter": self.resend_after}


def invalid_code() -> errors.AppError:
    # One answer for wrong, expired, used, exhausted or never-sent codes.
    return errors.BadRequest("The code is wrong or has expired.", code="invalid_code")


def message_ref(sid: str) -> keys.Key:
    """``TWMSG#<MessageSid> | TWMSG``: which OTP a Twilio message carried (for status callbacks)."""
    return keys.twilio_message(sid)


def _setting_int(name: str, default: int) -> int:
    from khaya.config import settings

    return int(settings().get(name) or default)


def _pepper() -> bytes:
    from khaya.config import settings
    from khaya.secrets import get_secret

    return get_secret(settings().require("OTP_PEPPER_SECRET_NAME")).encode("utf-8")


def _hash(phone: str, purpose: str, code: str) -> str:
    return hmac.new(_pepper(), f"{phone}|{purpose}|{code}".encode(), hashlib.sha256).hexdigest()


def phone_ref(phone: str) -> str:
    """A stable pseudonym of ``phone`` for counter keys: an erased account leaves no number behind."""
    return hmac.new(_pepper(), f"phone|{phone}".encode(), hashlib.sha256).hexdigest()[:32]


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _window_limit(scope: str, key: str, limit: int, now: int) -> None:
    window = now // _WINDOW_SECONDS
    end = (window + 1) * _WINDOW_SECONDS
    db.increment(
        *keys.rate_limit(scope, key, window),
        "count",
        limit=limit,
        on_limit=errors.RateLimited("Too many codes requested; try again later.", retry_after=end - now),
        ttl=end + 60,
    )


def _check_resend_gate(phone: str, purpose: str, now: int) -> None:
    found = db.get(*keys.otp(phone, purpose), consistent=True, projection=["sentAt"])
    if found and int(found.get("sentAt", 0)) > now - RESEND_AFTER_SECONDS:
        wait = int(found["sentAt"]) + RESEND_AFTER_SECONDS - now
        raise errors.RateLimited("Wait before asking for another code.", retry_after=wait, code="resend_too_soon")


def _otp_text(code: str) -> str:
    return f"{code} is your Khaya code. It expires in 5 minutes. Never share it with anyone."


def _deliver(phone: str, code: str) -> tuple[str, str, str | None]:
    """Send ``code``; (channel, message sid, fallback reason). Raises DeliveryFailed."""
    from khaya.config import settings
    from khaya.messaging import notify

    cfg = settings()
    variable = cfg.get("TWILIO_OTP_CONTENT_VARIABLE") or "1"
    sent = notify(
        phone,
        text=_otp_text(code),
        whatsapp_template=cfg.get("TWILIO_OTP_CONTENT_SID"),
        variables={variable: code},
        status_callback=cfg.get("TWILIO_STATUS_CALLBACK_URL"),
    )
    return sent.channel, sent.sid, sent.fallback_reason


def check_send_allowed(phone: str, purpose: str, *, source_ip: str) -> None:
    """The resend gate and the hourly windows (each call counts as one send). 429 when over."""
    if purpose not in PURPOSES:
        raise ValueError("unknown purpose")
    now = int(time.time())
    _check_resend_gate(phone, purpose, now)
    ip = source_ip.replace("#", "_") or "unknown"
    _window_limit("otp-ip", ip, _setting_int("OTP_SENDS_PER_IP_PER_HOUR", 30), now)
    _window_limit("otp-phone", phone_ref(phone), _setting_int("OTP_SENDS_PER_PHONE_PER_HOUR", 5), now)


def issue_code(
    phone: str, purpose: str, *, source_ip: str, deliver: bool = True, gates_checked: bool = False
) -> OtpIssued:
    """Create and send a code for ``phone`` (E.164) and ``purpose``; see the module doc.
    ``gates_checked``: the caller already ran ``check_send_allowed`` for this send."""
    if not gates_checked:
        check_send_allowed(phone, purpose, source_ip=source_ip)
    now = int(time.time())
    code = _new_code()
    code_hash = _hash(phone, purpose, code)
    key = keys.otp(phone, purpose)
    item: dict[str, Any] = {
        **key.item(),
        "purpose": purpose,
        "attempts": 0,
        "sentAt": now,
        "expiresAt": now + CODE_TTL_SECONDS,
        "ttl": now + CODE_TTL_SECONDS + 60,
        "channel": "whatsapp",
    }
    if deliver:
        item["codeHash"] = code_hash
    # The resend gate again, atomically: two racing requests cannot both send.
    db.put(
        item,
        condition="attribute_not_exists(pk) OR sentAt <= :cutoff",
        values={":cutoff": now - RESEND_AFTER_SECONDS},
        on_fail=errors.RateLimited(
            "Wait before asking for another code.", retry_after=RESEND_AFTER_SECONDS, code="resend_too_soon"
        ),
    )
    if not deliver:
        return OtpIssued("whatsapp", CODE_TTL_SECONDS, RESEND_AFTER_SECONDS)

    from khaya.messaging import DeliveryFailed

    try:
        channel, sid, fallback_reason = _deliver(phone, code)
    except DeliveryFailed as exc:
        _drop(key.pk, code_hash)
        metric("OtpSendFailed", path="request")
        logger.warning("otp: every channel failed", extra={"phone": mask_phone(phone), "errorCode": exc.code})
        raise errors.ServiceUnavailable(
            "We could not send the code right now; try again shortly.", code="delivery_unavailable", retry_after=30
        ) from None
    if fallback_reason:
        metric("OtpFallbackUsed", reason=fallback_reason)
    metric("OtpSent", channel=channel)
    actions = [
        db.tx_update(
            *key,
            set={"channel": channel, "messageSid": sid},
            condition="codeHash = :h",
            values={":h": code_hash},
        )
    ]
    if channel == "whatsapp":
        actions.append(
            db.tx_put(
                {
                    **message_ref(sid).item(),
                    "otpPk": key.pk,
                    "channel": channel,
                    "ttl": now + CODE_TTL_SECONDS + 3600,
                }
            )
        )
    with contextlib.suppress(errors.Conflict):
        db.transact(actions)
    return OtpIssued(channel, CODE_TTL_SECONDS, RESEND_AFTER_SECONDS)


def verify_code(phone: str, purpose: str, code: str) -> None:
    """Spend one attempt, then compare; a match consumes the code. Anything else → 400 invalid_code."""
    now = int(time.time())
    key = keys.otp(phone, purpose)
    try:
        item = db.update(
            *key,
            add={"attempts": 1},
            condition="attribute_exists(codeHash) AND attempts < :max AND expiresAt > :now",
            values={":max": MAX_ATTEMPTS, ":now": now},
            on_fail=invalid_code(),
        )
    except errors.AppError:
        metric("OtpVerify", result="rejected")
        raise
    stored = str(item.get("codeHash", ""))
    if not hmac.compare_digest(stored, _hash(phone, purpose, code)):
        metric("OtpVerify", result="wrong")
        raise invalid_code()
    used = [db.tx_delete(*key, condition="codeHash = :h", values={":h": stored}, on_fail=invalid_code())]
    sid = str(item.get("messageSid", ""))
    if sid.startswith("SM"):
        used.append(db.tx_delete(*message_ref(sid)))  # its delivery record goes with it
    db.transact(used)
    metric("OtpVerify", result="ok")


def _drop(otp_pk: str, code_hash: str) -> None:
    """Delete the code that could not be delivered (unless a newer one replaced it)."""
    with contextlib.suppress(errors.Conflict):
        db.delete(otp_pk, "OTP", condition="codeHash = :h", values={":h": code_hash}, on_fail=errors.Conflict())


def handle_delivery_status(message_sid: str, status: str, error_code: str | None) -> bool:
    """A Twilio status callback. An ``undelivered``/``failed`` WhatsApp code that is still live is
    replaced by a new code sent by SMS. True when a fallback SMS went out. Idempotent: the
    OTP item must still name this message, so a repeated callback does nothing."""
    if status not in ("undelivered", "failed") or not message_sid:
        return False
    ref = db.get(*message_ref(message_sid))
    if not ref or ref.get("channel") != "whatsapp":
        return False
    otp_pk = str(ref["otpPk"])
    _, phone, purpose = otp_pk.split("#", 2)
    now = int(time.time())
    code = _new_code()
    code_hash = _hash(phone, purpose, code)
    try:
        db.update(
            otp_pk,
            "OTP",
            set={
                "codeHash": code_hash,
                "channel": "sms",
                "messageSid": f"fallback-{message_sid}",
                "expiresAt": now + CODE_TTL_SECONDS,
                "ttl": now + CODE_TTL_SECONDS + 60,
            },
            condition="messageSid = :sid AND expiresAt > :now AND attempts < :max",
            values={":sid": message_sid, ":now": now, ":max": MAX_ATTEMPTS},
            on_fail=errors.Conflict(),
        )
    except errors.Conflict:
        return False  # already handled, superseded, used or expired
    db.delete(*message_ref(message_sid))
    from khaya.config import settings
    from khaya.messaging import DeliveryFailed, sender

    try:
        sid = sender().send_sms(phone, _otp_text(code), status_callback=settings().get("TWILIO_STATUS_CALLBACK_URL"))
    except DeliveryFailed as exc:
        _drop(otp_pk, code_hash)
        metric("OtpSendFailed", path="callback")
        logger.warning("otp: sms fallback failed", extra={"phone": mask_phone(phone), "errorCode": exc.code})
        return False
    with contextlib.suppress(errors.Conflict):
        db.update(otp_pk, "OTP", set={"messageSid": sid}, condition="codeHash = :h", values={":h": code_hash})
    metric("OtpFallbackUsed", reason=f"callback-{error_code or status}")
    metric("OtpSent", channel="sms")
    logger.info("otp: whatsapp undelivered, code resent by sms", extra={"phone": mask_phone(phone)})
    return True
