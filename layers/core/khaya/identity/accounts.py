"""Accounts: signup, OTP requests, verification, password login and reset.

The user is ``USER#<id> | PROFILE``; its phone and referral code are unique through
``PHONE#<e164> | PHONE`` and ``REFCODE#<code> | REFCODE``, written in the same transaction.
A signup stays ``pending`` until its code is verified; a pending signup that was never
verified expires (``SIGNUP_PENDING_SECONDS``, default 1 h) and then no longer holds the
number, so nobody can squat a phone they cannot receive codes on.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any

from khaya import db, errors
from khaya.identity import keys, otp, passwords, tokens
from khaya.identity.jwt_keys import require_signing_key
from khaya.ids import new_id, now_iso
from khaya.observability import logger, mask_phone, metric
from khaya.phones import normalize_phone

ROLES_AT_SIGNUP = ("client", "worker")
_REFCODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
_REFCODE_LENGTH = 8
_LOGIN_WINDOW_SECONDS = 900


def new_referral_code() -> str:
    return "".join(secrets.choice(_REFCODE_ALPHABET) for _ in range(_REFCODE_LENGTH))


def _setting_int(name: str, default: int) -> int:
    from khaya.config import settings

    return int(settings().get(name) or default)


def get_user(user_id: str) -> dict[str, Any] | None:
    """A user's record as stored (other domains read a name, a phone or a plan from it)."""
    return db.get(*keys.user(user_id))


def _user_by_phone(phone: str) -> dict[str, Any] | None:
    entry = db.get(*keys.phone(phone), consistent=True)
    if not entry:
        return None
    return db.get(*keys.user(str(entry["userId"])), consistent=True)


class _RefcodeTaken(errors.Conflict):
    code = "refcode_taken"


