"""The HTTP API's Lambda authorizer (REQUEST, payload 2.0, simple responses).

``Authorization: Bearer <access token>`` → verify the JWT (ES256 pinned, ``iss``/``aud``/``exp``,
required claims), then check the user is ``active``, still has the token's role and the
token's version (``tv``) is current. The user check reads ``USER#<id> | PROFILE`` and is cached
in memory for ``AUTHORIZER_USER_CACHE_SECONDS`` (default 15, at most 60). With API Gateway's
own cache (``ReauthorizeEvery``, 45 s in template.yaml) a suspension, a password reset or an
erased account stops a token within 60 s.

Allowed → ``{"isAuthorized": true, "context": {"userId", "role"}}``; anything else →
``{"isAuthorized": false}``. Lean on purpose (no pydantic, no Powertools): this runs
in front of every protected request.
"""

from __future__ import annotations

import json
import time
from typing import Any

from khaya.errors import AppError
from khaya.identity.jwt_keys import InvalidToken, verify_access_token

_DENY: dict[str, Any] = {"isAuthorized": False}
_users: dict[str, tuple[float, tuple[str, str, int] | None]] = {}
_MAX_CACHE_SECONDS = 60


def _cache_seconds() -> float:
    from khaya.config import settings

    return min(_MAX_CACHE_SECONDS, float(settings().get("AUTHORIZER_USER_CACHE_SECONDS") or 15))


def _user_state(user_id: str) -> tuple[str, str, int] | None:
    """(status, role, tokenVersion) of the user, or None if there is no such user."""
    now = time.monotonic()
    hit = _users.get(user_id)
    if hit and hit[0] > now:
        return hit[1]
    from khaya.aws import client
    from khaya.config import settings

    item = (
        client("dynamodb")
        .get_item(
            TableName=settings().table_name,
            Key={"pk": {"S": f"USER#{user_id}"}, "sk": {"S": "PROFILE"}},
            ProjectionExpression="#s, #r, tokenVersion",
            ExpressionAttributeNames={"#s": "status", "#r": "role"},
        )
        .get("Item")
    )
    state = None
    if item:
        state = (
            item.get("status", {}).get("S", ""),
            item.get("role", {}).get("S", ""),
            int(item.get("tokenVersion", {}).get("N", "0")),
        )
    if len(_users) > 10_000:
        _users.clear()
    _users[user_id] = (now + _cache_seconds(), state)
    return state


_request_id: list[str | None] = [None]


def _log(decision: str, reason: str) -> None:
    # One line, no token, no claims beyond the reason.
    line = {"level": "INFO", "message": "authorizer", "decision": decision, "reason": reason}
    print(json.dumps({**line, "correlation_id": _request_id[0]}))


def _bearer(event: dict[str, Any]) -> str | None:
    headers = event.get("headers") or {}
    value = headers.get("authorization") or ""
    if not value:
        sources = event.get("identitySource") or []
        value = sources[0] if sources else ""
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 4096:
        return None
    return token


def authorize(event: dict[str, Any]) -> dict[str, Any]:
    _request_id[0] = (event.get("requestContext") or {}).get("requestId")
    token = _bearer(event)
    if token is None:
        _log("deny", "no_bearer_token")
        return _DENY
    try:
        claims = verify_access_token(token)
    except InvalidToken:
        _log("deny", "invalid_token")
        return _DENY
    except AppError:  # the public keys cannot be read: fail closed
        _log("deny", "keys_unavailable")
        return _DENY
    user_id, role, version = str(claims["sub"]), str(claims["role"]), int(claims["tv"])
    try:
        state = _user_state(user_id)
    except Exception:  # the table cannot be read: fail closed, never a 500 from the gateway
        _log("deny", "user_lookup_failed")
        return _DENY
    if state is None:
        _log("deny", "unknown_user")
        return _DENY
    status, current_role, current_version = state
    if status != "active":
        _log("deny", "user_not_active")
        return _DENY
    if current_role != role or current_version != version:
        _log("deny", "token_revoked")
        return _DENY
    return {"isAuthorized": True, "context": {"userId": user_id, "role": role}}


def reset_cache() -> None:
    _users.clear()
