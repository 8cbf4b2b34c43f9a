"""Opaque, signed list cursors.

A cursor is ``base64url(payload) "." base64url(tag)`` where ``payload`` is the compact JSON
of DynamoDB's ``LastEvaluatedKey`` (key attribute → string value) and ``tag`` is
HMAC-SHA256 over a version label, the list's ``scope`` and the payload, keyed by the
secret named ``CURSOR_SECRET_NAME``. A cursor is only accepted for the scope it was made
for (``jobs:plumbing:cpt:open`` cannot page through ``mybids:u1``), and anything forged,
truncated, re-scoped or malformed is an ``InvalidCursor`` (400), never a 500.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from khaya.errors import InvalidCursor

_VERSION = b"khaya-cursor-v1"
MAX_CURSOR_CHARS = 2048


def _b64e(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor() from exc


def _secret() -> bytes:
    from khaya.config import settings
    from khaya.secrets import get_secret

    return get_secret(settings().cursor_secret_name).encode("utf-8")


def _tag(secret: bytes, scope: str, payload: bytes) -> bytes:
    scope_b = scope.encode("utf-8")
    msg = b"\x00".join((_VERSION, str(len(scope_b)).encode(), scope_b, payload))
    return hmac.new(secret, msg, hashlib.sha256).digest()


def encode_cursor(key: Mapping[str, str], scope: str, *, secret: bytes | None = None) -> str:
    """Sign ``key`` (a LastEvaluatedKey with plain string values) for ``scope``."""
    if not scope:
        raise ValueError("a cursor needs a scope")
    payload = json.dumps(dict(sorted(key.items())), separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return f"{_b64e(payload)}.{_b64e(_tag(secret or _secret(), scope, payload))}"


def decode_cursor(cursor: str, scope: str, *, secret: bytes | None = None) -> dict[str, str]:
    """The key inside ``cursor`` if it is genuine and made for ``scope``; else ``InvalidCursor``."""
    if not isinstance(cursor, str) or not cursor or len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise InvalidCursor()
    payload_b64, tag_b64 = cursor.split(".")
    if not payload_b64 or not tag_b64:
        raise InvalidCursor()
    payload, tag = _b64d(payload_b64), _b64d(tag_b64)
    if not hmac.compare_digest(tag, _tag(secret or _secret(), scope, payload)):
        raise InvalidCursor()
    try:
        key = json.loads(payload)
    except ValueError as exc:
        raise InvalidCursor() from exc
    if not isinstance(key, dict) or not key or not all(isinstance(v, str) for v in key.values()):
        raise InvalidCursor()
    return key
