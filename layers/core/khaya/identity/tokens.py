"""Sessions: a short-lived access JWT plus an opaque refresh token that rotates in a family.

* Refresh tokens are 256 random bits (``secrets.token_urlsafe(32)``), stored only as their
  SHA-256 at ``RT#<hash> | RT`` (``status`` active → used), with the family at
  ``USER#<id> | RTF#<family>`` (``status``, the ``current`` token hash, the user's ``tokenVersion``).
* ``refresh`` marks the presented token used, moves the family to a new token and stores it,
  in one transaction conditioned on the family being active and the presented token being
  its current one.
* Presenting a used token (a stolen copy, or a replay) revokes the family: the newest token
  dies too, and the caller gets 401. Two racing uses of one token count as a reuse.
* ``logout`` revokes the family. A password reset, an erasure or a suspension bumps the
  user's ``tokenVersion``: every family stores the version it was made under, so all of them
  stop refreshing at once, and the authorizer rejects every access token of the old version.
* Access tokens name their family (``sid``): the authorizer denies a token whose family is
  revoked (logout, reuse), so a logout reaches the access token too, within the cache window.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from khaya import db, errors
from khaya.identity import keys
from khaya.identity.jwt_keys import issue_access_token, require_signing_key
from khaya.observability import logger, metric

_PUBLIC_USER_FIELDS = (
    "userId",
    "phone",
    "name",
    "role",
    "status",
    "email",
    "city",
    "avatarKey",
    "referralCode",
    "createdAt",
    "updatedAt",
)


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """The user as the API shows it to themselves (never hashes or internal counters)."""
    return {f: user[f] for f in _PUBLIC_USER_FIELDS if user.get(f) is not None}


def _invalid_refresh() -> errors.AppError:
    return errors.Unauthorized("The refresh token is invalid or expired.", code="invalid_refresh_token")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _refresh_ttl() -> int:
    from khaya.config import settings

    return int(settings().get("REFRESH_TOKEN_TTL_DAYS") or 30) * 86400


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _token_item(token_hash: str, user_id: str, family_id: str, expires_at: int) -> dict[str, Any]:
    return {
        **keys.refresh_token(token_hash).item(),
        "userId": user_id,
        "familyId": family_id,
        "status": "active",
        "expiresAt": expires_at,
        "ttl": expires_at + 86400,
    }


def _pair(user: dict[str, Any], family_id: str, refresh_token: str, signing_key: tuple[str, Any]) -> dict[str, Any]:
    version = int(user.get("tokenVersion", 0))
    access, ttl = issue_access_token(str(user["userId"]), str(user["role"]), version, family_id, signing_key)
    return {"accessToken": access, "refreshToken": refresh_token, "expiresIn": ttl, "user": public_user(user)}


def start_session(user: dict[str, Any], signing_key: tuple[str, Any]) -> dict[str, Any]:
    """A new family for ``user`` (an active user item) → the token pair of the API, its access
    token signed with ``signing_key`` (``require_signing_key()``, read before anything was spent)."""
    user_id = str(user["userId"])
    family_id = uuid.uuid4().hex
    token = secrets.token_urlsafe(32)
    token_hash = _hash(token)
    now = int(time.time())
    expires_at = now + _refresh_ttl()
    db.transact(
        [
            db.tx_put(
                {
                    **keys.refresh_family(user_id, family_id).item(),
                    "familyId": family_id,
                    "status": "active",
                    "current": token_hash,
                    "tokenVersion": int(user.get("tokenVersion", 0)),
                    "createdAt": _now_iso(),
                    "lastUsedAt": _now_iso(),
                    "expiresAt": expires_at,
                    "ttl": expires_at + 86400,
                },
                condition="attribute_not_exists(pk)",
            ),
            db.tx_put(_token_item(token_hash, user_id, family_id, expires_at), condition="attribute_not_exists(pk)"),
        ]
    )
    return _pair(user, family_id, token, signing_key)


def revoke_family(user_id: str, family_id: str, reason: str) -> None:
    with contextlib.suppress(errors.NotFound):
        db.update(
            *keys.refresh_family(user_id, family_id),
            set={"status": "revoked", "revokedAt": _now_iso(), "revokedReason": reason},
            condition="attribute_exists(pk)",
            on_fail=errors.NotFound(),
        )


def _lookup(refresh_token: str) -> tuple[str, dict[str, Any] | None]:
    token_hash = _hash(refresh_token)
    return token_hash, db.get(*keys.refresh_token(token_hash), consistent=True)


def refresh(refresh_token: str) -> dict[str, Any]:
    """Rotate: the presented token becomes used, a new pair is returned (see module doc)."""
    now = int(time.time())
    token_hash, rt = _lookup(refresh_token)
    if rt is None or int(rt.get("expiresAt", 0)) <= now:
        metric("TokenRefresh", result="invalid")
        raise _invalid_refresh()
    user_id, family_id = str(rt["userId"]), str(rt["familyId"])
    if rt.get("status") != "active":
        revoke_family(user_id, family_id, "reuse")
        metric("TokenRefresh", result="reuse")
        logger.warning("refresh token reuse: family revoked", extra={"userId": user_id})
        raise _invalid_refresh()
    family = db.get(*keys.refresh_family(user_id, family_id), consistent=True)
    user = db.get(*keys.user(user_id), consistent=True)
    if (
        family is None
        or family.get("status") != "active"
        or family.get("current") != token_hash
        or user is None
        or user.get("status") != "active"
        or int(user.get("tokenVersion", 0)) != int(family.get("tokenVersion", -1))
    ):
        metric("TokenRefresh", result="revoked")
        raise _invalid_refresh()
    # Only a token that will be rotated needs the key: 503 here, before anything is used up; an
    # invalid one is refused without reading (or parsing) it.
    signing_key = require_signing_key()

    new_token = secrets.token_urlsafe(32)
    new_hash = _hash(new_token)
    expires_at = now + _refresh_ttl()
    try:
        db.transact(
            [
                db.tx_update(
                    *keys.refresh_token(token_hash),
                    set={"status": "used", "usedAt": now},
                    condition="#s = :active",
                    names={"#s": "status"},
                    values={":active": "active"},
                ),
                db.tx_update(
                    *keys.refresh_family(user_id, family_id),
                    set={
                        "current": new_hash,
                        "lastUsedAt": _now_iso(),
                        "expiresAt": expires_at,
                        "ttl": expires_at + 86400,
                    },
                    condition="#s = :active AND #c = :old",
                    names={"#s": "status", "#c": "current"},
                    values={":active": "active", ":old": token_hash},
                ),
                db.tx_put(_token_item(new_hash, user_id, family_id, expires_at), condition="attribute_not_exists(pk)"),
            ]
        )
    except errors.Conflict:
        # Someone used this token at the same moment: one of the two is not its owner.
        revoke_family(user_id, family_id, "reuse")
        metric("TokenRefresh", result="reuse")
        raise _invalid_refresh() from None
    metric("TokenRefresh", result="ok")
    return _pair(user, family_id, new_token, signing_key)


def logout(refresh_token: str) -> None:
    """Revoke the token's family. Unknown tokens are ignored (the answer is 204 either way)."""
    _, rt = _lookup(refresh_token)
    if rt is not None:
        revoke_family(str(rt["userId"]), str(rt["familyId"]), "logout")
        metric("TokenRefresh", result="logout")
