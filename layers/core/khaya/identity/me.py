"""The signed-in user's own account (``/v1/me``): profile, export and erasure.

* ``get_profile`` / ``update_profile``: name, email, city, avatar key.
* ``erase_account``: personal data is removed or anonymised in one transaction (name →
  "Deleted user"; phone, email, city, avatar, password hash removed; the ``PHONE#`` and
  ``REFCODE#`` items deleted so the number can sign up again), every session ends (token
  version bump). The user id stays, so the ledger, which holds ids and amounts only, stays
  whole and anonymous. ``DELETE /v1/me`` reaches it through ``khaya.market.erasure``, which
  first ends what the user owned in the marketplace and adds its own conditions (``also``)
  to this transaction.
* ``export_account`` (``GET /v1/me/export``): the profile plus every item of the user's
  partition (``USER#<id>``) and of its GSI1 partition (jobs, bids, ledger), without secrets.
"""

from __future__ import annotations

import re
from typing import Any

from khaya import db, errors
from khaya.identity import keys
from khaya.identity.otp import PURPOSES, message_ref
from khaya.identity.tokens import public_user
from khaya.ids import now_iso
from khaya.observability import logger, metric

ERASED_NAME = "Deleted user"
# An avatar is one image file directly under the user's own prefix: ``users/<id>/<name>.<ext>``.
_AVATAR_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}\.(?:jpg|jpeg|png|webp)")
# Never exported: credentials, token material, internal keys.
_SECRET_FIELDS = {"passwordHash", "current", "codeHash", "tokenVersion", "pk", "sk", "ttl"}
_EXPORT_PAGES = 50


def _not_found() -> errors.AppError:
    return errors.NotFound("No such user.", code="user_not_found")


def _load(user_id: str) -> dict[str, Any]:
    user = db.get(*keys.user(user_id), consistent=True)
    if user is None or user.get("status") == "deleted":
        raise _not_found()
    return user


def get_profile(user_id: str) -> dict[str, Any]:
    return public_user(_load(user_id))


def update_profile(user_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (API names: name, email, city, avatarKey; ``None`` clears an optional one)."""
    if "avatarKey" in changes and changes["avatarKey"] is not None:
        prefix, key = f"users/{user_id}/", str(changes["avatarKey"])
        if not (key.startswith(prefix) and _AVATAR_NAME.fullmatch(key[len(prefix) :])):
            raise errors.ValidationFailed(
                f"avatarKey: must be one of your image uploads ({prefix}<name>.jpg|png|webp)",
                details=[{"field": "avatarKey", "issue": "not_owned"}],
            )
    if "name" in changes and changes["name"] is None:
        raise errors.ValidationFailed("name: cannot be removed", details=[{"field": "name", "issue": "required"}])
    to_set = {k: v for k, v in changes.items() if v is not None}
    to_remove = [k for k, v in changes.items() if v is None]
    if not to_set and not to_remove:
        return get_profile(user_id)
    item = db.update(
        *keys.user(user_id),
        set={**to_set, "updatedAt": now_iso()},
        remove=to_remove or None,
        condition="#s = :active",
        names={"#s": "status"},
        values={":active": "active"},
        on_fail=_not_found(),
    )
    return public_user(item)


def erase_account(user_id: str, *, also: list[db.TxAction] | None = None) -> None:
    """Erase the user's personal data and end every session, in one transaction with ``also``
    (conditions of the domains above: it happens only if they all hold)."""
    user = _load(user_id)
    actions = [
        *(also or []),
        db.tx_update(
            *keys.user(user_id),
            set={"name": ERASED_NAME, "status": "deleted", "deletedAt": now_iso(), "updatedAt": now_iso()},
            add={"tokenVersion": 1},
            remove=["phone", "email", "city", "avatarKey", "passwordHash"],
            condition="#s <> :deleted",
            names={"#s": "status"},
            values={":deleted": "deleted"},
            on_fail=_not_found(),
        ),
    ]
    if user.get("phone"):
        actions.append(db.tx_delete(*keys.phone(str(user["phone"])), condition="userId = :u", values={":u": user_id}))
        # codes in flight for the number, and the Twilio message records that point at them
        for purpose in PURPOSES:
            code = db.get(*keys.otp(str(user["phone"]), purpose), consistent=True)
            if code is None:
                continue
            actions.append(db.tx_delete(*keys.otp(str(user["phone"]), purpose)))
            if str(code.get("messageSid", "")).startswith("SM"):
                actions.append(db.tx_delete(*message_ref(str(code["messageSid"]))))
    if user.get("referralCode"):
        actions.append(
            db.tx_delete(*keys.refcode(str(user["referralCode"])), condition="userId = :u", values={":u": user_id})
        )
    db.transact(actions)
    metric("AccountChange", change="erased")
    logger.info("account erased", extra={"userId": user_id})


def _clean(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in _SECRET_FIELDS and not k.startswith("gsi")}


def _all(pk: str, *, index: str | None, scope: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(_EXPORT_PAGES):
        page = db.query(pk, index=index, limit=100, cursor=cursor, scope=scope, forward=True)
        items.extend(page.items)
        cursor = page.next_cursor
        if not cursor:
            break
    return items


def export_account(user_id: str) -> dict[str, Any]:
    user = _load(user_id)
    pk = keys.user_pk(user_id)
    own = [i for i in _all(pk, index=None, scope=f"export:{user_id}") if i.get("sk") != "PROFILE"]
    related = _all(pk, index=keys.USER_INDEX, scope=f"export-gsi1:{user_id}")
    sessions = [
        {k: i.get(k) for k in ("familyId", "status", "createdAt", "lastUsedAt") if i.get(k) is not None}
        for i in own
        if str(i.get("sk", "")).startswith(keys.RTF_PREFIX)
    ]
    others = [_clean(i) for i in own if not str(i.get("sk", "")).startswith(keys.RTF_PREFIX)]
    profile = public_user(user)
    for extra in ("referredByCode", "verifiedAt"):
        if user.get(extra) is not None:
            profile[extra] = user[extra]
    metric("AccountChange", change="exported")
    return {
        "exportedAt": now_iso(),
        "profile": profile,
        "sessions": sessions,
        "records": others,
        "related": [_clean(i) for i in related],
    }