def create_user(
    phone: str,
    name: str,
    role: str,
    *,
    status: str,
    password: str | None = None,
    referred_by: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write USER + PHONE + REFCODE in one transaction (``phone`` already E.164).

    ``status`` ``pending`` items expire unless verified. Phone taken → 409 ``phone_taken``.
    """
    now = int(time.time())
    pending = status == "pending"
    pending_until = now + _setting_int("SIGNUP_PENDING_SECONDS", 3600)
    expiry = {"ttl": pending_until + 86400} if pending else {}
    password_hash = passwords.hash_password(password) if password else None
    for _ in range(4):
        user_id = new_id()
        code = new_referral_code()
        user: dict[str, Any] = {
            **keys.user(user_id).item(),
            "userId": user_id,
            "phone": phone,
            "name": name,
            "role": role,
            "status": status,
            "tokenVersion": 0,
            "referralCode": code,
            "createdAt": now_iso(),
            "updatedAt": now_iso(),
            **expiry,
        }
        if password_hash:
            user["passwordHash"] = password_hash
        if referred_by:
            user["referredBy"] = referred_by["userId"]
            user["referredByCode"] = referred_by["code"]
        phone_item = {**keys.phone(phone).item(), "userId": user_id, "status": status, **expiry}
        if pending:
            phone_item["pendingUntil"] = pending_until
        try:
            db.transact(
                [
                    db.tx_put(
                        phone_item,
                        # free, or held by a signup that was never verified and has lapsed
                        condition="attribute_not_exists(pk) OR (#s = :pending AND pendingUntil < :now)",
                        names={"#s": "status"},
                        values={":pending": "pending", ":now": now},
                        on_fail=errors.Conflict("This phone number already has an account.", code="phone_taken"),
                    ),
                    db.tx_put(user, condition="attribute_not_exists(pk)"),
                    db.tx_put(
                        {**keys.refcode(code).item(), "userId": user_id, "status": status, **expiry},
                        condition="attribute_not_exists(pk)",
                        on_fail=_RefcodeTaken(),
                    ),
                ]
            )
        except _RefcodeTaken:
            continue
        return user
    raise errors.ServiceUnavailable()


def _referrer(code: str | None) -> dict[str, Any] | None:
    if not code:
        return None
    normalized = code.strip().upper()
    valid = normalized.isalnum() and len(normalized) <= 32
    found = db.get(*keys.refcode(normalized)) if valid else None
    if not found or found.get("status") != "active":
        raise errors.ValidationFailed(
            "referralCode: unknown referral code", details=[{"field": "referralCode", "issue": "unknown"}]
        )
    return {"userId": found["userId"], "code": normalized}


def signup(
    phone_raw: str,
    name: str,
    role: str,
    *,
    password: str | None,
    referral_code: str | None,
    source_ip: str,
) -> dict[str, Any]:
    """Create a pending account and send its code → ``{userId, otp}`` (201)."""
    phone = normalize_phone(phone_raw)
    if role not in ROLES_AT_SIGNUP:
        raise errors.ValidationFailed("role: must be client or worker", details=[{"field": "role", "issue": "enum"}])
    if password is not None:
        passwords.check_password_rules(password)
    referred_by = _referrer(referral_code)
    # Gates first: a signup refused for sending too often writes nothing.
    otp.check_send_allowed(phone, "signup", source_ip=source_ip)
    user = create_user(phone, name.strip(), role, status="pending", password=password, referred_by=referred_by)
    try:
        issued = otp.issue_code(phone, "signup", source_ip=source_ip, gates_checked=True)
    except errors.ServiceUnavailable:
        _forget_pending(user)  # no code went out: let the person simply sign up again
        raise
    metric("Signup", role=role)
    logger.info("signup", extra={"userId": user["userId"], "phone": mask_phone(phone), "role": role})
    return {"userId": user["userId"], "otp": issued.to_api()}


def _forget_pending(user: dict[str, Any]) -> None:
    user_id = str(user["userId"])
    cond, names, values = "#s = :pending AND userId = :u", {"#s": "status"}, {":pending": "pending", ":u": user_id}
    keys_ = [keys.user(user_id), keys.phone(str(user["phone"])), keys.refcode(str(user["referralCode"]))]
    with contextlib.suppress(errors.Conflict):
        db.transact([db.tx_delete(*k, condition=cond, names=names, values=values) for k in keys_])


def request_otp(phone_raw: str, purpose: str, *, source_ip: str) -> dict[str, Any]:
    """Send (or resend) a code. The same answer whether or not the phone has an account:
    codes only really go to numbers that have the matching account state."""
    phone = normalize_phone(phone_raw)
    user = _user_by_phone(phone)
    status = user.get("status") if user else None
    deliver = status == "pending" if purpose == "signup" else status == "active"
    return otp.issue_code(phone, purpose, source_ip=source_ip, deliver=deliver).to_api()


def verify(phone_raw: str, code: str, purpose: str) -> dict[str, Any]:
    """Check a signup/login code → a token pair. A signup code activates the account."""
    phone = normalize_phone(phone_raw)
    require_signing_key()
    otp.verify_code(phone, purpose, code)
    user = _user_by_phone(phone)
    if user is None:
        raise otp.invalid_code()
    if purpose == "signup" and user.get("status") == "pending":
        user_id = str(user["userId"])
        db.transact(
            [
                db.tx_update(
                    *keys.user(user_id),
                    set={"status": "active", "verifiedAt": now_iso(), "updatedAt": now_iso()},
                    remove=["ttl"],
                    condition="#s = :pending",
                    names={"#s": "status"},
                    values={":pending": "pending"},
                ),
                db.tx_update(
                    *keys.phone(phone),
                    set={"status": "active"},
                    remove=["ttl", "pendingUntil"],
                    condition="userId = :u",
                    values={":u": user_id},
                ),
                db.tx_update(
                    *keys.refcode(str(user["referralCode"])),
                    set={"status": "active"},
                    remove=["ttl"],
                    condition="userId = :u",
                    values={":u": user_id},
                ),
            ]
        )
        user = {**user, "status": "active"}
    _require_active(user)
    metric("Login", result="ok", method="otp")
    return tokens.start_session(user)


def _require_active(user: dict[str, Any]) -> None:
    status = user.get("status")
    if status == "suspended":
        raise errors.Forbidden("This account is suspended.", code="account_suspended")
    if status != "active":
        raise errors.Unauthorized("The phone number is not verified yet.", code="not_verified")


def _login_window(phone: str) -> tuple[keys.Key, int]:
    now = int(time.time())
    window = now // _LOGIN_WINDOW_SECONDS
    return keys.rate_limit("login-fail", otp.phone_ref(phone), window), (window + 1) * _LOGIN_WINDOW_SECONDS


def login(phone_raw: str, password: str) -> dict[str, Any]:
    """Password login. 10 failures per phone in a 15-minute window → 429 until it ends.
    The same scrypt work is done for unknown phones and accounts without a password.

    Each attempt takes a slot *before* the password is checked (an atomic conditional ADD),
    and a success gives its slot back: concurrent guesses cannot get past the limit."""
    phone = normalize_phone(phone_raw)
    require_signing_key()
    limit = _setting_int("LOGIN_FAILURES_PER_PHONE", 10)
    rl_key, window_end = _login_window(phone)
    try:
        db.increment(
            *rl_key,
            "count",
            limit=limit,
            ttl=window_end + 60,
            on_limit=errors.RateLimited(
                "Too many failed logins; try again later.", retry_after=window_end - int(time.time())
            ),
        )
    except errors.RateLimited:
        metric("Login", result="throttled", method="password")
        raise
    user = _user_by_phone(phone)
    stored = user.get("passwordHash") if user and user.get("status") in ("active", "suspended") else None
    if not passwords.verify_password(password, stored):
        metric("Login", result="failed", method="password")
        logger.info("login failed", extra={"phone": mask_phone(phone)})
        raise errors.Unauthorized("The phone number or password is wrong.", code="invalid_credentials")
    db.increment(*rl_key, "count", by=-1)
    assert user is not None
    _require_active(user)
    if passwords.needs_rehash(str(stored)):
        db.update(*keys.user(str(user["userId"])), set={"passwordHash": passwords.hash_password(password)})
    metric("Login", result="ok", method="password")
    return tokens.start_session(user)


def reset_password(phone_raw: str, code: str, new_password: str) -> None:
    """Set a new password with a ``reset`` code; every session of the user ends."""
    passwords.check_password_rules(new_password, field="newPassword")
    phone = normalize_phone(phone_raw)
    otp.verify_code(phone, "reset", code)
    user = _user_by_phone(phone)
    if user is None or user.get("status") != "active":
        raise otp.invalid_code()
    db.update(
        *keys.user(str(user["userId"])),
        set={"passwordHash": passwords.hash_password(new_password), "updatedAt": now_iso()},
        add={"tokenVersion": 1},
        condition="#s = :active",
        names={"#s": "status"},
        values={":active": "active"},
        on_fail=otp.invalid_code(),
    )
    metric("AccountChange", change="password_reset")
    logger.info("password reset; sessions revoked", extra={"userId": user["userId"]})


# ---------------------------------------------------------------- admin


def _set_status(user_id: str, status: str, *, revoke: bool) -> dict[str, Any]:
    item = db.update(
        *keys.user(user_id),
        set={"status": status, "updatedAt": now_iso()},
        add={"tokenVersion": 1} if revoke else None,
        condition="attribute_exists(pk) AND #s <> :deleted AND #s <> :pending",
        names={"#s": "status"},
        values={":deleted": "deleted", ":pending": "pending"},
        on_fail=errors.NotFound("No such user.", code="user_not_found"),
    )
    return tokens.public_user(item)


def suspend_user(user_id: str) -> dict[str, Any]:
    """Admin: suspend; every token and session of the user stops working (≤ 60 s for access tokens)."""
    user = _set_status(user_id, "suspended", revoke=True)
    metric("AccountChange", change="suspended")
    return user


def unsuspend_user(user_id: str) -> dict[str, Any]:
    return _set_status(user_id, "active", revoke=False)
