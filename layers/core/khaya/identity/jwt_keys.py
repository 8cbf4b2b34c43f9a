"""Access-token signing and verification (ES256, pinned), with the keys from Secrets Manager.

Two secrets, so that only the auth functions can sign:

* ``JWT_PRIVATE_KEY_SECRET_NAME``: ``{"kid", "alg", "privateKey": <PKCS8 PEM, P-256>, "d",
  "pemSha256"}``; read by the functions that issue tokens (signup/verify/login/refresh). ``d`` is
  the PEM's private scalar (base64url, as a JWK's ``d``), loaded with the EC module alone; it is
  used only while ``pemSha256`` still matches the PEM, so a document without it (written before
  it was added) or a PEM replaced by hand is read from the PEM.
* ``JWT_PUBLIC_KEYS_SECRET_NAME``: ``{"keys": {<kid>: <SPKI PEM>, ...}}``; read by the
  authorizer. During a rotation it holds the new and the previous key
  (``python -m khaya.identity.cli rotate-jwt-key``), so tokens signed just before stay valid.

Signing and verification use ``cryptography``'s EC module directly (JWS compact serialization
with ES256, RFC 7515/7518, nothing else), not pyjwt: pyjwt's import (its JWK and JWKS-client
modules: x509, ``urllib.request``, ``ssl``) and cryptography's serialization package (every key
type's module, which the PEM needs) were most of what a token-issuing cold start paid beyond a
bare handler. Tests hold both directions to pyjwt. Claims: ``iss``, ``aud``, ``sub``, ``role``,
``jti``, ``iat``, ``exp``, ``tv`` (the user's token version; bumping it kills every token of the
user) and ``sid`` (the session, i.e. the refresh-token family: revoking it kills the session's
access tokens too).
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

ALGORITHM = "ES256"
ROLES = ("client", "worker", "admin")
MAX_ACCESS_TTL = 900
_REQUIRED = ["exp", "iat", "iss", "aud", "sub", "jti", "sid"]
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
    from khaya.secrets import get_secret

    name = settings().require("JWT_PUBLIC_KEYS_SECRET_NAME")
    if fresh:
        _last_refresh[0] = time.monotonic()
    # Fresh: past every cache, the extension's included (a key published seconds ago).
    raw = get_secret(name, fresh=fresh)
    found = _public.get(raw)
    if found is None:
        try:
            found = {kid: load_pem_public_key(pem.encode()) for kid, pem in json.loads(raw)["keys"].items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            found = {}  # not set up yet (rotate-jwt-key never ran): no key, every token is denied
        from cryptography.hazmat.primitives.asymmetric import ec

        found = {
            kid: key
            for kid, key in found.items()
            if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
        }
        _public.clear()
        _public[raw] = found
    return found


def _pem_digest(pem: str) -> str:
    return hashlib.sha256(pem.encode("utf-8")).hexdigest()


def _p256_from_pem(pem: str) -> Any:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode(), password=None)
    except UnsupportedAlgorithm:
        raise ValueError("not a key type this build reads") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise ValueError("not a P-256 key (ES256)")
    return key


def _load_private(doc: dict[str, Any]) -> Any:
    # ``d`` counts only beside the PEM it was taken from: a PEM replaced by hand (kid and all) is
    # read as it is, never signed for with the scalar of the key it replaced.
    if "d" in doc and doc.get("pemSha256") == _pem_digest(doc["privateKey"]):
        from cryptography.hazmat.primitives.asymmetric import ec

        scalar = _b64url(doc["d"])
        if len(scalar) != 32:
            raise ValueError("not a P-256 scalar")
        return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())
    return _p256_from_pem(doc["privateKey"])


def private_key_document(kid: str, private_pem: str) -> str:
    """The signing secret's value for a key made by ``new_key_pair``."""
    d = _b64url_encode(_p256_from_pem(private_pem).private_numbers().private_value.to_bytes(32, "big"))
    return json.dumps(
        {"kid": kid, "alg": ALGORITHM, "privateKey": private_pem, "d": d, "pemSha256": _pem_digest(private_pem)}
    )


