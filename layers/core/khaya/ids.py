"""Sortable opaque ids (ULIDs) and ISO 8601 timestamps."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _b32(value: int, length: int) -> str:
    out = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        out.append(_CROCKFORD[rem])
    return "".join(reversed(out))


def new_id(at_ms: int | None = None) -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, 26 Crockford base32 characters."""
    ms = int(time.time() * 1000) if at_ms is None else at_ms
    return _b32(ms, 10) + _b32(int.from_bytes(os.urandom(10), "big"), 16)


def ulid_from(at_ms: int, seed: bytes) -> str:
    """A deterministic ULID (time part from ``at_ms``, the rest from ``seed``'s first 10 bytes)."""
    return _b32(at_ms, 10) + _b32(int.from_bytes(seed[:10].ljust(10, b"\0"), "big"), 16)


def now_iso() -> str:
    """``2026-11-21T00:15:00.123Z``: fixed width, so it sorts as text."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def epoch() -> int:
    return int(time.time())
