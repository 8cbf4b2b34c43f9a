"""The HTTP API's Lambda authorizer (REQUEST, payload 2.0, simple responses).

``Authorization: Bearer <access token>`` → verify the JWT (ES256 pinned, ``iss``/``aud``/``exp``,
required claims), then check the user is ``active``, still has the token's role and the
token's version (``tv``) is current, and that the token's session (``sid``, its refresh-token
family) is still active. Both items, ``USER#<id> | PROFILE`` and ``USER#<id> | RTF#<sid>``,
come in one ``BatchGetItem`` and are cached in memory for ``AUTHORIZER_USER_CACHE_SECONDS``
(default 15, at most 60; 0 in the local stage). With API Gateway's own cache
(``ReauthorizeEvery``, 45 s in template.yaml) a logout, a reused refresh token, a suspension,
a password reset or an erased account stops an access token within 60 s on AWS; locally,
where nothing is cached, at once.

Allowed → ``{"isAuthorized": true, "context": {"userId", "role"}}``. Refused →
``{"isAuthorized": true, "context": {"refused": <reason>}}``: the route's function answers it,
before any route code runs (``khaya.http.make_handler``), with the API's ``401`` envelope, or
``503`` when the keys or the table could not be read. An HTTP API Lambda authorizer cannot
answer 401 itself: ``isAuthorized: false`` is the gateway's bare ``403 {"message": "Forbidden"}``,
which a client would not take as "refresh the token". A request with no ``Authorization``
header never reaches the authorizer: the gateway answers ``401 {"message": "Unauthorized"}``.
Lean on purpose (no pydantic, no Powertools): this runs in front of every protected request.
"""

from __future__ import annotations

import json
import time
from typing import Any

from khaya.errors import AppError
from khaya.identity.jwt_keys import InvalidToken, verify_access_token

# (user id, session id) → (valid until, ((status, role, tokenVersion) of the user, session active?))
_State = tuple[tuple[str, str, int] | None, bool]
_cache: dict[tuple[str, str], tuple[float, _State]] = {}
_MAX_CACHE_SECONDS = 60


def _cache_seconds() -> float:
    from khaya.config import settings

    return min(_MAX_CACHE_SECONDS, float(settings().get("AUTHORIZER_USER_CACHE_SECONDS") or 15))


def _read(table: str, keys: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from khaya.aws import client

    request: dict[str, Any] = {
        table: {
            "Keys": keys,
            "ProjectionExpression": "sk, #s, #r, tokenVersion",
            "ExpressionAttributeNames": {"#s": "status", "#r": "role"},
        }
    }
    found: list[dict[str, Any]] = []
    for _ in range(3):  # unprocessed keys (throttling) are asked again; then fail closed
        answer = client("dynamodb").batch_get_item(RequestItems=request)
        found.extend(answer.get("Responses", {}).get(table, []))
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            return found
    raise RuntimeError("the user's state could not be read")


def _user_state(user_id: str, session_id: str) -> _State:
    """((status, role, tokenVersion) of the user or None if there is none, whether the session
    is active), from one BatchGetItem or the cache."""
    now = time.monotonic()
    hit = _cache.get((user_id, session_id))
    if hit and hit[0] > now:
        return hit[1]
    from khaya.config import settings

    pk = {"S": f"USER#{user_id}"}
    items = {
        str(i["sk"]["S"]): i
        for i in _read(
            settings().table_name, [{"pk": pk, "sk": {"S": "PROFILE"}}, {"pk": pk, "sk": {"S": f"RTF#{session_id}"}}]
        )
    }
    user, family = items.get("PROFILE"), items.get(f"RTF#{session_id}")
    state: _State = (None, False)
    if user:
        state = (
            (
                user.get("status", {}).get("S", ""),
                user.get("role", {}).get("S", ""),
                int(user.get("tokenVersion", {}).get("N", "0")),
            ),
            bool(family) and (family or {}).get("status", {}).get("S") == "active",
        )
    seconds = _cache_seconds()
    if seconds > 0:
        if len(_cache) > 10_000:
            _cache.clear()
        _cache[(user_id, session_id)] = (now + seconds, state)
    return state


_request_id: list[str | None] = [None]


def _refuse(reason: str) -> dict[str, Any]:
    # One line, no token, no claims beyond the reason.
    line = {"level": "INFO", "message": "authorizer", "decision": "deny", "reason": reason}
    print(json.dumps({**line, "correlation_id": _request_id[0]}))
    return {"isAuthorized": True, "context": {"refused": reason}}


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
        return _refuse("no_bearer_token")
    try:
        claims = verify_access_token(token)
    except InvalidToken:
        return _refuse("invalid_token")
    except AppError:  # the public keys cannot be read: fail closed
        return _refuse("keys_unavailable")
    user_id, role, version = str(claims["sub"]), str(claims["role"]), int(claims["tv"])
    try:
        user, session_active = _user_state(user_id, str(claims["sid"]))
    except Exception:  # the table cannot be read: fail closed, never a 500 from the gateway
        return _refuse("user_lookup_failed")
    if user is None:
        return _refuse("unknown_user")
    status, current_role, current_version = user
    if status != "active":
        return _refuse("user_not_active")
    if current_role != role or current_version != version:
        return _refuse("token_revoked")
    if not session_active:
        return _refuse("session_ended")
    return {"isAuthorized": True, "context": {"userId": user_id, "role": role}}


def reset_cache() -> None:
    _cache.clear()