def _signing_key() -> tuple[str, Any]:
    from khaya.config import settings
    from khaya.secrets import get_secret

    raw = get_secret(settings().require("JWT_PRIVATE_KEY_SECRET_NAME"))
    found = _private.get(raw)
    if found is None:
        try:
            doc = json.loads(raw)
            found = (str(doc["kid"]), _load_private(doc))
        except (ValueError, KeyError, TypeError, AttributeError):
            from khaya.errors import ServiceUnavailable

            # The stack's placeholder: the operator has not run `python -m khaya.identity.cli rotate-jwt-key`.
            raise ServiceUnavailable("Sign-in is not available right now.", code="signing_key_unavailable") from None
        _private.clear()
        _private[raw] = found
    return found  # type: ignore[no-any-return]


def require_signing_key() -> tuple[str, Any]:
    """The signing key (kid, key), or a 503 now, before the presented code or refresh token is used
    up (so none is used up for a sign-in that cannot finish). Sign with what it returns: a second
    read after the code or token is spent could fail where this one did not."""
    return _signing_key()


def issue_access_token(
    user_id: str, role: str, token_version: int, session_id: str, signing_key: tuple[str, Any]
) -> tuple[str, int]:
    """A token of session ``session_id`` signed with ``signing_key`` (from ``require_signing_key``)
    and its lifetime in seconds."""
    issuer, audience = _cfg()
    kid, key = signing_key
    now = int(time.time())
    ttl = access_ttl()
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": user_id,
        "role": role,
        "tv": token_version,
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + ttl,
    }
    return _sign(claims, kid, key), ttl


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json_part(value: dict[str, Any]) -> str:
    return _b64url_encode(json.dumps(value, separators=(",", ":"), sort_keys=True).encode("utf-8"))


def _sign(claims: dict[str, Any], kid: str, key: Any) -> str:
    """JWS compact: ``header.payload.signature``, the signature R||S (32 bytes each, RFC 7518 §3.4)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    signing_input = _json_part({"alg": ALGORITHM, "kid": kid, "typ": "JWT"}) + "." + _json_part(claims)
    r, s = decode_dss_signature(key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + _b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def _b64url(part: str) -> bytes:
    return base64.b64decode(part + "=" * (-len(part) % 4), altchars=b"-_", validate=True)


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidToken()
    return value


def verify_access_token(token: str) -> dict[str, Any]:
    """The claims of a valid token; ``InvalidToken`` for anything else (alg none/HS*, unknown
    kid, bad signature, expired, wrong iss/aud, missing claims, unknown role).

    The rules are JWS compact + ES256
    (RFC 7518 §3.4: a 64-byte R||S signature over ``header.payload``), nothing else accepted.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    issuer, audience = _cfg()
    try:
        head_b64, body_b64, sig_b64 = token.split(".")
        header = json.loads(_b64url(head_b64))
        if not isinstance(header, dict) or header.get("alg") != ALGORITHM or "crit" in header:
            raise InvalidToken()
        kid = str(header.get("kid"))
        key = _public_keys().get(kid)
        if key is None and time.monotonic() - _last_refresh[0] > _REFRESH_EVERY:
            key = _public_keys(fresh=True).get(kid)  # a key rotated in since we cached the set
        if key is None:
            raise InvalidToken()
        signature = _b64url(sig_b64)
        if len(signature) != 64:
            raise InvalidToken()
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        key.verify(der, f"{head_b64}.{body_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
        claims = json.loads(_b64url(body_b64))
    except (ValueError, TypeError, UnicodeError, InvalidSignature):  # binascii.Error is a ValueError
        raise InvalidToken() from None
    if not isinstance(claims, dict) or any(name not in claims for name in _REQUIRED):
        raise InvalidToken()
    now = time.time()
    if _int_claim(claims, "exp") <= now - _LEEWAY_SECONDS or _int_claim(claims, "iat") > now + _LEEWAY_SECONDS:
        raise InvalidToken()
    if "nbf" in claims and _int_claim(claims, "nbf") > now + _LEEWAY_SECONDS:
        raise InvalidToken()
    aud = claims.get("aud")
    if claims.get("iss") != issuer or not (aud == audience or (isinstance(aud, list) and audience in aud)):
        raise InvalidToken()
    _int_claim(claims, "tv")
    sub, jti, sid = claims.get("sub"), claims.get("jti"), claims.get("sid")
    if claims.get("role") not in ROLES or not isinstance(sub, str) or not sub or not isinstance(jti, str):
        raise InvalidToken()
    if not isinstance(sid, str) or not sid or "#" in sid or "#" in sub:
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
