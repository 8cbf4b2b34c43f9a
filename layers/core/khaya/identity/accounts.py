"""Accounts: signup, OTP requests, verification, password login and reset.

The user is ``USER#<id> | PROFILE``; its phone and referral code are unique through
``PHONE#<e164> | PHONE`` and ``REFCODE#<code> | REFCODE``, written in the same transaction.
A signup stays ``pending`` until its code is verified, and a pending signup holds nothing:
a new signup for the number starts over (the earlier one's user, name, role, password and
referral code are deleted in the same transaction), so nobody can squat or pre-claim a
phone they cannot receive codes on. Unverified signups are cleaned up by TTL after
``SIGNUP_PENDING_SECONDS`` (default 1 h) and a day.

Who verifies a signup. The code proves the phone; the ``userId`` the signup's 201 answered
(known only to whoever made that signup) proves which signup the person at the phone made.
``POST /v1/auth/verify`` takes it as ``signupId``:

* ``signupId`` names the pending signup and the code is the one that signup sent: the account
  activates with its name, role and password.
* ``signupId`` names another signup (the caller's was replaced by a newer one, perhaps by
  someone who knows the number and wants the account): 409 ``signup_replaced``, and nothing of
  the newer signup is activated; the code is spent, and the phone's owner signs up again (which
  replaces the other signup in turn).
* no ``signupId`` (or a code asked through ``POST /v1/auth/otp``): the account activates
  without a password, as the contract says of codes asked later, so a password chosen by
  anyone but the verifier never opens it.
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


class SignupReplaced(errors.Conflict):
    code = "signup_replaced"
    default_message = "A newer signup replaced yours for this number; sign up again."


def _phone_taken() -> errors.AppError:
    return errors.Conflict("This phone number already has an account.", code="phone_taken")


def _replace_actions(claim: dict[str, Any] | None) -> list[db.TxAction]:
    """Deleting the never-verified signup that holds ``claim`` (its user and referral code)."""
    if not claim or claim.get("status") != "pending":
        return []
    old_id = str(claim["userId"])
    old = db.get(*keys.user(old_id), consistent=True)
    if old is None or old.get("status") != "pending":
        return []  # already cleaned up by TTL
    cond, names, values = "#s = :pending AND userId = :u", {"#s": "status"}, {":pending": "pending", ":u": old_id}
    actions = [db.tx_delete(*keys.user(old_id), condition=cond, names=names, values=values, on_fail=_phone_taken())]
    if old.get("referralCode"):
        refcode = keys.refcode(str(old["referralCode"]))
        actions.append(db.tx_delete(*refcode, condition="userId = :u", values={":u": old_id}, on_fail=_phone_taken()))
    return actions


def create_user(
    phone: str,
    name: str,
    role: str,
    *,
    status: str,
    password: str | None = None,
    referred_by: dict[str, Any] | None = None,
    replacing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Write USER + PHONE + REFCODE in one transaction (``phone`` already E.164).

    ``status`` ``pending`` items expire unless verified. ``replacing``: the phone's claim as
    read, when it belongs to a never-verified signup, which this one replaces (its items are
    deleted in the same transaction). Phone taken → 409 ``phone_taken``.
    """
    now = int(time.time())
    pending = status == "pending"
    pending_until = now + _setting_int("SIGNUP_PENDING_SECONDS", 3600)
    expiry = {"ttl": pending_until + 86400} if pending else {}
    password_hash = passwords.hash_password(password) if password else None
    replaced = _replace_actions(replacing)
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
        if replacing is not None:  # only the never-verified signup read a moment ago may be replaced
            phone_claim = db.tx_put(
                phone_item,
                condition="#s = :pending AND userId = :old",
                names={"#s": "status"},
                values={":pending": "pending", ":old": str(replacing["userId"])},
                on_fail=_phone_taken(),
            )
        else:
            phone_claim = db.tx_put(phone_item, condition="attribute_not_exists(pk)", on_fail=_phone_taken())
        try:
            db.transact(
                [
                    phone_claim,
                    *replaced,
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
    # The caller's own budget first; then a number with an account is refused before anything
    # of the phone's is spent (refused signups cannot lock its owner out of login codes).
    otp.check_ip_allowed(source_ip)
    claim = db.get(*keys.phone(phone), consistent=True)
    if claim and claim.get("status") != "pending":
        raise _phone_taken()
    otp.check_phone_allowed(phone, "signup", source_ip=source_ip)
    try:
        user = create_user(
            phone, name.strip(), role, status="pending", password=password, referred_by=referred_by, replacing=claim
        )
    except errors.Conflict:
        otp.give_back_phone_send(phone, source_ip=source_ip)  # claimed meanwhile: nothing was sent
        raise
    try:
        issued, send_id = otp.request_code(phone, "signup", queued=False, signup_id=str(user["userId"]))
        channel = otp.send_code(phone, "signup", send_id)
    except errors.ServiceUnavailable:
        _forget_pending(user)  # no code went out: let the person simply sign up again
        raise
    metric("Signup", role=role)
    logger.info("signup", extra={"userId": user["userId"], "phone": mask_phone(phone), "role": role})
    return {"userId": user["userId"], "otp": {**issued.to_api(), "channel": channel or issued.channel}}


def _forget_pending(user: dict[str, Any]) -> None:
    user_id = str(user["userId"])
    cond, names, values = "#s = :pending AND userId = :u", {"#s": "status"}, {":pending": "pending", ":u": user_id}
    keys_ = [keys.user(user_id), keys.phone(str(user["phone"])), keys.refcode(str(user["referralCode"]))]
    with contextlib.suppress(errors.Conflict):
        db.transact([db.tx_delete(*k, condition=cond, names=names, values=values) for k in keys_])


def request_otp(phone_raw: str, purpose: str, *, source_ip: str) -> dict[str, Any]:
    """Queue a code (send or resend): the same gates, the same writes and the same answer
    whether or not the phone has an account. The sender decides, later, whether one goes out."""
    phone = normalize_phone(phone_raw)
    otp.check_send_allowed(phone, purpose, source_ip=source_ip)
    issued, _ = otp.request_code(phone, purpose, queued=True)
    return issued.to_api()


def send_requested_code(otp_pk: str, send_id: str) -> str | None:
    """The asynchronous half of ``request_otp`` (``SendOtpFunction``): a code goes only to a
    number with the matching account state (``pending`` for signup, ``active`` otherwise).
    → the channel used, or ``None`` when nothing was sent."""
    phone, purpose = otp.split_otp_pk(otp_pk)
    user = _user_by_phone(phone)
    status = user.get("status") if user else None
    if status != ("pending" if purpose == "signup" else "active"):
        return None
    try:
        return otp.send_code(phone, purpose, send_id)
    except errors.ServiceUnavailable:
        return None  # logged and counted; the request is gone, so the person can ask again at once


def send_queued_codes(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The table's stream → ``send_requested_code`` for each OTP item in state ``queued``
    (the function's filter passes only those; anything else is skipped). A record that fails
    is reported (``batchItemFailures``) and retried; its send id keeps a retry from sending twice."""
    failures: list[dict[str, str]] = []
    for record in records:
        change = record.get("dynamodb") or {}
        image = change.get("NewImage") or {}
        if image.get("sk", {}).get("S") != "OTP" or image.get("send", {}).get("S") != otp.QUEUED:
            continue
        try:
            send_requested_code(str(image["pk"]["S"]), str(image["sendId"]["S"]))
        except Exception:
            logger.exception("otp: queued send failed", extra={"eventID": record.get("eventID")})
            failures.append({"itemIdentifier": str(change.get("SequenceNumber", ""))})
    return failures


def verify(phone_raw: str, code: str, purpose: str, *, signup_id: str | None = None) -> dict[str, Any]:
    """Check a signup/login code → a token pair. A signup code activates the account (see the
    module doc for ``signup_id``: a signup that is not the pending one → 409 ``signup_replaced``)."""
    phone = normalize_phone(phone_raw)
    signing_key = require_signing_key()
    used = otp.verify_code(phone, purpose, code)
    user = _user_by_phone(phone)
    if user is None:
        raise otp.invalid_code()
    if purpose == "signup" and user.get("status") == "pending":
        user_id = str(user["userId"])
        if signup_id is not None and signup_id != user_id:
            metric("Signup", result="replaced")
            raise SignupReplaced()
        # The password counts only for the signup that chose it, verified with the code it sent.
        keeps_password = signup_id == user_id and used.get("signupId") == user_id
        db.transact(
            [
                db.tx_update(
                    *keys.user(user_id),
                    set={"status": "active", "verifiedAt": now_iso(), "updatedAt": now_iso()},
                    remove=["ttl"] if keeps_password else ["ttl", "passwordHash"],
                    condition="#s = :pending AND userId = :u",
                    names={"#s": "status"},
                    values={":pending": "pending", ":u": user_id},
                    on_fail=otp.invalid_code(),
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
        if not keeps_password:
            user.pop("passwordHash", None)
    _require_active(user)
    metric("Login", result="ok", method="otp")
    return tokens.start_session(user, signing_key)


def _require_active(user: dict[str, Any]) -> None:
    status = user.get("status")
    if status == "suspended":
        raise errors.Forbidden("This account is suspended.", code="account_suspended")
    if status != "active":
        raise errors.Unauthorized("The phone number is not verified yet.", code="not_verified")


class _LoginSlots:
    """The failed-login windows one attempt spends (15 minutes each): this address's share for the
    phone (``LOGIN_FAILURES_PER_PHONE_PER_IP``) and the phone's ceiling over every address
    (``LOGIN_FAILURES_PER_PHONE``), far above what one address may reach. Wrong passwords from
    one address lock out that address only; the owner signing in from anywhere else is not
    turned away unless many addresses together reach the ceiling."""

    def __init__(self, phone: str, source_ip: str) -> None:
        self.now = int(time.time())
        window = self.now // _LOGIN_WINDOW_SECONDS
        self.end = (window + 1) * _LOGIN_WINDOW_SECONDS
        self.pair = keys.rate_limit("login-fail-ip", otp.phone_ip_ref(phone, source_ip), window)
        self.phone = keys.rate_limit("login-fail", otp.phone_ref(phone), window)

    def _spend(self, key: keys.Key, limit: int) -> None:
        refused = errors.RateLimited("Too many failed logins; try again later.", retry_after=self.end - self.now)
        db.increment(*key, "count", limit=limit, ttl=self.end + 60, on_limit=refused)

    def take(self) -> None:
        """One slot of each window, before the password is checked (atomic conditional ADDs)."""
        self._spend(self.pair, _setting_int("LOGIN_FAILURES_PER_PHONE_PER_IP", 10))
        try:
            self._spend(self.phone, _setting_int("LOGIN_FAILURES_PER_PHONE", 100))
        except errors.RateLimited:
            db.increment(*self.pair, "count", by=-1)
            raise

    def give_back(self) -> None:
        """A success is not a failure: its slots return."""
        for key in (self.pair, self.phone):
            db.increment(*key, "count", by=-1)


def login(phone_raw: str, password: str, *, source_ip: str) -> dict[str, Any]:
    """Password login. Failures are counted per phone and caller address (10 in 15 minutes → 429
    from that address until the window ends) under a per-phone ceiling (see ``_LoginSlots``).
    The same scrypt work is done for unknown phones and accounts without a password.

    Each attempt takes its slots *before* the password is checked, and a success gives them
    back: concurrent guesses cannot get past the limits."""
    phone = normalize_phone(phone_raw)
    signing_key = require_signing_key()
    slots = _LoginSlots(phone, source_ip)
    try:
        slots.take()
    except errors.RateLimited:
        metric("Login", result="throttled", method="password")
        raise
    user = _user_by_phone(phone)
    stored = user.get("passwordHash") if user and user.get("status") in ("active", "suspended") else None
    if not passwords.verify_password(password, stored):
        metric("Login", result="failed", method="password")
        logger.info("login failed", extra={"phone": mask_phone(phone)})
        raise errors.Unauthorized("The phone number or password is wrong.", code="invalid_credentials")
    slots.give_back()
    assert user is not None
    _require_active(user)
    if passwords.needs_rehash(str(stored)):
        db.update(*keys.user(str(user["userId"])), set={"passwordHash": passwords.hash_password(password)})
    metric("Login", result="ok", method="password")
    return tokens.start_session(user, signing_key)


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
