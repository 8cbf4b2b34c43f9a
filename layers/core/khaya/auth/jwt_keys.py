"""Access-token signing and verification (ES256, pinned), with the keys from Secrets Manager.

Two secrets, so that only the auth functions can sign:

* ``JWT_PRIVATE_KEY_SECRET_NAME``: ``{"kid": ..., "privateKey": <PKCS8 PEM, P-256>}``; read by
  the functions that issue tokens (signup/verify/login/refresh).
* ``JWT_PUBLIC_KEYS_SECRET_NAME``: ``{"keys": {<kid>: <SPKI PEM>, ...}}``; read by the
  authorizer. During a rotation it holds the new and the previous key
  (``python -m khaya.cli rotate-jwt-key``), so tokens signed just before stay valid.

This module imports only ``jwt`` (+ ``cryptography``), ``json`` and ``time``: the authorizer's
cold start depends on it. Claims: ``iss``, ``aud``, ``sub``, ``role``, ``jti``, ``iat``, ``exp``
and ``tv`` (the user's token version; bumping it kills every token of the user).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

ALGORITHM = "ES256"
ROLES = ("client", "worker", "admin")
MAX_ACCESS_TTL = 900
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti"]
_LEEWAY_SECONDS = 5


class InvalidToken(Exception):
    """The token is not one we issued, or no longer valid. Never carries the token."""


_public: dict[str, Any] = {}  # secret value → {kid: key object}
_private: dict[str, Any] = {}


def _cfg() -> tuple[str, str]:
    from khaya.config import settings

    cfg = settings()
    return cfg.get("JWT_ISSUER") or f"khaya-{cfg.stage}", cfg.get("JWT_AUDIENCE") or "khaya-api"


def access_ttl() -> int:
    from khaya.config import settings

    return min(MAX_ACCESS_TTL, int(settings().get("ACCESS_TOKEN_TTL_SECONDS") or MAX_ACCESS_TTL))


_REFRESH_EVERY = 30.0
_last_refresh = [0.0]


def _public_keys(*, fresh: bool = False) -> dict[str, Any]:
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    from khaya.config import settings
    from khaya.secrets import forget_secret, get_secret

    name = settings().require("JWT_PUBLIC_KEYS_SECRET_NAME")
    if fresh:
        forget_secret(name)
        _last_refresh[0] = time.monotonic()
    raw = get_secret(name)
    found = _public.get(raw)
    if found is None:
        found = {kid: load_pem_public_key(pem.encode()) for kid, pem in json.loads(raw)["keys"].items()}
        _public.clear()
        _public[raw] = found
    return found


def _signing_key() -> tuple[str, Any]:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from khaya.config import settings
    from khaya.secrets import get_secret

    raw = get_secret(settings().require("JWT_PRIVATE_KEY_SECRET_NAME"))
    found = _private.get(raw)
    if found is None:
        doc = json.loads(raw)
        found = (str(doc["kid"]), load_pem_private_key(doc["privateKey"].encode(), password=None))
        _private.clear()
        _private[raw] = found
    return found  # type: ignore[no-any-return]


def issue_access_token(user_id: str, role: str, token_version: int) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    import jwt

    issuer, audience = _cfg()
    kid, key = _signing_key()
    now = int(time.time())
    ttl = access_ttl()
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": user_id,
        "role": role,
        "tv": token_version,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl,
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers={"kid": kid}), ttl


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid token; ``InvalidToken`` for anything else (alg none/HS*, unknown
    kid, bad signature, expired, wrong iss/aud, missing claims, unknown role)."""
    import jwt

    issuer, audience = _cfg()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != ALGORITHM:
            raise InvalidToken()
        kid = str(header.get("kid"))
        key = _public_keys().get(kid)
        if key is None and time.monotonic() - _last_refresh[0] > _REFRESH_EVERY:
            key = _public_keys(fresh=True).get(kid)  # a key rotated in since we cached the set
        if key is None:
            raise InvalidToken()
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer,
            leeway=_LEEWAY_SECONDS,
            options={"require": _REQUIRED},
        )
    except jwt.PyJWTError:
        raise InvalidToken() from None
    if claims.get("role") not in ROLES or not isinstance(claims.get("tv"), int) or not claims.get("sub"):
        raise InvalidToken()
    return claims


def new_key_pair() -> tuple[str, str, str]:
    """(kid, private PKCS8 PEM, public SPKI PEM) of a fresh P-256 key."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return time.strftime("%Y%m%d%H%M%S", time.gmtime()) + "-" + uuid.uuid4().hex[:8], private_pem, public_pem


def reset_key_cache() -> None:
    _public.clear()
    _private.clear()
