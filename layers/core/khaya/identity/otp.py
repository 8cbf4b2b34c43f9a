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
  last (conditional put), and hourly windows (``RL#...`` counters), all answering 429 with
  ``Retry-After``: per caller address (``OTP_SENDS_PER_IP_PER_HOUR``), per phone *from one
  address* (``OTP_SENDS_PER_PHONE_PER_IP_PER_HOUR``), and per phone from all addresses
  together (``OTP_SENDS_PER_PHONE_PER_HOUR``), a ceiling well above what one address may
  spend. These requests need no authentication, so a budget someone else can spend must not
  be the owner's: one address asking for a known number's codes exhausts only its own share,
  and the owner, asking from anywhere else, still gets a code. Only many addresses together
  reach the ceiling (then the number is under a distributed attack and 429 is the answer).
* A request and its send are two steps. ``request_code`` writes the OTP item with no code
  in it (``send``: ``queued``); ``send_code`` makes the code, stores its HMAC and sends it.
  ``POST /v1/auth/otp`` only queues: the table's stream hands the item to ``SendOtpFunction``,
  which sends a code only when the phone has the matching account state. So the request
  does exactly the same work, and takes the same time, for a registered number and for any
  other (no enumeration by timing or by answer, no SMS-pumping through the login form).
  A signup sends its own code at once (``direct``), and answers 503 if no channel takes it.
* Both channels down → the item is deleted (no usable code, and the person may ask again at
  once); a direct send answers 503.
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
from khaya.ids import new_id
from khaya.observability import logger, mask_phone, metric

PURPOSES = ("signup", "login", "reset")
CODE_TTL_SECONDS = 300
RESEND_AFTER_SECONDS = 60
MAX_ATTEMPTS = 5
_WINDOW_SECONDS = 3600
QUEUED = "queued"  # an OTP item in this state is sent by the stream consumer (SendOtpFunction)


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


def phone_ip_ref(phone: str, source_ip: str) -> str:
    """A stable pseudonym of (``phone``, the caller's address), for the counters kept per pair:
    neither the number nor the address is readable in the table."""
    return hmac.new(_pepper(), f"phone-ip|{phone}|{source_ip}".encode(), hashlib.sha256).hexdigest()[:32]


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


def planned_channel() -> str:
    """The channel a code goes out on first: WhatsApp when an approved template is configured."""
    from khaya.config import settings

    return "whatsapp" if settings().get("TWILIO_OTP_CONTENT_SID") else "sms"


def _ip_key(source_ip: str) -> str:
    return source_ip.replace("#", "_") or "unknown"


def check_ip_allowed(source_ip: str) -> None:
    """Spend one send of the caller's address (hourly window); 429 when over."""
    now = int(time.time())
    _window_limit("otp-ip", _ip_key(source_ip), _setting_int("OTP_SENDS_PER_IP_PER_HOUR", 30), now)


def check_phone_allowed(phone: str, purpose: str, *, source_ip: str) -> None:
    """The resend gate, then spend one send of the phone's hourly windows: this address's share
    of them, then the phone's ceiling over all addresses; 429 when either is over."""
    if purpose not in PURPOSES:
        raise ValueError("unknown purpose")
    now = int(time.time())
    _check_resend_gate(phone, purpose, now)
    per_ip = _setting_int("OTP_SENDS_PER_PHONE_PER_IP_PER_HOUR", 5)
    _window_limit("otp-phone-ip", phone_ip_ref(phone, source_ip), per_ip, now)
    try:
        _window_limit("otp-phone", phone_ref(phone), _setting_int("OTP_SENDS_PER_PHONE_PER_HOUR", 20), now)
    except errors.RateLimited:
        _give_back("otp-phone-ip", phone_ip_ref(phone, source_ip), now)  # nothing was sent
        raise


def _give_back(scope: str, key: str, now: int) -> None:
    with contextlib.suppress(errors.AppError):
        db.increment(*keys.rate_limit(scope, key, now // _WINDOW_SECONDS), "count", by=-1)


def give_back_phone_send(phone: str, *, source_ip: str) -> None:
    """Return the sends taken by ``check_phone_allowed`` for a send that did not happen."""
    now = int(time.time())
    _give_back("otp-phone-ip", phone_ip_ref(phone, source_ip), now)
    _give_back("otp-phone", phone_ref(phone), now)


def check_send_allowed(phone: str, purpose: str, *, source_ip: str) -> None:
    """The resend gate and the hourly windows (each call counts as one send). 429 when over."""
    if purpose not in PURPOSES:
        raise ValueError("unknown purpose")
    check_ip_allowed(source_ip)
    check_phone_allowed(phone, purpose, source_ip=source_ip)


def request_code(phone: str, purpose: str, *, queued: bool, signup_id: str | None = None) -> tuple[OtpIssued, str]:
    """Record that a code is wanted for ``phone`` (E.164) and ``purpose`` → (the API answer, send id).

    The item holds no code yet: ``send_code`` makes and sends it. ``queued``: the table's stream
    hands it to the sender (``SendOtpFunction``), so the request does the same work whether
    or not the phone has an account; otherwise the caller sends it at once. ``signup_id``:
    the signup that asked for it (its password is kept only if this code is verified).
    The resend gate is checked again here, atomically: two racing requests cannot both send."""
    now = int(time.time())
    send_id = new_id()
    item: dict[str, Any] = {
        **keys.otp(phone, purpose).item(),
        "purpose": purpose,
        "attempts": 0,
        "sentAt": now,
        "expiresAt": now + CODE_TTL_SECONDS,
        "ttl": now + CODE_TTL_SECONDS + 60,
        "channel": planned_channel(),
        "sendId": send_id,
        "send": QUEUED if queued else "direct",
    }
    if signup_id:
        item["signupId"] = signup_id
    db.put(
        item,
        condition="attribute_not_exists(pk) OR sentAt <= :cutoff",
        values={":cutoff": now - RESEND_AFTER_SECONDS},
        on_fail=errors.RateLimited(
            "Wait before asking for another code.", retry_after=RESEND_AFTER_SECONDS, code="resend_too_soon"
        ),
    )
    return OtpIssued(item["channel"], CODE_TTL_SECONDS, RESEND_AFTER_SECONDS), send_id


def send_code(phone: str, purpose: str, send_id: str) -> str | None:
    """Make the code of request ``send_id`` and send it (WhatsApp, SMS when WhatsApp fails) →
    the channel used, or ``None`` when the request was replaced, used or has lapsed meanwhile.

    The code lives from the moment it is sent (5 minutes). When no channel takes it, the
    request is deleted, so no code that nobody received stays usable and the person may ask
    again at once; then 503 ``delivery_unavailable``. A retried request (the sender failed
    half-way) gets a fresh code: the one before it never reached anyone, or is replaced."""
    now = int(time.time())
    code = _new_code()
    code_hash = _hash(phone, purpose, code)
    key = keys.otp(phone, purpose)
    try:
        db.update(
            *key,
            set={
                "codeHash": code_hash,
                "send": "sending",
                "expiresAt": now + CODE_TTL_SECONDS,
                "ttl": now + CODE_TTL_SECONDS + 60,
            },
            condition="sendId = :id AND #send IN (:queued, :direct, :sending) AND sentAt > :stale",
            names={"#send": "send"},
            values={
                ":id": send_id,
                ":queued": QUEUED,
                ":direct": "direct",
                ":sending": "sending",
                ":stale": now - CODE_TTL_SECONDS,
            },
        )
    except errors.Conflict:
        return None
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
            set={"channel": channel, "messageSid": sid, "send": "sent"},
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
    return channel


def split_otp_pk(otp_pk: str) -> tuple[str, str]:
    """``OTP#<e164>#<purpose>`` → (phone, purpose)."""
    _, phone, purpose = otp_pk.split("#", 2)
    return phone, purpose


def verify_code(phone: str, purpose: str, code: str) -> dict[str, Any]:
    """Spend one attempt, then compare; a match consumes the code and returns its item (whose
    ``signupId`` names the signup that asked for it, if one did). Anything else → 400 invalid_code."""
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
    stored = str(item["codeHash"])  # the condition above saw it
    if not hmac.compare_digest(stored, _hash(phone, purpose, code)):
        metric("OtpVerify", result="wrong")
        raise invalid_code()
    used = [db.tx_delete(*key, condition="codeHash = :h", values={":h": stored}, on_fail=invalid_code())]
    sid = str(item.get("messageSid", ""))
    if sid.startswith("SM"):
        used.append(db.tx_delete(*message_ref(sid)))  # its delivery record goes with it
    db.transact(used)
    metric("OtpVerify", result="ok")
    return item


def _drop(otp_pk: str, code_hash: str) -> None:
    """Delete the code that could not be delivered (unless a newer one replaced it)."""
    with contextlib.suppress(errors.Conflict):
        db.delete(otp_pk, "OTP", condition="codeHash = :h", values={":h": code_hash})


def handle_delivery_status(message_sid: str, status: str, error_code: str | None) -> None:
    """A Twilio status callback. An ``undelivered``/``failed`` WhatsApp code that is still live is
    replaced by a new code sent by SMS. Idempotent: the OTP item must still name this message,
    so a repeated callback does nothing (nor does one racing it: the first renames the item's
    message before it sends)."""
    if status not in ("undelivered", "failed") or not message_sid:
        return
    ref = db.get(*message_ref(message_sid))
    if not ref or ref.get("channel") != "whatsapp":
        return
    otp_pk = str(ref["otpPk"])
    phone, purpose = split_otp_pk(otp_pk)
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
        )
    except errors.Conflict:
        return  # already handled, superseded, used or expired
    db.delete(*message_ref(message_sid))
    from khaya.config import settings
    from khaya.messaging import DeliveryFailed, sender

    try:
        sid = sender().send_sms(phone, _otp_text(code), status_callback=settings().get("TWILIO_STATUS_CALLBACK_URL"))
    except DeliveryFailed as exc:
        _drop(otp_pk, code_hash)
        metric("OtpSendFailed", path="callback")
        logger.warning("otp: sms fallback failed", extra={"phone": mask_phone(phone), "errorCode": exc.code})
        return
    with contextlib.suppress(errors.Conflict):
        db.update(otp_pk, "OTP", set={"messageSid": sid}, condition="codeHash = :h", values={":h": code_hash})
    metric("OtpFallbackUsed", reason=f"callback-{error_code or status}")
    metric("OtpSent", channel="sms")
    logger.info("otp: whatsapp undelivered, code resent by sms", extra={"phone": mask_phone(phone)})
