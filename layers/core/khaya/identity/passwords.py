"""Password hashing with scrypt (OWASP parameters), constant work for unknown accounts.

Stored form: ``scrypt$<log2 n>$<r>$<p>$<salt b64>$<hash b64>``: the parameters travel with the
hash, so raising them later still verifies old hashes (and ``needs_rehash`` tells when to
upgrade). ``hashlib.scrypt`` keeps the layer free of a native argon2 wheel.

Defaults are OWASP's scrypt minimum (N=2^17, r=8, p=1: 128 MiB, so the functions that hash
get 512 MB of memory). ``PASSWORD_SCRYPT_LOG2_N`` may lower N for tests only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from khaya.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 128
_R, _P = 8, 1
_DEFAULT_LOG2_N = 17
_DKLEN = 32
_dummy: dict[int, str] = {}


def _log2_n() -> int:
    from khaya.config import settings

    return int(settings().get("PASSWORD_SCRYPT_LOG2_N") or _DEFAULT_LOG2_N)


def _derive(password: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    n = 1 << log2_n
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * r * n + 2 * 1024 * 1024, dklen=_DKLEN
    )


def check_password_rules(password: str, *, field: str = "password") -> None:
    """10 to 128 characters (NIST/OWASP: length over composition rules)."""
    if not (MIN_LENGTH <= len(password) <= MAX_LENGTH):
        raise ValidationFailed(
            f"{field}: must be {MIN_LENGTH} to {MAX_LENGTH} characters",
            details=[{"field": field, "issue": "length"}],
        )


def hash_password(password: str) -> str:
    log2_n = _log2_n()
    salt = secrets.token_bytes(16)
    digest = _derive(password, salt, log2_n, _R, _P)
    b64 = base64.b64encode
    return f"scrypt${log2_n}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``. With no stored hash (unknown phone, account
    without a password) the same work is done against a dummy hash, and the answer is False."""
    if not stored:
        log2_n = _log2_n()
        if log2_n not in _dummy:
            _dummy[log2_n] = hash_password(secrets.token_urlsafe(16))
        _check(password, _dummy[log2_n])
        return False
    return _check(password, stored)


def _check(password: str, stored: str) -> bool:
    try:
        scheme, log2_n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _derive(password, base64.b64decode(salt), int(log2_n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, actual)


def needs_rehash(stored: str) -> bool:
    parts = stored.split("$")
    return len(parts) != 6 or parts[0] != "scrypt" or int(parts[1]) < _log2_n()
